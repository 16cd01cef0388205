use crate::facts::{
    Deferred, FnRef, Requirement, Sink, calls_log_their_errors, every_future_fails_by_result,
};
use crate::levels::{Group, Level};
use crate::model::analysis::failure::{FailureMode, FailurePoint};
use crate::model::{FileModel, SpawnFact};

crate::declare_rule! {
    /// ## What it does
    /// Finds spawned tasks that can lose an error — their body (with the closures and async
    /// blocks it runs) uses `?`, returns or ends in an `Err`, or ends in a call of an async fn
    /// of this crate that returns a `Result` (or of a plain fn declared to return a future of
    /// one, `impl Future<Output = Result<..>>`, boxed or not) — whose `JoinHandle` is discarded
    /// (`tokio::spawn(..);`, `let _ = tokio::spawn(..)`, `drop(tokio::spawn(..))`, or given up
    /// with `.detach()` on smol's and async-executor's `Task`: `ex.spawn(..).detach()`), or whose
    /// handle is kept in a collection that the same function joins while throwing the results
    /// away (`handles.push(tokio::spawn(..))` or `.map(|x| tokio::spawn(..)).collect()`, then
    /// `join_all(handles).await;`, `let _ = try_join_all(handles).await;` or
    /// `try_join_all(handles).await?;`; `set.spawn(..)` on a `JoinSet` drained by
    /// `while let Some(_) = set.join_next().await`).
    /// Reported at the spawn call.
    ///
    /// ## Pedantic form
    /// Detached tasks that can fail only by panicking: no error path, only `unwrap`, `expect`,
    /// `panic!`, `todo!` or `unreachable!()` (on installing a signal handler, on a send to a
    /// channel, on a lock's poisoning, in a "cannot happen" branch). Tasks whose results are
    /// thrown away where their collection is joined (`join_all(handles).await;`), whatever
    /// they can fail by.
    ///
    /// ## Why is this bad
    /// A task's error value is delivered only through its `JoinHandle`. Drop the handle and the
    /// error vanishes: a background worker dies on its first error, nothing prints why, and
    /// the service keeps running without it.
    ///
    /// A panic is different. tokio catches a task's panic and hands it to the `JoinHandle` as
    /// `JoinError::Panic`, but the panic hook runs first, where the panic happens: the default
    /// hook prints the message and location to stderr (and a custom hook, such as one that
    /// forwards to `tracing`, runs the same way), whether anyone joins the task or not. A
    /// dropped `Err` is printed by nothing. That is why a task that can only panic is the
    /// pedantic form: it is still a task nobody watches, which dies while the program runs on,
    /// but its failure is not hidden. On three labelled sets of real repositories (38 public
    /// projects) every default finding worth acting on lost an error value, and none of the 14
    /// panic-only tasks was: start-up signal handlers (`signal(..).expect(..)`), sends to a
    /// channel that outlives the task, "cannot happen" branches.
    ///
    /// A spawn whose argument is a block (`tokio::spawn({ let tx = tx.clone(); async move {
    /// .. } })`, the usual way to clone what the task moves) spawns the block's value: the task
    /// is the tail, and the statements before it run at the spawn, in the spawning function.
    ///
    /// Spawns inside `macro_rules!` bodies count too: a transcriber that expands to items or
    /// statements is read as code with its metavariables taken as names (see
    /// `model/macro_rules.rs`), and a discarded spawn there is judged like any other
    /// (a server's per-message task spawned by a macro that implements the listener for both
    /// protocol versions was worth acting on in the held-out set).
    ///
    /// A task spawned by a `Drop` impl's `drop` is the pedantic form too, whatever it can fail
    /// by. `drop` returns nothing and cannot wait, so nobody can hold the handle; the task is
    /// best-effort clean-up of a value already being destroyed (a goodbye message on a
    /// connection being closed, a file removed), and its failure concerns a resource the
    /// program has let go. Logging inside the task remains the fix when the clean-up matters.
    /// On the seven labelled sets the one such finding (a database proxy's `Terminate` sent
    /// to a server connection it is closing) was noise, and no finding worth acting on was
    /// spawned from `drop`.
    ///
    /// A join that discards what it returns loses the same error: `join_all` hands back each
    /// task's `Result` and the statement drops them all, and `try_join_all(..).await?` keeps
    /// only a join error (a panic or a cancellation), not the tasks' own `Err`s. Such tasks are
    /// reported in the pedantic form: on the five labelled sets the two found (the two halves
    /// of a conformance-test DNS server) were noise, and the one labelled worth acting on (a
    /// relay's endpoints, each task ending on its first accept error with nothing printed) is
    /// not found yet: its tasks run async fns a binary imports inside its `main` through its
    /// own library's re-export of another member. A dropped handle stays the default form.
    ///
    /// A task that is a call of an async fn of another workspace member
    /// (`tokio::spawn(shared::health::serve(addr))`, or an async block whose tail awaits one)
    /// is judged by that fn, which the crate index finds through the member's path: it loses
    /// an error when the fn can end in one it has not logged, by an exit of its own or by
    /// passing on a callee's that does (the member's own table decides, as for this crate's
    /// functions). A registry crate's future is never judged. On field set 13 two such
    /// health-check servers of a VPN's gateway and relay, spawned from `main` with the handle
    /// dropped, were known misses worth acting on: a bind that fails ends the task and nobody
    /// hears of it.
    ///
    /// A spawn wrapper of the workspace spawns as well: a function named `spawn` or `spawn_*`
    /// that takes a future of a generic type (`F: Future`, `impl Future`) and hands it to a
    /// known spawner, directly or through a `macro_rules!` of its file that expands to one
    /// (`spawn_impl!(async { let r = future.await; let _ = tx.send(r); })`). Its calls are kept
    /// by the file and settled by the crate index, which resolves them into the crate or into
    /// a workspace member it depends on by path (an agent's per-connection task spawned through
    /// a runtime shim of another member was a known miss worth acting on). A wrapper whose body
    /// logs or inspects an error (`tokio::spawn(fut.inspect_err(or))`, `if let Err(e) =
    /// fut.await { error!(..) }`) handles the task's error itself, so its calls are not
    /// reported here (on the field sets, six such calls of three crates' logging wrappers).
    /// Wrappers named otherwise, methods, wrappers of registry crates and wrappers of wrappers
    /// are not followed: looking at every call with a future argument costs a deferred finding
    /// per call, and the name keeps that to the calls that say they spawn. Users can list
    /// others as spawners in the configuration (`spawn`).
    ///
    /// A task that ends in a call of a function of the crate is judged by that function: the
    /// one its receiver's type declares (`session.serve()` with `session: Session`), the one
    /// its path names (`Self::handle`, `Session::handle`, `conn::handle`, or a bare name the
    /// file imports from a module of the crate). When the call does not say which and the
    /// crate declares several of that name that disagree (a `run` that returns `()` and logs
    /// its errors beside another type's `run` that returns a `Result`), the task is not judged:
    /// a finding that blames the wrong function is worse than none (a held-out field set had six
    /// such findings, all wrong). Definitions of one function under exclusive `cfg`s count as
    /// one, which fails if either can.
    ///
    /// Tasks whose handle is kept, awaited, stored or returned are fine, as are tasks spawned
    /// into a `JoinSet` whose results are read as it is drained or an `asyncwise::TaskGroup`,
    /// and tasks that handle their own errors: a
    /// body with no `?` and no `Err` that ends in `Ok(..)` cannot fail, and one that logs each
    /// error before it returns it (`.inspect_err(|e| error!(..))?`, or `error!(..);` then
    /// `return Err(e)` in the same block; also in an async fn of the crate the task ends in)
    /// has said why it failed, which is the fix this rule asks for. Only a log that belongs to
    /// the exit counts — the closure of the `?`'s own `inspect_err`, `map_err`, `or_else` or
    /// `ok_or_else`, or an earlier statement of the block that returns — and any level of
    /// `log`/`tracing` or `eprintln!` does: the level is the author's choice. On the held-out
    /// field sets two default findings were such tasks (a proxy's listener returning its accept
    /// error after `error!`, a TUN set-up logged by `inspect_err`), both labelled noise. A `?`
    /// on a call of a function of the crate (`peer(stream).await?`, through `map_err` or
    /// `context`), and a tail `serve(conn).await`, pass on that function's errors: they are
    /// logged when it logs every error it returns, itself or through such calls a few levels
    /// deep (a per-connection task whose only silent-looking exits were `?`s on a helper that
    /// logs each failure was labelled noise twice). The function is the one the call names —
    /// its path, an import, or a call on `self` — and a bare name that several functions of the
    /// crate share, which disagree, keeps the `?` silent, as does a method on another receiver
    /// (its type is not known here) or another crate's function. An error the body
    /// itself discards (`let _ = run().await;`, `.ok()`) is not reported: keeping the handle
    /// would not bring it back. A task whose value is a call of a function that does not return
    /// a `Result` (the body's tail expression, no `;`: `async move { setup().unwrap();
    /// worker.run().await }`, or `tokio::spawn(worker.run())`) is not reported, even when it has
    /// panics of its own. A body whose last statement is such a call (`notify.notify_waiters();`)
    /// has the value `()` and is judged by its own failures: with only panics, the pedantic
    /// form.
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
    pub DETACHED_TASK, "detached_task", Group::Suspicious, Level::Warn, check,
    repeats: crate::rules::Repeats::Each { reason: "each spawn keeps its handle or handles its error separately, and fixing one does nothing for the next" }
}

const HELP: &str = "keep the `JoinHandle` and await it, spawn it into an `asyncwise::TaskGroup` (or a `JoinSet`) whose `join_next` returns every error and panic, or handle the error inside the task and log it";

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    // A call of a function named like a spawner that the tables do not know spawns a task only
    // if the crate index finds it is a spawn wrapper of the workspace: its findings wait for
    // that.
    let spawns = (model.spawns.iter().map(|s| (s, None))).chain(
        model
            .wrapper_spawns
            .iter()
            .map(|s| (s, Some(s.via.as_str()))),
    );
    for (spawn, wrapper) in spawns {
        let mut out = Out { sink, wrapper };
        // Joined with the others, but the join's value is thrown away: as lost as a dropped
        // handle's.
        let unread = model
            .unread_joins
            .iter()
            .find(|u| u.spawn == spawn.loc.start);
        if (!spawn.discarded || spawn.owned) && unread.is_none() {
            continue;
        }
        let lost = match unread {
            Some(u) => format!("its result is discarded where `{}` is joined", u.collection),
            None => "its `JoinHandle` is dropped".to_string(),
        };
        let join_note = unread.map(|u| {
            super::note(
                model,
                u.join,
                "joined here; every task's result is thrown away".to_string(),
            )
        });
        // A handle dropped outright is the default form; results thrown away at a join are the
        // pedantic form (see the docs: the labelled evidence is 2 noise, 1 act not yet found).
        // Spawned from `Drop`: the pedantic form (see the docs).
        let error_form: Build = if spawn.discarded && !spawn.owned && !spawn.in_drop {
            super::diagnostic
        } else {
            super::pedantic
        };
        match spawn.failure.mode() {
            None => {}
            Some(FailureMode::ErrorValue(point)) => {
                let d = finding(model, spawn, error_form, &point, &lost, join_note);
                out.emit(d, None);
            }
            Some(FailureMode::PanicOnly(point)) => {
                let d = finding(model, spawn, super::pedantic, point, &lost, join_note);
                out.emit(d, None);
            }
            Some(FailureMode::ErrorValueUnlessLogged { point, tries, ends }) => {
                // `peer(..).await?` where `peer` logs every error it returns loses nothing;
                // this file's functions settle it when they can, the crate pass otherwise.
                let functions = || model.functions.iter();
                let tries: Vec<FnRef> = tries.into_iter().cloned().collect();
                let ends_quiet = ends.is_none_or(|call| {
                    let local = call.may_call_among(functions());
                    !local.is_empty() && !every_future_fails_by_result(&local, functions())
                });
                if ends_quiet && calls_log_their_errors(&tries, functions()) {
                    continue;
                }
                let d = finding(model, spawn, error_form, point, &lost, join_note);
                let ends = ends.cloned();
                out.emit(d, Some(Requirement::ErrorUnlogged { tries, ends }));
            }
            Some(FailureMode::ErrorValueIfResult(call)) => {
                // `Session::handle` when the call says whose, so a reader finds the function.
                let name = match call.qualifier.as_deref() {
                    Some(q) if !call.qualifier_by_name => format!("{q}::{}", call.name),
                    _ => call.name.clone(),
                };
                // A path into another crate names no function of this one, whatever this
                // crate declares with that name: only the index can find it in a workspace
                // member (a registry crate's function is never judged).
                // The finding, with a note saying whose `Result` is lost.
                let lost_result = |whose: String| {
                    let mut d = error_form(
                        &DETACHED_TASK,
                        model,
                        spawn.loc,
                        format!(
                            "the task spawned by `{}` returns a `Result` from `{name}`, but {lost}",
                            spawn.via
                        ),
                        HELP,
                    );
                    d.notes.extend(join_note.clone());
                    d.notes.push(crate::diagnostic::Note::text(whose));
                    d
                };
                if let Some(path) = &spawn.ends_in_other_crate {
                    let d = lost_result(format!(
                        "`{path}` is an async fn of a workspace member that returns a `Result`; its error is lost"
                    ));
                    let requires = Requirement::MemberFnFailsSilently { call: path.clone() };
                    out.emit(d, Some(requires));
                    continue;
                }
                // A function of this file with that name decides at once: `run(..)` calls the
                // file's own `run`, not another module's.
                // A receiver type known by name only decides here when this file declares
                // that type's method; otherwise the crate pass looks for it in the others.
                let local = call.may_call_among(model.functions.iter());
                let local_decides =
                    !local.is_empty() && (call.qualifier.is_none() || call.method_call);
                if local_decides && !every_future_fails_by_result(&local, model.functions.iter()) {
                    continue;
                }
                let d = lost_result(format!(
                    "`{name}` is an async fn of this crate that returns a `Result`; its error is lost"
                ));
                // A function that passes on its callees' errors may log through them: only
                // the crate's whole table can tell when they are in other files.
                let settled_here = local.iter().all(|f| f.logged_if.is_empty());
                let requires = (!local_decides || !settled_here)
                    .then(|| Requirement::AsyncFnReturnsResult(call.clone()));
                out.emit(d, requires);
            }
        }
    }
}

/// Which of a rule's forms a finding takes (`super::diagnostic` or `super::pedantic`).
type Build = fn(
    &crate::rules::Rule,
    &FileModel<'_>,
    crate::model::Loc,
    String,
    &str,
) -> crate::diagnostic::Diagnostic;

/// Where a spawn's findings go: found, or deferred until the crate settles what they require
/// (and, for a call of a possible spawn wrapper, that it is one).
struct Out<'s> {
    sink: &'s mut Sink,
    wrapper: Option<&'s str>,
}

impl Out<'_> {
    fn emit(&mut self, diagnostic: crate::diagnostic::Diagnostic, requires: Option<Requirement>) {
        let wrapper = self.wrapper.map(|call| Requirement::SpawnWrapper {
            call: call.to_string(),
            loses_errors: true,
        });
        let requires = match (requires, wrapper) {
            (None, None) => {
                self.sink.diagnostics.push(diagnostic);
                return;
            }
            (Some(r), None) | (None, Some(r)) => r,
            (Some(r), Some(w)) => Requirement::AllOf(vec![r, w]),
        };
        self.sink.deferred.push(Deferred {
            diagnostic,
            requires,
        });
    }
}

/// The finding for `spawn`, whose body can fail at `point` and whose result is `lost` so, in
/// the form `build`, with a note at the join that discards it (if that is how).
fn finding(
    model: &FileModel<'_>,
    spawn: &SpawnFact,
    build: Build,
    point: &FailurePoint,
    lost: &str,
    join_note: Option<crate::diagnostic::Note>,
) -> crate::diagnostic::Diagnostic {
    let mut d = build(
        &DETACHED_TASK,
        model,
        spawn.loc,
        format!("the task spawned by `{}` can fail, but {lost}", spawn.via),
        HELP,
    );
    d.notes.push(super::note(
        model,
        point.loc,
        format!("the task {}", point.how.describe()),
    ));
    d.notes.extend(join_note);
    d
}
