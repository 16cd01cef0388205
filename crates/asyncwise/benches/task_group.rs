//! 100k tasks: `TaskGroup` versus the hand-written equivalent.
//!
//! - `task_group_limit_64` vs `joinset_semaphore_64`: a bounded group
//!   (`spawn_wait`, so the producer waits for a slot) versus `JoinSet` +
//!   `Semaphore(64)` with the permit acquired before `spawn` and moved into
//!   the task.
//! - `task_group_unbounded` vs `joinset`: an unbounded group (`spawn`)
//!   versus a plain `JoinSet`.
//!
//! Each pair runs with tasks that finish on their first poll (`noop`) and
//! with tasks that yield once (`yield_once`, so every task is polled twice
//! and parks once), with tracing off and with a `tracing` subscriber
//! installed (`traced`: every span is created, entered and closed). Every
//! variant spawns all tasks, then joins every result.
//!
//! Instruction counts: `ASYNCWISE_BENCH_ONE=<variant>` runs one round of one
//! variant (or `none` for the baseline) on a current-thread runtime and
//! exits, for `valgrind --tool=callgrind`; see the crate README.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use asyncwise::TaskGroup;
use criterion::{Criterion, SamplingMode};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const TASKS: usize = 100_000;
const LIMIT: usize = 64;

#[derive(Clone, Copy, Debug)]
enum Work {
    Noop,
    YieldOnce,
}

async fn work(kind: Work, i: usize) -> usize {
    if let Work::YieldOnce = kind {
        tokio::task::yield_now().await;
    }
    black_box(i)
}

async fn task_group(limit: Option<usize>, kind: Work) {
    let mut group = match limit {
        Some(limit) => TaskGroup::bounded(limit),
        None => TaskGroup::new(),
    };
    for i in 0..TASKS {
        if limit.is_some() {
            // Backpressure, like acquiring the permit before `spawn`.
            group.spawn_wait("task", work(kind, i)).await
        } else {
            group.spawn("task", work(kind, i))
        }
        .expect("group is never cancelled");
    }
    while let Some(result) = group.join_next().await {
        black_box(result.expect("tasks do not fail"));
    }
}

async fn joinset_semaphore(kind: Work) {
    let slots = Arc::new(Semaphore::new(LIMIT));
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        let permit = Arc::clone(&slots)
            .acquire_owned()
            .await
            .expect("semaphore is never closed");
        set.spawn(async move {
            let _permit = permit;
            work(kind, i).await
        });
    }
    while let Some(result) = set.join_next().await {
        black_box(result.expect("tasks do not fail"));
    }
}

async fn joinset(kind: Work) {
    let mut set = JoinSet::new();
    for i in 0..TASKS {
        set.spawn(work(kind, i));
    }
    while let Some(result) = set.join_next().await {
        black_box(result.expect("tasks do not fail"));
    }
}

async fn variant(name: &str, kind: Work) {
    match name {
        "task_group_limit_64" => task_group(Some(LIMIT), kind).await,
        "joinset_semaphore_64" => joinset_semaphore(kind).await,
        "task_group_unbounded" => task_group(None, kind).await,
        "joinset" => joinset(kind).await,
        _ => {}
    }
}

const VARIANTS: [&str; 4] = [
    "task_group_limit_64",
    "joinset_semaphore_64",
    "task_group_unbounded",
    "joinset",
];

/// A subscriber that enables every span and event and does the minimum a
/// real one does: hands out ids and counts what it sees.
struct Counting {
    next_id: AtomicU64,
    seen: AtomicU64,
}

impl tracing::Subscriber for Counting {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {
        self.seen.fetch_add(1, Ordering::Relaxed);
    }
    fn enter(&self, _: &tracing::span::Id) {
        self.seen.fetch_add(1, Ordering::Relaxed);
    }
    fn exit(&self, _: &tracing::span::Id) {}
}

fn counting() -> tracing::Dispatch {
    tracing::Dispatch::new(Counting {
        next_id: AtomicU64::new(0),
        seen: AtomicU64::new(0),
    })
}

fn bench(c: &mut Criterion, traced: bool) {
    let dispatch = counting();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start({
            let dispatch = dispatch.clone();
            move || {
                if traced {
                    // Kept for the thread's life: `set_default` guards are
                    // per thread; leaking one is what a global default does.
                    std::mem::forget(tracing::dispatcher::set_default(&dispatch));
                }
            }
        })
        .build()
        .expect("build the Tokio runtime");
    // Prime the worker threads and the allocator once for every variant.
    runtime.block_on(async {
        for name in VARIANTS {
            variant(name, Work::YieldOnce).await;
        }
    });
    for kind in [Work::Noop, Work::YieldOnce] {
        let label = match (kind, traced) {
            (Work::Noop, false) => "100k_noop_tasks",
            (Work::YieldOnce, false) => "100k_yield_once_tasks",
            (Work::Noop, true) => "100k_noop_tasks_traced",
            (Work::YieldOnce, true) => "100k_yield_once_tasks_traced",
        };
        let mut group = c.benchmark_group(label);
        // One iteration takes ~0.1 s: flat sampling keeps a run short.
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(20);
        for name in VARIANTS {
            group.bench_function(name, |b| {
                b.to_async(&runtime).iter(|| variant(name, kind));
            });
        }
        group.finish();
    }
}

/// One round of one variant on a current-thread runtime, for callgrind.
fn run_one(spec: &str) {
    let (name, kind) = match spec.strip_suffix("/yield_once") {
        Some(name) => (name, Work::YieldOnce),
        None => (spec.strip_suffix("/noop").unwrap_or(spec), Work::Noop),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build the Tokio runtime");
    runtime.block_on(variant(name, kind));
}

fn main() {
    if let Ok(spec) = std::env::var("ASYNCWISE_BENCH_ONE") {
        run_one(&spec);
        return;
    }
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion, false);
    bench(&mut criterion, true);
    criterion.final_summary();
}
