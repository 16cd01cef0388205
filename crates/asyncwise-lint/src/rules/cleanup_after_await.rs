use crate::facts::Sink;
use crate::knowledge::cleanup_pairs::argument_fits;
use crate::levels::{Group, Level};
use crate::model::FileModel;
use crate::model::loops::StateCall;

crate::declare_rule! {
    /// ## What it does
    /// Finds state entered and left again around an `.await` by plain statements of one async
    /// body — a counter raised and lowered (`fetch_add`/`fetch_sub`, gauges'
    /// `increment`/`decrement` and `inc`/`dec`), a flag set and cleared (`set(true)`/`set(false)`,
    /// `store(true, ..)`/`store(false, ..)`) on the same receiver — with no `Drop` guard to leave
    /// it when the future is cancelled.
    ///
    /// A crate's own helpers named as a pair count too (`metrics::inc_connections()` /
    /// `metrics::dec_connections()`, `request_start()` / `request_end()`).
    ///
    /// Pairs are matched on the receiver (or helper module) as written (`self.active`), at any
    /// block depth of one async body, in source order, with an `.await` between them; the
    /// nearest entering call before the leaving one counts. A leaving call inside a closure
    /// (`scopeguard::guard`), a macro (`defer!`) or a `Drop` impl is a guard and is not
    /// reported, nor is a pair with no await between the two calls. The pairs are data
    /// (`knowledge/cleanup_pairs.rs`).
    ///
    /// Nor is a latch, entered and left each behind a check of its own value
    /// (`if busy.load(..) == 0 { busy.fetch_add(1, ..) }` ... `if busy.load(..) == 1 {
    /// busy.fetch_sub(1, ..) }`): such a barrier is shared by every caller and reset by
    /// whichever one sees it held, not by the scope that raised it, so a `Drop` guard in that
    /// scope would be wrong. A pair with only one of the two calls behind such a check is
    /// reported.
    ///
    /// Nor is the body of a task spawned straight from an async block whose handle is
    /// discarded (`tokio::spawn(async move { .. });`): nothing can cancel such a task while the
    /// runtime runs. A task whose handle is kept (it may be aborted), one in a `JoinSet`, and
    /// an async block nested inside the task (a `timeout` or `select!` may drop it) are
    /// reported.
    ///
    /// ## Why is this bad
    /// A future can be dropped at any `.await`: a `select!` branch that lost, a `timeout` that
    /// fired, a request handler whose client went away, an aborted task. The statements after
    /// that await never run, so the counter stays raised (a gauge of open requests that only
    /// grows, a concurrency limit that fills up) or the flag stays set (a "busy" marker that
    /// blocks every later call).
    ///
    /// The runtime crate finds the same mistake dynamically:
    /// `asyncwise::testing::cancel_at_each_await` drops a future at each of its await points in
    /// turn and names this rule when state leaks.
    ///
    /// ## Example
    /// ```rust,ignore
    /// self.in_flight.fetch_add(1, Ordering::Relaxed);
    /// let response = self.client.get(url).send().await?;
    /// self.in_flight.fetch_sub(1, Ordering::Relaxed);
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// self.in_flight.fetch_add(1, Ordering::Relaxed);
    /// let _leave = scopeguard::guard((), |_| {
    ///     self.in_flight.fetch_sub(1, Ordering::Relaxed);
    /// });
    /// let response = self.client.get(url).send().await?;
    /// ```
    pub CLEANUP_AFTER_AWAIT, "cleanup_after_await", Group::Suspicious, Level::Warn, check
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    let knowledge = &model.knowledge;
    for seq in &model.sequences {
        if runs_detached(model, seq) {
            continue;
        }
        for (i, exit) in seq.calls.iter().enumerate() {
            for (enter_name, arguments, what) in
                knowledge.cleanup_entered_by(&exit.method, exit.first_arg.as_deref())
            {
                let same = |c: &StateCall| c.receiver == exit.receiver;
                let enters = |c: &StateCall| {
                    same(c)
                        && c.method == enter_name
                        && argument_fits(arguments, true, c.first_arg.as_deref())
                };
                let leaves = |c: &StateCall| {
                    same(c) && c.method == exit.method && c.first_arg == exit.first_arg
                };
                // The nearest earlier entering call, unless the state was left in between.
                let Some(enter) = seq.calls[..i]
                    .iter()
                    .rev()
                    .take_while(|c| !leaves(c))
                    .find(|c| enters(c))
                else {
                    continue;
                };
                // A latch: entered only when a read of it says it is free and left only when
                // a read says it is held (`if busy.load(..) == 0 { busy.fetch_add(..) }`).
                // Whichever caller sees it held resets it; it is not this body's scope.
                if enter.checked && exit.checked {
                    continue;
                }
                let Some(await_loc) = seq
                    .awaits
                    .iter()
                    .find(|a| a.start > enter.loc.end && a.end < exit.loc.start)
                else {
                    continue;
                };
                let mut d = super::diagnostic(
                    &CLEANUP_AFTER_AWAIT,
                    model,
                    exit.loc,
                    format!(
                        "`{}` is skipped if the future is cancelled at an `.await` after `{}`",
                        exit.method, enter.method
                    ),
                    "leave the state in a `Drop` guard created right after entering it (e.g. `let _guard = scopeguard::guard((), |_| { .. })`), so it runs however the future ends",
                );
                d.notes.push(super::note(
                    model,
                    enter.loc,
                    format!("the {what} is entered here"),
                ));
                d.notes.push(super::note(
                    model,
                    *await_loc,
                    "if the future is dropped here, the call that leaves it never runs",
                ));
                sink.diagnostics.push(d);
                break;
            }
        }
    }
}

/// The body is the async block handed straight to a spawn whose handle is discarded and whose
/// task outlives its handle (`tokio::spawn(async move { .. });`): nothing can cancel it while
/// the runtime runs, so its exit call is skipped only at shutdown (or by a panic, which a
/// `Drop` guard would also cover, but that is not this rule's claim).
fn runs_detached(model: &FileModel<'_>, seq: &crate::model::loops::SequenceFact) -> bool {
    let body = model.span(seq.body);
    model.spawns.iter().any(|spawn| {
        if !spawn.discarded || spawn.owned || !model.knowledge.task_outlives_handle(&spawn.via) {
            return false;
        }
        let call = model.span(spawn.loc);
        if body.byte_start < call.byte_start || body.byte_end > call.byte_end {
            return false;
        }
        // Only the spawn's own argument: `tokio::spawn(async move {`, not an async block
        // nested in it (which a `select!` or a timeout inside the task may drop).
        model
            .source
            .get(call.byte_start..body.byte_start)
            .is_some_and(|head| {
                let head = head.trim_end();
                let head = head.strip_suffix("move").unwrap_or(head).trim_end();
                let head = head.strip_suffix("async").unwrap_or(head).trim_end();
                head.ends_with('(') && head.matches('(').count() == 1
            })
    })
}
