use crate::crate_index::CrateIndex;
use crate::diagnostic::{Diagnostic, Note};
use crate::facts::Sink;
use crate::knowledge::cleanup_pairs::{PairArguments, argument_fits, same_amount};
use crate::levels::{Form, Group, Level};
use crate::model::FileModel;
use crate::model::loops::{PathEnd, StateCall};

crate::declare_rule! {
    /// ## What it does
    /// Finds state entered and left again around an `.await` by plain statements of one async
    /// body — a counter raised and lowered (`fetch_add`/`fetch_sub`, gauges'
    /// `increment`/`decrement` and `inc`/`dec`), a flag set and cleared (`set(true)`/`set(false)`,
    /// `store(true, ..)`/`store(false, ..)`) on the same receiver — with no `Drop` guard to leave
    /// it when the future is cancelled.
    /// Reported at the call that leaves the state (with a note at the entering call and at the
    /// await), or, in the early-exit form, at the `?` or `return`.
    ///
    /// A crate's own helpers named as a pair count too (`metrics::inc_connections()` /
    /// `metrics::dec_connections()`, `request_start()` / `request_end()`).
    ///
    /// Not a progress display's counters: a pair on a receiver named for one (a name with
    /// `progress`, or the word `pb`, `bar` or `spinner`: `pb.inc(1)` / `pb.dec(1)`,
    /// `self.task_progress.task_start(id)` / `task_end(id)`) is what a person watches while a
    /// command runs. Nothing reads it back, and the future around it is dropped only when the
    /// command fails or is torn down, taking the display with it.
    ///
    /// Pairs are matched on the receiver (or helper module) as written (`self.active`), at any
    /// block depth of one async body, in source order, with an `.await` between them; the
    /// nearest entering call before the leaving one counts. A leaving call inside a closure
    /// (`scopeguard::guard`), a macro (`defer!`) or a `Drop` impl is a guard and is not
    /// reported, nor is a pair with no await between the two calls. The pairs are data
    /// (`knowledge/cleanup_pairs.rs`).
    ///
    /// Nor is a counter raised by one amount and lowered by another, as written
    /// (`usage.fetch_add(diff, ..)` ... `usage.fetch_sub(self.buffered, ..)`): that is an
    /// account of quantities — bytes buffered, released all at once when the buffer is
    /// flushed, left raised on the paths that keep buffering — not a state one scope enters
    /// and leaves. The amounts are compared as written, a trailing numeric cast and a leading
    /// `&` aside (`fetch_add(len, ..)` / `fetch_sub(len as u64, ..)` is a pair). On seventeen
    /// labelled field sets: two memory-usage counters of an index builder, labelled wrong.
    ///
    /// Nor is a latch, entered and left each behind a check of its own value
    /// (`if busy.load(..) == 0 { busy.fetch_add(1, ..) }` ... `if busy.load(..) == 1 {
    /// busy.fetch_sub(1, ..) }`): such a barrier is shared by every caller and reset by
    /// whichever one sees it held, not by the scope that raised it, so a `Drop` guard in that
    /// scope would be wrong. A pair with only one of the two calls behind such a check is
    /// reported.
    ///
    /// Nor is a state left only on a failure (`Err(e) => { active.fetch_sub(1, ..); return
    /// Err(e) }`, in a `match` arm on `Err`, an `if let Err`, the `else` of an `if let Ok`) with
    /// no leave on success: that call undoes an entry that did not take, and on success the
    /// state stays entered by design (a connection counted until it closes elsewhere), so a
    /// cancelled future leaves it as success does. A `?` or `return` before it is still
    /// reported, as the early exit that skips the undo the code makes on other failures.
    /// The same holds for a leave after a success that returns (`if tx.try_send(job).is_ok() {
    /// return Queued; }`, `if let Ok(v) = r { return v; }`, no `else`): the rest of the block
    /// runs only on the failure, and that `return` is the success keeping the state entered,
    /// not an early exit (a queue's depth counter raised for an enqueued job, lowered by the
    /// worker that dequeues it). On eighteen labelled field sets: two default findings of a
    /// replication queue, labelled wrong.
    ///
    /// Nor is the body of a task spawned straight from an async block whose handle is
    /// discarded (`tokio::spawn(async move { .. });`): nothing can cancel such a task while the
    /// runtime runs. A task whose handle is kept in a file that aborts tasks (`abort()`,
    /// `abort_handle()`, `AbortOnDropHandle`), a smol `Task` kept (dropping it cancels the
    /// task), one in a `JoinSet`, and an async block nested inside the task (a `timeout` or
    /// `select!` may drop it) are reported. A tokio handle that is only kept, returned or
    /// awaited cancels nothing: such a task is one nobody aborts (the pedantic form).
    ///
    /// Two forms are reported by default:
    ///
    /// - **Early exit**: a `?` or `return` of the same body between the entering and the
    ///   leaving call (outside closures and macros). It leaves the state entered on every
    ///   error, cancelled or not. Reported at the early exit.
    /// - **Cancellation**: only an `.await` between the two calls. Reported by default only
    ///   when something shows the body can be dropped mid-await. In its own file: it is an
    ///   async block polled as a `select!` branch's future or inside a `timeout(..)` (also
    ///   `timeout_at`, `fut.timeout(d)`), or a task whose handle can abort it (kept where the
    ///   file aborts tasks, or a smol `Task`) or one of a `JoinSet`; or its fn is called in such a place, is a request handler (a server
    ///   may drop a handler's future before it completes, for instance when it shuts a
    ///   connection down), or is declared plain `pub` (a library's callers may cancel it). The
    ///   places come from the syntax tree: the code a `select!` branch runs after it has won is
    ///   not a place that drops futures, nor is a word in a comment. Across the crate: some
    ///   chain of callers in any file reaches the fn from such a place, each awaiting the next
    ///   in its own frame (dropping the caller drops the callee at whatever await it is in); a
    ///   `pub` fn starts a chain only in a package's library. A call through a trait object or
    ///   a generic bound (`router.route(msg).await` with `router: &dyn Router`) is taken to
    ///   reach every method of that name in an `impl Trait for Type` block of the package, since
    ///   any of them may be the one that runs; inherent methods are never linked by name. The
    ///   note names each caller of the chain with its file and line.
    ///
    /// ## Pedantic form
    /// The cancellation form in a body nothing shows to be cancelled: every chain of callers
    /// starts in code that runs to completion (`main`, a task nobody aborts). The state leaks
    /// only at process exit, or if the future is dropped in a way the analysis does not follow.
    ///
    /// The cancellation form of a flag (`set(true)`/`set(false)`, `store(true, ..)`/
    /// `store(false, ..)`), wherever it is. A counter drifts by one with every cancelled
    /// future, so a gauge only grows and a limit fills up; a flag left set is one state, and
    /// on real code it was the wanted one (a "started" marker that tells the stopper there is
    /// something to stop) or one nobody read any more (the flag belongs to the value whose drop
    /// cancelled the future). Labelled field findings: counters 8 of 8 worth acting on, flags
    /// 0 of 3. A flag skipped by a `?` or `return` (the early-exit form) stays a default finding:
    /// it is left set on every error.
    ///
    /// Not done yet: an abort is looked for in the spawn's file, not followed to the handle
    /// (any `abort()` there makes every kept handle of the file count, and a handle aborted in
    /// another file does not), and callers the call graph cannot see (function values, futures stored and polled
    /// elsewhere, an async block awaited inline, a sync closure) carry no chain.
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
    /// An early exit needs no cancellation at all: `?` returns the error and the statement
    /// that leaves the state is never reached, on every failure.
    ///
    /// An entering call followed in its own block by `return`, or by a `break` out of the loop
    /// the leaving call sits in, never reaches the leaving call: the two are on different
    /// paths (a flag set on the way out of a loop, reset on the path that goes on), and no
    /// cancellation can come between them. After a `continue` the path goes on at the top of
    /// the loop's body: an await there, before the leaving call, is between them. Known limit:
    /// only the entering call's own block is looked at (a `return` after the `if` around it is
    /// not), and a `break` out of an inner loop is taken as final even when an outer loop
    /// comes round to the leaving call again.
    ///
    /// ## Example
    /// ```rust,ignore
    /// pub async fn fetch(&self, url: &str) -> Result<Response> {
    ///     self.in_flight.fetch_add(1, Ordering::Relaxed);
    ///     let response = self.client.get(url).send().await?; // early exit: skips the sub
    ///     self.in_flight.fetch_sub(1, Ordering::Relaxed);
    ///     Ok(response)
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// self.in_flight.fetch_add(1, Ordering::Relaxed);
    /// let _leave = scopeguard::guard((), |_| {
    ///     self.in_flight.fetch_sub(1, Ordering::Relaxed);
    /// });
    /// let response = self.client.get(url).send().await?;
    /// Ok(response)
    /// ```
    /// (or `scopeguard::defer! { self.in_flight.fetch_sub(1, Ordering::Relaxed); }`).
    pub CLEANUP_AFTER_AWAIT, "cleanup_after_await", Group::Suspicious, Level::Warn, check
}

/// The note of a flag's cancellation form, which stays pedantic: [`settle_forms`] leaves it
/// ([`Marks::flag_state`](crate::diagnostic::Marks::flag_state)).
const FLAG_NOTE: &str = "a flag left set by a cancelled future is one state, not a count that drifts: often the one the code wants, or one nobody reads once the future's owner is gone (pedantic form)";

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    let knowledge = &model.knowledge;
    for seq in &model.sequences {
        if runs_detached(model, seq) {
            continue;
        }
        // (enter, await or early exit) pairs already reported: leaving calls in several arms
        // after one await (`Ok(Err(e)) => { c.fetch_sub(..) } Err(e) => { c.fetch_sub(..) }`)
        // are one missing guard, reported once.
        let mut reported: Vec<(crate::model::Loc, crate::model::Loc)> = Vec::new();
        for (i, exit) in seq.calls.iter().enumerate() {
            // A progress display's counters: nothing reads them back once the command stops.
            if crate::knowledge::cleanup_pairs::names_progress_display(&exit.receiver) {
                continue;
            }
            for (enter_name, arguments, what) in
                knowledge.cleanup_entered_by(&exit.method, exit.first_arg.as_deref())
            {
                let same = |c: &StateCall| c.receiver == exit.receiver;
                let enters = |c: &StateCall| {
                    same(c)
                        && c.method == enter_name
                        && argument_fits(arguments, true, c.first_arg.as_deref())
                        && (arguments != PairArguments::Any
                            || same_amount(c.first_arg.as_deref(), exit.first_arg.as_deref()))
                };
                let leaves = |c: &StateCall| {
                    same(c) && c.method == exit.method && c.first_arg == exit.first_arg
                };
                // The nearest earlier entering call one pass can reach with the exit (not one
                // in another arm of the same `match`), unless the state was left in between.
                let meets = |c: &StateCall| c.branches.meets(&exit.branches);
                // An entering call whose block then returns, or breaks out of a loop the exit
                // is in, never reaches the exit: the two are on different paths.
                let exit_in = |body: &crate::model::Loc| {
                    body.start <= exit.loc.start && exit.loc.end <= body.end
                };
                let reaches = |c: &StateCall| match &c.path_end {
                    Some(PathEnd::Return) => false,
                    Some(PathEnd::Break(body)) => !exit_in(body),
                    Some(PathEnd::Continue(_)) | None => true,
                };
                let Some(enter) = seq.calls[..i]
                    .iter()
                    .rev()
                    .filter(|c| meets(c))
                    .take_while(|c| !leaves(c))
                    .find(|c| enters(c) && reaches(c))
                else {
                    continue;
                };
                // A latch: entered only when a read of it says it is free and left only when
                // a read says it is held (`if busy.load(..) == 0 { busy.fetch_add(..) }`).
                // Whichever caller sees it held resets it; it is not this body's scope.
                if enter.checked && exit.checked {
                    continue;
                }
                // Left only on a failure (`Err(e) => { active.fetch_sub(1, ..); return Err(e) }`,
                // no leave on success): the call undoes an entry that did not take, and the
                // state stays entered on success by design (a connection counted until it
                // closes elsewhere). Not an enter/leave pair of this scope: a cancelled future
                // leaves it entered as success does. An early exit before it still skips the
                // undo the code makes on other failures.
                let enter_at = enter.loc;
                let only_on_error = exit.on_error
                    && !seq
                        .calls
                        .iter()
                        .any(|c| leaves(c) && !c.on_error && c.loc.start > enter_at.end);
                // A `?` or `return` between the two leaves the state entered on every error,
                // cancelled or not: reported whether or not the body can be cancelled.
                // After a `continue` the path goes on at the start of the loop's body.
                let from = match &enter.path_end {
                    Some(PathEnd::Continue(body)) if exit_in(body) => body.start,
                    _ => enter.loc.end,
                };
                let between = |p: &&crate::model::loops::BodyPoint| {
                    p.loc.start > from
                        && p.loc.end < exit.loc.start
                        && p.branches.meets(&enter.branches)
                        && p.branches.meets(&exit.branches)
                };
                // A `return` on a success keeps a state that is left only on a failure
                // entered by design (`if tx.try_send(job).is_ok() { return Queued; }
                // queued.dec(); ..`): the worker that dequeues the job leaves it.
                let skips = |p: &&crate::model::loops::BodyPoint| {
                    between(p) && !(only_on_error && p.on_success)
                };
                if let Some(early) = seq.early_exits.iter().find(skips).map(|p| p.loc) {
                    if reported.contains(&(enter.loc, early)) {
                        break;
                    }
                    reported.push((enter.loc, early));
                    let (message, help) = if only_on_error {
                        (
                            format!(
                                "this early exit skips `{}`, which undoes `{}` on a later failure: the {what} stays entered on this error",
                                exit.method, enter.method
                            ),
                            "undo the state on this error too: handle the error here as the later failure is handled, or hold a guard that undoes it on drop and is disarmed on success",
                        )
                    } else {
                        (
                            format!(
                                "this early exit skips `{}` after `{}`: the {what} stays entered",
                                exit.method, enter.method
                            ),
                            "leave the state in a `Drop` guard created right after entering it (e.g. `scopeguard::defer! { .. }`), so it runs on every exit, error and cancellation alike",
                        )
                    };
                    let mut d =
                        super::diagnostic(&CLEANUP_AFTER_AWAIT, model, early, message, help);
                    d.notes.push(super::note(
                        model,
                        enter.loc,
                        format!("the {what} is entered here"),
                    ));
                    d.notes.push(super::note(
                        model,
                        exit.loc,
                        if only_on_error {
                            "and left here, only on the failure this branch handles"
                        } else {
                            "and left here, only on the path that reaches this line"
                        },
                    ));
                    sink.diagnostics.push(d);
                    break;
                }
                if only_on_error {
                    continue;
                }
                let Some(await_loc) = seq.awaits.iter().find(between).map(|p| p.loc) else {
                    continue;
                };
                if reported.contains(&(enter.loc, await_loc)) {
                    break;
                }
                reported.push((enter.loc, await_loc));
                let message = format!(
                    "`{}` is skipped if the future is cancelled at an `.await` after `{}`",
                    exit.method, enter.method
                );
                let help = "leave the state in a `Drop` guard created right after entering it (e.g. `let _guard = scopeguard::guard((), |_| { .. })`), so it runs however the future ends";
                // A flag a cancelled future leaves set is one state, not a drift: the pedantic
                // form, whatever shows the body can be cancelled.
                let flag = matches!(arguments, PairArguments::Literal { .. });
                let evidence = cancellation_evidence(model, seq);
                let mut d = match evidence {
                    Some(_) if !flag => {
                        super::diagnostic(&CLEANUP_AFTER_AWAIT, model, exit.loc, message, help)
                    }
                    _ => super::pedantic(&CLEANUP_AFTER_AWAIT, model, exit.loc, message, help),
                };
                if flag {
                    d.notes.push(Note::text(FLAG_NOTE));
                    d.marks.flag_state = true;
                }
                d.marks.public_only = evidence.as_deref() == Some(PUBLIC_EVIDENCE);
                if let Some(why) = &evidence {
                    d.notes.push(super::note(
                        model,
                        seq.body,
                        format!("this body can be cancelled: {why}"),
                    ));
                }
                d.notes.push(super::note(
                    model,
                    enter.loc,
                    format!("the {what} is entered here"),
                ));
                d.notes.push(super::note(
                    model,
                    await_loc,
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

/// The per-file evidence of a `pub` declaration, which only a library's fns have (settled by
/// [`settle_forms`]).
const PUBLIC_EVIDENCE: &str = "it is a `pub` async fn, whose callers may drop it";

/// Why the body can be dropped mid-await, if its file shows it: the cancellation form of the
/// rule needs a future that is actually dropped before it ends. Callers in other files are the
/// crate pass's ([`settle_forms`]).
fn cancellation_evidence(
    model: &FileModel<'_>,
    seq: &crate::model::loops::SequenceFact,
) -> Option<String> {
    use crate::summary::CancelScope;
    let body = seq.body;
    let scopes = crate::summary::cancel_scopes(model);
    // The body itself is an async block polled where it may be dropped: a `select!` branch,
    // a `timeout(..)`, a task whose handle is kept, a handler closure.
    if let Some(scope) = crate::summary::scope_of(&scopes, body) {
        return Some(match scope {
            CancelScope::SelectBranch => {
                "it is polled in a `select!` branch, dropped when another branch wins".into()
            }
            CancelScope::Timeout => {
                "it is polled inside a `timeout(..)`, dropped when the time runs out".into()
            }
            CancelScope::AbortableTask => {
                "it runs in a task that can be aborted (its handle is kept where tasks are aborted, or a set owns it)".into()
            }
            CancelScope::HandlerClosure => {
                "it is a request handler, whose future a server may drop before it completes".into()
            }
        });
    }
    // The innermost fn around the body.
    let item = &model.fn_items[model.innermost_fn(body)?];
    let name = item.path.rsplit("::").next().unwrap_or(&item.path);
    if model.per_event.handlers.contains(&item.loc)
        || model
            .per_event
            .registered
            .iter()
            .any(|(_, path)| path.rsplit("::").next() == Some(name))
    {
        return Some(
            "it is a request handler, whose future a server may drop before it completes".into(),
        );
    }
    // Its fn is called in this file where the call's future may be dropped.
    let called = model.calls.iter().find_map(|call| {
        let named = match &call.callee {
            crate::model::Callee::Path(p) => p.rsplit("::").next() == Some(name),
            crate::model::Callee::Method { name: m, .. } => m == name,
            _ => false,
        };
        if !named {
            return None;
        }
        crate::summary::scope_of(&scopes, call.loc).map(|scope| (call, scope))
    });
    if let Some((call, scope)) = called {
        return Some(format!(
            "its fn is called {} (line {})",
            scope.describe(),
            call.loc.start.0
        ));
    }
    if crate::summary::declared_plain_pub(model, item) {
        return Some(PUBLIC_EVIDENCE.into());
    }
    None
}

/// Why a binary's `pub` fn with no cancelling caller is the pedantic form.
const BINARY_PUBLIC_NOTE: &str = "pedantic form: the fn is `pub` but declared in a binary, which no other crate calls, and no chain of its callers starts where a future is dropped";

/// Settles the cancellation form of the rule's findings over the crate: a finding the file
/// gave no evidence for (the pedantic form) is reported by default when the crate index finds
/// its function cancellable through its callers in any file (see
/// [`CrateIndex::cancellation`]).
///
/// A finding in the default form only because its fn is `pub` ([`Marks::public_only`]) is
/// moved to the pedantic form when the fn is a binary's and no chain of callers can drop it.
///
/// [`Marks::public_only`]: crate::diagnostic::Marks::public_only
pub(crate) fn settle_forms(index: &CrateIndex, diagnostics: &mut [Diagnostic]) {
    let mut cancellation = None;
    for d in diagnostics {
        if d.rule != CLEANUP_AFTER_AWAIT.name || d.marks.flag_state {
            continue;
        }
        // Default only because it is `pub`: a binary's `pub` fn has no callers outside the
        // crate, so the chains of callers decide, as for any other fn.
        if d.form == Form::Default && d.marks.public_only {
            let Some(f) = index.function_at(&d.path, d.span.start.line) else {
                continue;
            };
            if !index.fn_in_binary(f) {
                continue;
            }
            let cancellation = cancellation.get_or_insert_with(|| index.cancellation());
            let public = format!("this body can be cancelled: {PUBLIC_EVIDENCE}");
            d.notes.retain(|n| n.message != public);
            match cancellation.why(f) {
                Some(why) => d
                    .notes
                    .insert(0, Note::text(format!("this body can be cancelled: {why}"))),
                None => {
                    d.form = Form::Pedantic;
                    d.notes.push(Note::text(BINARY_PUBLIC_NOTE));
                }
            }
            continue;
        }
        if d.form != Form::Pedantic {
            continue;
        }
        let Some(f) = index.function_at(&d.path, d.span.start.line) else {
            continue;
        };
        let cancellation = cancellation.get_or_insert_with(|| index.cancellation());
        let Some(why) = cancellation.why(f) else {
            continue;
        };
        d.form = Form::Default;
        d.severity = crate::diagnostic::Severity::Warning;
        // Next to the note at the entering call, so the order reads as the per-file one does.
        d.notes
            .insert(0, Note::text(format!("this body can be cancelled: {why}")));
    }
}
