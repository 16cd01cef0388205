//! How the value of each call expression is used, keyed by the expression's address: awaited
//! (`.await`, `block_on`), discarded (`;`, `let _`, `drop`), bound to a simple `let` name, or
//! consumed by a stream chain with a concurrency limit. [`calls`](super::calls) and
//! [`scopes`](super::scopes) mark an expression before the walk reaches the call inside it;
//! [`spawns`](super::spawns) and `calls` read the marks when they record the call.

use std::collections::{HashMap, HashSet};

/// The marks, set by the expression around a call and read at the call.
#[derive(Default)]
pub(super) struct CallUses {
    awaited: HashSet<usize>,
    discarded: HashSet<usize>,
    bound_to: HashMap<usize, String>,
    concurrency_limited: HashSet<usize>,
}

impl CallUses {
    pub(super) fn mark_awaited(&mut self, call: usize) {
        self.awaited.insert(call);
    }

    pub(super) fn mark_discarded(&mut self, call: usize) {
        self.discarded.insert(call);
    }

    pub(super) fn mark_bound(&mut self, call: usize, name: String) {
        self.bound_to.insert(call, name);
    }

    /// A method call of a stream chain consumed with a concurrency limit
    /// (`.map(..).for_each_concurrent(n, ..)`).
    pub(super) fn mark_concurrency_limited(&mut self, call: usize) {
        self.concurrency_limited.insert(call);
    }

    pub(super) fn is_awaited(&self, call: usize) -> bool {
        self.awaited.contains(&call)
    }

    pub(super) fn is_discarded(&self, call: usize) -> bool {
        self.discarded.contains(&call)
    }

    /// The `let` name the call's value is bound to.
    pub(super) fn bound_name(&self, call: usize) -> Option<&str> {
        self.bound_to.get(&call).map(String::as_str)
    }

    pub(super) fn is_concurrency_limited(&self, call: usize) -> bool {
        self.concurrency_limited.contains(&call)
    }
}
