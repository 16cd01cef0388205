use crate::facts::Sink;
use crate::levels::{Group, Level};
use crate::model::{Callee, Ctx, FileModel};

crate::declare_rule! {
    /// ## What it does
    /// Finds unbounded channels: `tokio::sync::mpsc::unbounded_channel`,
    /// `futures::channel::mpsc::unbounded`, `async_channel::unbounded`, `flume::unbounded`,
    /// `async_std::channel::unbounded` and kanal's unbounded async channels anywhere, and the
    /// sync channels `std::sync::mpsc::channel` and `crossbeam_channel::unbounded` in async code.
    /// Reported at the call that creates the channel.
    ///
    /// ## Pedantic form
    /// Channels whose sender (bound by `let (tx, rx) = ..`) is visibly not fed without limit in
    /// the rest of its block — never sent on in a loop, a closure or a task per event, never
    /// handed elsewhere — control channels (a channel of `()`, or a sender named for one,
    /// `shutdown_tx`, `done_tx`, unless it is cloned in a loop), and
    /// request/response queues whose message type (in the constructor's turbofish) carries a
    /// `oneshot::Sender`, unless the sender is fed in a loop.
    ///
    /// ## Why is this bad
    /// An unbounded channel never pushes back. When producers outpace the consumer (a slow
    /// database, a burst of traffic) the queue grows until the process runs out of memory, and
    /// latency grows with it. A bounded channel makes producers wait, which propagates
    /// backpressure to where the load comes from.
    ///
    /// The harm needs a producer that can outpace the consumer: a sender fed by a socket, a
    /// stream or an accept loop, cloned into a task per event, or called from a callback. On 18
    /// real repositories, actor mailboxes, request/response queues whose callers each await a
    /// reply, and shutdown channels made up most of the noise, while the four findings worth
    /// acting on were fed per network message or per crawled page. A sender stored in a struct
    /// or passed to another function may be fed anywhere, so it stays in the default form
    /// unless each message carries its own reply channel: then every message stands for a
    /// caller waiting on the answer, and the queue is as deep as the callers are many (a loop
    /// that sends requests need not wait for the replies, so a sender fed in a loop stays in
    /// the default form). A message type declared elsewhere is not followed;
    /// silence a deliberate choice with a suppression comment rather than a guess.
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
    pub UNBOUNDED_CHANNEL, "unbounded_channel", Group::Perf, Level::Allow, check,
    repeats: crate::rules::Repeats::Each { reason: "each channel gets its own capacity, chosen for what it carries, and each may be a justified exception" }
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
        let low_volume = model
            .low_volume_channels
            .iter()
            .find(|(loc, _)| *loc == call.loc);
        let mut d = match low_volume {
            Some(_) => super::pedantic(&UNBOUNDED_CHANNEL, model, call.loc, message, c.hint),
            None => super::diagnostic(&UNBOUNDED_CHANNEL, model, call.loc, message, c.hint),
        };
        if let Some((_, why)) = low_volume {
            d.notes.push(crate::diagnostic::Note::text(format!(
                "pedantic: {}",
                why.describe()
            )));
        }
        sink.diagnostics.push(d);
    }
}
