use crate::facts::Sink;
use crate::knowledge::blocking;
use crate::levels::{Group, Level};
use crate::model::{Callee, Ctx, FileModel};

crate::declare_rule! {
    /// ## What it does
    /// Finds `block_on` (`futures::executor::block_on`, tokio's `Runtime::block_on` and
    /// `Handle::block_on`, `async_std::task::block_on`, `smol::block_on`, `pollster`) called
    /// from async code.
    /// Reported at the `block_on` call.
    ///
    /// ## Why is this bad
    /// `block_on` parks the current thread until a future completes. Inside a tokio runtime
    /// the runtime's own `block_on` panics ("Cannot start a runtime from within a runtime"),
    /// and the other executors block the worker thread; if the future waits for work that
    /// this worker would have run, it never completes: a deadlock.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn handler(db: Db) -> Row {
    ///     futures::executor::block_on(db.fetch_one())
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn handler(db: Db) -> Row {
    ///     db.fetch_one().await
    /// }
    /// ```
    pub BLOCK_ON_IN_ASYNC, "block_on_in_async", Group::Correctness, Level::Deny, check,
    repeats: crate::rules::Repeats::OnePerFunction { noun: "`block_on` call", reason: "the function is async, so one change settles every `block_on` in it: each becomes an `.await` of the future it runs (or the synchronous code they serve moves out of the async function)" }
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    for call in &model.calls {
        if call.ctx != Ctx::Async {
            continue;
        }
        let what = match &call.callee {
            Callee::Path(path) if model.knowledge.is_block_on_fn(path) => {
                format!("`{path}`")
            }
            Callee::Method { name, receiver }
                if model.knowledge.is_block_on_method(name)
                    && receiver
                        .path()
                        .is_none_or(|t| blocking::BLOCK_ON_RECEIVERS.contains(&t)) =>
            {
                format!("`.{name}(..)`")
            }
            _ => continue,
        };
        sink.diagnostics.push(super::diagnostic(
            &BLOCK_ON_IN_ASYNC,
            model,
            call.loc,
            format!("{what} inside async code blocks the executor and can deadlock or panic"),
            "`.await` the future instead; from sync code called by async code, use `tokio::task::spawn_blocking` with `Handle::block_on`",
        ));
    }
}
