use crate::facts::FnRef;
use crate::facts::{Deferred, Requirement, Sink};
use crate::levels::{Group, Level};
use crate::model::FileModel;
use crate::model::analysis::failure::{BodyFailure, Ending};

crate::declare_rule! {
    /// ## What it does
    /// Finds spawned tasks that can fail — their body (with the closures and async blocks it
    /// runs) uses `?`, returns or ends in an `Err`, or runs an async fn of this crate that
    /// returns a `Result` — whose `JoinHandle` is discarded (`tokio::spawn(..);`,
    /// `let _ = tokio::spawn(..)`, `drop(tokio::spawn(..))`).
    ///
    /// ## Pedantic form
    /// Detached tasks with no error path whose only panics cannot happen once they run, or
    /// only repeat an earlier panic: `unreachable!()`, `expect`/`unwrap` on installing a signal
    /// handler (`ctrl_c()`, `signal(SignalKind::..)`), on a lock's poisoning
    /// (`state.write().expect("lock")`), or on the result of a task the body spawned and waits
    /// for (`let h = tokio::spawn(..); h.await.unwrap()`, a thread's `join().expect(..)`).
    ///
    /// ## Why is this bad
    /// A task's error or panic is delivered only through its `JoinHandle`. Drop the handle and
    /// failures vanish: a background worker dies on its first error and nothing logs it, while
    /// the service keeps running without it.
    ///
    /// Tasks whose handle is kept, awaited, stored or returned are fine, as are tasks spawned
    /// into a `JoinSet` and tasks that handle their own errors: a body with no `?` and no `Err`
    /// that ends in `Ok(..)` cannot fail.
    ///
    /// Tasks whose only panics are of that kind are the pedantic form: on 18 real
    /// repositories they were start-up signal handlers (`signal(..).expect(..)`) and
    /// "cannot happen" branches, and none of them was worth changing; on 10 more, a cleanup
    /// task whose only panic was a poisoned-lock `expect`; on 10 more, a streaming task whose
    /// one `unwrap` was on its inner fetch task's result. A signal handler's installation
    /// fails only when the OS refuses it, at start-up; an inner task's panic was printed by the
    /// panic hook when it happened, and unwrapping its `JoinError` only repeats it. Across
    /// the 38 repositories every default finding worth acting on was a task that *returns an
    /// error* (`?`, an `Err`, an async fn returning a `Result`) that nobody reads. Other
    /// panics (`unwrap` or `expect` on a send, `todo!`) stay in the default form all the same:
    /// the task dies while the program runs on, and a send that fails inside
    /// `for_each_concurrent(.., |i| async move { tx.send(i).await.expect(..) })` loses work;
    /// which of those panics can really fire is not in the code.
    ///
    /// ## Example
    /// ```rust,ignore
    /// tokio::spawn(async move {
    ///     let batch = queue.pop().await?;
    ///     store.write(batch).await
    /// });
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// tokio::spawn(async move {
    ///     if let Err(e) = flush(&queue, &store).await {
    ///         tracing::error!(error = %e, "flush failed");
    ///     }
    /// });
    /// ```
    pub DETACHED_TASK, "detached_task", Group::Suspicious, Level::Warn, check
}

const HELP: &str = "keep the `JoinHandle` and await it, spawn it into an `asyncwise::TaskGroup` (or a `JoinSet`) whose `join_next` returns every error and panic, or handle the error inside the task and log it";

/// What a detached task's failure facts mean for the rule.
enum Verdict<'a> {
    /// It can fail: why, where, and whether only by a panic that cannot happen once it runs
    /// (the pedantic form).
    Fails(String, crate::model::Loc, bool),
    /// It fails if the crate's async fn it runs returns a `Result`.
    IfAsyncFnReturnsResult(&'a FnRef),
}

/// An error path outranks how the body ends, which outranks a panic (for the note).
fn verdict(f: &BodyFailure) -> Option<Verdict<'_>> {
    if let Some(error) = &f.error {
        return Some(Verdict::Fails(error.how.describe(), error.loc, false));
    }
    match &f.ends {
        Ending::InErr(loc) => Some(Verdict::Fails("ends in an `Err`".into(), *loc, false)),
        Ending::InCall(call) => Some(Verdict::IfAsyncFnReturnsResult(call)),
        Ending::Other => f
            .panic
            .as_ref()
            .map(|p| Verdict::Fails(p.how.describe(), p.loc, !f.panics_while_running)),
    }
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    for spawn in &model.spawns {
        if !spawn.discarded || spawn.owned {
            continue;
        }
        match verdict(&spawn.failure) {
            None => {}
            Some(Verdict::Fails(reason, loc, panics_only)) => {
                let build = if panics_only {
                    super::pedantic
                } else {
                    super::diagnostic
                };
                let mut d = build(
                    &DETACHED_TASK,
                    model,
                    spawn.loc,
                    format!(
                        "the task spawned by `{}` can fail, but its `JoinHandle` is dropped",
                        spawn.via
                    ),
                    HELP,
                );
                d.notes
                    .push(super::note(model, loc, format!("the task {reason}")));
                sink.diagnostics.push(d);
            }
            Some(Verdict::IfAsyncFnReturnsResult(call)) => {
                let name = &call.name;
                // A function of this file with that name decides at once: `run(..)` calls the
                // file's own `run`, not another module's.
                let local: Vec<_> = model
                    .functions
                    .iter()
                    .filter(|f| call.may_call(f))
                    .collect();
                let local_decides =
                    !local.is_empty() && (call.qualifier.is_none() || call.method_call);
                if local_decides && !local.iter().any(|f| f.is_async && f.returns_result) {
                    continue;
                }
                let mut d = super::diagnostic(
                    &DETACHED_TASK,
                    model,
                    spawn.loc,
                    format!(
                        "the task spawned by `{}` returns a `Result` from `{name}`, but its `JoinHandle` is dropped",
                        spawn.via
                    ),
                    HELP,
                );
                d.notes.push(crate::diagnostic::Note { message: format!("`{name}` is an async fn of this crate that returns a `Result`; its error is lost"), span: None });
                if local_decides {
                    sink.diagnostics.push(d);
                } else {
                    sink.deferred.push(Deferred {
                        diagnostic: d,
                        requires: Requirement::AsyncFnReturnsResult(call.clone()),
                    });
                }
            }
        }
    }
}
