use crate::facts::Sink;
use crate::levels::{Group, Level};
use crate::model::FileModel;
use crate::model::loops::StateCall;

crate::declare_rule! {
    /// ## What it does
    /// Finds state entered and left again around an `.await` by plain statements of one block
    /// of an async body — a counter raised and lowered (`fetch_add`/`fetch_sub`, gauges'
    /// `increment`/`decrement` and `inc`/`dec`), a flag set and cleared (`set(true)`/`set(false)`,
    /// `store(true, ..)`/`store(false, ..)`) on the same receiver — with no `Drop` guard to leave
    /// it when the future is cancelled.
    ///
    /// Pairs are matched on the receiver as written (`self.active`); a leaving call inside a
    /// closure (`scopeguard::guard`, `defer!`) or a `Drop` impl is a guard and is not reported,
    /// nor is a pair with no await between the two calls. The pairs are data
    /// (`knowledge/cleanup_pairs.rs`).
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
        for (i, exit) in seq.calls.iter().enumerate() {
            for pair in knowledge.cleanup_pairs_left_by(&exit.method, exit.first_arg.as_deref()) {
                let enters = |c: &StateCall| {
                    c.receiver == exit.receiver
                        && c.method == pair.enter
                        && crate::knowledge::cleanup_pairs::argument_fits(
                            pair.arguments,
                            true,
                            c.first_arg.as_deref(),
                        )
                };
                let leaves = |c: &StateCall| {
                    c.receiver == exit.receiver
                        && c.method == pair.exit
                        && crate::knowledge::cleanup_pairs::argument_fits(
                            pair.arguments,
                            false,
                            c.first_arg.as_deref(),
                        )
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
                let Some((_, await_loc)) = seq
                    .awaits
                    .iter()
                    .find(|(stmt, _)| *stmt > enter.stmt && *stmt < exit.stmt)
                else {
                    continue;
                };
                let mut d = super::diagnostic(
                    &CLEANUP_AFTER_AWAIT,
                    model,
                    exit.loc,
                    format!(
                        "`{}` is skipped if the future is cancelled at the `.await` after `{}`",
                        exit.method, enter.method
                    ),
                    "leave the state in a `Drop` guard created right after entering it (e.g. `let _guard = scopeguard::guard((), |_| { .. })`), so it runs however the future ends",
                );
                d.notes.push(super::note(
                    model,
                    enter.loc,
                    format!("the {} is entered here", pair.what),
                ));
                d.notes.push(super::note(
                    model,
                    *await_loc,
                    "if the future is dropped here, the statement that leaves it never runs",
                ));
                sink.diagnostics.push(d);
                break;
            }
        }
    }
}
