//! Soak: a supervisor, a bounded group tied to the shutdown and 8
//! producers run under random task failures and panics, then the service
//! drains. Bounded: 2 000 jobs on paused virtual time (a few seconds of
//! real time), seeded so that a failure reproduces.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asyncwise::{BoxError, RestartPolicy, Shutdown, Supervisor, TaskError, TaskGroup};
use tokio::sync::mpsc;

const PRODUCERS: u64 = 8;
const JOBS_PER_PRODUCER: u64 = 250;
const LIMIT: usize = 16;

#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    failed: AtomicUsize,
    panicked: AtomicUsize,
    cancelled: AtomicUsize,
    max_owned: AtomicUsize,
    max_tracked: AtomicUsize,
}

async fn job(seed: u64) -> Result<u64, String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    tokio::time::sleep(Duration::from_millis(rng.u64(0..50))).await;
    match rng.u8(0..100) {
        0..10 => Err(format!("job {seed} failed")),
        10..15 => panic!("job {seed} panicked"),
        _ => Ok(seed),
    }
}

fn count(tally: &Tally, result: Result<Result<u64, String>, TaskError>) {
    let counter = match result {
        Ok(Ok(_)) => &tally.ok,
        Ok(Err(_)) => &tally.failed,
        Err(TaskError::Panicked { .. }) => &tally.panicked,
        Err(_) => &tally.cancelled,
    };
    counter.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test(start_paused = true)]
async fn a_busy_service_with_failures_drains_with_every_task_accounted_for() {
    let shutdown = Shutdown::with_deadline(Duration::from_secs(5));
    let tally = Arc::new(Tally::default());
    let (jobs, mut queue) = mpsc::channel::<u64>(64);

    // Producers: tracked, each submits its jobs at a random pace.
    for producer in 0..PRODUCERS {
        let jobs = jobs.clone();
        shutdown.spawn(format!("producer-{producer}"), async move {
            let mut rng = fastrand::Rng::with_seed(producer);
            for n in 0..JOBS_PER_PRODUCER {
                jobs.send(producer * 1_000 + n)
                    .await
                    .map_err(|e| e.to_string())?;
                tokio::time::sleep(Duration::from_millis(rng.u64(0..20))).await;
            }
            Ok::<(), String>(())
        });
    }
    drop(jobs);

    // Consumer: runs every job in a bounded group tied to the shutdown,
    // reaping finished jobs as it goes so they do not pile up.
    let consumer_shutdown = shutdown.clone();
    let consumer_tally = Arc::clone(&tally);
    let consumer = shutdown.spawn("consumer", async move {
        let tally = consumer_tally;
        let mut group = TaskGroup::bounded(LIMIT).with_shutdown(&consumer_shutdown, "jobs");
        while let Some(seed) = queue.recv().await {
            if group
                .spawn_wait(format!("job-{seed}"), job(seed))
                .await
                .is_err()
            {
                break;
            }
            while let Some(result) = group.try_join_next() {
                count(&tally, result);
            }
            tally.max_owned.fetch_max(group.len(), Ordering::SeqCst);
            tally
                .max_tracked
                .fetch_max(consumer_shutdown.running().len(), Ordering::SeqCst);
        }
        for result in group.join_all().await {
            count(&tally, result);
        }
    });

    // A supervised child that crashes now and then and is restarted.
    let crashes = Arc::new(AtomicUsize::new(0));
    let crash_counter = Arc::clone(&crashes);
    let supervisor = Supervisor::new(shutdown.child_token())
        .name("monitor")
        .with_shutdown(&shutdown)
        .restart_intensity(1_000, Duration::from_secs(1))
        .seed(3)
        .child("flaky", RestartPolicy::Permanent, move |ctx| {
            let crashes = Arc::clone(&crash_counter);
            async move {
                tokio::select! {
                    () = ctx.token().cancelled() => Ok(()),
                    () = tokio::time::sleep(Duration::from_millis(300)) => {
                        crashes.fetch_add(1, Ordering::SeqCst);
                        Err::<(), BoxError>("monitor crashed".into())
                    }
                }
            }
        });
    shutdown.spawn("supervisor", supervisor.run());

    consumer
        .await
        .expect("consumer ends once every producer is done");
    let report = shutdown.drain().await;

    // Every job is accounted for.
    let ok = tally.ok.load(Ordering::SeqCst);
    let failed = tally.failed.load(Ordering::SeqCst);
    let panicked = tally.panicked.load(Ordering::SeqCst);
    let cancelled = tally.cancelled.load(Ordering::SeqCst);
    let total = usize::try_from(PRODUCERS * JOBS_PER_PRODUCER).unwrap();
    assert_eq!(ok + failed + panicked + cancelled, total);
    assert_eq!(cancelled, 0, "jobs finished before the drain began");
    assert!(failed > 0 && panicked > 0, "the soak injected failures");
    // ... and so is every failure, in the report, by path.
    let crashes = crashes.load(Ordering::SeqCst);
    assert!(crashes > 0);
    let job_failures = report
        .failures
        .iter()
        .filter(|f| f.task.name.starts_with("jobs/job-"))
        .count();
    let monitor_failures = report
        .failures
        .iter()
        .filter(|f| f.task.name == "monitor/flaky")
        .count();
    assert_eq!(job_failures, failed + panicked);
    assert_eq!(monitor_failures, crashes);
    assert_eq!(report.failures.len(), failed + panicked + crashes);
    assert!(report.stragglers.is_empty(), "{report}");
    // Nothing is alive after the drain, and nothing piled up during the run.
    assert!(shutdown.running().is_empty());
    assert!(tally.max_owned.load(Ordering::SeqCst) <= 2 * LIMIT);
    let tracked_bound = usize::try_from(PRODUCERS).unwrap() + LIMIT + 4;
    assert!(tally.max_tracked.load(Ordering::SeqCst) <= tracked_bound);
}
