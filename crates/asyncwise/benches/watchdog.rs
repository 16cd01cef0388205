//! The watchdog's cost per poll: a future polled in a tight loop, plain and
//! instrumented with a running watchdog, and the same through Tokio's
//! scheduler (a task that yields). The difference per poll is the figure
//! the crate README reports.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use asyncwise::watchdog::{self, Watchdog};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const POLLS: u64 = 100_000;

/// Returns `Pending` `left` times, then `Ready`.
struct Countdown {
    left: u64,
}

impl Future for Countdown {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            Poll::Ready(())
        } else {
            self.left -= 1;
            Poll::Pending
        }
    }
}

fn drive<F: Future>(future: F) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    while std::hint::black_box(future.as_mut())
        .poll(&mut cx)
        .is_pending()
    {}
}

fn bench(c: &mut Criterion) {
    let _watchdog = Watchdog::builder().start().unwrap();
    let mut group = c.benchmark_group("watchdog_per_poll");
    group.throughput(Throughput::Elements(POLLS));
    group.bench_function(BenchmarkId::new("direct", "plain"), |b| {
        b.iter(|| {
            drive(Countdown {
                left: std::hint::black_box(POLLS),
            })
        })
    });
    group.bench_function(BenchmarkId::new("direct", "instrumented"), |b| {
        b.iter(|| {
            drive(watchdog::Instrumented::new(
                "bench",
                Countdown { left: POLLS },
            ))
        })
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let yielding = || async {
        for _ in 0..POLLS {
            tokio::task::yield_now().await;
        }
    };
    group.bench_function(BenchmarkId::new("runtime", "tokio::spawn"), |b| {
        b.iter(|| runtime.block_on(async { tokio::spawn(yielding()).await.unwrap() }))
    });
    group.bench_function(BenchmarkId::new("runtime", "watchdog::spawn"), |b| {
        b.iter(|| runtime.block_on(async { watchdog::spawn("bench", yielding()).await.unwrap() }))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
