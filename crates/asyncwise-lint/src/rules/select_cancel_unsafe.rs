use std::collections::HashMap;

use crate::crate_index::CrateIndex;
use crate::diagnostic::{Diagnostic, Note, Severity};
use crate::facts::Sink;
use crate::knowledge::cancel_safety::CancelUnsafe;
use crate::levels::{Form, Group, Level};
use crate::model::ir::{Awaited, BranchFuture, CallSite, SelectSite};
use crate::model::{Callee, FileModel, Loc};

crate::declare_rule! {
    /// ## What it does
    /// Finds `select!` branches (tokio's or futures') and `timeout`s inside a loop whose future is a call made
    /// right there of a method tokio documents as not cancellation safe (`read_exact`,
    /// `read_line`, `read_u32` and the other multi-byte reads, `write_all`, `Mutex::lock`,
    /// `Semaphore::acquire`, `mpsc::Sender::send`, ...), or of an async fn of the crate whose
    /// first await is such a call.
    /// Reported at the branch's future (the call), with a note at the loop around it.
    ///
    /// ## Why is this bad
    /// Each time round the loop, `select!` creates the branch's future anew and drops it when
    /// another branch wins. A dropped `read_exact` has already consumed bytes that nobody will
    /// see again, so the stream is out of step; a dropped `write_all` has written a part of a
    /// message; a dropped `send` loses the message; a dropped `lock` or `acquire` loses its
    /// place in the queue. The bug shows only when the other branch fires mid-operation: under
    /// load, in production.
    ///
    /// A future created once outside the loop and polled as `&mut fut` keeps its progress, and
    /// a `select!` that is not in a loop does not start the operation again: neither is
    /// reported. Nor is a lock or permit request whose result the branch discards
    /// (`_ = sem.acquire() => ..`): the permit is released as soon as the branch wins, so the
    /// branch only waits for the semaphore to open, a signal in which its queue place does not
    /// matter.
    ///
    /// Nor is a branch whose future is dropped only as the loop ends: every other branch of
    /// the `select!` leaves the loop when it wins (`break`, `return`, `bail!`) and the loop is
    /// the only one of its body, so the future is never made again. A lock or permit request
    /// given up for good loses nothing, whoever shares the lock or semaphore: it is not made
    /// again behind the waiters that came after it, and a later request queues afresh (on
    /// seventeen labelled field sets: two such requests, a batch leader's lock and a
    /// reconciler's permit, both beside a shutdown branch, labelled noise). A partial read or
    /// write, or a message in flight, is lost only to whoever uses the stream afterwards, so
    /// the stream must also be the body's own (a `let` of it, or for a partial read or write a
    /// parameter the fn takes by value, `mut reader: R`, not a sender, which is a handle to a
    /// channel others share; not `self`'s or a borrowed parameter the caller shares) and no
    /// statement after the loop may mention it: a control channel read until a heartbeat
    /// timeout or shutdown ends the session is fine, one read again after the loop is not. A
    /// stream taken by value is dropped when the fn returns, so nobody can read the rest of a
    /// half-read frame; a `&mut` one (a parameter, a `self` field) outlives the call, and
    /// tokio's docs say what a dropped `read_exact` loses ("some data may already have been
    /// read into buf") is lost to whoever reads the stream next, which the caller may well do
    /// (a `next_frame(&mut self)` called again after a timeout error), so that stays reported
    /// even when every other branch returns. A branch raced by its own `timeout` (`r =
    /// timeout(d, read_frame(&mut reader)) => match r { .. }`) must leave the loop when the
    /// time runs out too. On eighteen labelled field sets: one default finding labelled wrong
    /// (a scanner stream's frame reader, taken by value, whose cancel branch and timeout both
    /// return); session 13's blind set lost one marker written from the earlier text (an MQTT
    /// client's read loop on a connection taken by value, whose stop branch returns).
    /// Known limit: a by-value generic reader may be a `&mut S` the caller lent, and a helper
    /// of another file raced on a by-value stream is still reported.
    ///
    /// Nor is a `select!` after which the iteration always leaves its loop: the statement
    /// holding it is a `return` (`return select! { .. }`), or a later statement of a block it
    /// sits in, inside the loop, is a `return` or `break` (`let slot = select! { .. }; return
    /// Some(slot);`), with no `continue` on the way (in a handler of the `select!`, or in a
    /// statement between it and the leave), which would go round again. The loop runs it at
    /// most once, as if it were not in a loop (on ten
    /// labelled field sets: a UDP flow reservation that evicts in a loop, then waits for a
    /// permit once and returns, labelled wrong).
    ///
    /// Nor is a read or write whose stream every other branch replaces when it wins: a
    /// reader task whose control channel hands it a new read half (`Some(next) => reader =
    /// next,`) drops the old stream with the bytes the dropped read had half consumed, and
    /// reads the new one from its start. Every way through every other branch's handler must
    /// assign the stream (a method's receiver, or the place lent to a crate helper as `&mut`)
    /// a value not made from it, before any `continue` or `break` could skip the assignment
    /// and with no statement before it that mentions the stream (which may keep the old one:
    /// `retired.push(conn); conn = next;`), or leave every loop around the
    /// `select!` (`return`, a `break` of the only loop or one naming the outermost loop, a
    /// `panic!`/`bail!`); the stream must be the body's own (a `let` of it, or a name moved into
    /// an `async move` block) and not mentioned after the outermost loop. On nine labelled
    /// field sets this was the rule's one default finding labelled noise (a speech-to-text
    /// client's reader task, whose other branch only wins with a replacement read half or when
    /// the session ends); the one worth acting on (a packet read raced by a 2 s timeout and
    /// started again) stays.
    ///
    /// Which methods are not cancellation safe is data, with the tokio item each row
    /// comes from (`asyncwise explain` cannot list them all; see `knowledge/cancel_safety.rs`).
    ///
    /// The same rule covers a `timeout` in a loop: `tokio::time::timeout(d, fut)` (also
    /// `timeout_at`, async-std's `timeout`, and `fut.timeout(d)` of `tokio_util`'s and other
    /// `FutureExt` traits) races `fut` against a timer exactly as a two-branch `select!` does,
    /// and drops it when the time runs out. Reported when `fut` is a direct call of a
    /// byte-stream operation that is not cancellation safe (a partial read or write: the stream
    /// is out of step afterwards), or of an async fn of the same file whose first await is
    /// one, and the loop may go round again after the timeout: the `Elapsed` is not propagated
    /// with `?`, and the `Err` arm of a `match` on the result (also on a binding matched later
    /// in the block) or the `else` of `let Ok(..) = .. else` does not end in `break` or
    /// `return`. A lock, permit or `send` given up on a timeout is not reported: giving up is
    /// what that timeout is for. Not yet: timeouts written in sync closures.
    ///
    /// A method call is taken for an async fn of the same file by its name, but not when it
    /// passes another number of arguments (Rust has no overloading): `sel.next()` on a stream
    /// is not a `next(&mut self, header)` that reads a frame (on ten labelled field sets, one
    /// finding labelled wrong).
    ///
    /// Helpers in other files of the package (or a workspace member it depends on) count as
    /// those of the same file do, through the crate index's resolved calls: the notes give the
    /// helper's first await with its file and line.
    ///
    /// ## Example
    /// ```rust,ignore
    /// loop {
    ///     tokio::select! {
    ///         r = socket.read_exact(&mut header) => handle(r?, &header).await,
    ///         _ = shutdown.recv() => break,
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// // Frames come from a cancel-safe source: a reader task sends whole frames on a channel
    /// // (`recv` is cancel safe), or a `FramedRead`'s `next()`.
    /// loop {
    ///     tokio::select! {
    ///         Some(frame) = frames.recv() => handle(frame).await,
    ///         _ = shutdown.recv() => break,
    ///     }
    /// }
    /// ```
    pub SELECT_CANCEL_UNSAFE, "select_cancel_unsafe", Group::Suspicious, Level::Warn, check
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    let ir = &model.ir;
    if ir.selects.is_empty() && !ir.timeouts.iter().any(|t| t.in_loop.is_some()) {
        return;
    }
    let helpers = unsafe_helpers(model);
    // A `timeout(d, fut)` that is itself a branch of a `select!` in a loop: the `select!`
    // drops `fut` whenever another branch wins, which is what the finding says (and whether
    // the timeout's own expiry goes round again too).
    let timeout_branches: HashMap<Loc, &crate::model::ir::TimeoutSite> = ir
        .timeouts
        .iter()
        .filter(|t| t.call.is_some())
        .filter(|t| {
            ir.selects.iter().any(|site| {
                site.in_loop.is_some()
                    && !site.then_leaves_loop
                    && site
                        .branches
                        .iter()
                        .any(|b| matches!(&b.future, BranchFuture::Call(c) if c.loc == t.loc))
            })
        })
        .map(|t| (t.loc, t))
        .collect();
    check_timeouts(model, &helpers, &timeout_branches, sink);
    for site in &ir.selects {
        // Run at most once per loop (the iteration always leaves after it): nothing is made
        // again, as if it were not in a loop.
        let Some(loop_loc) = site.in_loop.filter(|_| !site.then_leaves_loop) else {
            continue;
        };
        for (i, branch) in site.branches.iter().enumerate() {
            let BranchFuture::Call(outer) = &branch.future else {
                continue;
            };
            let timeout = timeout_branches.get(&outer.loc);
            let call = timeout.and_then(|t| t.call.as_ref()).unwrap_or(outer);
            // Its expiry goes round again as well: say so.
            let or_expiry = if timeout.is_some_and(|t| !t.leaves_loop_on_elapsed) {
                " or its timeout runs out"
            } else {
                ""
            };
            let row = direct_row(model, call).filter(|row| {
                // `_ = sem.acquire()` drops the permit (or guard) the moment the branch wins:
                // the branch waits for the semaphore or lock to open, as a signal, and holds
                // no turn that matters once it is recreated.
                let queue_only = row.loses_only_queue_place();
                let signal_only = branch.discards_output && queue_only;
                !signal_only
                    && !abandoned_with_loop(ir, site, i, call, queue_only, row.drops_stream_bytes())
                    && !replaced_by_others(ir, site, i, call)
            });

            if let Some(row) = row {
                let mut d = super::diagnostic(
                    &SELECT_CANCEL_UNSAFE,
                    model,
                    call.loc,
                    format!(
                        "`{}` is not cancellation safe, and this `select!` drops it whenever another branch wins{or_expiry}",
                        call.name
                    ),
                    &help(row),
                );
                d.notes.push(super::note(
                    model,
                    loop_loc,
                    format!(
                        "the loop creates a new `{}` future each time round: {}",
                        call.name, row.loses
                    ),
                ));
                sink.diagnostics.push(d);
            } else if let Some((inner, row)) = helper_of(call, &helpers)
                && !abandoned_with_loop(ir, site, i, call, false, row.drops_stream_bytes())
                && !replaced_by_others(ir, site, i, call)
            {
                sink.diagnostics.push(raced_helper(
                    model,
                    call,
                    (inner, row),
                    &format!("`select!` drops it whenever another branch wins{or_expiry}"),
                    (
                        loop_loc,
                        format!(
                            "the loop creates a new `{}` future each time round",
                            call.name
                        ),
                    ),
                ));
            }
        }
    }
}

/// Is the future of branch `i` dropped only when the loop around the `select!` ends, so that
/// it is never made again? Every other branch leaves the loop when it wins (see
/// [`SelectSite::others_leave_loop`]). For a lock or permit request (`queue_only`) that is
/// enough, whoever else shares the lock: the request is given up for good, not made again
/// behind the waiters that queued after it, and a later call queues afresh like any caller.
/// For a partial read or write, every place the call mentions must also be a `let` of this
/// body (not `self`, not a parameter: a stream the caller shares and reads on) that no
/// statement after the loop mentions: the half-read data is lost with the stream. When the
/// call only loses stream bytes (`stream`), a parameter the fn takes by value counts as its
/// own too: the stream is dropped when the fn returns. (A by-value channel sender is still a
/// handle to a channel others share.) A branch under its own `timeout` must leave the loop
/// when the time runs out as well.
pub(crate) fn abandoned_with_loop(
    ir: &crate::model::ir::Ir,
    site: &SelectSite,
    i: usize,
    call: &CallSite,
    queue_only: bool,
    stream: bool,
) -> bool {
    if !site.others_leave_loop(i) {
        return false;
    }
    // A branch raced by its own `timeout` goes round again when the time runs out unless its
    // handler leaves then too: the future would be made again.
    let branch_timeout = site.branches.get(i).and_then(|b| match &b.future {
        BranchFuture::Call(c) => ir.timeouts.iter().find(|t| t.loc == c.loc),
        _ => None,
    });
    if branch_timeout.is_some_and(|t| !t.leaves_loop_on_elapsed) {
        return false;
    }
    if queue_only {
        return true;
    }
    let mut places: Vec<&str> = call.uses.iter().map(String::as_str).collect();
    places.extend(call.receiver.as_deref());
    places.extend(call.mut_args.iter().map(String::as_str));
    !places.is_empty()
        && places.iter().all(|p| {
            (ir.bound_locally(site.body, p) || stream && ir.owned_param(site.body, p))
                && !ir.used_after_loop(site, p)
        })
}

/// Is the stream (or lock) branch `i`'s call works on given a new value by every other branch
/// that wins, except where that branch leaves every loop around the `select!`
/// ([`SelectBranch::replaces`](crate::model::ir::SelectBranch::replaces))? Then what the dropped
/// future had half done is dropped with the old value. Where a branch leaves the loops instead,
/// the old value must be one the body owns (a `let` of it, or moved into an `async move`
/// block) that no statement after the outermost loop mentions, as for
/// [`abandoned_with_loop`].
fn replaced_by_others(
    ir: &crate::model::ir::Ir,
    site: &SelectSite,
    i: usize,
    call: &CallSite,
) -> bool {
    // The stream is a method's receiver (`conn.read_exact(&mut buf)`: the buffer is filled
    // afresh by the next read), or what a helper function is lent (`read_frame(&mut conn)`).
    let places: Vec<&str> = match &call.receiver {
        Some(r) => vec![r.as_str()],
        None => call.mut_args.iter().map(String::as_str).collect(),
    };
    !places.is_empty()
        && site.branches.len() > 1
        && site.branches.iter().enumerate().all(|(j, b)| {
            j == i
                || places
                    .iter()
                    .all(|p| b.replaces.iter().any(|r| r.as_str() == *p))
        })
        && places
            .iter()
            .all(|p| ir.owned_by(site.body, p) && !ir.used_after_outer_loop(site, p))
}

/// The timeout form: a `timeout(d, fut)` (or `fut.timeout(d)`) in a loop that may go round
/// again when the time runs out, whose `fut` is a direct call of a byte-stream operation that
/// is not cancellation safe, or of an async fn of this file whose first await is one. A
/// timeout races its future against a timer as a two-branch `select!` does, and drops it in
/// the same way.
fn check_timeouts(
    model: &FileModel<'_>,
    helpers: &HashMap<&str, Option<Helper<'_>>>,
    select_branches: &HashMap<Loc, &crate::model::ir::TimeoutSite>,
    sink: &mut Sink,
) {
    for site in &model.ir.timeouts {
        let (Some(loop_loc), Some(call)) = (site.in_loop, &site.call) else {
            continue;
        };
        // A `select!` branch: judged with its `select!`, which drops the future too.
        if site.leaves_loop_on_elapsed || select_branches.contains_key(&site.loc) {
            continue;
        }
        let what = if site.path.starts_with('.') {
            format!("`{}`", &site.path[1..])
        } else {
            "`timeout`".to_string()
        };
        if let Some(row) = direct_row(model, call).filter(|row| row.drops_stream_bytes()) {
            let mut d = super::diagnostic(
                &SELECT_CANCEL_UNSAFE,
                model,
                call.loc,
                format!(
                    "`{}` is not cancellation safe, and this {what} drops it whenever the time runs out",
                    call.name
                ),
                &help(row),
            );
            d.notes.push(super::note(
                model,
                loop_loc,
                format!(
                    "the loop goes round again after a timeout and starts a new `{}`: {}",
                    call.name, row.loses
                ),
            ));
            sink.diagnostics.push(d);
        } else if let Some((inner, row)) =
            helper_of(call, helpers).filter(|(_, row)| row.drops_stream_bytes())
        {
            sink.diagnostics.push(raced_helper(
                model,
                call,
                (inner, row),
                &format!("{what} drops it whenever the time runs out"),
                (
                    loop_loc,
                    format!(
                        "the loop goes round again after a timeout and starts a new `{}`",
                        call.name
                    ),
                ),
            ));
        }
    }
}

/// A raced call of a same-file async fn whose first await (`inner`) is not cancellation safe:
/// the finding at the call, a note at that first await and one at the loop.
fn raced_helper(
    model: &FileModel<'_>,
    call: &CallSite,
    (inner, row): (Loc, &CancelUnsafe),
    dropped: &str,
    (loop_loc, loop_note): (Loc, String),
) -> Diagnostic {
    let mut d = super::diagnostic(
        &SELECT_CANCEL_UNSAFE,
        model,
        call.loc,
        format!(
            "`{}` starts with `{}`, which is not cancellation safe, and this {dropped}",
            call.name, row.method
        ),
        &help(row),
    );
    d.notes.push(super::note(
        model,
        inner,
        format!("its first await, `{}` ({})", row.method, row.source),
    ));
    d.notes.push(super::note(model, loop_loc, loop_note));
    d
}

fn help(row: &CancelUnsafe) -> String {
    format!(
        "`{}` is documented as not cancellation safe: create the future once before the loop and poll it as `&mut fut` (pinned with `tokio::pin!`), or move the operation into its own task that sends complete results over a channel (`recv` is cancel safe)",
        row.source
    )
}

fn direct_row<'k>(model: &'k FileModel<'_>, call: &CallSite) -> Option<&'k CancelUnsafe> {
    call.cancel_unsafe_row(&model.knowledge)
}

/// An async fn of this file whose first await is not cancellation safe: that call's location
/// and row, and how many arguments a method call of it passes.
type Helper<'k> = (Loc, &'k CancelUnsafe, usize);

/// Async fns of this file whose first await point awaits a call that is not cancellation safe
/// and loses data (losing a queue position inside a helper is left out: the helper's caller
/// rarely depends on the order), by name.
fn unsafe_helpers<'k>(model: &'k FileModel<'_>) -> HashMap<&'k str, Option<Helper<'k>>> {
    let ir = &model.ir;
    let mut out: HashMap<&str, Option<Helper<'k>>> = HashMap::new();
    for body in &ir.bodies {
        if body.kind != crate::model::ir::BodyKind::AsyncFn {
            continue;
        }
        let Some(item) = body.fn_item.and_then(|i| model.fn_items.get(i)) else {
            continue;
        };
        let name = item.path.rsplit("::").next().unwrap_or(&item.path);
        let verdict = body
            .awaits
            .first()
            .and_then(|&w| match &ir.awaits[w].awaited {
                Awaited::Call(c) => direct_row(model, c)
                    .filter(|row| !row.loses.contains("queue"))
                    .map(|row| (c.loc, row, item.arity)),
                _ => None,
            });
        // Two fns of the same name in one file: not known which one a call means.
        out.entry(name).and_modify(|v| *v = None).or_insert(verdict);
    }
    out
}

/// The helper `call` calls, if it is one of `helpers`. A method call passing another number of
/// arguments than the helper takes is some other type's method of that name
/// (`StreamExt::next()` on a stream beside a helper `next(&mut self, buf)`).
fn helper_of<'k>(
    call: &CallSite,
    helpers: &HashMap<&str, Option<Helper<'k>>>,
) -> Option<(Loc, &'k CancelUnsafe)> {
    let known_here = match &call.callee {
        // `read_frame(&mut s)`, `Self::read_frame(..)`, `conn::read_frame(..)`: a function of
        // this crate.
        Callee::Path(p) => p.starts_with("crate::"),
        // `self.read_frame()`, `conn.read_frame()`: a method named like one of this file.
        Callee::Method { .. } => true,
        _ => false,
    };
    if !known_here {
        return None;
    }
    let (at, row, arity) = helpers.get(call.name.as_str()).copied().flatten()?;
    let method = matches!(call.callee, Callee::Method { .. });
    (!method || call.args == arity).then_some((at, row))
}

/// The cross-file helpers: a loop's `select!` branch or retried `timeout` calling an async fn
/// of another file whose first await is not cancellation safe (see
/// [`CrateIndex::raced_helpers`]).
pub(super) fn check_crate(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    for raced in index.raced_helpers() {
        let first = &raced.first_await;
        let (dropper, when) = if raced.timeout {
            ("`timeout`", "whenever the time runs out")
        } else {
            ("`select!`", "whenever another branch wins")
        };
        out.push(Diagnostic {
            rule: SELECT_CANCEL_UNSAFE.name,
            // Levels are applied to every finding after the crate pass.
            severity: Severity::Warning,
            form: Form::Default,
            path: raced.path,
            span: raced.span,
            message: format!(
                "`{}` starts with `{}`, which is not cancellation safe, and this {dropper} drops it {when}",
                raced.callee, first.method
            ),
            help: Some(format!(
                "`{}` is documented as not cancellation safe: create the future once before the loop and poll it as `&mut fut` (pinned with `tokio::pin!`), or move the operation into its own task that sends complete results over a channel (`recv` is cancel safe)",
                first.source
            )),
            notes: vec![
                Note::in_file(
                    &raced.callee_path,
                    first.span,
                    format!("its first await, `{}` ({})", first.method, first.source),
                ),
                Note::text(format!(
                    "the loop at line {} creates a new `{}` future each time round",
                    raced.loop_line, raced.callee
                )),
            ],
            fix: None,
            function: Some(raced.enclosing),
            through: None,
            marks: Default::default(),
        });
    }
}
