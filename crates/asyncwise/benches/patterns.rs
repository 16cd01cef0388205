//! Overhead of the resilience and flow-control patterns against what they
//! replace, in one run:
//!
//! - `breaker_call/*`: one `CircuitBreaker::call` on the success path versus
//!   a bare `.await` of the same ready future, polled once with a no-op waker
//!   (no runtime in the measurement).
//! - `retry_first_try/*`: `retry(policy, op)` whose first attempt succeeds
//!   versus awaiting `op()` directly, the same way.
//! - `batch_100k/*`: 100 000 items through a `Batcher` (256 per batch, queue
//!   512) versus a hand-written `mpsc::channel(512)` + `recv_many(256)` loop,
//!   one producer, on a multi-thread runtime.
//! - `map_concurrent_10k/*`: 10 000 items, 64 at once, each yielding to the
//!   scheduler once, through `map_concurrent` versus `futures`'
//!   `buffer_unordered`, on a current-thread runtime.
//!
//! Instruction counts: `ASYNCWISE_BENCH_ONE=<name>` runs one round of one
//! workload on a current-thread runtime and exits, for `valgrind
//! --tool=callgrind`: `map_concurrent`, `buffer_unordered`, `batcher`,
//! `recv_many` (one pass of the workloads above), `batcher_token` (the
//! batcher with a shutdown token that never fires), `recv_many_try_reserve`
//! (the loop with the batcher's send path), `none` (the runtime
//! alone), and 100 000 calls of `bare_await`, `breaker_consecutive`,
//! `breaker_rate_calls`, `breaker_rate_time`, `retry`, `retry_budget` or
//! `retry_token` (subtract `bare_await` and divide by 100 000).
//!
//! Interleaved wall-clock A/B on a shared machine:
//! `ASYNCWISE_BENCH_AB=map_concurrent,buffer_unordered` (or
//! `batcher,recv_many`) alternates passes of the two and prints minimum and
//! median times and their throughput ratio.

use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Waker};
use std::time::Duration;

use asyncwise::{BatchConfig, Batcher, CircuitBreaker, PipelineExt, RetryPolicy, Window, retry};
use criterion::{Criterion, criterion_group};
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

/// Polls `fut` once; every future measured here is ready at once.
fn poll_once<F: Future>(fut: F) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    pin!(fut).poll(&mut cx).is_ready()
}

async fn ready_op() -> Result<u64, std::io::Error> {
    Ok(black_box(1))
}

fn breaker(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker_call");
    group.bench_function("bare_await", |b| {
        b.iter(|| poll_once(async { ready_op().await }));
    });
    let consecutive = CircuitBreaker::builder().consecutive_failures(5).build();
    group.bench_function("consecutive_failures", |b| {
        b.iter(|| poll_once(consecutive.call(ready_op())));
    });
    let by_count = CircuitBreaker::builder()
        .failure_rate(0.5, Window::Calls(100), 10)
        .build();
    group.bench_function("rate_over_100_calls", |b| {
        b.iter(|| poll_once(by_count.call(ready_op())));
    });
    let by_time = CircuitBreaker::builder()
        .failure_rate(0.5, Window::Time(Duration::from_secs(10)), 10)
        .build();
    group.bench_function("rate_over_10s", |b| {
        b.iter(|| poll_once(by_time.call(ready_op())));
    });
    group.finish();
}

fn retry_overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("retry_first_try");
    group.bench_function("bare_await", |b| {
        b.iter(|| poll_once(async { ready_op().await }));
    });
    let policy = RetryPolicy::default();
    group.bench_function("retry", |b| {
        b.iter(|| poll_once(retry(policy.clone(), ready_op).into_future()));
    });
    let budgeted = RetryPolicy::default().max_elapsed(Duration::from_secs(10));
    group.bench_function("retry_with_time_budget", |b| {
        b.iter(|| poll_once(retry(budgeted.clone(), ready_op).into_future()));
    });
    let token = CancellationToken::new();
    group.bench_function("retry_with_cancel_token", |b| {
        b.iter(|| {
            poll_once(
                retry(policy.clone(), ready_op)
                    .cancel_on(token.clone())
                    .into_future(),
            )
        });
    });
    group.finish();
}

const BATCH_ITEMS: u64 = 100_000;
const BATCH_SIZE: usize = 256;
const QUEUE: usize = 512;

async fn through_batcher() -> u64 {
    let config = BatchConfig::new(BATCH_SIZE, Duration::from_millis(10)).capacity(QUEUE);
    let (batcher, worker) = Batcher::new(config, |batch| {
        black_box(batch.iter().sum::<u64>());
        async { Ok::<_, std::io::Error>(()) }
    });
    let worker = tokio::spawn(worker.run());
    for n in 0..BATCH_ITEMS {
        batcher.send(n).await.expect("batcher open");
    }
    drop(batcher);
    worker.await.expect("worker").items_flushed
}

/// `through_batcher` with a shutdown token that never fires, for the cost of
/// the senders' token check (instruction counts only).
async fn through_batcher_with_token() -> u64 {
    let token = CancellationToken::new();
    let config = BatchConfig::new(BATCH_SIZE, Duration::from_millis(10))
        .capacity(QUEUE)
        .cancel_on(token.clone());
    let (batcher, worker) = Batcher::new(config, |batch| {
        black_box(batch.iter().sum::<u64>());
        async { Ok::<_, std::io::Error>(()) }
    });
    let worker = tokio::spawn(worker.run());
    for n in 0..BATCH_ITEMS {
        batcher.send(n).await.expect("batcher open");
    }
    drop(batcher);
    worker.await.expect("worker").items_flushed
}

/// The hand-written consumer the `Batcher` is measured against: `recv_many`
/// into one buffer, the same flush work, until every sender is gone.
async fn recv_many_loop(mut rx: tokio::sync::mpsc::Receiver<u64>) -> u64 {
    let mut flushed = 0;
    let mut buf = Vec::with_capacity(BATCH_SIZE);
    while rx.recv_many(&mut buf, BATCH_SIZE).await > 0 {
        black_box(buf.iter().sum::<u64>());
        flushed += buf.len() as u64;
        buf.clear();
    }
    flushed
}

async fn through_recv_many() -> u64 {
    let (tx, rx) = tokio::sync::mpsc::channel::<u64>(QUEUE);
    let worker = tokio::spawn(recv_many_loop(rx));
    for n in 0..BATCH_ITEMS {
        tx.send(n).await.expect("receiver alive");
    }
    drop(tx);
    worker.await.expect("worker")
}

/// `through_recv_many` whose producer takes a free slot with `try_reserve`
/// before falling back to `send`, as `Batcher::send` does (instruction
/// counts only): how much of the batcher's lead is its send path.
async fn through_recv_many_try_reserve() -> u64 {
    let (tx, rx) = tokio::sync::mpsc::channel::<u64>(QUEUE);
    let worker = tokio::spawn(recv_many_loop(rx));
    for n in 0..BATCH_ITEMS {
        let budget = std::future::poll_fn(tokio::task::coop::poll_proceed).await;
        match tx.try_reserve() {
            Ok(permit) => {
                budget.made_progress();
                permit.send(n);
            }
            Err(_) => {
                drop(budget);
                tx.send(n).await.expect("receiver alive");
            }
        }
    }
    drop(tx);
    worker.await.expect("worker")
}

fn batching(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    assert_eq!(runtime.block_on(through_batcher()), BATCH_ITEMS);
    assert_eq!(runtime.block_on(through_recv_many()), BATCH_ITEMS);
    let mut group = c.benchmark_group("batch_100k");
    group.sample_size(20);
    group.bench_function("batcher", |b| {
        b.to_async(&runtime).iter(through_batcher);
    });
    group.bench_function("recv_many_loop", |b| {
        b.to_async(&runtime).iter(through_recv_many);
    });
    group.finish();
}

const STREAM_ITEMS: u64 = 10_000;
const LIMIT: usize = 64;

async fn work(n: u64) -> Result<u64, std::io::Error> {
    tokio::task::yield_now().await;
    Ok(black_box(n))
}

async fn through_map_concurrent() -> u64 {
    futures_util::stream::iter(0..STREAM_ITEMS)
        .map_concurrent(LIMIT, work)
        .fold(0_u64, |sum, r| async move { sum + r.expect("ok") })
        .await
}

async fn through_buffer_unordered() -> u64 {
    futures_util::stream::iter(0..STREAM_ITEMS)
        .map(work)
        .buffer_unordered(LIMIT)
        .fold(0_u64, |sum, r| async move { sum + r.expect("ok") })
        .await
}

fn pipelines(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("map_concurrent_10k");
    group.sample_size(30);
    group.bench_function("map_concurrent", |b| {
        b.to_async(&runtime).iter(through_map_concurrent);
    });
    group.bench_function("buffer_unordered", |b| {
        b.to_async(&runtime).iter(through_buffer_unordered);
    });
    group.finish();
}

const CALLS: u64 = 100_000;

/// Polls `CALLS` futures made by `make`, each once.
fn calls<F: Future>(mut make: impl FnMut() -> F) -> u64 {
    (0..CALLS).map(|_| u64::from(poll_once(make()))).sum()
}

/// One round of one workload on a current-thread runtime, for callgrind.
fn run_one(name: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let policy = RetryPolicy::default();
    let budgeted = RetryPolicy::default().max_elapsed(Duration::from_secs(10));
    let token = CancellationToken::new();
    let consecutive = CircuitBreaker::builder().consecutive_failures(5).build();
    let by_count = CircuitBreaker::builder()
        .failure_rate(0.5, Window::Calls(100), 10)
        .build();
    let by_time = CircuitBreaker::builder()
        .failure_rate(0.5, Window::Time(Duration::from_secs(10)), 10)
        .build();
    let sum = runtime.block_on(async {
        match name {
            "map_concurrent" => through_map_concurrent().await,
            "buffer_unordered" => through_buffer_unordered().await,
            "batcher" => through_batcher().await,
            "recv_many" => through_recv_many().await,
            "batcher_token" => through_batcher_with_token().await,
            "recv_many_try_reserve" => through_recv_many_try_reserve().await,
            "bare_await" => calls(|| async { ready_op().await }),
            "breaker_consecutive" => calls(|| consecutive.call(ready_op())),
            "breaker_rate_calls" => calls(|| by_count.call(ready_op())),
            "breaker_rate_time" => calls(|| by_time.call(ready_op())),
            "retry" => calls(|| retry(policy.clone(), ready_op).into_future()),
            "retry_budget" => calls(|| retry(budgeted.clone(), ready_op).into_future()),
            "retry_token" => calls(|| {
                retry(policy.clone(), ready_op)
                    .cancel_on(token.clone())
                    .into_future()
            }),
            _ => 0,
        }
    });
    black_box(sum);
}

criterion_group!(benches, breaker, retry_overhead, batching, pipelines);

/// One pass of a stream or batch workload on `runtime`, timed.
fn time_pass(name: &str, runtime: &tokio::runtime::Runtime) -> Duration {
    let started = std::time::Instant::now();
    let sum = runtime.block_on(async {
        match name {
            "map_concurrent" => through_map_concurrent().await,
            "buffer_unordered" => through_buffer_unordered().await,
            "batcher" => through_batcher().await,
            "recv_many" => through_recv_many().await,
            "buffer_unordered_indexed" => {
                futures_util::stream::iter(0..STREAM_ITEMS)
                    .enumerate()
                    .map(|(i, n)| async move { (i, work(n).await) })
                    .buffer_unordered(LIMIT)
                    .fold(0_u64, |sum, (_, r)| async move { sum + r.expect("ok") })
                    .await
            }
            "buffer_unordered_boxed_index" => {
                futures_util::stream::iter(0..STREAM_ITEMS)
                    .enumerate()
                    .map(|(i, n)| async move { work(n).await.map_err(|e| Box::new((i, e))) })
                    .buffer_unordered(LIMIT)
                    .fold(0_u64, |sum, r| async move { sum + r.expect("ok") })
                    .await
            }
            "buffer_unordered_stage_error" => {
                futures_util::stream::iter(0..STREAM_ITEMS)
                    .map(|n| async move {
                        work(n).await.map_err(|e| asyncwise::StageError {
                            index: n,
                            kind: asyncwise::StageErrorKind::Failed(e),
                        })
                    })
                    .buffer_unordered(LIMIT)
                    .fold(0_u64, |sum, r| async move { sum + r.expect("ok") })
                    .await
            }
            other => panic!("no workload {other}"),
        }
    });
    black_box(sum);
    started.elapsed()
}

/// `ASYNCWISE_BENCH_AB=a,b`: alternates passes of two workloads
/// (`ASYNCWISE_BENCH_ROUNDS` pairs, default 200) on the runtime criterion
/// uses for them, and prints each one's minimum and median pass time and
/// the throughput ratio b / a of the medians and of the minimums. On a
/// shared machine the alternation exposes both workloads to the same load,
/// and the minimum is the pass least disturbed by other processes.
fn run_ab(pair: &str) {
    let (a, b) = pair.split_once(',').expect("ASYNCWISE_BENCH_AB=a,b");
    let rounds: usize = std::env::var("ASYNCWISE_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let runtime = if a == "batcher" || a == "recv_many" {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
    .expect("runtime");
    for _ in 0..rounds / 10 + 1 {
        time_pass(a, &runtime);
        time_pass(b, &runtime);
    }
    let (mut times_a, mut times_b) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        times_a.push(time_pass(a, &runtime));
        times_b.push(time_pass(b, &runtime));
    }
    times_a.sort();
    times_b.sort();
    let (median_a, median_b) = (times_a[rounds / 2], times_b[rounds / 2]);
    println!(
        "{a}: min {:?} median {median_a:?}; {b}: min {:?} median {median_b:?}; \
         throughput {a}/{b}: medians {:.3}, minimums {:.3}",
        times_a[0],
        times_b[0],
        median_b.as_secs_f64() / median_a.as_secs_f64(),
        times_b[0].as_secs_f64() / times_a[0].as_secs_f64(),
    );
}

fn main() {
    if let Ok(name) = std::env::var("ASYNCWISE_BENCH_ONE") {
        run_one(&name);
        return;
    }
    if let Ok(pair) = std::env::var("ASYNCWISE_BENCH_AB") {
        run_ab(&pair);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
