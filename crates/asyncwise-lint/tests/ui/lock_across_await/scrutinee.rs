// lock_across_await: guards living as `match` / `if let` / `while let` scrutinee temporaries.
//
// Semantics (edition 2024): a `match` scrutinee's temporaries live to the end of the match;
// an `if let` scrutinee's live through the then-branch but are dropped before `else`; a
// `while let` scrutinee's live through the body of each iteration; a plain `if` condition's
// temporaries die before either branch runs; a `let .. else` initializer's die before the
// else block (all checked against rustc 1.95).
//
// Reading chosen where the issue is not explicit: the iterator expression of a `for` loop is
// a scrutinee too (`for` desugars to a `match`), so `for r in m.read().unwrap().iter()` holds
// the guard through every iteration of the body.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

struct Cache {
    entries: Mutex<HashMap<String, String>>,
    routes: RwLock<Vec<String>>,
    pending: Mutex<std::collections::VecDeque<String>>,
}

async fn send(_v: String) {}
async fn fetch(k: &str) -> String {
    k.to_owned()
}

impl Cache {
    // The lock is written, so its read guards can be contended for (the default form).
    fn add_route(&self, r: String) {
        self.routes.write().unwrap().push(r);
    }

    async fn match_scrutinee(&self, k: &str) {
        match self.entries.lock().unwrap().get(k) { //~ lock_across_await
            Some(v) => send(v.clone()).await,
            None => {}
        }
    }

    async fn match_scrutinee_no_await(&self, k: &str) -> String {
        let v = match self.entries.lock().unwrap().get(k) { // ok: no await inside the match
            Some(v) => v.clone(),
            None => String::new(),
        };
        send(v.clone()).await;
        v
    }

    async fn match_on_copied_value(&self, k: &str) {
        let hit = self.entries.lock().unwrap().get(k).cloned(); // ok: temporary dies here
        match hit {
            Some(v) => send(v).await,
            None => send(fetch(k).await).await,
        }
    }

    async fn if_let_then_branch(&self, k: &str) {
        if let Some(v) = self.entries.lock().unwrap().get(k).cloned() { //~ lock_across_await
            send(v).await;
        }
    }

    async fn if_let_else_branch_only(&self, k: &str) -> String {
        if let Some(v) = self.entries.lock().unwrap().get(k).cloned() { // ok (2024): dropped before else
            v
        } else {
            fetch(k).await
        }
    }

    async fn let_else(&self, k: &str) -> String {
        let Some(v) = self.entries.lock().unwrap().get(k).cloned() else { // ok: dies at the end of the let-else
            return fetch(k).await;
        };
        send(v.clone()).await;
        v
    }

    async fn plain_if_condition(&self, k: &str) {
        if self.entries.lock().unwrap().contains_key(k) { // ok: condition temporaries die first
            send(k.to_owned()).await;
        }
    }

    async fn while_let_queue(&self) {
        while let Some(item) = self.pending.lock().unwrap().pop_front() { //~ lock_across_await
            send(item).await;
        }
    }

    async fn while_let_fixed(&self) {
        loop {
            let next = self.pending.lock().unwrap().pop_front(); // ok: temporary dies here
            let Some(item) = next else { break };
            send(item).await;
        }
    }

    async fn match_rwlock(&self) {
        match self.routes.read().unwrap().first() { //~ lock_across_await
            Some(r) => send(r.clone()).await,
            None => {}
        }
    }

    async fn for_over_guard(&self) {
        for r in self.routes.read().unwrap().iter() { //~ lock_across_await
            send(r.clone()).await;
        }
    }

    async fn for_over_snapshot(&self) {
        let snapshot = self.routes.read().unwrap().clone(); // ok: snapshot, guard dropped
        for r in snapshot {
            send(r).await;
        }
    }
}
