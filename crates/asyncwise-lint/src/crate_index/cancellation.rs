//! Which async functions may be dropped before they finish, over the crate's call graph: the
//! cross-file evidence of `cleanup_after_await`'s cancellation form.
//!
//! An async function is *cancellable* when
//!
//! * a call of it is made where its caller may drop the future (see
//!   [`CancelScope`](crate::summary::CancelScope)): in a `select!` branch's future, in a future
//!   raced against a deadline (`timeout(d, it())`), in a task whose handle is kept or that a
//!   `JoinSet` owns, or in a closure registered as a request handler;
//! * it is a request handler (by its signature, or registered with a router or server: a
//!   server may drop a handler's future before it completes);
//! * it is declared plain `pub` in a package's library (callers outside the crate may drop it);
//! * or a cancellable async function awaits a call of it in its own frame: its future is polled
//!   as part of the caller's, so dropping the caller drops it at whatever await it is in.
//!
//! Calls are the edges the index resolves. A call through a trait object or a generic bound
//! names no type (`router.route(msg).await` with `router: &dyn Router`): it is linked to every
//! method of that name declared in an `impl Trait for Type` block of the caller's package,
//! since any of them may be the one that runs (std traits' method names aside, as for
//! per-event paths). Inherent methods are not linked by name: a call that reaches one names its
//! type. Calls the index cannot see (function values, futures stored and polled elsewhere, an
//! async block awaited inline) carry nothing, and test code neither starts nor carries a chain.
//!
//! A breadth-first search forwards from the roots: each function is reached once, by the
//! shortest chain, which is kept for the finding's note.

use std::collections::VecDeque;

use super::{CrateIndex, FastMap, per_event::unresolved_method_name};
use crate::summary::CancelScope;

/// Why an async function may be dropped before it finishes: the first step of its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// A request handler by its signature, or registered as one.
    Handler,
    /// Declared `pub` in a library.
    Public,
    /// Called (by function `by`, at `span`) where the future may be dropped.
    Dropped {
        by: usize,
        scope: CancelScope,
        span: crate::diagnostic::Span,
    },
    /// Awaited in the own frame of cancellable function `by`, at `span`.
    AwaitedBy {
        by: usize,
        span: crate::diagnostic::Span,
    },
}

/// Which functions of an index may be dropped before they finish, each with its chain.
#[derive(Debug)]
pub struct Cancellation<'i> {
    index: &'i CrateIndex,
    steps: Vec<Option<Step>>,
}

impl CrateIndex {
    /// Settles which async functions may be dropped before they finish (see the module's
    /// docs). Computed on demand: only `cleanup_after_await` asks.
    ///
    /// ```
    /// use asyncwise_lint::crate_index::{CrateIndex, FileInput, PackageInput};
    /// use asyncwise_lint::model::FileModel;
    /// let src = "async fn leaf() {} async fn mid() { leaf().await; }\n\
    ///            async fn run() { tokio::time::timeout(d(), mid()).await; }";
    /// let ast = syn::parse_file(src).unwrap();
    /// let path = std::path::Path::new("src/main.rs");
    /// let items = asyncwise_lint::summary::summarize(&FileModel::build(path, src, &ast));
    /// let file = FileInput { path: path.into(), rel: path.into(), items };
    /// let index = CrateIndex::build(vec![PackageInput { files: vec![file], ..Default::default() }]);
    /// let why = index.cancellation().why(0).unwrap();
    /// assert!(why.contains("`mid` awaits it"), "{why}");
    /// assert!(why.contains("`timeout(..)`"), "{why}");
    /// ```
    pub fn cancellation(&self) -> Cancellation<'_> {
        let n = self.fns.len();
        // Methods of trait impls by name, per package: what a call through a trait object
        // may reach.
        let mut trait_methods: Vec<FastMap<&str, Vec<usize>>> =
            vec![FastMap::default(); self.packages.len()];
        for (g, entry) in self.fns.iter().enumerate() {
            if entry.summary.trait_impl && entry.summary.is_async && self.is_program_code(g) {
                let id = &entry.summary.id.0;
                let name = id.rsplit("::").next().unwrap_or(id);
                trait_methods[self.files[entry.file].package]
                    .entry(name)
                    .or_default()
                    .push(g);
            }
        }
        let by_name = |f: usize, name: &str| -> Vec<usize> {
            let package = self.files[self.fns[f].file].package;
            trait_methods[package]
                .get(name)
                .cloned()
                .unwrap_or_default()
        };
        // Declared owners, for telling a method of an unknown type from one of a known type
        // (as per-event paths do).
        let mut declared_owners: Vec<std::collections::HashSet<&str>> =
            vec![Default::default(); self.packages.len()];
        for entry in &self.fns {
            let id = &entry.summary.id.0;
            if let Some(cut) = super::rfind_path_separator(id) {
                declared_owners[self.files[entry.file].package].insert(&id[..cut]);
            }
        }
        let targets = |f: usize, call: &crate::summary::CallRef| -> Vec<usize> {
            match self.callee(f, call) {
                Some(g) => vec![g],
                None => {
                    let package = self.files[self.fns[f].file].package;
                    unresolved_method_name(&call.target, &declared_owners[package])
                        .map(|name| by_name(f, name))
                        .unwrap_or_default()
                }
            }
        };
        let cancellable = |g: usize| self.fns[g].summary.is_async && self.is_program_code(g);
        let mut steps: Vec<Option<Step>> = vec![None; n];
        let mut queue = VecDeque::new();
        let mut reach = |g: usize, step: Step, steps: &mut Vec<Option<Step>>| {
            if steps[g].is_none() && cancellable(g) {
                steps[g] = Some(step);
                queue.push_back(g);
            }
        };
        // Roots: the function's own nature first, then calls made where they may be dropped.
        for f in 0..n {
            let summary = &self.fns[f].summary;
            if !self.is_program_code(f) {
                continue;
            }
            if summary.handler {
                reach(f, Step::Handler, &mut steps);
            }
            if summary.public
                && self.has_library(self.files[self.fns[f].file].package)
                && !self.in_binary(self.fns[f].file)
            {
                reach(f, Step::Public, &mut steps);
            }
            for target in &summary.registers {
                let call = crate::summary::CallRef::registration(target, summary.at);
                if let Some(g) = self.resolve(f, &call) {
                    reach(g, Step::Handler, &mut steps);
                }
            }
        }
        for f in 0..n {
            let summary = &self.fns[f].summary;
            if !self.is_program_code(f) {
                continue;
            }
            for c in &summary.cancelling_calls {
                let reached = match (&c.call, &c.method) {
                    (Some(i), _) => summary
                        .calls
                        .get(*i)
                        .map(|call| targets(f, call))
                        .unwrap_or_default(),
                    (None, Some(name)) => by_name(f, name),
                    (None, None) => Vec::new(),
                };
                for g in reached {
                    let step = Step::Dropped {
                        by: f,
                        scope: c.scope,
                        span: c.span,
                    };
                    reach(g, step, &mut steps);
                }
            }
        }
        // Callers dropped, callees dropped with them.
        while let Some(f) = queue.pop_front() {
            let summary = &self.fns[f].summary;
            for call in &summary.calls {
                if !(call.awaited && call.own_frame && call.ctx == crate::model::Ctx::Async) {
                    continue;
                }
                for g in targets(f, call) {
                    if g != f && steps[g].is_none() && cancellable(g) {
                        steps[g] = Some(Step::AwaitedBy {
                            by: f,
                            span: call.span,
                        });
                        queue.push_back(g);
                    }
                }
            }
            for (name, span) in &summary.awaited_untyped_calls {
                for g in by_name(f, name) {
                    if g != f && steps[g].is_none() && cancellable(g) {
                        steps[g] = Some(Step::AwaitedBy { by: f, span: *span });
                        queue.push_back(g);
                    }
                }
            }
        }
        Cancellation { index: self, steps }
    }
}

impl Cancellation<'_> {
    /// Why function `f` (by index) may be dropped before it finishes, as a sentence: the chain
    /// of callers from it to the reason, or `None` if the index knows of none.
    pub fn why(&self, f: usize) -> Option<String> {
        let index = self.index;
        let name = |g: usize| index.fns[g].summary.id.short().to_string();
        let place = |g: usize, span: &crate::diagnostic::Span| {
            format!("{}:{}", index.path_of(g).display(), span.start.line)
        };
        // "`a` awaits it (..), `b` awaits that (..) and is a request handler, ..."
        let mut text = String::new();
        let mut at = f;
        // Each step goes to a function reached earlier, so this ends; the bound guards against
        // a corrupted table.
        for hop in 0..=self.steps.len() {
            let subject = if hop == 0 { "it" } else { "that" };
            let tail = match self.steps.get(at)?.as_ref()? {
                Step::Handler => {
                    "a request handler, whose future a server may drop before it completes"
                }
                Step::Public => "a `pub` async fn of a library, whose callers may drop it",
                Step::Dropped { by, scope, span } => {
                    if hop > 0 {
                        text.push_str(", ");
                    }
                    text.push_str(&format!(
                        "`{}` calls {subject} {} ({})",
                        name(*by),
                        scope.describe(),
                        place(*by, span)
                    ));
                    return Some(text);
                }
                Step::AwaitedBy { by, span } => {
                    if hop > 0 {
                        text.push_str(", ");
                    }
                    text.push_str(&format!(
                        "`{}` awaits {subject} ({})",
                        name(*by),
                        place(*by, span)
                    ));
                    at = *by;
                    continue;
                }
            };
            if hop == 0 {
                text.push_str(&format!("it is {tail}"));
            } else {
                text.push_str(&format!(" and is {tail}"));
            }
            return Some(text);
        }
        None
    }
}

/// A call a loop races and drops, of an async fn in another file whose first await is not
/// cancellation safe: the cross-file form of `select_cancel_unsafe`'s helpers.
#[derive(Debug, Clone)]
pub struct RacedHelper {
    /// The file of the racing call, as displayed.
    pub path: std::path::PathBuf,
    /// The racing call.
    pub span: crate::diagnostic::Span,
    /// The called function's short name.
    pub callee: String,
    /// The file of the called function (where its first await is).
    pub callee_path: std::path::PathBuf,
    /// Its first await.
    pub first_await: crate::summary::UnsafeAwait,
    /// Raced by a `timeout` (else by a `select!`).
    pub timeout: bool,
    /// The loop's line.
    pub loop_line: usize,
    /// The function that makes the racing call, for placing the finding.
    pub enclosing: crate::diagnostic::Enclosing,
}

impl CrateIndex {
    /// Calls a loop races and drops (a `select!` branch, a retried `timeout`) of an async fn
    /// of another file whose first await is not cancellation safe (for a `timeout`: one that
    /// leaves a byte stream out of step). Helpers of the same file are the per-file rule's.
    pub fn raced_helpers(&self) -> Vec<RacedHelper> {
        let mut out = Vec::new();
        for (f, entry) in self.fns.iter().enumerate() {
            if entry.summary.raced_calls.is_empty() {
                continue;
            }
            for raced in &entry.summary.raced_calls {
                let Some(call) = entry.summary.calls.get(raced.call) else {
                    continue;
                };
                let Some(g) = self.callee(f, call) else {
                    continue;
                };
                let callee = &self.fns[g];
                if callee.file == entry.file || !callee.summary.is_async {
                    continue;
                }
                let Some(first) = &callee.summary.first_await_unsafe else {
                    continue;
                };
                if raced.timeout && !first.stream {
                    continue;
                }
                out.push(RacedHelper {
                    path: self.path_of(f).to_path_buf(),
                    span: call.span,
                    callee: callee.summary.id.short().to_string(),
                    callee_path: self.path_of(g).to_path_buf(),
                    first_await: first.clone(),
                    timeout: raced.timeout,
                    loop_line: raced.loop_line,
                    enclosing: self.enclosing(f),
                });
            }
        }
        out
    }
}
