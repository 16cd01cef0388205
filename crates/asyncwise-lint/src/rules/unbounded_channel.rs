use crate::diagnostic::Severity;
use crate::facts::Sink;
use crate::model::{Callee, Ctx, FileModel};

crate::declare_rule! {
    /// ## What it does
    /// Finds unbounded channels: `tokio::sync::mpsc::unbounded_channel`,
    /// `futures::channel::mpsc::unbounded`, `async_channel::unbounded`, `flume::unbounded`,
    /// `async_std::channel::unbounded` and kanal's unbounded async channels anywhere, and the
    /// sync channels `std::sync::mpsc::channel` and `crossbeam_channel::unbounded` in async code.
    ///
    /// ## Why is this bad
    /// An unbounded channel never pushes back. When producers outpace the consumer (a slow
    /// database, a burst of traffic) the queue grows until the process runs out of memory, and
    /// latency grows with it. A bounded channel makes producers wait, which propagates
    /// backpressure to where the load comes from.
    ///
    /// ## Example
    /// ```rust,ignore
    /// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    /// tx.send(job).await?; // waits while the queue is full
    /// ```
    pub UNBOUNDED_CHANNEL, "unbounded_channel", Severity::Warning, check
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    for call in &model.calls {
        let Callee::Path(path) = &call.callee else {
            continue;
        };
        let Some(c) = model.knowledge.unbounded_constructor(path) else {
            continue;
        };
        if c.only_in_async && call.ctx != Ctx::Async {
            continue;
        }
        let message = if c.only_in_async {
            format!("`{path}` creates an unbounded channel inside async code")
        } else {
            format!("`{path}` creates a channel with no capacity limit")
        };
        sink.diagnostics.push(super::diagnostic(
            &UNBOUNDED_CHANNEL,
            model,
            call.loc,
            message,
            c.hint,
        ));
    }
}
