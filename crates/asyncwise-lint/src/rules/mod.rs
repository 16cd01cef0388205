//! The rules: one file per rule, one registry ([`RULES`]).
//!
//! Each rule is declared with `declare_rule!`, whose doc comment (sections *What it does*,
//! *Why is this bad*, *Example*, *Use instead*) is the single source of `asyncwise explain`,
//! `asyncwise rules` and the README's rule table. A rule is a pure function from a
//! [`FileModel`] to findings; findings that need facts from other files
//! of the same crate are [`Deferred`](crate::facts::Deferred) and settled by the crate pass.

mod async_mutex_unneeded;
mod block_on_in_async;
mod blocking_in_async;
mod cleanup_after_await;
mod detached_task;
mod inline_accept_loop;
mod lock_across_await;
mod mixed_runtimes;
mod retry_without_backoff;
pub(crate) mod select_cancel_unsafe;
mod sequential_await;
mod unbounded_channel;
mod unbounded_spawn;

use crate::crate_index::CrateIndex;
use crate::diagnostic::{Diagnostic, Note, Severity};
use crate::facts::Sink;
use crate::levels::{Form, Group, Level};
use crate::model::{FileModel, Loc};

/// A rule: its name, its documentation and its check.
pub struct Rule {
    /// The rule's name, `snake_case`, as users write it.
    pub name: &'static str,
    /// The full documentation, in Markdown, from the rule's doc comment.
    pub doc: &'static str,
    /// The rule's group.
    pub group: Group,
    /// The level of the rule's default form when nothing else is configured (its pedantic
    /// form, if it has one, is off by default).
    pub default_level: Level,
    /// The per-file check.
    pub check: fn(&FileModel<'_>, &mut Sink),
    /// Whether the rule's findings repeated in one function are one fix
    /// ([`crate::repeats`]).
    pub repeats: Repeats,
}

/// Whether a rule's findings repeated in one function are one fix, and why: data on each rule,
/// read by [`crate::repeats::group`] and printed in the rule's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeats {
    /// Every finding is a change of its own, reported on its own.
    Each {
        /// Why, for the documentation.
        reason: &'static str,
    },
    /// The findings of one function (same form and level) are one fix: reported as the first,
    /// whose message says how many more there are, with a note at each of the others.
    OnePerFunction {
        /// What one repeat is, in the singular (`blocking call`); an `s` makes the plural.
        noun: &'static str,
        /// Why, for the documentation.
        reason: &'static str,
    },
}

impl Repeats {
    /// What a rule that says nothing about its repeats does: each finding on its own, with no
    /// reason given.
    pub const DEFAULT: Repeats = Repeats::Each { reason: "" };
}

impl Rule {
    /// The documentation as Markdown for people: the doc comment's leading space removed and
    /// code fences marked plainly as Rust (in the source they are `rust,ignore`, since they show
    /// user code rather than this crate's API).
    ///
    /// ```
    /// let doc = asyncwise_lint::rules::find("unbounded_channel").unwrap().markdown();
    /// assert!(doc.starts_with("## What it does\n"));
    /// assert!(doc.contains("```rust\n") && !doc.contains("ignore"));
    /// ```
    pub fn markdown(&self) -> String {
        let mut out = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            let line = line.strip_prefix(' ').unwrap_or(line);
            out.push_str(if line.trim_end() == "```rust,ignore" {
                "```rust"
            } else {
                line
            });
            out.push('\n');
        }
        out.push_str("\n## Repeated findings\n\n");
        out.push_str(&self.repeats_doc());
        out
    }

    /// How the rule reports several findings in one function, and why (the *Repeated findings*
    /// section of [`Rule::markdown`], made from [`Rule::repeats`]).
    ///
    /// ```
    /// let rule = asyncwise_lint::rules::find("blocking_in_async").unwrap();
    /// assert!(rule.repeats_doc().starts_with("Findings of this rule in one function are one fix"));
    /// let rule = asyncwise_lint::rules::find("detached_task").unwrap();
    /// assert!(rule.repeats_doc().starts_with("Each finding is reported on its own"));
    /// ```
    pub fn repeats_doc(&self) -> String {
        match self.repeats {
            Repeats::Each { reason: "" } => {
                "Each finding is reported on its own, also when one function has several.\n".into()
            }
            Repeats::Each { reason } => format!(
                "Each finding is reported on its own, also when one function has several: \
                 {reason}.\n"
            ),
            Repeats::OnePerFunction { noun, reason } => format!(
                "Findings of this rule in one function are one fix — {reason}. A run reports them as one \
                 finding (of the same form and level), the first, whose message ends with \
                 \"and N more {noun}s in `function`\", with a note at each of the others (JSON, \
                 SARIF and `--message-format json` carry them as related locations, and its \
                 fix, if any, applies to all of them). Suppressions, levels and the baseline \
                 apply to each occurrence before they are grouped: a suppressed or recorded \
                 one is simply not there, and the baseline records each one. The summary line \
                 counts the grouped findings. The language server shows every occurrence, \
                 each with its own quick fix.\n"
            ),
        }
    }

    /// The first paragraph of the *What it does* section, on one line.
    ///
    /// ```
    /// let rule = asyncwise_lint::rules::find("blocking_in_async").unwrap();
    /// assert!(!rule.summary().is_empty());
    /// assert!(!rule.summary().contains('\n'));
    /// ```
    pub fn summary(&self) -> String {
        self.first_paragraph("## What it does").unwrap_or_default()
    }

    /// The first paragraph of the *Pedantic form* section, on one line, if the rule has one:
    /// what it reports only when the `pedantic` group is on.
    ///
    /// ```
    /// let rule = asyncwise_lint::rules::find("block_on_in_async").unwrap();
    /// assert!(rule.pedantic_form().is_none());
    /// ```
    pub fn pedantic_form(&self) -> Option<String> {
        self.first_paragraph("## Pedantic form")
    }

    fn first_paragraph(&self, heading: &str) -> Option<String> {
        let mut lines = self.doc.lines().map(str::trim);
        lines.by_ref().find(|l| l.starts_with(heading))?;
        let mut out = Vec::new();
        for line in lines {
            if line.is_empty() {
                if out.is_empty() {
                    continue;
                }
                break;
            }
            if line.starts_with('#') {
                break;
            }
            out.push(line);
        }
        Some(out.join(" "))
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Declares a rule: `declare_rule! { /// docs... pub NAME, "rule_name", Group::Perf, Level::Warn, check_fn }`,
/// optionally followed by `, repeats: Repeats::…` ([`Repeats::DEFAULT`] when left out).
///
/// The doc comment is captured verbatim into [`Rule::doc`], so code and docs cannot drift.
#[macro_export]
#[doc(hidden)]
macro_rules! declare_rule {
    (@repeats) => { $crate::rules::Repeats::DEFAULT };
    (@repeats $repeats:expr) => { $repeats };
    ($(#[doc = $doc:literal])* pub $konst:ident, $name:literal, $group:expr, $level:expr, $check:path $(, repeats: $repeats:expr)? $(,)?) => {
        $(#[doc = $doc])*
        pub const $konst: $crate::rules::Rule = $crate::rules::Rule {
            name: $name,
            doc: concat!($($doc, "\n"),*),
            group: $group,
            default_level: $level,
            check: $check,
            repeats: $crate::declare_rule!(@repeats $($repeats)?),
        };
    };
}

/// Every rule, in the order they are documented.
pub const RULES: &[Rule] = &[
    blocking_in_async::BLOCKING_IN_ASYNC,
    block_on_in_async::BLOCK_ON_IN_ASYNC,
    lock_across_await::LOCK_ACROSS_AWAIT,
    unbounded_channel::UNBOUNDED_CHANNEL,
    unbounded_spawn::UNBOUNDED_SPAWN,
    detached_task::DETACHED_TASK,
    async_mutex_unneeded::ASYNC_MUTEX_UNNEEDED,
    mixed_runtimes::MIXED_RUNTIMES,
    sequential_await::SEQUENTIAL_AWAIT,
    select_cancel_unsafe::SELECT_CANCEL_UNSAFE,
    cleanup_after_await::CLEANUP_AFTER_AWAIT,
    retry_without_backoff::RETRY_WITHOUT_BACKOFF,
    inline_accept_loop::INLINE_ACCEPT_LOOP,
];

/// A rule's check over the crate index (findings that need other files' functions).
pub struct CrateCheck {
    /// The rule whose findings these are.
    pub rule: &'static Rule,
    /// The check.
    pub check: fn(&CrateIndex, &mut Vec<Diagnostic>),
}

impl std::fmt::Debug for CrateCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrateCheck")
            .field("rule", &self.rule.name)
            .finish_non_exhaustive()
    }
}

/// Every crate-level check: one line per rule that has one.
pub const CRATE_CHECKS: &[CrateCheck] = &[
    CrateCheck {
        rule: &blocking_in_async::BLOCKING_IN_ASYNC,
        check: blocking_in_async::check_crate,
    },
    CrateCheck {
        rule: &async_mutex_unneeded::ASYNC_MUTEX_UNNEEDED,
        check: async_mutex_unneeded::check_crate,
    },
    CrateCheck {
        rule: &mixed_runtimes::MIXED_RUNTIMES,
        check: mixed_runtimes::check_crate,
    },
    CrateCheck {
        rule: &select_cancel_unsafe::SELECT_CANCEL_UNSAFE,
        check: select_cancel_unsafe::check_crate,
    },
];

/// Runs every crate-level check over an index.
///
/// ```
/// let index = asyncwise_lint::crate_index::CrateIndex::build(Vec::new());
/// assert!(asyncwise_lint::rules::check_crate(&index).is_empty());
/// ```
pub fn check_crate(index: &CrateIndex) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for c in CRATE_CHECKS {
        (c.check)(index, &mut out);
    }
    out
}

/// Settles the forms of per-file findings that only the crate index can judge (where the
/// code runs), once the index is built.
pub fn settle_crate_forms(index: &CrateIndex, diagnostics: &mut [Diagnostic]) {
    blocking_in_async::settle_forms(index, diagnostics);
    cleanup_after_await::settle_forms(index, diagnostics);
}

/// Looks a rule up by name.
///
/// ```
/// assert!(asyncwise_lint::rules::find("no_such_rule").is_none());
/// ```
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// Builds a finding of `rule` at `loc`.
fn diagnostic(
    rule: &Rule,
    model: &FileModel<'_>,
    loc: Loc,
    message: String,
    help: &str,
) -> Diagnostic {
    Diagnostic {
        rule: rule.name,
        severity: if rule.default_level == Level::Deny {
            Severity::Error
        } else {
            Severity::Warning
        },
        form: Form::Default,
        path: model.path.to_path_buf(),
        span: model.span(loc),
        message,
        help: Some(help.to_string()),
        notes: Vec::new(),
        fix: None,
        function: None,
        through: None,
        marks: Default::default(),
    }
}

/// Builds a finding of `rule`'s pedantic form at `loc` (off unless the `pedantic` group is on).
fn pedantic(
    rule: &Rule,
    model: &FileModel<'_>,
    loc: Loc,
    message: String,
    help: &str,
) -> Diagnostic {
    Diagnostic {
        severity: Severity::Warning,
        form: Form::Pedantic,
        ..diagnostic(rule, model, loc, message, help)
    }
}

/// A note pointing at `loc`.
/// The condition under which awaiting each of `calls` (locations of awaited calls or of their
/// `.await`s) is a real suspension, for a finding that needs one: `Ok(None)` when some of them
/// surely may suspend (a library's future, a `select!`, an await of no call), else the
/// requirement that one of the crate functions they call may
/// ([`Requirement::MaySuspend`](crate::facts::Requirement::MaySuspend)). An `async fn` of the
/// crate without an await point runs to its end when awaited, as a plain call does.
fn suspension(model: &FileModel<'_>, awaits: &[Loc]) -> Option<crate::facts::Requirement> {
    let mut calls = Vec::with_capacity(awaits.len());
    for &at in awaits {
        let call = model.ir.awaits.iter().find_map(|a| match &a.awaited {
            crate::model::ir::Awaited::Call(c) if a.loc == at || c.loc == at => Some(c),
            _ => None,
        })?;
        calls.push(call.crate_fn().or_else(|| call.fn_of_named_crate())?);
    }
    (!calls.is_empty()).then_some(crate::facts::Requirement::MaySuspend(calls))
}

fn note(model: &FileModel<'_>, loc: Loc, message: impl Into<String>) -> Note {
    Note::here(model.span(loc), message)
}
