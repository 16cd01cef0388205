//! 100k no-op tasks: `TaskGroup` versus the hand-written equivalent.
//!
//! - `task_group_limit_64` vs `joinset_semaphore_64`: a bounded group versus
//!   `JoinSet` + `Semaphore(64)` with the permit moved into the task.
//! - `task_group_unbounded` vs `joinset`: an unbounded group versus a plain
//!   `JoinSet`.
//!
//! Every variant spawns all tasks, then joins every result.

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::Arc;

use asyncwise::TaskGroup;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const TASKS: usize = 100_000;
const LIMIT: usize = 64;

async fn task_group(limit: Option<usize>) {
    let mut group = match limit {
        Some(limit) => TaskGroup::bounded(limit),
        None => TaskGroup::new(),
    };
    for i in 0..TASKS {
        group
            .spawn("noop", async move { Ok::<_, Infallible>(black_box(i)) })
            .await
            .expect("group is never cancelled");
    }
    while let Some(result) = group.join_next().await {
        black_box(result.expect("no-op tasks do not fail"));
    }
}

async fn joinset_semaphore() {
    let slots = Arc::new(Semaphore::new(LIMIT));
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        let permit = Arc::clone(&slots)
            .acquire_owned()
            .await
            .expect("semaphore is never closed");
        set.spawn(async move {
            let _permit = permit;
            black_box(i)
        });
    }
    while let Some(result) = set.join_next().await {
        black_box(result.expect("no-op tasks do not fail"));
    }
}

async fn joinset() {
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        set.spawn(async move { black_box(i) });
    }
    while let Some(result) = set.join_next().await {
        black_box(result.expect("no-op tasks do not fail"));
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("build the Tokio runtime");
    // Prime the worker threads and the allocator once for every variant, so
    // that the first benchmark of the run does not pay for a cold heap.
    runtime.block_on(async {
        task_group(Some(LIMIT)).await;
        joinset_semaphore().await;
        task_group(None).await;
        joinset().await;
    });
    let mut group = c.benchmark_group("100k_noop_tasks");
    // One iteration takes ~0.1 s: flat sampling (the same number of
    // iterations per sample) keeps a run short and makes the median robust.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.bench_function("task_group_limit_64", |b| {
        b.to_async(&runtime).iter(|| task_group(Some(LIMIT)));
    });
    group.bench_function("joinset_semaphore_64", |b| {
        b.to_async(&runtime).iter(joinset_semaphore);
    });
    group.bench_function("task_group_unbounded", |b| {
        b.to_async(&runtime).iter(|| task_group(None));
    });
    group.bench_function("joinset", |b| {
        b.to_async(&runtime).iter(joinset);
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
