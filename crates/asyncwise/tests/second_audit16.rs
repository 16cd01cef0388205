//! Session 16's second audit: the promises of `retry`, the breaker, the batcher, the pipeline,
//! signals and `TaskGroup`/`Shutdown` outside the supervisor, tried by a hostile caller who
//! reads only the docs. Where earlier tests cut a future at one instant, these cut it at every
//! instant of its run that paused time can reach (every quarter second), then check what the
//! docs promise about what is left. Time is paused; nothing is asserted about how long anything
//! took except where the docs promise an instant on the virtual clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{BoxError, Shutdown, Signal, TaskError, TaskGroup, Trigger};
use tokio::time::{Instant, sleep, timeout};

/// Every quarter second from 0 to `until`, the instants at which a future is cut.
fn cuts(until: Duration) -> impl Iterator<Item = Duration> {
    let step = Duration::from_millis(250);
    (0..)
        .map(move |n| step * n)
        .take_while(move |cut| *cut <= until)
}

/// A hang turned into a failure: paused time jumps to this at once when nothing else is due.
const HANG: Duration = Duration::from_secs(3_600);

/// Counts the futures of a kind alive right now: one more while a guard lives.
#[derive(Clone, Default)]
struct Alive(Arc<AtomicUsize>);

struct AliveGuard(Arc<AtomicUsize>);

impl Alive {
    fn guard(&self) -> AliveGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        AliveGuard(Arc::clone(&self.0))
    }

    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

mod task_group {
    use super::*;

    /// Values at 1 s and 2 s, a failure at 3 s, and a task that answers its cancellation
    /// after 1 s with a value (pending until then), in a group with a 5 s grace.
    fn failing_group() -> TaskGroup<Result<u32, BoxError>> {
        let mut group = TaskGroup::new().with_grace(Duration::from_secs(5));
        for (name, secs) in [("one", 1), ("two", 2)] {
            group
                .spawn(name, async move {
                    sleep(Duration::from_secs(secs)).await;
                    Ok(u32::try_from(secs).unwrap_or(0))
                })
                .expect("open group");
        }
        group
            .spawn("broken", async {
                sleep(Duration::from_secs(3)).await;
                Err::<u32, BoxError>("bad input".into())
            })
            .expect("open group");
        let token = group.cancellation_token();
        group
            .spawn("polite", async move {
                token.cancelled().await;
                sleep(Duration::from_secs(1)).await;
                Ok(4)
            })
            .expect("open group");
        group
    }

    /// `try_join_all`, "Cancel safety": "results it had taken when its future is dropped
    /// (values and the failure) stay in the group; the next `try_join_all` (or join) returns
    /// them." Cut at every instant (before the failure, while it waits for `polite` in the
    /// grace after the failure, after everything ended): the next call returns the failure,
    /// never a success and never a hang, and the group is empty after it.
    #[tokio::test(start_paused = true)]
    async fn a_try_join_all_cut_at_any_instant_leaves_its_failure_to_the_next() {
        for cut in cuts(Duration::from_secs(5)) {
            let mut group = failing_group();
            let first = timeout(cut, group.try_join_all()).await;
            let outcome = match first {
                Ok(outcome) => outcome,
                Err(_) => timeout(HANG, group.try_join_all())
                    .await
                    .unwrap_or_else(|_| panic!("cut at {cut:?}: the next try_join_all hung")),
            };
            match outcome {
                Err(TaskError::Failed { name, source }) => {
                    assert_eq!(name.as_ref(), "broken", "cut at {cut:?}");
                    assert_eq!(source.to_string(), "bad input", "cut at {cut:?}");
                }
                other => panic!("cut at {cut:?}: {other:?}"),
            }
            assert!(group.is_empty(), "cut at {cut:?}: {} left", group.len());
        }
    }

    /// The same for values: `join_all` ("the next join returns them first") and
    /// `try_join_all` of a group without a failure, cut at every instant: the next call
    /// returns every value once.
    #[tokio::test(start_paused = true)]
    async fn a_join_all_cut_at_any_instant_loses_and_repeats_no_value() {
        fn three_values() -> TaskGroup<Result<u32, BoxError>> {
            let mut group = TaskGroup::new();
            for secs in [1_u32, 2, 3] {
                group
                    .spawn(format!("v{secs}"), async move {
                        sleep(Duration::from_secs(u64::from(secs))).await;
                        Ok(secs)
                    })
                    .expect("open group");
            }
            group
        }
        for cut in cuts(Duration::from_secs(4)) {
            let mut group = three_values();
            let mut values: Vec<u32> = match timeout(cut, group.join_all()).await {
                Ok(all) => all,
                Err(_) => group.join_all().await,
            }
            .into_iter()
            .map(|joined| match joined {
                Ok(Ok(value)) => value,
                other => panic!("cut at {cut:?}: {other:?}"),
            })
            .collect();
            values.sort_unstable();
            assert_eq!(values, [1, 2, 3], "join_all cut at {cut:?}");

            let mut group = three_values();
            let mut values = match timeout(cut, group.try_join_all()).await {
                Ok(all) => all,
                Err(_) => group.try_join_all().await,
            }
            .unwrap_or_else(|error| panic!("cut at {cut:?}: {error}"));
            values.sort_unstable();
            assert_eq!(values, [1, 2, 3], "try_join_all cut at {cut:?}");
        }
    }
}

mod shutdown {
    use super::*;

    /// A shutdown with a 5 s deadline: `fails` fails 1 s after the trigger, `deaf` never
    /// stops, and `flusher` answers the trigger by spawning `final-flush`, which fails 2 s
    /// later.
    fn service() -> Shutdown {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
        let token = shutdown.child_token();
        shutdown.spawn("fails", async move {
            token.cancelled().await;
            sleep(Duration::from_secs(1)).await;
            Err::<(), BoxError>("disk full".into())
        });
        shutdown.spawn("deaf", std::future::pending::<()>());
        let spawner = shutdown.clone();
        shutdown.spawn("flusher", async move {
            spawner.triggered().await;
            spawner.spawn("final-flush", async {
                sleep(Duration::from_secs(2)).await;
                Err::<(), BoxError>("flush lost".into())
            });
        });
        shutdown
    }

    /// `drain`: "A drain whose future is dropped before it returned reports nothing: the next
    /// drain reports everything (also the stragglers a dropped drain had already cut at the
    /// deadline), and its deadline still counts from the first's start"; "Tasks spawned during
    /// the drain ... are waited for too"; "A second drain returns at once; its report holds
    /// only what happened since the first (each failure is in one report)". Cut at every
    /// instant from the drain's start to past its deadline: the drain that completes names
    /// both failures (one of a task spawned during the drain) and the straggler once and
    /// returns at the first drain's deadline; a third drain reports nothing.
    #[tokio::test(start_paused = true)]
    async fn a_drain_cut_at_any_instant_leaves_everything_to_the_next() {
        for cut in cuts(Duration::from_secs(6)) {
            let shutdown = service();
            let start = Instant::now();
            let report = match timeout(cut, shutdown.drain()).await {
                Ok(report) => report,
                Err(_) => timeout(HANG, shutdown.drain())
                    .await
                    .unwrap_or_else(|_| panic!("cut at {cut:?}: the next drain hung")),
            };
            // Cut after the deadline, the first drain had already returned, at the deadline.
            assert_eq!(
                start.elapsed(),
                Duration::from_secs(5),
                "cut at {cut:?}: {report}"
            );
            let mut failed: Vec<&str> = report
                .failures
                .iter()
                .map(|failure| failure.task.name.as_ref())
                .collect();
            failed.sort_unstable();
            assert_eq!(failed, ["fails", "final-flush"], "cut at {cut:?}: {report}");
            let stragglers: Vec<&str> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
            assert_eq!(stragglers, ["deaf"], "cut at {cut:?}: {report}");
            assert_eq!(report.exit_code(), 1, "cut at {cut:?}: {report}");
            let again = shutdown.drain().await;
            assert!(
                again.failures.is_empty() && again.stragglers.is_empty(),
                "cut at {cut:?}: a later drain repeated {again}"
            );
        }
    }

    /// `Shutdown::signal`: "the first starts the shutdown (`Trigger::Signal`), and one during
    /// the drain forces the exit", with two different signals: the trigger names the first,
    /// `forced_by` the second, and the exit code is 128 + the second's number.
    #[tokio::test(start_paused = true)]
    async fn an_interrupt_then_a_terminate_is_triggered_by_one_and_forced_by_the_other() {
        let report = Shutdown::with_deadline(Duration::from_secs(60))
            .exit_on_force(false)
            .run(|shutdown| async move {
                shutdown.spawn("deaf", std::future::pending::<()>());
                let operator = shutdown.clone();
                shutdown.spawn("operator", async move {
                    operator.signal(Signal::Interrupt);
                    sleep(Duration::from_secs(1)).await;
                    operator.signal(Signal::Terminate);
                });
                shutdown.triggered().await;
                Ok::<_, BoxError>(())
            })
            .await
            .expect("signal handlers");
        assert_eq!(
            report.trigger,
            Trigger::Signal(Signal::Interrupt),
            "{report}"
        );
        assert_eq!(report.forced_by, Some(Signal::Terminate), "{report}");
        assert_eq!(report.exit_code(), 143, "{report}");
    }

    /// `Shutdown::signal`: "When no `run` listens (none was started ...), it is the same as
    /// `trigger`: it never forces anything." A signal before `run` starts is a request, not a
    /// signal `run` received: so the first signal during `run`'s drain "is taken as the
    /// request to stop that is already being served" and does not cut a 3 s flush.
    #[tokio::test(start_paused = true)]
    async fn a_signal_before_run_is_a_request_and_the_next_one_does_not_force() {
        let shutdown = Shutdown::with_deadline(Duration::from_secs(60)).exit_on_force(false);
        shutdown.signal(Signal::Terminate);
        assert!(shutdown.is_triggered());
        let flushed = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&flushed);
        let report = shutdown
            .run(|shutdown| async move {
                let token = shutdown.child_token();
                shutdown.spawn("flush", async move {
                    token.cancelled().await;
                    sleep(Duration::from_secs(3)).await;
                    seen.fetch_add(1, Ordering::SeqCst);
                });
                let operator = shutdown.clone();
                shutdown.spawn("operator", async move {
                    sleep(Duration::from_secs(1)).await;
                    operator.signal(Signal::Terminate);
                });
                Ok::<_, BoxError>(())
            })
            .await
            .expect("signal handlers");
        assert_eq!(report.forced_by, None, "{report}");
        assert_eq!(flushed.load(Ordering::SeqCst), 1, "{report}");
        assert!(report.stragglers.is_empty(), "{report}");
        assert_eq!(report.exit_code(), 0, "{report}");
    }
}

mod retry {
    use super::*;
    use asyncwise::{Jitter, RetryError, RetryPolicy, retry};
    use tokio_util::sync::CancellationToken;

    /// `cancel_on`: "Stops retrying as soon as `token` is cancelled, also in the middle of a
    /// sleep or of an attempt (which is dropped)"; `RetryError::Cancelled`: `last_error` is
    /// "The error of the last finished attempt, if one failed", `attempts` the "Attempts
    /// started". Attempts take 700 ms and fail with their number; delays are 1 s. Cancelled at
    /// every instant: the retry returns at that instant, no attempt is alive then, none starts
    /// later, and the error names the attempts started and the last one that finished.
    #[tokio::test(start_paused = true)]
    async fn a_retry_cancelled_at_any_instant_stops_there_and_says_what_ran() {
        for cut in cuts(Duration::from_secs(8)) {
            let token = CancellationToken::new();
            let alive = Alive::default();
            let started = Arc::new(AtomicUsize::new(0));
            let finished = Arc::new(Mutex::new(Vec::new()));
            let policy = RetryPolicy::exponential(Duration::from_secs(1))
                .factor(1.0)
                .jitter(Jitter::None)
                .max_attempts(100);
            let (alive_op, started_op, finished_op) =
                (alive.clone(), Arc::clone(&started), Arc::clone(&finished));
            let retried = retry(policy, move || {
                let guard = alive_op.guard();
                let number = started_op.fetch_add(1, Ordering::SeqCst) + 1;
                let finished = Arc::clone(&finished_op);
                async move {
                    let _guard = guard;
                    sleep(Duration::from_millis(700)).await;
                    finished.lock().unwrap().push(number);
                    Err::<(), usize>(number)
                }
            })
            .cancel_on(token.clone());
            let canceller = tokio::spawn(async move {
                sleep(cut).await;
                token.cancel();
                Instant::now()
            });
            let outcome = retried.await;
            let returned = Instant::now();
            let cancelled_at = canceller.await.expect("canceller");
            assert_eq!(returned, cancelled_at, "cut at {cut:?}");
            assert_eq!(
                alive.count(),
                0,
                "cut at {cut:?}: an attempt outlived the retry"
            );
            let started_then = started.load(Ordering::SeqCst);
            let last_finished = finished.lock().unwrap().last().copied();
            match outcome {
                Err(RetryError::Cancelled {
                    last_error,
                    attempts,
                }) => {
                    assert_eq!(attempts as usize, started_then, "cut at {cut:?}");
                    assert_eq!(last_error, last_finished, "cut at {cut:?}");
                }
                other => panic!("cut at {cut:?}: {other:?}"),
            }
            sleep(HANG).await;
            assert_eq!(
                started.load(Ordering::SeqCst),
                started_then,
                "cut at {cut:?}: an attempt started after the cancellation"
            );
        }
    }
}

mod retry_budget {
    use super::*;
    use asyncwise::{Jitter, RetryError, RetryPolicy, retry};

    /// `max_elapsed`: "No attempt starts later than `budget` after the first one started": an
    /// attempt due exactly at the budget is not later than it, so it starts (no retry loop
    /// gives up early either). Delays of exactly 1 s and a 3 s budget: attempts at 0, 1, 2
    /// and 3 s, then `Exhausted` with the fourth error; an operation that takes 500 ms each
    /// time: attempts at 0, 1.5 and 3 s.
    #[tokio::test(start_paused = true)]
    async fn an_attempt_due_exactly_at_the_budget_starts() {
        for (takes, expected) in [
            (0_u64, vec![0_u64, 1_000, 2_000, 3_000]),
            (500, vec![0, 1_500, 3_000]),
        ] {
            let policy = RetryPolicy::exponential(Duration::from_secs(1))
                .factor(1.0)
                .jitter(Jitter::None)
                .max_elapsed(Duration::from_secs(3));
            let origin = Instant::now();
            let starts = Arc::new(Mutex::new(Vec::new()));
            let seen = Arc::clone(&starts);
            let result = retry(policy, move || {
                let mut starts = seen.lock().unwrap();
                starts.push(u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX));
                let number = starts.len();
                async move {
                    sleep(Duration::from_millis(takes)).await;
                    Err::<(), usize>(number)
                }
            })
            .await;
            assert_eq!(*starts.lock().unwrap(), expected, "operation of {takes} ms");
            assert_eq!(
                result,
                Err(RetryError::Exhausted {
                    error: expected.len(),
                    attempts: u32::try_from(expected.len()).unwrap_or(u32::MAX)
                }),
                "operation of {takes} ms"
            );
        }
    }
}

mod batcher {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::atomic::AtomicBool;

    use asyncwise::{BatchConfig, Batcher, RetryPolicy};
    use tokio_util::sync::CancellationToken;

    /// `Batcher`: "every accepted item ends up either flushed or handed to the dead-letter
    /// callback before `BatchWorker::run` returns"; `send`: "no send succeeds after the token
    /// fired", and a refused item is handed back; `cancel_on`: the worker "flushes everything
    /// it accepted". Three producers send 20 items each, 100 ms apart, into a queue of 4 in
    /// front of a flush that takes 500 ms and fails for good on batches holding a multiple of
    /// 7; the token fires at every instant in turn. Each item is then exactly one of:
    /// flushed once, dead-lettered once, handed back, or never sent; no send that began after
    /// the cancel returned `Ok`.
    #[tokio::test(start_paused = true)]
    async fn concurrent_senders_and_a_shutdown_at_any_instant_lose_and_repeat_nothing() {
        const PRODUCERS: u32 = 3;
        const EACH: u32 = 20;
        let (mut handed_back, mut dead_lettered) = (0, 0);
        for cut in cuts(Duration::from_secs(7)) {
            let token = CancellationToken::new();
            let config = BatchConfig::new(4, Duration::from_millis(300))
                .capacity(4)
                .retry(RetryPolicy::exponential(Duration::from_millis(100)).max_attempts(2))
                .cancel_on(token.clone());
            let flushed = Arc::new(Mutex::new(Vec::new()));
            let dead = Arc::new(Mutex::new(Vec::new()));
            let sink = Arc::clone(&flushed);
            let (batcher, worker) = Batcher::new(config, move |batch| {
                let sink = Arc::clone(&sink);
                async move {
                    sleep(Duration::from_millis(500)).await;
                    if batch.iter().any(|n: &u32| n.is_multiple_of(7)) {
                        return Err("rejected");
                    }
                    sink.lock().unwrap().extend(batch.iter().copied());
                    Ok(())
                }
            });
            let dead_sink = Arc::clone(&dead);
            let worker = tokio::spawn(
                worker
                    .dead_letter(move |batch, _| dead_sink.lock().unwrap().extend(batch.iter()))
                    .run(),
            );
            let fired = Arc::new(AtomicBool::new(false));
            let mut producers = Vec::new();
            for producer in 0..PRODUCERS {
                let batcher = batcher.clone();
                let fired = Arc::clone(&fired);
                producers.push(tokio::spawn(async move {
                    let (mut accepted, mut refused, mut late) =
                        (Vec::new(), Vec::new(), Vec::new());
                    for n in 0..EACH {
                        let item = producer * EACH + n;
                        let after_the_cancel = fired.load(Ordering::SeqCst);
                        match batcher.send(item).await {
                            Ok(()) if after_the_cancel => late.push(item),
                            Ok(()) => accepted.push(item),
                            Err(closed) => refused.push(closed.0),
                        }
                        sleep(Duration::from_millis(100)).await;
                    }
                    (accepted, refused, late)
                }));
            }
            drop(batcher);
            sleep(cut).await;
            token.cancel();
            fired.store(true, Ordering::SeqCst);
            let report = timeout(HANG, worker)
                .await
                .unwrap_or_else(|_| panic!("cut at {cut:?}: the worker hung"))
                .expect("worker");
            let mut fate: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
            for producer in producers {
                let (accepted, refused, late) = producer.await.expect("producer");
                assert!(
                    late.is_empty(),
                    "cut at {cut:?}: accepted after the cancel: {late:?}"
                );
                for item in accepted {
                    fate.entry(item).or_default().push("accepted");
                }
                for item in refused {
                    fate.entry(item).or_default().push("handed back");
                }
            }
            for item in flushed.lock().unwrap().iter() {
                fate.entry(*item).or_default().push("flushed");
            }
            for item in dead.lock().unwrap().iter() {
                fate.entry(*item).or_default().push("dead-lettered");
            }
            let wrong: Vec<_> = fate
                .iter()
                .filter(|(_, fate)| {
                    !matches!(
                        fate.as_slice(),
                        ["accepted", "flushed"] | ["accepted", "dead-lettered"] | ["handed back"]
                    )
                })
                .collect();
            assert!(wrong.is_empty(), "cut at {cut:?}: {wrong:?}");
            handed_back += fate
                .values()
                .filter(|fate| fate[0] == "handed back")
                .count();
            dead_lettered += report.items_dead_lettered;
            let accepted = fate.values().filter(|fate| fate[0] == "accepted").count();
            assert_eq!(
                (report.items_flushed + report.items_dead_lettered) as usize,
                accepted,
                "cut at {cut:?}: {report:?}"
            );
        }
        // The sweep reached both ends of the promise: refused items and failed flushes.
        assert!(
            handed_back > 0 && dead_lettered > 0,
            "{handed_back} {dead_lettered}"
        );
    }
}

mod pipeline {
    use super::*;
    use asyncwise::{OnError, PipelineExt};
    use futures_util::StreamExt;

    /// `MapConcurrent`: "Dropping it drops the items it holds (running, or finished and
    /// waiting for an earlier one): their futures are dropped with it and nothing keeps
    /// running, and nothing reports them"; `map_concurrent`: the stage "never holds more
    /// than `limit` items". An ordered stage of 3 with a 3 s item timeout and a dead-letter
    /// sink over 10 items (item 2 fails, items 5 and 8 never end) is dropped at every instant:
    /// no item future is alive after the drop, the sink is never called after it, every item
    /// is yielded or dead-lettered at most once, and `held` never passed the limit.
    #[tokio::test(start_paused = true)]
    async fn a_stage_dropped_at_any_instant_leaves_nothing_running_or_reporting() {
        let mut ran_to_the_end = false;
        for cut in cuts(Duration::from_secs(12)) {
            let alive = Alive::default();
            let dead = Arc::new(Mutex::new(Vec::new()));
            let sink = Arc::clone(&dead);
            let item_alive = alive.clone();
            let stage = futures_util::stream::iter(0..10_u64)
                .map_concurrent(3, move |n| {
                    let guard = item_alive.guard();
                    async move {
                        let _guard = guard;
                        if n % 3 == 2 && n != 2 {
                            std::future::pending::<()>().await;
                        }
                        sleep(Duration::from_millis(300 * (n % 4 + 1))).await;
                        if n == 2 { Err("bad item") } else { Ok(n) }
                    }
                })
                .ordered()
                .item_timeout(Duration::from_secs(3))
                .on_error(OnError::dead_letter(move |error| {
                    sink.lock().unwrap().push(error.index)
                }));
            let yielded = Arc::new(Mutex::new(Vec::new()));
            let out = Arc::clone(&yielded);
            let most_held = Arc::new(AtomicUsize::new(0));
            let most = Arc::clone(&most_held);
            let consume = async move {
                let mut stage = std::pin::pin!(stage);
                while let Some(item) = stage.next().await {
                    most.fetch_max(stage.held(), Ordering::SeqCst);
                    out.lock().unwrap().push(item.map_err(|error| error.index));
                }
            };
            let completed = timeout(cut, consume).await.is_ok();
            assert_eq!(
                alive.count(),
                0,
                "cut at {cut:?}: an item outlived its stage"
            );
            let dead_then = dead.lock().unwrap().clone();
            sleep(HANG).await;
            assert_eq!(
                *dead.lock().unwrap(),
                dead_then,
                "cut at {cut:?}: dead-lettered after the drop"
            );
            assert!(most_held.load(Ordering::SeqCst) <= 3, "cut at {cut:?}");
            let mut seen: Vec<u64> = yielded
                .lock()
                .unwrap()
                .iter()
                .map(|item| match item {
                    Ok(n) | Err(n) => *n,
                })
                .chain(dead_then)
                .collect();
            let count = seen.len();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), count, "cut at {cut:?}: an item came out twice");
            if completed {
                assert_eq!(seen, (0..10).collect::<Vec<u64>>(), "cut at {cut:?}");
                ran_to_the_end = true;
            }
        }
        assert!(ran_to_the_end, "no cut came after the stage's end");
    }
}

mod spawner {
    use super::*;
    use asyncwise::SpawnError;

    /// `TaskGroup::spawner`: "Its tasks are the group's: limited, cancelled, joined and dropped
    /// with it"; `Spawner::spawn_wait`: "waits for a free slot first", `SpawnError::Cancelled`
    /// "if the group is cancelled or dropped", the future "then dropped without being polled"
    /// (`TaskGroup::spawn_wait`). Ten producers wait for the two slots of a bounded group at
    /// once; the group is dropped at every instant in turn. Never more than two tasks run at
    /// once, every waiting producer returns, a refused future is never polled, and once the
    /// group is gone no task of it is alive.
    #[tokio::test(start_paused = true)]
    async fn waiting_spawners_of_a_group_dropped_at_any_instant_all_return() {
        for cut in cuts(Duration::from_secs(6)) {
            let mut group = TaskGroup::<()>::bounded(2);
            let spawner = group.spawner();
            let running = Arc::new(AtomicUsize::new(0));
            let most = Arc::new(AtomicUsize::new(0));
            let alive = Alive::default();
            let refused_polled = Arc::new(AtomicUsize::new(0));
            let mut producers = Vec::new();
            for n in 0..10 {
                let spawner = spawner.clone();
                let (running, most, alive, refused_polled) = (
                    Arc::clone(&running),
                    Arc::clone(&most),
                    alive.clone(),
                    Arc::clone(&refused_polled),
                );
                producers.push(tokio::spawn(async move {
                    let polled = Arc::new(std::sync::atomic::AtomicBool::new(false));
                    let seen = Arc::clone(&polled);
                    let guard = alive.guard();
                    let outcome = spawner
                        .spawn_wait(format!("job-{n}"), async move {
                            let _guard = guard;
                            seen.store(true, Ordering::SeqCst);
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            sleep(Duration::from_secs(1)).await;
                            running.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await;
                    if outcome.is_err() && polled.load(Ordering::SeqCst) {
                        refused_polled.fetch_add(1, Ordering::SeqCst);
                    }
                    outcome
                }));
            }
            sleep(cut).await;
            drop(group);
            for producer in producers {
                match timeout(HANG, producer).await {
                    Ok(Ok(Ok(_) | Err(SpawnError::Cancelled))) => {}
                    other => panic!("cut at {cut:?}: {other:?}"),
                }
            }
            // The group's tasks end with it (aborted, or cut at the end of its grace).
            sleep(HANG).await;
            assert_eq!(
                alive.count(),
                0,
                "cut at {cut:?}: a task outlived its group"
            );
            assert!(most.load(Ordering::SeqCst) <= 2, "cut at {cut:?}");
            assert_eq!(refused_polled.load(Ordering::SeqCst), 0, "cut at {cut:?}");
        }
    }
}

mod queued {
    use super::*;
    use asyncwise::SpawnError;

    /// `TaskGroup`, "Cancellation and grace": "2. tasks that have not started yet are dropped
    /// without being polled; 3. running tasks get the group's grace period". In a bounded
    /// group with a grace, the running task finishes its work in the grace and frees its slot:
    /// the tasks queued behind it (by `spawn`, a `Spawner` and `spawn_wait` waiting in another
    /// task) must not take that slot and start. Each queued one is reported as cancelled; the
    /// producer waiting in `spawn_wait` gets `SpawnError::Cancelled`.
    #[tokio::test(start_paused = true)]
    async fn tasks_queued_behind_a_task_ending_in_its_grace_never_start() {
        let mut group = TaskGroup::<Result<&'static str, BoxError>>::bounded(1)
            .with_grace(Duration::from_secs(5));
        let token = group.cancellation_token();
        group
            .spawn("flusher", async move {
                token.cancelled().await;
                sleep(Duration::from_secs(1)).await;
                Ok("flushed")
            })
            .expect("open group");
        let started = Arc::new(AtomicUsize::new(0));
        let job = |started: &Arc<AtomicUsize>| {
            let started = Arc::clone(started);
            async move {
                started.fetch_add(1, Ordering::SeqCst);
                Ok("ran")
            }
        };
        group.spawn("queued", job(&started)).expect("queued");
        let spawner = group.spawner();
        spawner
            .spawn("queued-by-spawner", job(&started))
            .expect("queued");
        let waiting = {
            let spawner = spawner.clone();
            let job = job(&started);
            tokio::spawn(async move { spawner.spawn_wait("waiting", job).await })
        };
        sleep(Duration::from_millis(10)).await;
        assert_eq!(started.load(Ordering::SeqCst), 0, "the slot is taken");
        group.cancel();
        let mut results: Vec<String> = group
            .join_all()
            .await
            .into_iter()
            .map(|joined| match joined {
                Ok(Ok(done)) => done.to_owned(),
                Ok(Err(error)) => format!("failed: {error}"),
                Err(error) => error.to_string(),
            })
            .collect();
        results.sort();
        assert_eq!(
            results,
            [
                "flushed",
                "task `queued-by-spawner` was cancelled",
                "task `queued` was cancelled",
            ]
        );
        assert_eq!(
            waiting.await.expect("producer").err(),
            Some(SpawnError::Cancelled)
        );
        assert_eq!(started.load(Ordering::SeqCst), 0, "a queued task started");
    }
}

mod breaker {
    use super::*;
    use asyncwise::{BreakerError, BreakerState, CircuitBreaker};

    /// `consecutive_failures`: "Opens after `failures` failures in a row"; `open_for`: "How
    /// long the breaker stays open"; the outcomes of calls admitted before a trip do not count
    /// after it. Ten concurrent callers all fail at the same instant on a breaker that opens
    /// after three: it opens once (one state change), the seven late failures neither reopen
    /// it nor push its open duration back (a trial is admitted 10 s after the trip, not
    /// later), and the callers rejected meanwhile are told the time left.
    #[tokio::test(start_paused = true)]
    async fn concurrent_failures_open_the_breaker_once_and_do_not_extend_it() {
        let changes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&changes);
        let breaker = CircuitBreaker::builder()
            .consecutive_failures(3)
            .open_for(Duration::from_secs(10))
            .on_state_change(move |change| {
                seen.lock()
                    .unwrap()
                    .push((change.from, change.to, change.open_for));
            })
            .build();
        let callers: Vec<_> = (0..10)
            .map(|_| {
                let breaker = breaker.clone();
                tokio::spawn(async move {
                    breaker
                        .call(async {
                            sleep(Duration::from_secs(1)).await;
                            Err::<(), _>("down")
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            let outcome = caller.await.expect("caller");
            assert!(
                matches!(outcome, Err(BreakerError::Inner("down"))),
                "{outcome:?}"
            );
        }
        assert_eq!(
            *changes.lock().unwrap(),
            [(
                BreakerState::Closed,
                BreakerState::Open,
                Some(Duration::from_secs(10))
            )]
        );
        // Rejected at 0 s, 3 s and 9 s after the trip, each told the time left.
        for (left, wait) in [(10, 3), (7, 6), (1, 1)] {
            match breaker.call(async { Ok::<_, &str>(()) }).await {
                Err(BreakerError::Open { retry_in }) => {
                    assert_eq!(retry_in, Duration::from_secs(left));
                }
                other => panic!("{left} s before the trial: {other:?}"),
            }
            sleep(Duration::from_secs(wait)).await;
        }
        assert!(breaker.call(async { Ok::<_, &str>(()) }).await.is_ok());
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}

mod breaker_cut {
    use super::*;
    use asyncwise::{BreakerState, CircuitBreaker};

    /// `call`: "A call dropped before it finished counts as neither success nor failure".
    /// A breaker that opens after two failures in a row has one; a call failing after 1 s is
    /// cut at every instant. Cut before its end it changed nothing (still closed, and the next
    /// failure is the second in a row: it opens); run to its end it is the second failure.
    #[tokio::test(start_paused = true)]
    async fn a_call_cut_at_any_instant_counts_only_if_it_finished() {
        for cut in cuts(Duration::from_millis(1_500)) {
            let breaker = CircuitBreaker::builder().consecutive_failures(2).build();
            let first = breaker.call(async { Err::<(), _>("down") }).await;
            assert!(first.is_err());
            let slow = breaker.call(async {
                sleep(Duration::from_secs(1)).await;
                Err::<(), _>("down")
            });
            let finished = timeout(cut, slow).await.is_ok();
            if finished {
                assert_eq!(breaker.state(), BreakerState::Open, "cut at {cut:?}");
                continue;
            }
            assert_eq!(breaker.state(), BreakerState::Closed, "cut at {cut:?}");
            let next = breaker.call(async { Err::<(), _>("down") }).await;
            assert!(next.is_err());
            assert_eq!(breaker.state(), BreakerState::Open, "cut at {cut:?}");
        }
    }
}

mod signals_from_threads {
    use super::*;

    /// `Shutdown::signal`: "Delivers `signal` as if the operating system had sent it to
    /// `run`", "for a signal source of your own (a service manager's stop request, a control
    /// endpoint ...)", which need not be a Tokio task: eight plain threads each send one
    /// while `run` listens. The first starts the shutdown and one during the drain forces it
    /// (the deaf task is a straggler); nothing panics on a thread outside the runtime. Real
    /// time (a plain thread cannot move paused time), an hour's deadline so that only the
    /// signals can end the drain; nothing is timed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn signals_from_plain_threads_trigger_then_force() {
        let report = Shutdown::with_deadline(HANG)
            .exit_on_force(false)
            .run(|shutdown| async move {
                shutdown.spawn("deaf", std::future::pending::<()>());
                // Each thread says it sent (a panic on it drops its sender instead); joining
                // the threads here would block the runtime.
                let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel();
                for _ in 0..8 {
                    let (shutdown, sent) = (shutdown.clone(), sent_tx.clone());
                    std::thread::spawn(move || {
                        shutdown.signal(Signal::Terminate);
                        let _ = sent.send(());
                    });
                }
                drop(sent_tx);
                let mut sent = 0;
                while sent_rx.recv().await.is_some() {
                    sent += 1;
                }
                assert_eq!(sent, 8, "a sending thread panicked");
                shutdown.triggered().await;
                Ok::<_, BoxError>(())
            })
            .await
            .expect("signal handlers");
        assert_eq!(
            report.trigger,
            Trigger::Signal(Signal::Terminate),
            "{report}"
        );
        assert_eq!(report.forced_by, Some(Signal::Terminate), "{report}");
        // Forced at once: `main` may still be joining its threads, the deaf task never ends.
        let stragglers: Vec<&str> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
        assert!(stragglers.contains(&"deaf"), "{report}");
        assert!(
            stragglers
                .iter()
                .all(|name| ["deaf", "main"].contains(name)),
            "{report}"
        );
        assert_eq!(report.exit_code(), 143);
    }
}

mod fail_fast_unjoined {
    use super::*;
    use asyncwise::{ErrorPolicy, SpawnError};

    /// `ErrorPolicy::FailFast`: "The first failure or panic cancels the group", and "once the
    /// cancellation has returned (... the failing task's end), no poll of the group's tasks
    /// begins": the failure cancels the group when the task ends, not when its owner gets
    /// round to joining it. The owner joins nothing for 10 s; the sibling sees its token fire
    /// at 1 s (the failure) or 2 s (the panic), and a spawn at 5 s is refused.
    #[tokio::test(start_paused = true)]
    async fn a_failure_cancels_the_group_before_anyone_joins_it() {
        for panics in [false, true] {
            let origin = Instant::now();
            let mut group = TaskGroup::<Result<(), BoxError>>::new()
                .with_policy(ErrorPolicy::FailFast)
                .with_grace(Duration::from_secs(60));
            let token = group.cancellation_token();
            let seen_at = Arc::new(Mutex::new(None));
            let seen = Arc::clone(&seen_at);
            group
                .spawn("sibling", async move {
                    token.cancelled().await;
                    *seen.lock().unwrap() = Some(origin.elapsed());
                    Ok(())
                })
                .expect("open group");
            group
                .spawn("fails", async move {
                    sleep(Duration::from_secs(if panics { 2 } else { 1 })).await;
                    assert!(!panics, "broken invariant");
                    Err::<(), BoxError>("bad input".into())
                })
                .expect("open group");
            sleep(Duration::from_secs(5)).await;
            assert!(group.is_cancelled(), "panics {panics}");
            assert_eq!(
                group.spawn("late", async { Ok(()) }).err(),
                Some(SpawnError::Cancelled),
                "panics {panics}"
            );
            sleep(Duration::from_secs(5)).await;
            assert_eq!(
                *seen_at.lock().unwrap(),
                Some(Duration::from_secs(if panics { 2 } else { 1 })),
                "panics {panics}"
            );
            let error = group.try_join_all().await.expect_err("the failure");
            assert_eq!(error.name(), "fails", "panics {panics}");
        }
    }
}
