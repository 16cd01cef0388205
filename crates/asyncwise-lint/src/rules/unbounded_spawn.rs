use crate::facts::Sink;
use crate::levels::{Group, Level};
use crate::model::FileModel;
use crate::model::analysis::bounds::{Iterations, SpawnLoop, TaskBound};

crate::declare_rule! {
    /// ## What it does
    /// Finds tasks spawned in a loop (`for`, `while`, `loop`, or an iterator closure such as
    /// `map`/`for_each`) with no visible bound on how many run at once.
    /// Reported at the spawn call.
    ///
    /// A bound is a semaphore permit acquired in the loop before the spawn (also through
    /// `Semaphore::acquire_owned(sem)`, or any `let permit = ..` awaited before it) or inside the
    /// spawned future, a `JoinSet`/`FuturesUnordered` drained or size-checked inside the loop
    /// (`try_join_next` only reaps and is no bound), a handle awaited or `block_on`-ed in the same
    /// iteration, chunks joined before the next chunk, a stream `map` consumed by
    /// `for_each_concurrent(n, ..)` or `buffer_unordered(n)` (the next item, and its task, is
    /// produced only when a slot is free), a spawn followed in its block by `return` or `break`
    /// (once per loop, not per iteration), or a loop over a constant range, a
    /// literal list or one element (a fixed worker pool; `let workers = 48;` counts as
    /// constant). Accept loops are not reported when the loop's own iteration accepts
    /// (`listener.accept().await`, `incoming.next()`, also as a `select!` branch): one task per
    /// connection is the idiom, bounded by the listener's backlog. An `accept()` inside the
    /// spawned task does not make the loop an accept loop. A `loop` in a synchronous `poll_*`
    /// method is a state machine (one spawn per transition), not a spawning loop. A call of a
    /// spawn wrapper of the workspace (a function that hands the future it is given to a
    /// spawner, see `detached_task`) is a spawn here too.
    ///
    /// ## Pedantic form
    /// A fan-out over a collection (`for`, iterator closure) whose tasks are joined right after
    /// the loop (also a `JoinSet` filled with `spawn_on` in the branches of an `if` and joined
    /// after it), a pool sized by a runtime value bound before the loop (`0..cfg.workers`), and
    /// spawns on a schedule: the loop's iteration ticks an interval before the spawn
    /// (`interval.tick().await`), so tasks start at the timer's rate (they pile up only when
    /// each runs longer than the period). A `sleep` before the spawn is not taken for one: it
    /// is as often an accept loop's pause on an error.
    ///
    /// The default form is for loops driven by something unbounded or external: a receiver, a
    /// stream, a network loop, or a collection whose tasks are not joined before the loop's
    /// scope ends. On 18 real repositories, fan-outs over a few configured peers or cache
    /// levels joined right after the loop were all labelled noise (15 of 24 noise findings),
    /// while both findings worth acting on were loops over network input.
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
    pub UNBOUNDED_SPAWN, "unbounded_spawn", Group::Perf, Level::Allow, check
}

/// Why a spawn loop with no visible bound is only the pedantic form, if it is: a pool sized by
/// a runtime value bound before the loop, or a fan-out over a collection whose tasks are joined
/// right after it (a `loop` or `while` loop is not a fan-out over a collection).
fn pedantic_reason(l: &SpawnLoop) -> Option<&'static str> {
    if l.bound == Some(TaskBound::TimerPaced) {
        Some(
            "spawned on a schedule: the loop ticks an interval before each spawn, so tasks start at its rate",
        )
    } else if l.iterations == Iterations::Sized {
        Some("a worker pool sized by a value bound before the loop")
    } else if l.joined_after && l.kind != "`loop`" && l.kind != "`while` loop" {
        Some("a fan-out whose tasks are joined right after the loop")
    } else {
        None
    }
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    // A call of a possible spawn wrapper counts once the crate index finds it is one.
    let spawns = (model.spawns.iter().map(|s| (s, false)))
        .chain(model.wrapper_spawns.iter().map(|s| (s, true)));
    for (spawn, wrapper) in spawns {
        // Any visible bound the model found (a permit, a drained set, an awaited handle, a
        // fixed number of iterations, an accept loop, ...: `TaskBound`) keeps the loop quiet.
        // A timer's rate is a bound only as long as each task ends within the period: the
        // pedantic form.
        let Some(l) = spawn
            .in_loop
            .as_ref()
            .filter(|l| l.bound.is_none() || l.bound == Some(TaskBound::TimerPaced))
        else {
            continue;
        };
        let (loop_loc, kind, pedantic) = (&l.loc, l.kind, pedantic_reason(l));
        let build = if pedantic.is_some() {
            super::pedantic
        } else {
            super::diagnostic
        };
        let mut d = build(
            &UNBOUNDED_SPAWN,
            model,
            spawn.loc,
            format!(
                "`{}` in a {kind} has no bound on how many tasks run at once",
                spawn.via.replace("(unbounded)", "")
            ),
            "spawn into `asyncwise::TaskGroup::bounded(n)` (its `spawn(..).await` waits for a free slot), or acquire a `tokio::sync::Semaphore` permit before spawning and move it into the task",
        );
        d.notes.push(super::note(
            model,
            *loop_loc,
            format!("every iteration of this {kind} spawns another task"),
        ));
        if let Some(why) = pedantic {
            d.notes
                .push(crate::diagnostic::Note::text(format!("pedantic: {why}")));
        }
        if wrapper {
            sink.deferred.push(crate::facts::Deferred {
                diagnostic: d,
                requires: crate::facts::Requirement::SpawnWrapper {
                    call: spawn.via.clone(),
                    loses_errors: false,
                },
            });
        } else {
            sink.diagnostics.push(d);
        }
    }
}
