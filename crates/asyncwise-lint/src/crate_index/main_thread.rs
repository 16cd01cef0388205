//! Which async functions are polled only on the main thread of a runtime that runs its spawned
//! tasks elsewhere: *`main`'s own tree*.
//!
//! `#[tokio::main]` (multi-thread flavour, the default) builds a runtime and calls
//! `Runtime::block_on` on the fn's body, which "runs the given future on the current thread"
//! (<https://docs.rs/tokio/1/tokio/runtime/struct.Runtime.html#method.block_on>): the process's
//! main thread, which is not one of the runtime's workers. Spawned tasks run on the workers. A
//! thread blocked while polling `main`'s own future stalls that future and nothing spawned. Which
//! attributes and flavours do this is data
//! ([`MAIN_ATTRIBUTES`](crate::knowledge::runtimes::MAIN_ATTRIBUTES)).
//!
//! A sync `main` that builds a multi-thread runtime by hand (`Builder::new_multi_thread()`,
//! `Runtime::new()`) and hands a future to its `block_on` does the same: that future is polled
//! on the main thread, spawned tasks on the workers. The call it hands there (`rt.block_on(
//! run(args))`, also through `Box::pin`) and the calls awaited in the async block it hands
//! there (`rt.block_on(async { serve(cfg).await })`) are made on `main`'s tree, so the sync
//! `main` is a root too (on the field sets, 30 binaries build their runtime this way).
//!
//! An async function is on `main`'s tree when it is such a `main`, or when it is called at
//! least once outside test code and every such call is made by a function on the tree, awaited
//! on the spot, in the caller's own frame (not in an async block or closure, which may be
//! spawned or joined), and outside every per-event region of the caller's file. A function on
//! a per-event path, a handler, or one no resolved call reaches (a method called only on values
//! of unknown type, through a trait object), is not on it. A future made and not awaited on the spot (`join!(migrate(), serve())`, `spawn(
//! run())`, `set.push(work())`) runs concurrently with something: its function is not on the
//! tree. A worklist from the roots, as for [`CrateIndex::runs_alone`].
//!
//! A `main` of an example (or of any test, example or bench crate) is a root too; calls from
//! those crates are not counted for the library's functions, as for [`CrateIndex::runs_alone`].
//! Functions of a library-only package count when a package of the workspace that builds a
//! binary depends on it by path (directly or through other members): the program's own split-
//! off code. A library also used by crates outside the workspace is judged by the workspace's
//! calls alone.

use super::CrateIndex;
use crate::facts::Target;
use crate::summary::CallRef;

impl CrateIndex {
    /// Settles which functions are on `main`'s own tree (see the module's docs). Runs after
    /// [`CrateIndex::is_per_event`] is settled.
    pub(super) fn settle_main_thread(&mut self) {
        let n = self.fns.len();
        if !self.fns.iter().any(|e| e.summary.main_apart) {
            self.main_tree = vec![false; n];
            return;
        }
        let program_libraries = self.program_libraries();
        // A function of a test, example or bench crate is called only from that crate; one of
        // the library or a binary counts when it may run alone or is the program's own library.
        let in_main_target = |f: usize| self.files[self.fns[f].file].target == Target::Main;
        let eligible = |h: usize| {
            let entry = &self.fns[h];
            entry.summary.is_async
                && !entry.summary.in_test
                && !entry.summary.handler
                && !self.is_per_event(h)
                && (!in_main_target(h)
                    || self.may_run_alone(h)
                    || program_libraries[self.files[entry.file].package])
        };
        let mut pending = vec![0usize; n];
        let mut never = vec![false; n];
        // Per caller: the callees its qualifying calls reach.
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (g, entry) in self.fns.iter().enumerate() {
            if entry.summary.in_test {
                continue;
            }
            for call in &entry.summary.calls {
                let Some(h) = self.callee(g, call) else {
                    continue;
                };
                // Calls from tests, examples and benches say nothing about the library's
                // functions (as for `runs_alone`).
                if !self.fns[h].summary.is_async || in_main_target(h) && !in_main_target(g) {
                    continue;
                }
                pending[h] += 1;
                if g == h || !polled_in_callers_future(call) {
                    never[h] = true;
                } else {
                    edges[g].push(h);
                }
            }
        }
        // The roots: an async `main` its attribute polls apart, and a sync `main` that hands
        // futures to a multi-thread runtime it builds (its calls marked `polled_apart`).
        let mut tree: Vec<bool> = (0..n)
            .map(|f| {
                let summary = &self.fns[f].summary;
                summary.main_apart && !summary.in_test
            })
            .collect();
        let mut work: Vec<usize> = (0..n).filter(|&f| tree[f]).collect();
        while let Some(g) = work.pop() {
            for &h in &edges[g] {
                pending[h] = pending[h].saturating_sub(1);
                if pending[h] == 0 && !never[h] && !tree[h] && eligible(h) {
                    tree[h] = true;
                    work.push(h);
                }
            }
        }
        self.main_tree = tree;
    }

    /// Per package: a library-only package some package that builds a binary depends on by
    /// path, directly or through other members.
    fn program_libraries(&self) -> Vec<bool> {
        let mut reached = vec![false; self.packages.len()];
        let mut work: Vec<usize> = (0..self.packages.len())
            .filter(|&p| self.packages[p].has_binary)
            .collect();
        while let Some(p) = work.pop() {
            for &(_, d) in &self.packages[p].deps {
                if d < reached.len() && !reached[d] {
                    reached[d] = true;
                    work.push(d);
                }
            }
        }
        reached
    }

    /// Is async function `f` on `main`'s own tree: polled only as part of the future a
    /// multi-thread runtime's `main` attribute blocks the main thread on, outside any
    /// concurrency of that future and any per-event loop (see the module's docs)?
    pub fn on_main_tree(&self, f: usize) -> bool {
        self.main_tree.get(f).copied().unwrap_or(false)
    }

    /// Is `call` of function `f` made on the main thread alone: `f` is on `main`'s tree and
    /// the call is in `f`'s own frame, outside every per-event region?
    pub fn call_on_main_thread(&self, f: usize, call: &CallRef) -> bool {
        self.on_main_tree(f)
            && call.ctx == crate::model::Ctx::Async
            && call.own_frame
            && !call.per_event
    }

    /// Is the blocking call at `span` of function `f` made on the main thread alone (see
    /// [`CrateIndex::call_on_main_thread`])?
    pub fn blocks_on_main_thread(&self, f: usize, span: &crate::diagnostic::Span) -> bool {
        self.on_main_tree(f)
            && self.fns.get(f).is_some_and(|entry| {
                entry
                    .summary
                    .own_frame_blocking
                    .iter()
                    .any(|s| s.start == span.start)
            })
    }
}

/// Is an async callee's body polled as part of its caller's own future: awaited on the spot, in
/// the caller's own frame, outside its file's per-event regions; or handed by a sync `main` to
/// its multi-thread runtime's `block_on`, which polls it on the main thread?
fn polled_in_callers_future(call: &CallRef) -> bool {
    call.polled_apart
        || call.ctx == crate::model::Ctx::Async && call.own_frame && call.awaited && !call.per_event
}
