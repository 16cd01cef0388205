//! Suppression comments, applied to the final findings of a run in one place ([`apply`]).
//!
//! ```text
//! // asyncwise: allow(blocking_in_async) -- startup only, before the runtime serves requests
//! std::fs::read_to_string(path)
//! ```
//!
//! * `// asyncwise: allow(rule, ...) -- reason` at the end of a line covers findings that start
//!   on that line.
//! * On a line of its own, it covers the next line of code; when that line starts an item (its
//!   attributes, doc comment or header: a fn, an impl, a mod, ...), the whole item.
//! * `// asyncwise: allow-file(rule, ...) -- reason` anywhere in a file covers the whole file.
//!
//! Findings of the crate pass are suppressed the same way, at the place they are reported. A
//! finding reported where async code calls a sync helper that blocks is also covered by a
//! suppression of its rule at any step of the way down to the blocking call: over the helper
//! (the whole item) or on the blocking line, it says once, where the blocking is, that the
//! helper blocks on purpose, and covers every async caller.
//! A suppression that covers nothing is reported as [`UNUSED_SUPPRESSION`]; a malformed one, an
//! unknown rule name (with a suggestion) or, when reasons are required, a missing reason as
//! [`INVALID_SUPPRESSION`] (an error, which cannot itself be suppressed).
//!
//! ```
//! let src = "async fn f() {\n    std::thread::sleep(d); // asyncwise: allow(blocking_in_async) -- test\n}\n";
//! assert!(asyncwise_lint::check_source("f.rs", src).unwrap().is_empty());
//! let stale = "fn f() {} // asyncwise: allow(detached_task) -- the spawn is gone\n";
//! let found = asyncwise_lint::check_source("g.rs", stale).unwrap();
//! assert_eq!(found[0].rule, "unused_suppression");
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, LineCol, Severity, Span};
use crate::engine::parse::{
    is_word_byte, skip_block_comment, skip_char_or_lifetime, skip_quoted, skip_word,
};
use crate::items::ItemOutline;

/// Reported for a suppression that suppresses nothing.
pub const UNUSED_SUPPRESSION: &str = "unused_suppression";
/// Reported for a suppression that cannot be understood, names an unknown rule, or lacks a
/// required reason.
pub const INVALID_SUPPRESSION: &str = "invalid_suppression";

/// The marker that starts a suppression comment.
const MARKER: &str = "asyncwise:";

/// The lines a suppression covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Scope {
    /// The whole file.
    File,
    /// Lines `first..=last`.
    Lines {
        /// First covered line.
        first: usize,
        /// Last covered line.
        last: usize,
    },
}

impl Scope {
    fn covers(self, line: usize) -> bool {
        match self {
            Scope::File => true,
            Scope::Lines { first, last } => first <= line && line <= last,
        }
    }
}

/// One well-formed suppression comment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    /// The rules it allows (each known to exist).
    pub rules: Vec<String>,
    /// The text after `--`, if any.
    pub reason: Option<String>,
    /// What it covers.
    pub scope: Scope,
    /// The comment itself.
    pub span: Span,
}

/// The suppressions of one file and the problems found while reading them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileSuppressions {
    /// Well-formed suppressions, in source order.
    pub suppressions: Vec<Suppression>,
    /// [`INVALID_SUPPRESSION`] findings.
    pub problems: Vec<Diagnostic>,
}

/// Whether a file may hold suppressions (a cheap test before [`FileSuppressions::parse`]).
///
/// ```
/// assert!(asyncwise_lint::suppress::may_contain("// asyncwise: allow(x)"));
/// assert!(!asyncwise_lint::suppress::may_contain("fn main() {}"));
/// ```
pub fn may_contain(source: &str) -> bool {
    source.contains(MARKER)
}

/// Every rule name a suppression may name.
pub fn known_rules() -> impl Iterator<Item = &'static str> {
    crate::rules::RULES
        .iter()
        .map(|r| r.name)
        .chain([UNUSED_SUPPRESSION])
}

impl FileSuppressions {
    /// Reads the suppression comments of a file (comments inside strings do not count).
    ///
    /// ```
    /// use asyncwise_lint::suppress::{FileSuppressions, Scope};
    /// let src = "// asyncwise: allow-file(unbounded_channel) -- prototype\nfn main() {}\n";
    /// let found = FileSuppressions::parse("m.rs".as_ref(), src, &Default::default());
    /// assert_eq!(found.suppressions[0].scope, Scope::File);
    /// assert_eq!(found.suppressions[0].reason.as_deref(), Some("prototype"));
    /// ```
    pub fn parse(path: &Path, source: &str, outline: &ItemOutline) -> Self {
        let mut out = FileSuppressions::default();
        if !may_contain(source) {
            return out;
        }
        let lines = LineStarts::new(source);
        for comment in line_comments(source) {
            let body = &source[comment.start + 2..comment.end];
            // Doc comments (`///`, `//!`) are documentation, not directives.
            if body.starts_with('/') || body.starts_with('!') {
                continue;
            }
            // `// asyncwise::TaskGroup ...` is prose about the crate, not a directive.
            let Some(directive) = body
                .trim_start()
                .strip_prefix(MARKER)
                .filter(|rest| !rest.starts_with(':'))
            else {
                continue;
            };
            let span = lines.span(source, comment.start, comment.end);
            let own_line = source[lines.line_start(span.start.line)..comment.start]
                .trim()
                .is_empty();
            match parse_directive(directive) {
                Ok((file_wide, names, reason)) => {
                    let mut rules = Vec::new();
                    for name in names {
                        if known_rules().any(|known| known == name) {
                            rules.push(name.to_owned());
                        } else {
                            let hint = crate::suggest::did_you_mean(name, known_rules())
                                .map(|s| format!("; did you mean `{s}`?"))
                                .unwrap_or_default();
                            out.problems.push(problem(
                                path,
                                span,
                                format!("unknown rule `{name}` in a suppression{hint}"),
                                "`asyncwise rules` lists every rule",
                            ));
                        }
                    }
                    if rules.is_empty() {
                        continue;
                    }
                    let scope = if file_wide {
                        Scope::File
                    } else if own_line {
                        next_code_scope(source, &lines, span.start.line, outline)
                    } else {
                        Scope::Lines {
                            first: span.start.line,
                            last: span.start.line,
                        }
                    };
                    out.suppressions.push(Suppression {
                        rules,
                        reason,
                        scope,
                        span,
                    });
                }
                Err(message) => out.problems.push(problem(
                    path,
                    span,
                    message,
                    "write `// asyncwise: allow(rule_name) -- reason` or `// asyncwise: allow-file(rule_name) -- reason`",
                )),
            }
        }
        out
    }
}

fn problem(path: &Path, span: Span, message: String, help: &str) -> Diagnostic {
    Diagnostic {
        rule: INVALID_SUPPRESSION,
        severity: Severity::Error,
        form: crate::levels::Form::Default,
        path: path.to_path_buf(),
        span,
        message,
        help: Some(help.to_owned()),
        notes: Vec::new(),
        fix: None,
        function: None,
        through: None,
        marks: Default::default(),
    }
}

/// `allow(a, b) -- reason` or `allow-file(a) -- reason` → (file-wide, names, reason).
fn parse_directive(text: &str) -> Result<(bool, Vec<&str>, Option<String>), String> {
    let text = text.trim();
    let (file_wide, rest) = if let Some(rest) = text.strip_prefix("allow-file") {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix("allow") {
        (false, rest)
    } else {
        return Err(format!(
            "expected `allow(..)` or `allow-file(..)` after `asyncwise:`, found `{}`",
            text.split_whitespace().next().unwrap_or("")
        ));
    };
    let rest = rest.trim_start();
    let Some(inner_and_tail) = rest.strip_prefix('(') else {
        return Err("expected `(` and the rule names after `allow`".to_owned());
    };
    let Some(close) = inner_and_tail.find(')') else {
        return Err("missing `)` after the rule names".to_owned());
    };
    let names: Vec<&str> = inner_and_tail[..close]
        .split(',')
        .map(|n| n.trim())
        .map(|n| n.strip_prefix("asyncwise::").unwrap_or(n))
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err("a suppression must name at least one rule".to_owned());
    }
    let tail = inner_and_tail[close + 1..].trim();
    let reason = if tail.is_empty() {
        None
    } else if let Some(reason) = tail.strip_prefix("--") {
        Some(reason.trim().to_owned()).filter(|r| !r.is_empty())
    } else {
        return Err(format!(
            "expected `-- reason` after the rule names, found `{tail}`"
        ));
    };
    Ok((file_wide, names, reason))
}

/// The scope of a suppression on a line of its own: the next line of code, or the item that
/// starts there.
fn next_code_scope(
    source: &str,
    lines: &LineStarts,
    comment_line: usize,
    outline: &ItemOutline,
) -> Scope {
    let mut line = comment_line + 1;
    while let Some(text) = lines.text(source, line) {
        let text = text.trim();
        let plain_comment =
            text.starts_with("//") && !text.starts_with("///") && !text.starts_with("//!");
        if !text.is_empty() && !plain_comment {
            break;
        }
        line += 1;
    }
    match outline.starting_at(line) {
        Some(item) => Scope::Lines {
            first: line,
            last: item.end_line,
        },
        None => Scope::Lines {
            first: line,
            last: line,
        },
    }
}

/// Removes the findings that suppressions cover, then adds [`UNUSED_SUPPRESSION`] for every rule
/// name of a suppression that covered nothing and [`INVALID_SUPPRESSION`] for every problem
/// (also for a missing reason when `require_reason(path)` says reasons are required).
///
/// The result is sorted by path and position.
pub fn apply(
    diagnostics: Vec<Diagnostic>,
    files: &BTreeMap<PathBuf, FileSuppressions>,
    require_reason: &dyn Fn(&Path) -> bool,
) -> Vec<Diagnostic> {
    // used[path][suppression][rule]
    let mut used: BTreeMap<&Path, Vec<Vec<bool>>> = files
        .iter()
        .map(|(path, f)| {
            let flags = f
                .suppressions
                .iter()
                .map(|s| vec![false; s.rules.len()])
                .collect();
            (path.as_path(), flags)
        })
        .collect();
    let mut kept = Vec::with_capacity(diagnostics.len());
    for d in diagnostics {
        // Where the finding is reported, then each step of the sync helpers it is reported
        // through: the helper's author can say once that it blocks on purpose.
        let places = std::iter::once((d.path.as_path(), d.span.start.line)).chain(
            d.through
                .iter()
                .flat_map(|t| t.steps.iter().map(|(path, line)| (path.as_path(), *line))),
        );
        let mut suppressed = false;
        for (path, line) in places {
            let (Some(file), Some(flags)) = (files.get(path), used.get_mut(path)) else {
                continue;
            };
            for (s, flags) in file.suppressions.iter().zip(flags) {
                if !s.scope.covers(line) {
                    continue;
                }
                for (rule, flag) in s.rules.iter().zip(flags) {
                    if rule == d.rule {
                        *flag = true;
                        suppressed = true;
                    }
                }
            }
        }
        if !suppressed {
            kept.push(d);
        }
    }
    for (path, file) in files {
        kept.extend(file.problems.iter().cloned());
        let flags = &used[path.as_path()];
        for (s, flags) in file.suppressions.iter().zip(flags) {
            if s.reason.is_none() && require_reason(path) {
                kept.push(problem(
                    path,
                    s.span,
                    "this suppression gives no reason, and the configuration requires one"
                        .to_owned(),
                    "add `-- why this finding is acceptable here` after the rule names",
                ));
            }
            for (rule, &was_used) in s.rules.iter().zip(flags) {
                if was_used || rule == UNUSED_SUPPRESSION {
                    continue;
                }
                let unused = Diagnostic {
                    rule: UNUSED_SUPPRESSION,
                    severity: Severity::Warning,
                    form: crate::levels::Form::Default,
                    path: path.clone(),
                    span: s.span,
                    message: format!("this suppression of `{rule}` covers no finding"),
                    help: Some(
                        "remove it: the finding it was written for is gone (or it is placed on the wrong line)"
                            .to_owned(),
                    ),
                    notes: Vec::new(),
                    fix: None,
                    function: None,
                    through: None,
                    marks: Default::default(),
                };
                let allowed = file.suppressions.iter().any(|other| {
                    other.scope.covers(s.span.start.line)
                        && other.rules.iter().any(|r| r == UNUSED_SUPPRESSION)
                });
                if !allowed {
                    kept.push(unused);
                }
            }
        }
    }
    kept.sort_by(|a, b| (&a.path, a.span.start, a.rule).cmp(&(&b.path, b.span.start, b.rule)));
    kept
}

/// A `//` comment: byte range from the slashes to the end of the line (without the newline).
struct Comment {
    start: usize,
    end: usize,
}

/// Every line comment of `source`, skipping strings, characters and block comments.
fn line_comments(source: &str) -> Vec<Comment> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = source[i..].find('\n').map_or(b.len(), |n| i + n);
                let end = if b[..end].ends_with(b"\r") {
                    end - 1
                } else {
                    end
                };
                out.push(Comment { start: i, end });
                i = end.max(i + 2);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => i = skip_block_comment(b, i),
            b'"' => i = skip_quoted(b, i + 1, b'"'),
            b'\'' => i = skip_char_or_lifetime(source, i).0,
            c if is_word_byte(c) => i = skip_word(source, i),
            _ => i += 1,
        }
    }
    out
}

/// Line starts, to turn byte offsets into 1-based lines and character columns.
struct LineStarts {
    starts: Vec<usize>,
}

impl LineStarts {
    fn new(source: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineStarts { starts }
    }

    fn line_start(&self, line: usize) -> usize {
        self.starts[line - 1]
    }

    fn text<'s>(&self, source: &'s str, line: usize) -> Option<&'s str> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self.starts.get(line).map_or(source.len(), |&next| next);
        Some(&source[start..end])
    }

    fn at(&self, source: &str, offset: usize) -> LineCol {
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        LineCol {
            line,
            column: source[start..offset].chars().count() + 1,
        }
    }

    fn span(&self, source: &str, start: usize, end: usize) -> Span {
        Span {
            start: self.at(source, start),
            end: self.at(source, end),
            byte_start: start,
            byte_end: end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> FileSuppressions {
        let outline = ItemOutline::of(&syn::parse_file(src).unwrap());
        FileSuppressions::parse(Path::new("t.rs"), src, &outline)
    }

    #[test]
    fn placements() {
        let src = "\
// asyncwise: allow-file(unbounded_spawn)
fn a() {} // asyncwise: allow(detached_task) -- trailing
// asyncwise: allow(blocking_in_async)
// another comment
fn b() {
    x();
}
fn c() {
    // asyncwise: allow(lock_across_await) -- line
    y();
    z();
}
const S: &str = \"// asyncwise: allow(nonsense)\";
// asyncwise::TaskGroup is prose
";
        let found = parse(src);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        let scopes: Vec<_> = found.suppressions.iter().map(|s| s.scope).collect();
        assert_eq!(
            scopes,
            vec![
                Scope::File,
                Scope::Lines { first: 2, last: 2 },
                Scope::Lines { first: 5, last: 7 },
                Scope::Lines {
                    first: 10,
                    last: 10
                },
            ]
        );
        assert_eq!(found.suppressions[2].reason, None);
        assert_eq!(found.suppressions[3].reason.as_deref(), Some("line"));
    }

    #[test]
    fn problems_are_reported_with_suggestions() {
        let src = "\
// asyncwise: allow(blockin_in_async)
// asyncwise: alow(detached_task)
// asyncwise: allow(detached_task) because
// asyncwise: allow()
fn f() {}
";
        let found = parse(src);
        let messages: Vec<_> = found.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 4, "{messages:?}");
        assert!(
            messages[0].contains("did you mean `blocking_in_async`?"),
            "{messages:?}"
        );
        assert!(messages[1].contains("expected `allow(..)`"), "{messages:?}");
        assert!(messages[2].contains("`-- reason`"), "{messages:?}");
        assert!(messages[3].contains("at least one rule"), "{messages:?}");
        assert_eq!(found.problems[1].span.start, LineCol { line: 2, column: 1 });
    }
}
