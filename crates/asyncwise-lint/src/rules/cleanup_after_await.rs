use crate::facts::Sink;
use crate::knowledge::cleanup_pairs::argument_fits;
use crate::levels::{Group, Level};
use crate::model::FileModel;
use crate::model::loops::StateCall;

crate::declare_rule! {
    /// ## What it does
    /// Finds state entered and left again around an `.await` by plain statements of one async
    /// body — a counter raised and lowered (`fetch_add`/`fetch_sub`, gauges'
    /// `increment`/`decrement` and `inc`/`dec`), a flag set and cleared (`set(true)`/`set(false)`,
    /// `store(true, ..)`/`store(false, ..)`) on the same receiver — with no `Drop` guard to leave
    /// it when the future is cancelled.
    ///
    /// A crate's own helpers named as a pair count too (`metrics::inc_connections()` /
    /// `metrics::dec_connections()`, `request_start()` / `request_end()`).
    ///
    /// Pairs are matched on the receiver (or helper module) as written (`self.active`), at any
    /// block depth of one async body, in source order, with an `.await` between them; the
    /// nearest entering call before the leaving one counts. A leaving call inside a closure
    /// (`scopeguard::guard`), a macro (`defer!`) or a `Drop` impl is a guard and is not
    /// reported, nor is a pair with no await between the two calls. The pairs are data
    /// (`knowledge/cleanup_pairs.rs`).
    ///
    /// Nor is a latch, entered and left each behind a check of its own value
    /// (`if busy.load(..) == 0 { busy.fetch_add(1, ..) }` ... `if busy.load(..) == 1 {
    /// busy.fetch_sub(1, ..) }`): such a barrier is shared by every caller and reset by
    /// whichever one sees it held, not by the scope that raised it, so a `Drop` guard in that
    /// scope would be wrong. A pair with only one of the two calls behind such a check is
    /// reported.
    ///
    /// Nor is the body of a task spawned straight from an async block whose handle is
    /// discarded (`tokio::spawn(async move { .. });`): nothing can cancel such a task while the
    /// runtime runs. A task whose handle is kept (it may be aborted), one in a `JoinSet`, and
    /// an async block nested inside the task (a `timeout` or `select!` may drop it) are
    /// reported.
    ///
    /// Two forms are reported by default:
    ///
    /// - **Early exit**: a `?` or `return` of the same body between the entering and the
    ///   leaving call (outside closures and macros). It leaves the state entered on every
    ///   error, cancelled or not. Reported at the early exit.
    /// - **Cancellation**: only an `.await` between the two calls. Reported by default only
    ///   when the file shows the body can be dropped mid-await: it is an async block polled
    ///   inside a `select!` or `timeout(..)`, or a task whose handle is kept (it can be
    ///   aborted) or one of a `JoinSet`; or its fn is called inside a `select!` or
    ///   `timeout(..)` of the same file, is a request handler (a server may drop a
    ///   handler's future before it completes, for instance when it shuts a connection
    ///   down), or is declared plain `pub` (a
    ///   library's callers may cancel it).
    ///
    /// ## Pedantic form
    /// The cancellation form in a body the file gives no sign of ever being cancelled (a
    /// private fn run to completion by a per-connection task nobody aborts): the state leaks
    /// only at process exit or if a caller in another file drops the future.
    ///
    /// Not done yet: callers in other
    /// files are not followed yet (the crate index's call graph is not consulted), nor are
    /// `abort()` calls on a kept handle checked: a kept handle counts as abortable.
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

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    let knowledge = &model.knowledge;
    for seq in &model.sequences {
        if runs_detached(model, seq) {
            continue;
        }
        for (i, exit) in seq.calls.iter().enumerate() {
            for (enter_name, arguments, what) in
                knowledge.cleanup_entered_by(&exit.method, exit.first_arg.as_deref())
            {
                let same = |c: &StateCall| c.receiver == exit.receiver;
                let enters = |c: &StateCall| {
                    same(c)
                        && c.method == enter_name
                        && argument_fits(arguments, true, c.first_arg.as_deref())
                };
                let leaves = |c: &StateCall| {
                    same(c) && c.method == exit.method && c.first_arg == exit.first_arg
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
                // A latch: entered only when a read of it says it is free and left only when
                // a read says it is held (`if busy.load(..) == 0 { busy.fetch_add(..) }`).
                // Whichever caller sees it held resets it; it is not this body's scope.
                if enter.checked && exit.checked {
                    continue;
                }
                // A `?` or `return` between the two leaves the state entered on every error,
                // cancelled or not: reported whether or not the body can be cancelled.
                if let Some(early) = seq
                    .early_exits
                    .iter()
                    .find(|x| x.start > enter.loc.end && x.end < exit.loc.start)
                {
                    let mut d = super::diagnostic(
                        &CLEANUP_AFTER_AWAIT,
                        model,
                        *early,
                        format!(
                            "this early exit skips `{}` after `{}`: the {what} stays entered",
                            exit.method, enter.method
                        ),
                        "leave the state in a `Drop` guard created right after entering it (e.g. `scopeguard::defer! { .. }`), so it runs on every exit, error and cancellation alike",
                    );
                    d.notes.push(super::note(
                        model,
                        enter.loc,
                        format!("the {what} is entered here"),
                    ));
                    d.notes.push(super::note(
                        model,
                        exit.loc,
                        "and left here, only on the path that reaches this line",
                    ));
                    sink.diagnostics.push(d);
                    break;
                }
                let Some(await_loc) = seq
                    .awaits
                    .iter()
                    .find(|a| a.start > enter.loc.end && a.end < exit.loc.start)
                else {
                    continue;
                };
                let message = format!(
                    "`{}` is skipped if the future is cancelled at an `.await` after `{}`",
                    exit.method, enter.method
                );
                let help = "leave the state in a `Drop` guard created right after entering it (e.g. `let _guard = scopeguard::guard((), |_| { .. })`), so it runs however the future ends";
                let evidence = cancellation_evidence(model, seq);
                let mut d = match evidence {
                    Some(_) => {
                        super::diagnostic(&CLEANUP_AFTER_AWAIT, model, exit.loc, message, help)
                    }
                    None => super::pedantic(&CLEANUP_AFTER_AWAIT, model, exit.loc, message, help),
                };
                if let Some(why) = evidence {
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
                    *await_loc,
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

/// Why the body can be dropped mid-await, if the file shows it: the cancellation form of the
/// rule needs a future that is actually dropped before it ends.
fn cancellation_evidence(
    model: &FileModel<'_>,
    seq: &crate::model::loops::SequenceFact,
) -> Option<&'static str> {
    let body = model.span(seq.body);
    let regions = cancelling_regions(model.source);
    let inside =
        |start: usize, end: usize| regions.iter().any(|&(from, to)| from <= start && end <= to);
    // An async block polled right inside a `select!` or a `timeout(..)`.
    if inside(body.byte_start, body.byte_end) {
        return Some("it is polled inside a `select!` or a `timeout(..)`");
    }
    // The body is a task whose handle is kept (it can be aborted) or one of a `JoinSet`.
    let in_spawn = model.spawns.iter().any(|spawn| {
        let call = model.span(spawn.loc);
        call.byte_start <= body.byte_start
            && body.byte_end <= call.byte_end
            && (!spawn.discarded || spawn.owned)
    });
    if in_spawn {
        return Some("it runs in a task whose handle is kept, so it can be aborted");
    }
    let handler_closure = model.per_event.regions.iter().any(|(region, why)| {
        let r = model.span(*region);
        *why == crate::model::analysis::per_event::Why::HandlerClosure
            && r.byte_start <= body.byte_start
            && body.byte_end <= r.byte_end
    });
    if handler_closure {
        return Some("it is a request handler, dropped when the client goes away");
    }
    // The innermost fn around the body.
    let item = model
        .fn_items
        .iter()
        .filter(|f| {
            let b = model.span(f.body);
            b.byte_start <= body.byte_start && body.byte_end <= b.byte_end
        })
        .max_by_key(|f| model.span(f.body).byte_start)?;
    let name = item.path.rsplit("::").next().unwrap_or(&item.path);
    if model.per_event.handlers.contains(&item.loc)
        || model
            .per_event
            .registered
            .iter()
            .any(|(_, path)| path.rsplit("::").next() == Some(name))
    {
        return Some("it is a request handler, dropped when the client goes away");
    }
    let called_inside = regions.iter().any(|&(from, to)| {
        model
            .source
            .get(from..to)
            .is_some_and(|text| calls_name(text, name))
    });
    if called_inside {
        return Some("its fn is called inside a `select!` or a `timeout(..)` of this file");
    }
    if is_plain_pub(model, item) {
        return Some("it is a `pub` async fn, whose callers may drop it");
    }
    None
}

/// Byte ranges of the bracketed arguments of `select!` macros and `timeout(..)` calls: what
/// is polled there is dropped when another branch wins or the time runs out.
fn cancelling_regions(source: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for marker in ["select!", "timeout("] {
        for (at, _) in source.match_indices(marker) {
            let rest = &source[at + marker.len() - usize::from(marker.ends_with('('))..];
            let Some(open) = rest.find(['(', '{', '[']) else {
                continue;
            };
            let start = at + marker.len() - usize::from(marker.ends_with('(')) + open;
            let mut depth = 0usize;
            for (i, c) in source[start..].char_indices() {
                match c {
                    '(' | '{' | '[' => depth += 1,
                    ')' | '}' | ']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            out.push((start, start + i + 1));
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Does `text` call `name` (`name(`, `.name(`), not a longer identifier ending in it?
fn calls_name(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].trim_start().chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after == Some('(')
    })
}

/// Is the fn declared plain `pub` (not `pub(crate)`): a library's callers may cancel it.
fn is_plain_pub(model: &FileModel<'_>, item: &crate::model::FnItem) -> bool {
    let name = model.span(item.loc);
    let line_start = model.source[..name.byte_start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    model
        .source
        .get(line_start..name.byte_start)
        .is_some_and(|head| head.trim_start().starts_with("pub "))
}
