use crate::facts::Sink;
use crate::levels::{Group, Level};
use crate::model::{FileModel, LoopBound};

crate::declare_rule! {
    /// ## What it does
    /// Finds tasks spawned in a loop (`for`, `while`, `loop`, or an iterator closure such as
    /// `map`/`for_each`) with no visible bound on how many run at once.
    ///
    /// A bound is a semaphore permit acquired in the loop before the spawn or inside the spawned
    /// future, a `JoinSet`/`FuturesUnordered` drained or size-checked inside the loop, a handle
    /// awaited in the same iteration, or a loop over a constant range (a fixed worker pool).
    /// Accept loops (`listener.accept().await`) are not reported: one task per connection is
    /// the idiom, bounded by the listener's backlog.
    ///
    /// ## Why is this bad
    /// Every iteration adds a task and nothing waits for earlier ones to finish. With a large
    /// input or a fast producer, thousands of tasks compete for the same database pool, sockets
    /// and memory; latency collapses and the process can run out of file descriptors or memory.
    ///
    /// ## Example
    /// ```rust,ignore
    /// for url in urls {
    ///     tokio::spawn(fetch(url));
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// let limit = Arc::new(Semaphore::new(16));
    /// for url in urls {
    ///     let permit = limit.clone().acquire_owned().await?;
    ///     tasks.spawn(async move {
    ///         let _permit = permit;
    ///         fetch(url).await
    ///     });
    /// }
    /// ```
    pub UNBOUNDED_SPAWN, "unbounded_spawn", Group::Perf, Level::Warn, check
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    for spawn in &model.spawns {
        let LoopBound::Unbounded { loop_loc, kind } = &spawn.bound else {
            continue;
        };
        let mut d = super::diagnostic(
            &UNBOUNDED_SPAWN,
            model,
            spawn.loc,
            format!(
                "`{}` in a {kind} has no bound on how many tasks run at once",
                spawn.via
            ),
            "acquire a `tokio::sync::Semaphore` permit before spawning (and move it into the task), or drain a `JoinSet` when it reaches a limit",
        );
        d.notes.push(super::note(
            model,
            *loop_loc,
            format!("every iteration of this {kind} spawns another task"),
        ));
        sink.diagnostics.push(d);
    }
}
