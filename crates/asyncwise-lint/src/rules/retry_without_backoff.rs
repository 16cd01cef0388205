use crate::facts::Sink;
use crate::knowledge::Knowledge;
use crate::levels::{Group, Level};
use crate::model::loops::{AwaitedCall, LoopAwait, LoopFact, LoopKind, Outcome};
use crate::model::{FileModel, FnItem};

crate::declare_rule! {
    /// ## What it does
    /// Finds retry loops with nothing between the attempts: a `loop` or `while` loop of an async
    /// body that awaits a fallible call, leaves the loop when it succeeds, and on a failure
    /// goes round again with no delay (`sleep`, `Timer::after`, an interval `tick`, a backoff)
    /// anywhere in the loop and no bound on the attempts (a counter changed in the loop and
    /// compared with a limit, a deadline or elapsed time compared, a list of candidates the
    /// loop takes the failed one out of (`retain`, `remove`, `pop`) and stops on when it is empty:
    /// a failover tries each candidate once; the same with a bit set of candidates cleared bit by
    /// bit (`mask &= !bit`, `mask ^= bit`) and compared with zero, or a candidate taken by
    /// `let Some(c) = candidates.pop() else { .. }`; a one-shot flag, set to one value only in the
    /// loop and tested where the code it guards leaves the loop or sets it (`Err(e) if !retried
    /// => { retried = true; continue }`, `if retried { return Err(e) } retried = true;`): it
    /// allows one retry). A `timeout` around another future of the iteration
    /// (`if timeout(delay, shutdown.recv()).await.is_ok() { break }`) waits up to `delay` before
    /// the loop goes round: a delay, not an immediate retry.
    /// Reported at the awaited fallible call that is retried.
    ///
    /// The failure path is read from the code that examines the result: `match` arms on
    /// `Ok`/`Err` (`Err(e) if transient(&e) => continue` counts), `if let`, `while let`,
    /// `let .. else`, `.is_ok()`/`.is_err()`, also through `let r = call.await;` examined by the
    /// next statement. When a guarded `Ok` arm leaves the loop (`Ok(r) if r.status().is_success()
    /// => break`), an `Ok` arm after it that only reports the rejected result (a log line,
    /// perhaps `continue`) is a failure path too; one that uses the value, or skips it without a
    /// word (a read loop scanning for a header), is processing. A loop whose iteration takes the
    /// next item from a source that runs out moves on to new input when it goes round rather
    /// than retrying: a `while let` over items (`while let Some(x) = it.next()`), or a `loop`
    /// whose body takes it in a statement that leaves once none is left (`let Some(entry) =
    /// dir.next_entry().await? else { break };`, `let job = match queue.pop_front() { Some(j)
    /// => j, None => return };`, a `match` on `stream.next().await` with a `None` arm that
    /// leaves). Only the call that hands out the item can be retried there (a `match` on
    /// `next_entry().await` whose temporary-error arm `continue`s asks the listing again). A
    /// `while` over a collection's emptiness that hands the collection `&mut` to a call
    /// (`while !variants.is_empty() { let v = sample(&mut variants)?; .. }`) uses up a
    /// candidate each round the same way: nothing else can take items out. Receive loops (`while let Some(m) = rx.recv().await`), accept loops, loops
    /// that `break`, `return` or `?` on an error, loops whose success path goes round again
    /// (processing loops) and `for` loops over a range are not retries. tokio's, async-std's and
    /// smol's timers count as delays, and so do a crate's own helpers named after one
    /// (`backoff`, `sleep`, `delay`). The pacing may live one call down: when the retried call
    /// is an async fn or method of the same file whose own body sleeps, backs off or compares
    /// an attempt counter with a limit (`self.try_connect().await` where `try_connect` sleeps
    /// `reconnect_delay(attempts)` and returns once `attempts > max`), the loop is paced by it.
    /// Callees in other files are not looked into yet.
    ///
    /// A loop that does wait may still spin on failures: a periodic poll whose delay sits at
    /// the end of the body, after the call, and whose `Err` arm logs and `continue`s back to
    /// the head skips the delay exactly when the call fails (a database that is down is asked
    /// again at once, round after round). That is reported too when the call is the first
    /// await of the iteration (an earlier `recv` or `pop` may be what paces it) and nothing
    /// before it in the iteration, nor the `Err` arm itself, waits or bounds the attempts.
    ///
    /// A `timeout` around the retried call is no pacing: it bounds how long one attempt may
    /// take, it does not delay the next, and a failure that comes back at once (a refused
    /// connection) goes round at once. Its nested result is read through the outer `Ok`:
    /// `Ok(Ok(..))` is the attempt's success, `Ok(Err(..))` and `Err(Elapsed)` its failures
    /// (the same for a task's `Result<Result<..>, JoinError>`).
    ///
    /// The rule is in the `pedantic` group (off by default; `--select pedantic` or
    /// `-W retry_without_backoff` turns it on): on 18 real repositories and the local cargo
    /// registry every retry loop it found was deliberate (an immediate retry after a pool
    /// checkout race, a benchmark waiting for its server), while real retry loops there already
    /// sleep or back off.
    ///
    /// A loop whose body asks a person for input (reads stdin, shows a `dialoguer` or
    /// `inquire` prompt: the prompt table `blocking_in_async` uses for interactive paths) is
    /// not retried at once: each attempt waits for the answer (a login retried after the user
    /// types the password again).
    ///
    /// ## Why is this bad
    /// A failure that comes back at once (connection refused, a full queue, a lock held
    /// elsewhere) turns the loop into a spin: it burns a core, floods the log with one line per
    /// attempt, and hammers the service that is already failing, which makes recovery slower.
    ///
    /// ## Example
    /// ```rust,ignore
    /// let stream = loop {
    ///     match TcpStream::connect(addr).await {
    ///         Ok(stream) => break stream,
    ///         Err(e) => tracing::warn!("connect failed: {e}, retrying"),
    ///     }
    /// };
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// let policy = asyncwise::RetryPolicy::exponential(Duration::from_millis(100))
    ///     .max_delay(Duration::from_secs(10))
    ///     .max_attempts(8);
    /// let stream = asyncwise::retry(policy, || TcpStream::connect(addr)).await?;
    /// ```
    pub RETRY_WITHOUT_BACKOFF, "retry_without_backoff", Group::Pedantic, Level::Allow, check
}

/// Awaited calls whose loop is not a retry loop even when it goes round on an error.
fn not_a_retry(a: &LoopAwait, knowledge: &Knowledge) -> bool {
    let name = a.call.name.as_str();
    knowledge.is_accept_method(name)
        || matches!(
            name,
            "recv" | "next" | "try_next" | "recv_async" | "changed" | "tick"
        )
}

/// Whether `call` reaches an async fn of this file whose own body waits or bounds attempts:
/// a function by its resolved path, a method by its name among the file's async methods.
fn paced_callee(model: &FileModel<'_>, call: &AwaitedCall) -> bool {
    let paced = |item: &FnItem| {
        model
            .paced_bodies
            .iter()
            .any(|b| b.start == item.body.start)
    };
    model.fn_items.iter().filter(|f| f.is_async).any(|f| {
        let matches = match &call.path {
            Some(path) => f.path == *path,
            None => f.self_ty.is_some() && f.path.rsplit("::").next() == Some(call.name.as_str()),
        };
        matches && paced(f)
    })
}

/// Whether another awaited call of the iteration is a `timeout` around some future
/// (`timeout(delay, shutdown.recv())`, `signal.changed().timeout(delay)`): the loop waits up to
/// that long (less only if the future completes first) before it goes round, a delay between
/// attempts. A `timeout` around the retried call itself bounds one attempt instead.
fn waits_on_timeout(l: &LoopFact, retried: &LoopAwait) -> bool {
    l.awaits
        .iter()
        .any(|b| !b.nested && b.call.raced.is_some() && b.call.loc != retried.call.loc)
}

/// A `timeout` around a wait for a signal (`timeout(delay, shutdown.recv())`): running out of
/// time is its normal outcome, and the signal is the way out. The loop waits there; it does not
/// retry it.
fn waits_for_signal(a: &LoopAwait) -> bool {
    a.call
        .raced
        .as_deref()
        .is_some_and(|raced| crate::knowledge::awaits::EVENT_WAITS.contains(&raced))
}

/// Whether the loop's body asks a person for input (a stdin read, a `dialoguer`/`inquire`
/// prompt: `knowledge::quiet_paths::waits_for_user`), in any context (also offloaded): the
/// next attempt waits for that answer, not an immediate retry.
fn waits_for_user(model: &FileModel<'_>, l: &LoopFact) -> bool {
    model.calls.iter().any(|c| {
        l.body.start <= c.loc.start
            && c.loc.end <= l.body.end
            && crate::knowledge::quiet_paths::waits_for_user(&c.callee)
    })
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    for l in &model.loops {
        if l.kind == LoopKind::For || l.attempt_bound.is_some() || waits_for_user(model, l) {
            continue;
        }
        if l.awaits
            .iter()
            .filter(|a| !a.nested)
            .any(|a| not_a_retry(a, &model.knowledge))
        {
            continue;
        }
        let found = if l.delays.is_empty() {
            // A `while let Some(item) = items.next()` loop, or a `loop` that starts with
            // `let Some(item) = items.next() else { break }`, moves on to the next item on a
            // failure rather than retrying: only the call that hands out the item can be retried.
            l.awaits.iter().find(|a| {
                !a.nested
                    && (l.kind != LoopKind::WhileLet || a.in_header)
                    && l.next_item.is_none_or(|source| {
                        source.start <= a.call.loc.start && a.call.loc.end <= source.end
                    })
                    && a.on_error == Outcome::GoesRound
                    && matches!(a.on_success, Outcome::Leaves | Outcome::Propagates)
                    && !paced_callee(model, &a.call)
                    && !waits_on_timeout(l, a)
                    && !waits_for_signal(a)
            })
        } else {
            // The loop waits, but only on the success path: the failure `continue`s past the
            // delay back to the same call (a periodic poll whose `Err` arm skips the sleep).
            l.fails_past_delays.and_then(|call| {
                l.awaits.iter().find(|a| {
                    !a.nested
                        && a.call.loc == call
                        && a.on_error == Outcome::GoesRound
                        && !paced_callee(model, &a.call)
                })
            })
        };
        let Some(a) = found else {
            continue;
        };
        let why = if l.delays.is_empty() {
            format!(
                "the {} has no delay and no attempt limit",
                l.kind.describe()
            )
        } else {
            format!(
                "its failure path `continue`s past the {}'s delay, which only the success path reaches",
                l.kind.describe()
            )
        };
        let mut d = super::diagnostic(
            &RETRY_WITHOUT_BACKOFF,
            model,
            a.call.loc,
            format!("`{}` is retried at once when it fails: {why}", a.call.name),
            "wait between attempts and cap them: `asyncwise::retry(RetryPolicy::exponential(..).max_attempts(n), || ..)`, or a backoff crate (`backon`, `backoff`), or at least `tokio::time::sleep` with an attempt counter",
        );
        d.notes.push(super::note(
            model,
            l.loc,
            format!("on a failure this {} goes round again", l.kind.describe()),
        ));
        sink.diagnostics.push(d);
    }
}
