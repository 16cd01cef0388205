//! Behaviour of `Supervisor`: policies, backoff schedules, restart intensity
//! and shutdown, all on paused virtual time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{
    Backoff, BoxError, RestartPolicy, Shutdown, Supervisor, SupervisorError, TaskError,
};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Start times (offsets from `origin`) of every run of a child.
#[derive(Clone)]
struct Starts {
    origin: Instant,
    at: Arc<Mutex<Vec<Duration>>>,
}

impl Starts {
    fn new() -> Self {
        Starts {
            origin: Instant::now(),
            at: Arc::default(),
        }
    }
    fn record(&self) -> usize {
        let mut at = self.at.lock().unwrap();
        at.push(self.origin.elapsed());
        at.len()
    }
    fn gaps(&self) -> Vec<Duration> {
        let at = self.at.lock().unwrap();
        at.windows(2).map(|w| w[1] - w[0]).collect()
    }
}

/// Tokio's timer has millisecond resolution and rounds deadlines up.
fn on_timer_wheel(delay: Duration) -> Duration {
    Duration::from_millis(u64::try_from(delay.as_nanos().div_ceil(1_000_000)).unwrap())
}

#[tokio::test(start_paused = true)]
async fn restart_delays_follow_the_seeded_full_jitter_schedule() {
    let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
    let token = CancellationToken::new();
    let starts = Starts::new();
    let recorder = starts.clone();
    let stopper = token.clone();
    let report = Supervisor::new(token)
        .backoff(backoff)
        .seed(42)
        .restart_intensity(100, Duration::from_secs(1))
        .child("crashy", RestartPolicy::Permanent, move |_ctx| {
            let recorder = recorder.clone();
            let stopper = stopper.clone();
            async move {
                if recorder.record() == 8 {
                    stopper.cancel();
                    return Ok(());
                }
                Err::<(), BoxError>("crash".into())
            }
        })
        .run()
        .await
        .unwrap();
    let expected: Vec<Duration> = backoff.schedule(42).take(7).collect();
    assert_eq!(
        starts.gaps(),
        expected
            .iter()
            .copied()
            .map(on_timer_wheel)
            .collect::<Vec<_>>()
    );
    // The ceilings double: the later delays may be longer than the first.
    assert!(
        expected
            .iter()
            .enumerate()
            .all(|(n, d)| *d <= backoff.ceiling(n as u32))
    );
    assert!(report.shut_down);
    assert_eq!(report.children[0].restarts, 7);

    // Same seed, same schedule; another seed, another one.
    assert_eq!(backoff.schedule(42).take(7).collect::<Vec<_>>(), expected);
    assert_ne!(backoff.schedule(43).take(7).collect::<Vec<_>>(), expected);
}

#[tokio::test(start_paused = true)]
async fn backoff_resets_after_a_stable_run() {
    let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
        .with_reset_after(Duration::from_secs(30));
    let token = CancellationToken::new();
    let starts = Starts::new();
    let recorder = starts.clone();
    let stopper = token.clone();
    Supervisor::new(token)
        .backoff(backoff)
        .seed(5)
        .restart_intensity(100, Duration::from_secs(1))
        .child("sometimes-stable", RestartPolicy::Permanent, move |_ctx| {
            let recorder = recorder.clone();
            let stopper = stopper.clone();
            async move {
                match recorder.record() {
                    // The 4th run is stable for 40s, then fails.
                    4 => tokio::time::sleep(Duration::from_secs(40)).await,
                    6 => stopper.cancel(),
                    _ => {}
                }
                Err::<(), BoxError>("crash".into())
            }
        })
        .run()
        .await
        .unwrap();
    let mut schedule = backoff.schedule(5);
    let mut expected: Vec<Duration> = (0..3).map(|_| schedule.next_delay()).collect();
    // Run 4 lasted 40s plus its delay: exponent back to 0 afterwards.
    schedule.reset();
    let after_reset = schedule.next_delay();
    let second_after_reset = schedule.next_delay();
    expected.push(Duration::from_secs(40) + after_reset);
    expected.push(second_after_reset);
    let expected: Vec<Duration> = expected.into_iter().map(on_timer_wheel).collect();
    assert_eq!(starts.gaps(), expected);
    assert!(after_reset <= Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn exceeding_restart_intensity_stops_everything_and_escalates() {
    let parent = CancellationToken::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let sibling_stopped = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::clone(&sibling_stopped);
    let start = Instant::now();
    let err = Supervisor::new(parent.clone())
        .backoff(Backoff::new(
            Duration::from_millis(10),
            Duration::from_millis(10),
        ))
        .seed(1)
        .restart_intensity(3, Duration::from_secs(5))
        .child("healthy", RestartPolicy::Permanent, move |ctx| {
            let stopped = Arc::clone(&stopped);
            async move {
                ctx.token().cancelled().await;
                stopped.fetch_add(1, Ordering::SeqCst);
                Ok::<_, BoxError>(())
            }
        })
        .child("broken", RestartPolicy::Permanent, move |_ctx| {
            let counter = Arc::clone(&counter);
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err::<(), BoxError>("cannot connect".into())
            }
        })
        .run()
        .await
        .unwrap_err();
    // First run + 3 restarts, the 4th restart escalates.
    assert_eq!(runs.load(Ordering::SeqCst), 4);
    assert!(start.elapsed() < Duration::from_secs(1));
    match err {
        SupervisorError::Escalated {
            child,
            max_restarts,
            window,
            last_error: Some(TaskError::Failed { source, .. }),
            aborted,
            not_stopped,
        } => {
            assert!(aborted.is_empty(), "the sibling stopped on its token");
            assert!(not_stopped.is_empty());
            assert_eq!(child, "broken");
            assert_eq!(max_restarts, 3);
            assert_eq!(window, Duration::from_secs(5));
            assert_eq!(source.to_string(), "cannot connect");
        }
        other => panic!("unexpected {other:?}"),
    }
    // The sibling saw its token and stopped; the caller's token is untouched.
    assert_eq!(sibling_stopped.load(Ordering::SeqCst), 1);
    assert!(!parent.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn restarts_spread_wider_than_the_window_never_escalate() {
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        canceller.cancel();
    });
    let report = Supervisor::new(token)
        .backoff(Backoff::new(Duration::ZERO, Duration::ZERO))
        .restart_intensity(1, Duration::from_secs(5))
        .child("fails-every-6s", RestartPolicy::Permanent, |ctx| async move {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(6)) => Err::<(), BoxError>("tick".into()),
                () = ctx.token().cancelled() => Ok(()),
            }
        })
        .run()
        .await
        .expect("one restart per 6s stays within 1 per 5s");
    assert!(report.shut_down);
    assert_eq!(report.children[0].restarts, 9);
}

#[tokio::test(start_paused = true)]
async fn policies_decide_which_exits_restart() {
    let counts: Vec<Arc<AtomicUsize>> = (0..4).map(|_| Arc::default()).collect();
    let child = |i: usize, fail: bool| {
        let count = Arc::clone(&counts[i]);
        move |ctx: asyncwise::ChildContext| {
            let count = Arc::clone(&count);
            async move {
                let n = count.fetch_add(1, Ordering::SeqCst);
                if fail && n == 0 {
                    return Err::<(), BoxError>("first run fails".into());
                }
                if n >= 2 {
                    // Stay up on the third run until shutdown.
                    ctx.token().cancelled().await;
                }
                Ok(())
            }
        }
    };
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        canceller.cancel();
    });
    let report = Supervisor::new(token)
        .backoff(Backoff::new(
            Duration::from_millis(1),
            Duration::from_millis(1),
        ))
        .restart_intensity(10, Duration::from_secs(1))
        .child("permanent-ok", RestartPolicy::Permanent, child(0, false))
        .child("transient-ok", RestartPolicy::Transient, child(1, false))
        .child("transient-fails", RestartPolicy::Transient, child(2, true))
        .child("temporary-fails", RestartPolicy::Temporary, child(3, true))
        .run()
        .await
        .unwrap();
    let runs: Vec<usize> = counts.iter().map(|c| c.load(Ordering::SeqCst)).collect();
    // Permanent restarts after Ok; transient only after the failure;
    // temporary never.
    assert_eq!(runs, [3, 1, 2, 1]);
    let restarts: Vec<u32> = report.children.iter().map(|c| c.restarts).collect();
    assert_eq!(restarts, [2, 0, 1, 0]);
    assert!(report.children[3].last_error.is_some());
    assert!(report.children[2].last_error.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_panicking_child_is_restarted_and_runs_never_overlap() {
    let alive = Arc::new(AtomicUsize::new(0));
    let high_water = Arc::new(AtomicUsize::new(0));
    let runs = Arc::new(AtomicUsize::new(0));
    struct Alive(Arc<AtomicUsize>);
    impl Drop for Alive {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let (a, h, r) = (alive.clone(), high_water.clone(), runs.clone());
    let report = Supervisor::new(CancellationToken::new())
        .backoff(Backoff::new(Duration::ZERO, Duration::ZERO))
        .restart_intensity(100, Duration::from_secs(1))
        .child("panicky", RestartPolicy::Transient, move |_ctx| {
            let (a, h, r) = (a.clone(), h.clone(), r.clone());
            async move {
                let now = a.fetch_add(1, Ordering::SeqCst) + 1;
                let _alive = Alive(a);
                h.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                if r.fetch_add(1, Ordering::SeqCst) < 5 {
                    panic!("run failed");
                }
                Ok::<_, BoxError>(())
            }
        })
        .run()
        .await
        .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 6);
    assert_eq!(report.children[0].restarts, 5);
    assert_eq!(high_water.load(Ordering::SeqCst), 1);
    assert_eq!(alive.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_children_and_aborts_the_deaf_after_the_grace_period() {
    let token = CancellationToken::new();
    let canceller = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        canceller.cancel();
    });
    let start = Instant::now();
    let report = Supervisor::new(token)
        .shutdown_grace(Duration::from_secs(2))
        .child("listens", RestartPolicy::Permanent, |ctx| async move {
            ctx.token().cancelled().await;
            Ok::<_, BoxError>(())
        })
        .child("deaf", RestartPolicy::Permanent, |_ctx| async {
            std::future::pending::<Result<(), BoxError>>().await
        })
        .run()
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert!(report.shut_down);
    assert_eq!(report.aborted, ["deaf"]);
    assert!(report.children.iter().all(|c| c.restarts == 0));
}

#[tokio::test(start_paused = true)]
async fn no_restart_is_scheduled_once_shutdown_begins() {
    let token = CancellationToken::new();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let canceller = token.clone();
    let backoff = Backoff::new(Duration::from_secs(10), Duration::from_secs(10));
    // A seed whose first delay ends after the shutdown (at 1 s) begins.
    let seed = (0..)
        .find(|&seed| backoff.schedule(seed).next() > Some(Duration::from_secs(2)))
        .unwrap();
    let report = Supervisor::new(token)
        .backoff(backoff)
        .seed(seed)
        .child("fails", RestartPolicy::Permanent, move |_ctx| {
            let counter = Arc::clone(&counter);
            let canceller = canceller.clone();
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    // Fails; shutdown arrives during the backoff.
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        canceller.cancel();
                    });
                }
                Err::<(), BoxError>("down".into())
            }
        })
        .run()
        .await
        .unwrap();
    assert!(report.shut_down);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // The restart was scheduled but never ran: it is not counted.
    assert_eq!(report.children[0].restarts, 0);
}

#[tokio::test(start_paused = true)]
async fn a_tracked_supervisor_names_its_children_in_the_shutdown_report() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(3));
    let line = line!() + 9;
    let supervisor = Supervisor::new(shutdown.child_token())
        .name("workers")
        .shutdown_grace(Duration::from_secs(60))
        .with_shutdown(&shutdown)
        .child("listens", RestartPolicy::Permanent, |ctx| async move {
            ctx.token().cancelled().await;
            Ok::<_, BoxError>(())
        })
        .child("deaf", RestartPolicy::Permanent, |_ctx| async {
            std::future::pending::<Result<(), BoxError>>().await
        })
        .child("flaky", RestartPolicy::Transient, |ctx| async move {
            if ctx.restarts() == 0 {
                return Err::<(), BoxError>("first run fails".into());
            }
            ctx.token().cancelled().await;
            Ok(())
        });
    shutdown.spawn("supervisor", supervisor.run());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let report = shutdown.drain().await;
    let stragglers: Vec<_> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(stragglers, ["supervisor", "workers/deaf"]);
    assert_eq!(report.stragglers[1].location.line(), line);
    // The child's failure is in the report even though it was restarted.
    let failures: Vec<_> = report
        .failures
        .iter()
        .map(|f| f.error.to_string())
        .collect();
    assert_eq!(failures, ["task `workers/flaky` failed: first run fails"]);
    assert_eq!(report.exit_code(), 1);
    assert!(shutdown.running().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_report_prints_every_child() {
    let report = Supervisor::new(CancellationToken::new())
        .child("ok", RestartPolicy::Temporary, |_| async {
            Ok::<_, BoxError>(())
        })
        .child("bad", RestartPolicy::Temporary, |_| async {
            Err::<(), BoxError>("bad".into())
        })
        .run()
        .await
        .unwrap();
    assert_eq!(
        report.to_string(),
        "child `ok`: 0 restart(s)\nchild `bad`: 0 restart(s), last error: task `bad` failed: bad"
    );
}

#[tokio::test(start_paused = true)]
async fn rest_for_one_restarts_the_failed_child_and_those_added_after_it() {
    let token = CancellationToken::new();
    let runs: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let mut supervisor = Supervisor::new(token.clone())
        .strategy(asyncwise::Strategy::RestForOne)
        .backoff(Backoff::new(
            Duration::from_millis(10),
            Duration::from_millis(10),
        ))
        .shutdown_grace(Duration::from_secs(1));
    for name in ["first", "middle", "last", "deaf"] {
        let runs = Arc::clone(&runs);
        supervisor = supervisor.child(name, RestartPolicy::Permanent, move |ctx| {
            let runs = Arc::clone(&runs);
            async move {
                runs.lock().unwrap().push(name);
                if name == "middle" && ctx.restarts() == 0 {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    return Err::<(), BoxError>("middle crashed".into());
                }
                if name == "deaf" {
                    // Ignores its token: aborted after the grace period.
                    std::future::pending::<()>().await;
                }
                ctx.token().cancelled().await;
                Ok(())
            }
        });
    }
    let stopper = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(10)).await;
        stopper.cancel();
    });
    let report = supervisor.run().await.unwrap();
    let mut runs = runs.lock().unwrap().clone();
    runs.sort_unstable();
    // "first" ran once; "middle", "last" and "deaf" twice.
    assert_eq!(
        runs,
        ["deaf", "deaf", "first", "last", "last", "middle", "middle"]
    );
    let restarts: Vec<u32> = report.children.iter().map(|c| c.restarts).collect();
    assert_eq!(restarts, [0, 1, 1, 1]);
}

/// Any `RetryPolicy` drives the restarts: here jitter-free delays of 1 s,
/// 3 s, 9 s (factor 3), started again after a stable run.
#[tokio::test(start_paused = true)]
async fn restart_delays_follow_any_retry_policy_and_restart_after_a_stable_run() {
    use asyncwise::{Jitter, RetryPolicy};

    let token = CancellationToken::new();
    let starts = Arc::new(Mutex::new(Vec::new()));
    let recorder = Arc::clone(&starts);
    let stopper = token.clone();
    let policy = RetryPolicy::exponential(Duration::from_secs(1))
        .factor(3.0)
        .max_delay(Duration::from_secs(60))
        .jitter(Jitter::None);
    Supervisor::new(token)
        .restart_policy(policy)
        .stable_after(Duration::from_secs(20))
        .restart_intensity(100, Duration::from_secs(1))
        .child("crashy", RestartPolicy::Permanent, move |_ctx| {
            let recorder = Arc::clone(&recorder);
            let stopper = stopper.clone();
            async move {
                let run = {
                    let mut starts = recorder.lock().unwrap();
                    starts.push(Instant::now());
                    starts.len()
                };
                match run {
                    // The fourth run is stable: the delays start again.
                    4 => tokio::time::sleep(Duration::from_secs(20)).await,
                    6 => {
                        stopper.cancel();
                        return Ok(());
                    }
                    _ => {}
                }
                Err::<(), BoxError>("crash".into())
            }
        })
        .run()
        .await
        .unwrap();
    let starts = starts.lock().unwrap();
    let gaps: Vec<Duration> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    let secs = Duration::from_secs;
    assert_eq!(
        gaps,
        [secs(1), secs(3), secs(9), secs(20) + secs(1), secs(3)]
    );
}
