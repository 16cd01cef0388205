//! Behaviour of `TaskGroup`: limits, panics, policies, cancellation, drop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use asyncwise::{BoxError, CancellationToken, ErrorPolicy, SpawnError, TaskError, TaskGroup};
use tokio::sync::oneshot;
use tokio::time::Instant;

/// Signals through a oneshot when dropped: proves a task's future was dropped.
struct DropGuard(Option<oneshot::Sender<()>>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

fn guard() -> (DropGuard, oneshot::Receiver<()>) {
    let (tx, rx) = oneshot::channel();
    (DropGuard(Some(tx)), rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_limit_is_never_exceeded_over_10k_tasks() {
    const LIMIT: usize = 8;
    const TASKS: usize = 10_000;
    let in_flight = Arc::new(AtomicUsize::new(0));
    let high_water = Arc::new(AtomicUsize::new(0));
    let mut group = TaskGroup::bounded(LIMIT);
    for i in 0..TASKS {
        let in_flight = Arc::clone(&in_flight);
        let high_water = Arc::clone(&high_water);
        group
            .spawn(format!("t{i}"), async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                high_water.fetch_max(now, Ordering::SeqCst);
                // Yield so tasks overlap across both worker threads.
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, BoxError>(i)
            })
            .expect("group is not cancelled");
        assert!(group.available_slots().is_some_and(|free| free <= LIMIT));
    }
    let results = group.try_join_all().await.expect("no task fails");
    assert_eq!(results.len(), TASKS);
    let max = high_water.load(Ordering::SeqCst);
    assert!(max <= LIMIT, "limit {LIMIT} exceeded: {max} in flight");
    // The limit is actually used, not serialising everything.
    assert!(max > 1, "tasks never overlapped");
    assert_eq!(group.available_slots(), Some(LIMIT));
}

#[tokio::test(start_paused = true)]
async fn spawn_waits_for_a_slot_and_try_spawn_reports_full() {
    let mut group = TaskGroup::bounded(2);
    for n in 0..2_u64 {
        group
            .spawn("sleeper", async move {
                tokio::time::sleep(Duration::from_secs(10 + n)).await;
                Ok::<_, BoxError>(n)
            })
            .unwrap();
    }
    assert_eq!(
        group.try_spawn("extra", async { Ok::<_, BoxError>(9) }),
        Err(SpawnError::Full { limit: 2 })
    );
    let start = Instant::now();
    group
        .spawn_wait("third", async { Ok::<_, BoxError>(2) })
        .await
        .unwrap();
    // Backpressure: the third spawn waited until the first sleeper finished,
    // even though nobody joined it.
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    let mut all = group.try_join_all().await.unwrap();
    all.sort();
    assert_eq!(all, [0, 1, 2]);
}

#[tokio::test(start_paused = true)]
async fn slot_is_held_until_the_task_ends_even_when_it_panics_or_is_cancelled() {
    let mut group = TaskGroup::<Result<(), BoxError>>::bounded(1);
    let (release, released) = oneshot::channel::<()>();
    group
        .spawn("waits-then-panics", async move {
            let _ = released.await;
            if true {
                panic!("after release");
            }
            Ok::<_, BoxError>(())
        })
        .unwrap();
    // Held while the task runs.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(group.available_slots(), Some(0));
    release.send(()).unwrap();
    match group.join_next().await {
        Some(Err(TaskError::Panicked { name, message })) => {
            assert_eq!(name, "waits-then-panics");
            assert_eq!(message, "after release");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(group.available_slots(), Some(1));

    let parent = CancellationToken::new();
    let mut group = TaskGroup::<Result<(), BoxError>>::bounded(1).with_parent(&parent);
    group
        .spawn("forever", std::future::pending::<Result<(), BoxError>>())
        .unwrap();
    assert_eq!(group.available_slots(), Some(0));
    parent.cancel();
    assert!(matches!(
        group.join_next().await,
        Some(Err(TaskError::Cancelled { name })) if name == "forever"
    ));
    assert_eq!(group.available_slots(), Some(1));
}

#[tokio::test]
async fn panics_and_failures_are_captured_with_names() {
    let mut group = TaskGroup::<Result<u8, std::io::Error>>::new();
    group
        .spawn("panics", async {
            if true {
                panic!("boom: {}", 7);
            }
            Ok(0)
        })
        .unwrap();
    group
        .spawn("fails", async {
            Err(std::io::Error::other("disk on fire"))
        })
        .unwrap();
    group.spawn("works", async { Ok(1) }).unwrap();
    let mut seen = Vec::new();
    while let Some(joined) = group.join_next_named().await {
        match joined.result {
            Ok(Ok(value)) => seen.push(format!("{}: ok {value}", joined.name)),
            Ok(Err(error)) => seen.push(format!("{}: {error}", joined.name)),
            Err(TaskError::Panicked { name, message }) => {
                assert_eq!(name, joined.name);
                seen.push(format!("{name}: {message}"));
            }
            Err(other) => panic!("unexpected {other}"),
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        ["fails: disk on fire", "panics: boom: 7", "works: ok 1"]
    );
}

#[tokio::test(start_paused = true)]
async fn fail_fast_cancels_siblings_at_once() {
    let mut group = TaskGroup::<Result<(), BoxError>>::new().with_policy(ErrorPolicy::FailFast);
    let mut guards = Vec::new();
    for name in ["sibling-a", "sibling-b"] {
        let (guard, dropped) = guard();
        guards.push(dropped);
        group
            .spawn(name, async move {
                let _guard = guard;
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok::<_, BoxError>(())
            })
            .unwrap();
    }
    group
        .spawn("fails", async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Err::<(), BoxError>("bad".into())
        })
        .unwrap();
    let start = Instant::now();
    let mut cancelled: Vec<String> = Vec::new();
    let mut failed = 0;
    while let Some(joined) = group.join_next_named().await {
        match joined.result {
            Err(TaskError::Cancelled { name }) => cancelled.push(name.into_owned()),
            Ok(Err(_)) => {
                assert_eq!(joined.name, "fails");
                failed += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(start.elapsed(), Duration::from_millis(10));
    cancelled.sort();
    assert_eq!(cancelled, ["sibling-a", "sibling-b"]);
    assert_eq!(failed, 1);
    for dropped in guards {
        dropped.await.unwrap();
    }
    assert!(group.is_cancelled());
    assert_eq!(
        group.spawn("late", async { Ok::<_, BoxError>(()) }),
        Err(SpawnError::Cancelled)
    );
}

#[tokio::test(start_paused = true)]
async fn collect_all_lets_siblings_finish() {
    let mut group = TaskGroup::new();
    group
        .spawn("slow", async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<_, BoxError>("slow done")
        })
        .unwrap();
    group
        .spawn("fails", async { Err::<&str, BoxError>("bad".into()) })
        .unwrap();
    let results = group.join_all().await;
    assert!(results.iter().any(|r| matches!(r, Ok(Ok("slow done")))));
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Ok(Err(error)) if error.to_string() == "bad"))
    );
}

#[tokio::test(start_paused = true)]
async fn try_join_all_reports_the_cause_not_the_cancellations() {
    let mut group = TaskGroup::<Result<(), BoxError>>::new();
    for i in 0..3 {
        group
            .spawn(
                format!("waiter-{i}"),
                std::future::pending::<Result<(), BoxError>>(),
            )
            .unwrap();
    }
    group
        .spawn("cause", async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Err::<(), BoxError>("root cause".into())
        })
        .unwrap();
    let err = group.try_join_all().await.unwrap_err();
    assert_eq!(err.name(), "cause");
    assert!(group.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_group_cancels_and_aborts_every_task() {
    let started = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let mut group = TaskGroup::<Result<(), BoxError>>::bounded(4);
    let token = group.cancellation_token();
    let mut dropped = Vec::new();
    for i in 0..4 {
        let (guard, rx) = guard();
        dropped.push(rx);
        let started = Arc::clone(&started);
        let finished = Arc::clone(&finished);
        group
            .spawn(format!("long-{i}"), async move {
                let _guard = guard;
                started.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(3600)).await;
                finished.store(true, Ordering::SeqCst);
                Ok::<_, BoxError>(())
            })
            .unwrap();
    }
    while started.load(Ordering::SeqCst) < 4 {
        tokio::task::yield_now().await;
    }
    drop(group);
    assert!(token.is_cancelled());
    for rx in dropped {
        tokio::time::timeout(Duration::from_secs(5), rx)
            .await
            .expect("task future dropped promptly")
            .expect("guard sent on drop");
    }
    assert!(!finished.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn spawn_waiting_for_a_slot_gives_up_when_the_group_is_cancelled() {
    let parent = CancellationToken::new();
    let mut group = TaskGroup::<Result<(), BoxError>>::bounded(1).with_parent(&parent);
    group
        .spawn("holder", std::future::pending::<Result<(), BoxError>>())
        .unwrap();
    let canceller = parent.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        canceller.cancel();
    });
    let start = Instant::now();
    let result = group
        .spawn_wait("waiting", async { Ok::<_, BoxError>(()) })
        .await;
    assert_eq!(result, Err(SpawnError::Cancelled));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    assert_eq!(
        group.try_spawn("after", async { Ok::<_, BoxError>(()) }),
        Err(SpawnError::Cancelled)
    );
}

/// `!Send` tasks on a `LocalSet` keep the group's limit, names and shutdown
/// tracking.
#[tokio::test(start_paused = true)]
async fn spawn_local_runs_non_send_tasks_within_the_limit_and_tracked() {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    let local = tokio::task::LocalSet::new();
    let report = local
        .run_until(async {
            let shutdown = asyncwise::Shutdown::with_deadline(Duration::from_secs(1));
            let mut group = TaskGroup::bounded(1).with_shutdown(&shutdown, "local");
            let log = Rc::new(RefCell::new(Vec::new()));
            let running = Rc::new(Cell::new(0_u32));
            let most = Rc::new(Cell::new(0_u32));
            for n in 0..3_u32 {
                let (log, running, most) = (Rc::clone(&log), Rc::clone(&running), Rc::clone(&most));
                group
                    .spawn_local(format!("item-{n}"), async move {
                        running.set(running.get() + 1);
                        most.set(most.get().max(running.get()));
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        log.borrow_mut().push(n);
                        running.set(running.get() - 1);
                        n
                    })
                    .unwrap();
            }
            let mut outputs = Vec::new();
            while let Some(result) = group.join_next().await {
                outputs.push(result.unwrap());
            }
            outputs.sort_unstable();
            assert_eq!(outputs, [0, 1, 2]);
            assert_eq!(log.borrow().len(), 3);
            assert_eq!(most.get(), 1, "the limit holds for local tasks");

            let deaf = Rc::new(());
            group
                .spawn_local("deaf", async move {
                    let _not_send = deaf;
                    std::future::pending::<u32>().await
                })
                .unwrap();
            // Started: a task cancelled before its first poll is simply dropped.
            tokio::task::yield_now().await;
            let report = shutdown.drain().await;
            drop(group);
            report
        })
        .await;
    let stragglers: Vec<&str> = report.stragglers.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(stragglers, ["local/deaf"]);
}
