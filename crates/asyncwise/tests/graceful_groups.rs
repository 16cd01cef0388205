//! Graceful cancellation of `TaskGroup`s, and spawning as easily as with
//! `JoinSet`. Paused virtual time wherever time matters.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asyncwise::{
    BoxError, CancellationToken, ErrorPolicy, Shutdown, SpawnError, TaskError, TaskGroup,
};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn a_group_tied_to_the_shutdown_drains_its_tasks_within_the_deadline() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(10));
    let mut group = TaskGroup::bounded(4).with_shutdown(&shutdown, "batch");
    let flushed = Arc::new(AtomicUsize::new(0));
    for i in 0..3_u64 {
        let token = group.cancellation_token();
        let flushed = Arc::clone(&flushed);
        group
            .spawn(format!("conn-{i}"), async move {
                token.cancelled().await;
                // Flushing takes a while after the trigger, within the deadline.
                tokio::time::sleep(Duration::from_secs(2 + i)).await;
                flushed.fetch_add(1, Ordering::SeqCst);
                Ok::<_, BoxError>(i)
            })
            .unwrap();
    }
    tokio::task::yield_now().await;
    let start = Instant::now();
    let report = shutdown.drain().await;
    assert_eq!(start.elapsed(), Duration::from_secs(4));
    assert!(report.is_clean(), "{report}");
    assert_eq!(flushed.load(Ordering::SeqCst), 3);
    let mut done = group.try_join_all().await.unwrap();
    done.sort();
    assert_eq!(done, [0, 1, 2]);
}

#[tokio::test(start_paused = true)]
async fn a_group_task_ignoring_the_shutdown_is_cut_at_the_deadline_and_named_by_path() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
    let mut group = TaskGroup::new().with_shutdown(&shutdown, "uploads");
    let line = line!() + 1;
    group.spawn("stuck", std::future::pending::<()>()).unwrap();
    tokio::task::yield_now().await;
    let report = shutdown.drain().await;
    assert_eq!(report.drain_time, Duration::from_secs(5));
    assert_eq!(report.stragglers.len(), 1);
    assert_eq!(report.stragglers[0].name, "uploads/stuck");
    assert_eq!(report.stragglers[0].location.line(), line);
    assert_eq!(report.exit_code(), 124);
    assert!(matches!(
        group.join_next().await,
        Some(Err(TaskError::Cancelled { name })) if name == "stuck"
    ));
    assert!(shutdown.running().is_empty());
}

#[tokio::test(start_paused = true)]
async fn nothing_of_a_task_runs_after_its_parent_cancelled_it() {
    // Zero grace: once the parent's cancellation is seen, the task's future
    // is not polled again, even if it was woken for its own reasons.
    let parent = CancellationToken::new();
    let mut group = TaskGroup::new().with_parent(&parent);
    let polls_after_cancel = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::channel::<()>(1);
    let counter = Arc::clone(&polls_after_cancel);
    let watched = parent.clone();
    group
        .spawn("reader", async move {
            while rx.recv().await.is_some() {
                if watched.is_cancelled() {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
        .unwrap();
    tokio::task::yield_now().await;
    parent.cancel();
    tx.send(()).await.unwrap();
    assert!(matches!(
        group.join_next().await,
        Some(Err(TaskError::Cancelled { .. }))
    ));
    assert_eq!(polls_after_cancel.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn cancel_gives_running_tasks_the_grace_then_cuts_the_rest() {
    let mut group = TaskGroup::new().with_grace(Duration::from_secs(3));
    let token = group.cancellation_token();
    group
        .spawn("polite", async move {
            token.cancelled().await;
            tokio::time::sleep(Duration::from_secs(1)).await;
            "flushed"
        })
        .unwrap();
    group
        .spawn("deaf", async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            "late"
        })
        .unwrap();
    tokio::task::yield_now().await;
    let start = Instant::now();
    group.cancel();
    let mut results = Vec::new();
    while let Some(joined) = group.join_next_named().await {
        results.push((joined.name.into_owned(), joined.result.ok()));
    }
    results.sort();
    assert_eq!(
        results,
        [
            ("deaf".to_owned(), None),
            ("polite".to_owned(), Some("flushed"))
        ]
    );
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn fail_fast_gives_siblings_the_grace_to_finish() {
    let mut group = TaskGroup::new()
        .with_policy(ErrorPolicy::FailFast)
        .with_grace(Duration::from_secs(2));
    let token = group.cancellation_token();
    let (saved_tx, saved) = oneshot::channel();
    group
        .spawn("saver", async move {
            token.cancelled().await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let _ = saved_tx.send(());
            Ok::<_, String>(())
        })
        .unwrap();
    group
        .spawn("breaks", async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Err("broken".to_owned())
        })
        .unwrap();
    let err = group.try_join_all().await.unwrap_err();
    assert_eq!(err.name(), "breaks");
    saved
        .await
        .expect("the sibling finished its work within the grace");
}

#[tokio::test(start_paused = true)]
async fn dropping_a_group_with_grace_lets_tasks_finish_within_it() {
    let (done_tx, done) = oneshot::channel();
    let (cut_tx, mut cut) = oneshot::channel::<()>();
    {
        let mut group = TaskGroup::new().with_grace(Duration::from_secs(5));
        let token = group.cancellation_token();
        group
            .spawn("finisher", async move {
                token.cancelled().await;
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = done_tx.send(());
            })
            .unwrap();
        group
            .spawn("deaf", async move {
                let _cut = cut_tx;
                std::future::pending::<()>().await;
            })
            .unwrap();
        tokio::task::yield_now().await;
    }
    let start = Instant::now();
    done.await.expect("finished within the grace");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert!(cut.try_recv().is_err(), "still within its grace");
    let _ = (&mut cut).await;
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_panic_while_dropping_keeps_the_task_name() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop exploded");
        }
    }
    let mut group = TaskGroup::new();
    group
        .spawn("bad-drop", async {
            let _guard = PanicsOnDrop;
            tokio::task::yield_now().await;
        })
        .unwrap();
    match group.join_next().await {
        Some(Err(TaskError::Panicked { name, message })) => {
            assert_eq!(name, "bad-drop");
            assert_eq!(message, "drop exploded");
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// An error that is `Send` but not `Sync`.
#[derive(Debug)]
struct NotSync(std::cell::Cell<u8>);

impl std::fmt::Display for NotSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not sync {}", self.0.get())
    }
}

#[tokio::test]
async fn spawn_is_synchronous_and_takes_any_output() {
    let mut units = TaskGroup::new();
    units.spawn("unit", async {}).unwrap();
    assert!(units.join_next().await.unwrap().is_ok());

    let mut numbers = TaskGroup::new();
    numbers.spawn("one", async { 1_u32 }).unwrap();
    assert_eq!(numbers.join_next().await.unwrap().unwrap(), 1);

    let mut fallible = TaskGroup::<Result<u8, NotSync>>::new().with_policy(ErrorPolicy::FailFast);
    fallible
        .spawn("not-sync", async { Err(NotSync(std::cell::Cell::new(3))) })
        .unwrap();
    let joined = fallible.join_next_named().await.unwrap();
    assert_eq!(joined.name, "not-sync");
    assert_eq!(
        joined.result.unwrap().unwrap_err().to_string(),
        "not sync 3"
    );
    // The `Err` output counts as a failure for the policy.
    assert!(fallible.is_cancelled());
}

#[tokio::test(start_paused = true)]
async fn a_bounded_spawn_queues_the_task_and_the_limit_still_holds() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let high_water = Arc::new(AtomicUsize::new(0));
    let mut group = TaskGroup::bounded(2);
    for i in 0..10 {
        let in_flight = Arc::clone(&in_flight);
        let high_water = Arc::clone(&high_water);
        group
            .spawn(format!("job-{i}"), async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                high_water.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
            })
            .unwrap();
    }
    assert_eq!(group.len(), 10);
    let start = Instant::now();
    assert!(group.join_all().await.iter().all(Result::is_ok));
    assert_eq!(high_water.load(Ordering::SeqCst), 2);
    assert_eq!(start.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn queued_tasks_of_a_cancelled_group_never_start() {
    let mut group = TaskGroup::bounded(1);
    let started = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let started = Arc::clone(&started);
        group
            .spawn("job", async move {
                started.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
            })
            .unwrap();
    }
    tokio::task::yield_now().await;
    group.cancel();
    assert_eq!(group.spawn("late", async {}), Err(SpawnError::Cancelled));
    let results = group.join_all().await;
    assert_eq!(results.len(), 3);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(e) if e.is_cancelled()))
    );
    assert_eq!(started.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_join_next_reaps_finished_tasks_while_spawning() {
    let mut group = TaskGroup::new();
    let mut reaped = 0_usize;
    for i in 0..20_000_u32 {
        group.spawn("quick", async move { i }).unwrap();
        while let Some(result) = group.try_join_next() {
            result.unwrap();
            reaped += 1;
        }
    }
    // Finished tasks did not pile up: most were reaped while spawning.
    assert!(reaped > 0);
    reaped += group.join_all().await.len();
    assert_eq!(reaped, 20_000);
}

#[tokio::test]
async fn spawn_blocking_runs_on_the_blocking_pool_and_keeps_its_name() {
    let mut group = TaskGroup::bounded(2);
    group
        .spawn_blocking("sum", || (1..=100_u64).sum::<u64>())
        .unwrap();
    group
        .spawn_blocking("boom", || -> u64 { panic!("blocking panic") })
        .unwrap();
    let mut seen = Vec::new();
    while let Some(joined) = group.join_next_named().await {
        seen.push(match joined.result {
            Ok(sum) => format!("{}: {sum}", joined.name),
            Err(error) => error.to_string(),
        });
    }
    seen.sort();
    assert_eq!(seen, ["sum: 5050", "task `boom` panicked: blocking panic"]);
}

#[tokio::test(start_paused = true)]
async fn a_spawner_spawns_from_shared_references_into_the_group() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
    let mut group = TaskGroup::bounded(2).with_shutdown(&shutdown, "handlers");
    let spawner = group.spawner();
    let handlers: Vec<_> = (0..3).map(|_| spawner.clone()).collect();
    for (i, handler) in handlers.iter().enumerate() {
        handler
            .spawn(format!("request-{i}"), async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                i
            })
            .unwrap();
    }
    handlers[0]
        .spawn("deaf", std::future::pending::<usize>())
        .unwrap();
    assert_eq!(group.len(), 4);
    // The limit holds across the spawner's tasks: two requests run first,
    // the third (and the deaf task) only once they are done.
    let start = Instant::now();
    let mut done = Vec::new();
    for _ in 0..3 {
        done.push(group.join_next().await.unwrap().unwrap());
    }
    done.sort_unstable();
    assert_eq!(done, [0, 1, 2]);
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    // The deaf task is tracked by path and cut at the deadline.
    let report = shutdown.drain().await;
    assert_eq!(report.stragglers[0].name, "handlers/deaf");
    let joined = group.join_next_named().await.unwrap();
    assert_eq!(joined.name, "deaf");
    assert!(joined.result.unwrap_err().is_cancelled());
    assert_eq!(
        spawner.spawn("late", async { 0 }),
        Err(SpawnError::Cancelled)
    );
}
