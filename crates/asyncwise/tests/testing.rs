//! `asyncwise::testing`: the cancellation checker finds the three classic
//! cancellation bugs at their exact await point, passes their fixes, and on
//! random state machines reports exactly the planted bug.

// asyncwise: allow-file(blocking_in_async) -- the tests read their own source to name the reported await lines

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use asyncwise::testing::{Stage, cancel_at_each_await, pending_after, pending_before, traced};
use proptest::prelude::*;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

/// The source line a reported await point names, so tests say which await
/// they expect by its text rather than by a line number.
fn source_line(location: &std::panic::Location<'_>) -> String {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let source = std::fs::read_to_string(workspace.join(location.file())).unwrap();
    source
        .lines()
        .nth(location.line() as usize - 1)
        .unwrap()
        .trim()
        .to_owned()
}

// --- 1. A gauge incremented before an await and decremented after it. ---

async fn handle_request_unguarded(in_flight: Arc<AtomicI64>) {
    in_flight.fetch_add(1, Ordering::SeqCst);
    traced(tokio::time::sleep(Duration::from_millis(5))).await;
    // asyncwise: allow(cleanup_after_await) -- the deliberate leak cancel_at_each_await must find
    in_flight.fetch_sub(1, Ordering::SeqCst);
}

async fn handle_request_guarded(in_flight: Arc<AtomicI64>) {
    in_flight.fetch_add(1, Ordering::SeqCst);
    let _decrement = scopeguard::guard(in_flight, |gauge| {
        gauge.fetch_sub(1, Ordering::SeqCst);
    });
    traced(tokio::time::sleep(Duration::from_millis(5))).await;
}

fn gauge_is_zero(gauge: &Arc<AtomicI64>, _: Stage) -> Result<(), String> {
    match gauge.load(Ordering::SeqCst) {
        0 => Ok(()),
        left => Err(format!("in-flight gauge left at {left}")),
    }
}

#[tokio::test(start_paused = true)]
async fn gauge_left_incremented_is_found_at_the_sleep() {
    let error = cancel_at_each_await(
        || {
            let gauge = Arc::new(AtomicI64::new(0));
            (gauge.clone(), handle_request_unguarded(gauge))
        },
        gauge_is_zero,
    )
    .await
    .unwrap_err();

    assert_eq!(error.suspensions(), 1);
    let [failure] = error.failures() else {
        panic!("expected one failure, got {error}");
    };
    assert_eq!(failure.stage.suspension(), Some(1));
    let location = failure.stage.location().expect("the sleep is traced");
    assert!(location.file().ends_with("testing.rs"));
    assert_eq!(
        source_line(location),
        "traced(tokio::time::sleep(Duration::from_millis(5))).await;"
    );
    assert_eq!(failure.message, "in-flight gauge left at 1");
    // The failure reads like the analyzer's findings of the same pitfalls.
    assert!(error.to_string().starts_with(&format!(
        "{}: the future is not cancel-safe: 1 of 3 checks failed",
        asyncwise::testing::CancelSafetyError::RULES
    )));
}

#[tokio::test(start_paused = true)]
async fn gauge_with_a_drop_guard_passes() {
    let report = cancel_at_each_await(
        || {
            let gauge = Arc::new(AtomicI64::new(0));
            (gauge.clone(), handle_request_guarded(gauge))
        },
        gauge_is_zero,
    )
    .await
    .unwrap();
    assert_eq!(report.suspensions, 1);
    assert_eq!(report.checks, 3);
}

// --- 2. `read_exact` in a `select!` loop loses the bytes of a half-read frame. ---

/// An in-memory connection that delivers at most `chunk` bytes per read and
/// suspends before each read, as a socket does when data trickles in.
#[derive(Clone)]
struct Wire {
    bytes: Rc<RefCell<VecDeque<u8>>>,
    chunk: usize,
    ready: Rc<Cell<bool>>,
}

impl Wire {
    fn new(frames: &[&[u8]], chunk: usize) -> Wire {
        let mut bytes = VecDeque::new();
        for frame in frames {
            bytes.push_back(u8::try_from(frame.len()).unwrap());
            bytes.extend(frame.iter().copied());
        }
        Wire {
            bytes: Rc::new(RefCell::new(bytes)),
            chunk,
            ready: Rc::new(Cell::new(false)),
        }
    }
}

impl AsyncRead for Wire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.ready.replace(false) {
            self.ready.set(true);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let mut bytes = self.bytes.borrow_mut();
        let n = self.chunk.min(buf.remaining()).min(bytes.len());
        let taken: Vec<u8> = bytes.drain(..n).collect();
        buf.put_slice(&taken);
        Poll::Ready(Ok(()))
    }
}

/// What the reader has handed on, and bytes it holds between calls.
#[derive(Clone, Default)]
struct Received {
    frames: Rc<RefCell<Vec<Vec<u8>>>>,
    buffered: Rc<RefCell<Vec<u8>>>,
}

/// The bug: the length prefix and a partial body live in the future's
/// locals, so a `select!` whose other branch wins drops them.
async fn next_frame_read_exact(mut wire: Wire, received: Received) -> io::Result<()> {
    let mut len = [0_u8; 1];
    wire.read_exact(&mut len).await?;
    let mut body = vec![0_u8; usize::from(len[0])];
    traced(wire.read_exact(&mut body)).await?;
    received.frames.borrow_mut().push(body);
    Ok(())
}

/// The fix: bytes are moved into a buffer owned by the connection (here
/// `received.buffered`) as soon as they are read, with `read`, which is
/// cancel safe; a dropped call loses nothing and the next one resumes.
async fn next_frame_buffered(mut wire: Wire, received: Received) -> io::Result<()> {
    loop {
        let complete = {
            let buffered = received.buffered.borrow();
            buffered
                .first()
                .is_some_and(|&len| buffered.len() > usize::from(len))
        };
        if complete {
            let mut buffered = received.buffered.borrow_mut();
            let len = usize::from(buffered[0]);
            let frame: Vec<u8> = buffered.drain(..=len).skip(1).collect();
            received.frames.borrow_mut().push(frame);
            return Ok(());
        }
        let mut chunk = [0_u8; 64];
        let n = traced(wire.read(&mut chunk)).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        received
            .buffered
            .borrow_mut()
            .extend_from_slice(&chunk[..n]);
    }
}

const FRAME: &[u8] = b"hello, frames";

/// No byte lost: what was handed on, what the reader holds and what is still
/// on the wire add up to the one frame that was sent.
fn no_byte_lost((wire, received): &(Wire, Received), _: Stage) -> Result<(), String> {
    let accounted = received
        .frames
        .borrow()
        .iter()
        .map(|f| f.len() + 1)
        .sum::<usize>()
        + received.buffered.borrow().len()
        + wire.bytes.borrow().len();
    if accounted == FRAME.len() + 1 {
        Ok(())
    } else {
        Err(format!(
            "{} of {} bytes lost",
            FRAME.len() + 1 - accounted,
            FRAME.len() + 1
        ))
    }
}

#[tokio::test(start_paused = true)]
async fn read_exact_loses_the_bytes_of_a_half_read_frame() {
    let error = cancel_at_each_await(
        || {
            let wire = Wire::new(&[FRAME], 4);
            let received = Received::default();
            (
                (wire.clone(), received.clone()),
                next_frame_read_exact(wire, received),
            )
        },
        no_byte_lost,
    )
    .await
    .unwrap_err();

    // One suspension for the length byte, then one per 4-byte chunk of the
    // 13-byte body: cancelling anywhere after the length was read loses data.
    assert_eq!(error.suspensions(), 1 + 4);
    let at: Vec<usize> = error
        .failures()
        .iter()
        .filter_map(|f| f.stage.suspension())
        .collect();
    assert_eq!(at, vec![2, 3, 4, 5]);
    for failure in error.failures() {
        let location = failure.stage.location().expect("the body read is traced");
        assert_eq!(
            source_line(location),
            "traced(wire.read_exact(&mut body)).await?;"
        );
    }
    assert_eq!(error.failures()[0].message, "1 of 14 bytes lost");
}

#[tokio::test(start_paused = true)]
async fn a_reader_that_keeps_its_buffer_loses_nothing() {
    let report = cancel_at_each_await(
        || {
            let wire = Wire::new(&[FRAME], 4);
            let received = Received::default();
            (
                (wire.clone(), received.clone()),
                next_frame_buffered(wire, received),
            )
        },
        no_byte_lost,
    )
    .await
    .unwrap();
    assert_eq!(report.suspensions, 4, "14 bytes in 4-byte chunks");
}

// --- 3. A batch taken from a queue and lost when the flush is dropped. ---

#[derive(Clone, Default)]
struct Pipeline {
    queue: Rc<RefCell<VecDeque<u32>>>,
    flushed: Rc<RefCell<Vec<u32>>>,
}

impl Pipeline {
    fn with_items(n: u32) -> Pipeline {
        let pipeline = Pipeline::default();
        pipeline.queue.borrow_mut().extend(0..n);
        pipeline
    }

    async fn write_out(&self, batch: &[u32]) {
        traced(tokio::time::sleep(Duration::from_millis(1))).await;
        self.flushed.borrow_mut().extend_from_slice(batch);
    }
}

async fn flush_once_losing(pipeline: Pipeline) {
    let batch: Vec<u32> = pipeline.queue.borrow_mut().drain(..).collect();
    pipeline.write_out(&batch).await;
}

async fn flush_once_requeueing(pipeline: Pipeline) {
    let batch: Vec<u32> = pipeline.queue.borrow_mut().drain(..).collect();
    let queue = pipeline.queue.clone();
    // Until the write has finished, dropping this future puts the batch back.
    let batch = scopeguard::guard(batch, move |batch| {
        let mut queue = queue.borrow_mut();
        for item in batch.into_iter().rev() {
            queue.push_front(item);
        }
    });
    pipeline.write_out(&batch).await;
    scopeguard::ScopeGuard::into_inner(batch);
}

fn every_item_once(pipeline: &Pipeline, _: Stage) -> Result<(), String> {
    let mut seen: Vec<u32> = pipeline.queue.borrow().iter().copied().collect();
    seen.extend(pipeline.flushed.borrow().iter().copied());
    seen.sort_unstable();
    if seen == (0..10).collect::<Vec<_>>() {
        Ok(())
    } else {
        Err(format!("items accounted for: {seen:?}"))
    }
}

#[tokio::test(start_paused = true)]
async fn batch_drained_then_dropped_is_found() {
    let error = cancel_at_each_await(
        || {
            let pipeline = Pipeline::with_items(10);
            (pipeline.clone(), flush_once_losing(pipeline))
        },
        every_item_once,
    )
    .await
    .unwrap_err();
    let [failure] = error.failures() else {
        panic!("expected one failure, got {error}");
    };
    assert_eq!(failure.stage.suspension(), Some(1));
    let location = failure.stage.location().expect("the write is traced");
    assert_eq!(
        source_line(location),
        "traced(tokio::time::sleep(Duration::from_millis(1))).await;"
    );
    assert_eq!(failure.message, "items accounted for: []");
}

#[tokio::test(start_paused = true)]
async fn batch_requeued_on_drop_passes() {
    cancel_at_each_await(
        || {
            let pipeline = Pipeline::with_items(10);
            (pipeline.clone(), flush_once_requeueing(pipeline))
        },
        every_item_once,
    )
    .await
    .unwrap();
}

// --- The injectors make immediate await points cancellable. ---

#[tokio::test(start_paused = true)]
async fn pending_after_drops_an_output_already_produced() {
    let error = cancel_at_each_await(
        || {
            let queue = Rc::new(RefCell::new(VecDeque::from([1_u32])));
            let handled = Rc::new(Cell::new(0_u32));
            let future = {
                let (queue, handled) = (queue.clone(), handled.clone());
                async move {
                    let item = pending_after(async { queue.borrow_mut().pop_front() }).await;
                    handled.set(handled.get() + item.unwrap_or(0));
                }
            };
            ((queue, handled), future)
        },
        |(queue, handled), _| {
            let accounted = queue.borrow().len() as u32 + handled.get();
            if accounted == 1 {
                Ok(())
            } else {
                Err("item lost")
            }
        },
    )
    .await
    .unwrap_err();
    assert_eq!(error.failures().len(), 1);
    assert_eq!(error.failures()[0].stage.suspension(), Some(1));
}

#[tokio::test(start_paused = true)]
async fn pending_before_does_not_run_the_inner_future() {
    // Dropped at its injected suspension, the inner future never ran, so
    // nothing is lost: the check passes at every stage.
    let report = cancel_at_each_await(
        || {
            let queue = Rc::new(RefCell::new(VecDeque::from([1_u32])));
            let handled = Rc::new(Cell::new(0_u32));
            let future = {
                let (queue, handled) = (queue.clone(), handled.clone());
                async move {
                    let item = pending_before(async { queue.borrow_mut().pop_front() }).await;
                    handled.set(handled.get() + item.unwrap_or(0));
                }
            };
            ((queue, handled), future)
        },
        |(queue, handled), _| {
            if queue.borrow().len() as u32 + handled.get() == 1 {
                Ok(())
            } else {
                Err("item lost")
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(report.suspensions, 1);
}

// --- Property: random state machines with one planted bug. ---

#[derive(Debug, Clone, Copy)]
enum Step {
    Yield,
    Sleep(u64),
    InjectBefore,
    InjectAfter,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Yield),
        (1_u64..50).prop_map(Step::Sleep),
        Just(Step::InjectBefore),
        Just(Step::InjectAfter),
    ]
}

/// Runs `steps`, each of which suspends exactly once; around step `bug` the
/// machine leaves `open` set across the suspension (the bug) instead of
/// setting and clearing it on the same side of the await.
async fn machine(steps: Vec<Step>, bug: Option<usize>, open: Rc<Cell<bool>>) {
    for (i, step) in steps.into_iter().enumerate() {
        let buggy = bug == Some(i);
        if buggy {
            open.set(true);
        }
        match step {
            Step::Yield => tokio::task::yield_now().await,
            Step::Sleep(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
            Step::InjectBefore => pending_before(async {}).await,
            Step::InjectAfter => pending_after(async {}).await,
        }
        if buggy {
            // asyncwise: allow(cleanup_after_await) -- the deliberate bug the machine injects
            open.set(false);
        }
    }
}

fn planted() -> impl Strategy<Value = (Vec<Step>, Option<usize>)> {
    prop::collection::vec(step(), 1..8).prop_flat_map(|steps| {
        let n = steps.len();
        (Just(steps), prop::option::of(0..n))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn reports_exactly_the_planted_bug((steps, bug) in planted()) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let n = steps.len();
        let outcome = runtime.block_on(cancel_at_each_await(
            || {
                let open = Rc::new(Cell::new(false));
                (open.clone(), machine(steps.clone(), bug, open))
            },
            |open, _| if open.get() { Err("left open") } else { Ok(()) },
        ));
        match bug {
            None => prop_assert_eq!(outcome.map(|r| r.suspensions), Ok(n)),
            Some(i) => {
                let error = outcome.unwrap_err();
                let at: Vec<_> = error.failures().iter().map(|f| f.stage).collect();
                prop_assert_eq!(at.len(), 1);
                prop_assert_eq!(at[0].suspension(), Some(i + 1));
                prop_assert_eq!(error.suspensions(), n);
            }
        }
    }
}

/// "A future whose number of suspensions changes from one run to the next
/// is reported as a failure too": here each run suspends once more than
/// the one before. Before, only a run that suspended *fewer* times was
/// noticed (it completed before its stop); one that suspended more was
/// stopped within the first run's count, and its later awaits were never
/// checked nor reported.
#[tokio::test(start_paused = true)]
async fn a_future_that_suspends_more_often_in_a_later_run_is_reported() {
    let runs = Rc::new(Cell::new(0_usize));
    let result = cancel_at_each_await(
        || {
            runs.set(runs.get() + 1);
            let yields = runs.get();
            ((), async move {
                for _ in 0..yields {
                    tokio::task::yield_now().await;
                }
            })
        },
        |(), _| Ok::<(), String>(()),
    )
    .await;
    let error = result.expect_err("the suspension count grew from run to run");
    assert!(
        error
            .failures()
            .iter()
            .any(|failure| failure.message.contains("more than that in a later one")),
        "{error}"
    );
}

// ---- Shutdown under virtual time: DrainTest ----

mod drain {
    use std::panic::Location;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use asyncwise::Shutdown;
    use asyncwise::testing::DrainTest;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn a_polite_service_drains_and_sees_the_trigger_at_the_virtual_instant() {
        let started = Instant::now();
        let seen_at = Arc::new(Mutex::new(None));
        let seen = Arc::clone(&seen_at);
        let report = DrainTest::trigger_after(Duration::from_secs(30))
            .within(Duration::from_secs(5))
            .run(|shutdown: Shutdown| async move {
                let token = shutdown.token();
                shutdown.spawn("worker", async move {
                    token.cancelled().await;
                    *seen.lock().unwrap() = Some(Instant::now());
                    // Cleanup that takes virtual time, within the deadline.
                    tokio::time::sleep(Duration::from_secs(2)).await;
                });
            })
            .await
            .unwrap();
        assert!(report.is_clean(), "{report}");
        let seen_at = seen_at
            .lock()
            .unwrap()
            .expect("the worker saw the shutdown");
        assert_eq!(seen_at - started, Duration::from_secs(30));
        assert_eq!(report.drain_time, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_ignores_the_shutdown_is_named_with_its_location() {
        let spawned_at = Arc::new(Mutex::new(None));
        let at = Arc::clone(&spawned_at);
        let error = DrainTest::trigger_after(Duration::from_secs(1))
            .within(Duration::from_secs(3))
            .run(|shutdown: Shutdown| async move {
                let token = shutdown.token();
                shutdown.spawn("polite", async move { token.cancelled().await });
                *at.lock().unwrap() = Some(Location::caller());
                shutdown.spawn("stuck", tokio::time::sleep(Duration::from_secs(600)));
            })
            .await
            .unwrap_err();
        assert_eq!(error.stragglers(), ["stuck"]);
        assert!(error.service_returned);
        let spawned_at = spawned_at.lock().unwrap().unwrap();
        let straggler = &error.report.stragglers[0];
        assert_eq!(straggler.location.file(), spawned_at.file());
        assert_eq!(straggler.location.line(), spawned_at.line() + 1);
        assert!(error.to_string().contains("did not drain within 3s"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_service_future_that_never_returns_fails_the_test() {
        let error = DrainTest::trigger_after(Duration::from_millis(10))
            .run(|_shutdown: Shutdown| std::future::pending::<()>())
            .await
            .unwrap_err();
        assert!(!error.service_returned);
        assert!(error.stragglers().is_empty());
        assert!(error.to_string().contains("service future itself"));
    }

    /// "fails with a `DrainTimeout` ... unless everything stopped within
    /// `d`": a service whose own future cleans up after the trigger (no
    /// tracked task) and returns well within the deadline passes. Before,
    /// the drain returned at once (nothing tracked) and the service, still
    /// in its 100 ms cleanup, was reported as not returned.
    #[tokio::test(start_paused = true)]
    async fn a_service_that_cleans_up_in_its_own_future_within_the_deadline_passes() {
        let report = DrainTest::trigger_after(Duration::from_secs(1))
            .within(Duration::from_secs(1))
            .run(|shutdown: Shutdown| async move {
                shutdown.triggered().await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            })
            .await
            .expect("the service returned 100 ms after the trigger");
        assert!(report.is_clean(), "{report}");
        let late = DrainTest::trigger_after(Duration::from_secs(1))
            .within(Duration::from_secs(1))
            .run(|shutdown: Shutdown| async move {
                shutdown.triggered().await;
                tokio::time::sleep(Duration::from_secs(2)).await;
            })
            .await
            .expect_err("the service took 2 s of a 1 s deadline");
        assert!(!late.service_returned);
    }
}

// ---- The crate's own futures under cancel_at_each_await ----

mod own_futures {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use asyncwise::testing::cancel_at_each_await;
    use asyncwise::{BatchConfig, Batcher, RetryPolicy, retry};

    type Seen = Arc<Mutex<Vec<u32>>>;

    /// Every accepted item must end up flushed or dead-lettered, once, even
    /// when the worker future is dropped at any of its awaits.
    #[tokio::test(start_paused = true)]
    async fn batcher_worker_loses_no_accepted_item_when_cancelled() {
        const ITEMS: u32 = 5;
        let result = cancel_at_each_await(
            || {
                let flushed: Seen = Arc::default();
                let dead: Seen = Arc::default();
                let config = BatchConfig::new(2, Duration::from_millis(10))
                    .capacity(8)
                    .retry(RetryPolicy::exponential(Duration::from_millis(5)).max_attempts(2));
                let sink = Arc::clone(&flushed);
                let (batcher, worker) = Batcher::new(config, move |batch| {
                    let sink = Arc::clone(&sink);
                    async move {
                        // The write takes time; it lands only when it completes.
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        if batch.contains(&2) {
                            return Err("item 2 is rejected");
                        }
                        sink.lock().unwrap().extend(batch.iter().copied());
                        Ok(())
                    }
                });
                let dead_sink = Arc::clone(&dead);
                let worker = worker
                    .dead_letter(move |batch, _| dead_sink.lock().unwrap().extend(batch.iter()));
                for n in 0..ITEMS {
                    batcher.try_send(n).expect("room for every item");
                }
                drop(batcher);
                ((flushed, dead), worker.run())
            },
            |(flushed, dead), _| {
                let mut count = BTreeMap::new();
                for n in flushed
                    .lock()
                    .unwrap()
                    .iter()
                    .chain(dead.lock().unwrap().iter())
                {
                    *count.entry(*n).or_insert(0) += 1;
                }
                let wrong: Vec<_> = (0..ITEMS)
                    .filter(|n| count.get(n) != Some(&1))
                    .map(|n| (n, count.get(&n).copied().unwrap_or(0)))
                    .collect();
                if wrong.is_empty() {
                    Ok(())
                } else {
                    Err(format!("(item, times flushed or dead-lettered): {wrong:?}"))
                }
            },
        )
        .await;
        let report = result.unwrap_or_else(|error| panic!("{error}"));
        assert!(report.suspensions >= 4, "{report:?}");
    }

    /// A retried operation dropped at any await starts no further attempt
    /// and never has two attempts in flight.
    #[tokio::test(start_paused = true)]
    async fn retry_starts_no_duplicate_attempt_when_cancelled() {
        #[derive(Default)]
        struct Attempts {
            started: u32,
            finished: u32,
        }
        let result = cancel_at_each_await(
            || {
                let attempts = Arc::new(Mutex::new(Attempts::default()));
                let counter = Arc::clone(&attempts);
                let policy = RetryPolicy::exponential(Duration::from_millis(10))
                    .max_attempts(3)
                    .seed(7);
                let fut = retry(policy, move || {
                    let counter = Arc::clone(&counter);
                    async move {
                        let attempt = {
                            let mut a = counter.lock().unwrap();
                            a.started += 1;
                            a.started
                        };
                        tokio::time::sleep(Duration::from_millis(3)).await;
                        counter.lock().unwrap().finished += 1;
                        if attempt < 3 {
                            Err("busy")
                        } else {
                            Ok(attempt)
                        }
                    }
                });
                (attempts, std::future::IntoFuture::into_future(fut))
            },
            |attempts, _| {
                let a = attempts.lock().unwrap();
                if a.started > 3 || a.started > a.finished + 1 {
                    Err(format!("started {} finished {}", a.started, a.finished))
                } else {
                    Ok(())
                }
            },
        )
        .await;
        let report = result.unwrap_or_else(|error| panic!("{error}"));
        // Three attempts that each sleep, and two backoff sleeps.
        assert_eq!(report.suspensions, 5);
    }
}

/// Session 6 audit of the `testing` docs (see `PROMISES.md`).
mod audit {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use asyncwise::testing::{DrainTest, cancel_at_each_await};
    use asyncwise::{BoxError, Shutdown};

    /// `cancel_at_each_await`: "`make` ... is called `n + 3` times for a future that suspends
    /// `n` times", and the check runs `n + 2` times (`CancelReport::checks`).
    #[tokio::test(start_paused = true)]
    async fn make_is_called_n_plus_three_times() {
        let makes = Rc::new(Cell::new(0_usize));
        let counted = Rc::clone(&makes);
        let report = cancel_at_each_await(
            move || {
                counted.set(counted.get() + 1);
                ((), async {
                    for _ in 0..4 {
                        tokio::task::yield_now().await;
                    }
                })
            },
            |(), _| Ok::<_, String>(()),
        )
        .await
        .unwrap();
        assert_eq!(report.suspensions, 4);
        assert_eq!(report.checks, 6);
        assert_eq!(makes.get(), 7);
    }

    /// "After dropping the future the harness yields to the runtime once, so tasks woken by
    /// the drop can run before the check": a task waiting on a channel whose sender the future
    /// held has seen the channel close when the check runs.
    #[tokio::test(start_paused = true)]
    async fn tasks_woken_by_the_drop_run_before_the_check() {
        let result = cancel_at_each_await(
            || {
                let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                let closed = Arc::new(AtomicBool::new(false));
                let seen = Arc::clone(&closed);
                tokio::spawn(async move {
                    if rx.await.is_err() {
                        seen.store(true, Ordering::SeqCst);
                    }
                });
                (closed, async move {
                    let _held = tx;
                    tokio::task::yield_now().await;
                })
            },
            |closed, stage| {
                if stage.suspension().is_some() && !closed.load(Ordering::SeqCst) {
                    Err(format!("the waiting task had not run at {stage:?}"))
                } else {
                    Ok(())
                }
            },
        )
        .await;
        assert!(result.is_ok(), "{}", result.unwrap_err());
    }

    /// `DrainTest::run`: "Failures of tasks are in the report, not an error".
    #[tokio::test(start_paused = true)]
    async fn a_failing_task_is_in_the_report_not_an_error() {
        let report = DrainTest::trigger_after(Duration::from_secs(1))
            .run(|shutdown: Shutdown| async move {
                shutdown.spawn("fails", async { Err::<(), BoxError>("disk full".into()) });
                shutdown.spawn("panics", async {
                    if true {
                        panic!("bug");
                    }
                });
            })
            .await
            .expect("no straggler: not an error");
        let failed: Vec<&str> = report
            .failures
            .iter()
            .map(|f| f.task.name.as_ref())
            .collect();
        assert_eq!(failed, ["fails", "panics"]);
        assert_eq!(report.exit_code(), 1);
    }
}

/// Session 7 audit: the sentences of the `testing` docs that no test above checked (see
/// `PROMISES.md`). Each test names the sentence it holds the code to.
mod audit7 {
    use std::cell::{Cell, RefCell};
    use std::future::Future;
    use std::rc::Rc;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use asyncwise::testing::{
        CancelSafetyError, DrainTest, Stage, cancel_at_each_await, pending_after, pending_before,
        traced,
    };
    use asyncwise::{Shutdown, TaskGroup};

    use super::source_line;

    /// The panic message of a task that panicked.
    fn panic_message(error: tokio::task::JoinError) -> String {
        let payload = error.into_panic();
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    }

    /// Module docs, steps 1 to 3, and `Stage`: the check is given the completed run first, then
    /// the future dropped at each suspension `k` of `0..=n`, in order and once each, with `of:
    /// n` and the location of the traced await it was suspended in (none for an untraced one);
    /// it runs `CancelReport::checks` times.
    #[tokio::test(start_paused = true)]
    async fn the_check_sees_every_stage_once_in_order() {
        let seen = RefCell::new(Vec::new());
        let report = cancel_at_each_await(
            || {
                ((), async {
                    traced(tokio::task::yield_now()).await;
                    traced(tokio::time::sleep(Duration::from_secs(1))).await;
                    tokio::task::yield_now().await;
                })
            },
            |(), stage| {
                seen.borrow_mut().push(stage);
                Ok::<_, String>(())
            },
        )
        .await
        .unwrap();
        assert_eq!(report.suspensions, 3);
        let seen = seen.into_inner();
        assert_eq!(seen.len(), report.checks);
        assert_eq!(seen[0], Stage::Completed);
        let lines: Vec<(usize, usize, Option<String>)> = seen[1..]
            .iter()
            .map(|stage| match *stage {
                Stage::Cancelled {
                    suspension,
                    of,
                    location,
                } => (suspension, of, location.map(|l| source_line(l))),
                Stage::Completed => panic!("a second completed stage"),
            })
            .collect();
        assert_eq!(
            lines,
            [
                (0, 3, None),
                (
                    1,
                    3,
                    Some("traced(tokio::task::yield_now()).await;".to_owned())
                ),
                (
                    2,
                    3,
                    Some("traced(tokio::time::sleep(Duration::from_secs(1))).await;".to_owned())
                ),
                (3, 3, None),
            ]
        );
    }

    /// Module docs: "for `k = 0`: never polls it": the future's first statement has not run
    /// when it is dropped at suspension 0, and has at every other stage.
    #[tokio::test(start_paused = true)]
    async fn a_future_dropped_at_suspension_zero_was_never_polled() {
        let result = cancel_at_each_await(
            || {
                let polled = Rc::new(Cell::new(false));
                let flag = Rc::clone(&polled);
                (polled, async move {
                    flag.set(true);
                    tokio::task::yield_now().await;
                })
            },
            |polled, stage| match (stage.suspension(), polled.get()) {
                (Some(0), true) => Err("polled before it was dropped at suspension 0"),
                (Some(0), false) | (_, true) => Ok(()),
                (_, false) => Err("never polled"),
            },
        )
        .await;
        result.unwrap_or_else(|error| panic!("{error}"));
    }

    /// `Stage::Cancelled::location`: "The innermost ... wrapper the future was suspended in".
    #[tokio::test(start_paused = true)]
    async fn the_innermost_wrapper_names_the_await() {
        let error = cancel_at_each_await(
            || {
                ((), async {
                    traced(
                        pending_before(tokio::task::yield_now()), // the innermost wrapper
                    )
                    .await;
                })
            },
            |(), stage| match stage.suspension() {
                Some(1) => Err("stop"),
                _ => Ok(()),
            },
        )
        .await
        .unwrap_err();
        let location = error.failures()[0].stage.location().expect("traced");
        assert_eq!(
            source_line(location),
            "pending_before(tokio::task::yield_now()), // the innermost wrapper"
        );
    }

    /// A traced await that suspends outside the harness (here in a `select!` branch polled just
    /// before the harness, every time) does not name the await of a stage: an untraced future
    /// has no location at any stage.
    #[tokio::test(start_paused = true)]
    async fn a_traced_await_outside_the_harness_names_no_stage() {
        let locations = RefCell::new(Vec::new());
        let harness = cancel_at_each_await(
            || {
                ((), async {
                    tokio::task::yield_now().await;
                    tokio::task::yield_now().await;
                })
            },
            |(), stage| {
                locations.borrow_mut().push(stage.location());
                Ok::<_, String>(())
            },
        );
        let noise = async {
            loop {
                traced(tokio::task::yield_now()).await;
            }
        };
        tokio::select! {
            biased;
            _ = noise => unreachable!(),
            report = harness => assert_eq!(report.unwrap().suspensions, 2),
        }
        assert_eq!(locations.into_inner(), [None, None, None, None]);
    }

    /// Module docs: "the harness polls the future only when the future itself has woken it (a
    /// spurious poll ... does not count as a suspension)". A `select!` polls each of its
    /// branches whenever any of them wakes it: the other branch here wakes it 1 000 times
    /// while the harness runs a future that suspends once.
    #[tokio::test(start_paused = true)]
    async fn polls_of_the_harness_the_future_did_not_ask_for_are_not_counted() {
        let harness = cancel_at_each_await(
            || ((), tokio::time::sleep(Duration::from_millis(10))),
            |(), _| Ok::<_, String>(()),
        );
        let noise = async {
            for _ in 0..1000 {
                tokio::task::yield_now().await;
            }
            std::future::pending::<()>().await;
        };
        let report = tokio::select! {
            report = harness => report.unwrap(),
            () = noise => unreachable!(),
        };
        assert_eq!(report.suspensions, 1);
        assert_eq!(report.checks, 3);
    }

    /// `CancelSafetyError`: "Its `Display` lists every failure with its stage and location", in
    /// the order the docs give: the run to completion first, then each suspension in order.
    #[tokio::test(start_paused = true)]
    async fn the_error_lists_every_failure_with_its_stage_and_location() {
        let error = cancel_at_each_await(
            || {
                ((), async {
                    traced(tokio::task::yield_now()).await;
                })
            },
            |(), _| Err::<(), _>("always"),
        )
        .await
        .unwrap_err();
        assert_eq!(error.checks(), 3);
        let stages: Vec<Option<usize>> = error
            .failures()
            .iter()
            .map(|f| f.stage.suspension())
            .collect();
        assert_eq!(stages, [None, Some(0), Some(1)]);
        let location = error.failures()[2].stage.location().expect("traced");
        let expected = [
            format!(
                "{}: the future is not cancel-safe: 3 of 3 checks failed",
                CancelSafetyError::RULES
            ),
            "  - after running to completion: always".to_owned(),
            "  - when dropped before its first poll: always".to_owned(),
            format!("  - when cancelled at suspension 1 of 1 (await at {location}): always"),
        ];
        assert_eq!(error.to_string().lines().collect::<Vec<_>>(), expected);
    }

    /// `# Errors`: "A future whose number of suspensions changes from one run to the next is
    /// reported as a failure too", and the count of failed checks stays a count of checks: a
    /// future that suspends once more in each run, under a check that always fails, failed 3
    /// checks of 3 (before: "4 of 3 checks failed", the changed count taken for a check).
    #[tokio::test(start_paused = true)]
    async fn a_changing_suspension_count_is_not_counted_as_a_failed_check() {
        let runs = Cell::new(0_usize);
        let error = cancel_at_each_await(
            || {
                runs.set(runs.get() + 1);
                let yields = runs.get();
                ((), async move {
                    for _ in 0..yields {
                        tokio::task::yield_now().await;
                    }
                })
            },
            |(), _| Err::<(), _>("always"),
        )
        .await
        .unwrap_err();
        assert_eq!(error.failures().len(), 4);
        assert_eq!(error.checks(), 3);
        let text = error.to_string();
        let header = text.lines().next().unwrap();
        assert_eq!(
            header,
            format!(
                "{}: the future is not cancel-safe: 3 of 3 checks failed; its number of \
                 suspensions changed from one run to the next",
                CancelSafetyError::RULES
            )
        );
    }

    /// The same for a future that suspends *fewer* times in a later run: that run completes
    /// before the harness can stop it, is reported, and its stage is not checked (the check
    /// count says so) nor called a failed check.
    #[tokio::test(start_paused = true)]
    async fn a_future_that_suspends_fewer_times_in_a_later_run_is_reported() {
        let runs = Cell::new(0_usize);
        let error = cancel_at_each_await(
            || {
                runs.set(runs.get() + 1);
                let yields = 4_usize.saturating_sub(runs.get());
                ((), async move {
                    for _ in 0..yields {
                        tokio::task::yield_now().await;
                    }
                })
            },
            |(), _| Ok::<(), String>(()),
        )
        .await
        .unwrap_err();
        assert_eq!(error.suspensions(), 3);
        // Runs 4 and 5 (stops at suspensions 2 and 3) completed first: not checked.
        assert_eq!(error.checks(), 3);
        assert_eq!(error.failures().len(), 2);
        assert!(
            error
                .failures()
                .iter()
                .all(|f| f.message.contains("in its first run but completed after")),
            "{error}"
        );
        let text = error.to_string();
        assert!(
            text.starts_with(&format!(
                "{}: the future's cancellation points cannot be checked: its number of \
                 suspensions changed from one run to the next (3 checks passed)",
                CancelSafetyError::RULES
            )),
            "{text}"
        );
    }

    /// `cancel_at_each_await`, `# Panics`: a panic of the future (while polled or dropped) or
    /// of the check is not caught: it fails the test that awaits the harness.
    #[tokio::test(start_paused = true)]
    async fn a_panic_of_the_future_or_the_check_reaches_the_test() {
        struct PanicsOnDrop;
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                panic!("the future's drop panicked");
            }
        }
        let polled = tokio::spawn(cancel_at_each_await(
            || {
                ((), async {
                    tokio::task::yield_now().await;
                    panic!("the future panicked");
                })
            },
            |(), _| Ok::<_, String>(()),
        ))
        .await
        .unwrap_err();
        assert_eq!(panic_message(polled), "the future panicked");
        let dropped = tokio::spawn(cancel_at_each_await(
            || {
                ((), async {
                    let _bomb = PanicsOnDrop;
                    tokio::task::yield_now().await;
                })
            },
            |(), _| Ok::<_, String>(()),
        ))
        .await
        .unwrap_err();
        assert_eq!(panic_message(dropped), "the future's drop panicked");
        let checked = tokio::spawn(cancel_at_each_await(
            || ((), tokio::task::yield_now()),
            |(), stage| {
                assert_ne!(stage.suspension(), Some(1), "the check panicked");
                Ok::<_, String>(())
            },
        ))
        .await
        .unwrap_err();
        assert!(panic_message(checked).contains("the check panicked"));
    }

    /// `cancel_at_each_await`: "A future that never completes keeps the harness waiting" (its
    /// first run never ends): an hour of virtual time later it is still waiting.
    #[tokio::test(start_paused = true)]
    async fn a_future_that_never_completes_keeps_the_harness_waiting() {
        let harness = cancel_at_each_await(
            || ((), std::future::pending::<()>()),
            |(), _| Ok::<_, String>(()),
        );
        let waited = tokio::time::timeout(Duration::from_secs(3600), harness).await;
        assert!(waited.is_err(), "the harness returned");
    }

    async fn suspensions<F: Future>(mut make: impl FnMut() -> F) -> usize {
        cancel_at_each_await(|| ((), make()), |(), _| Ok::<_, String>(()))
            .await
            .unwrap()
            .suspensions
    }

    /// `traced` "changes nothing about the future"; `pending_before`/`pending_after` suspend
    /// once more than their future (before it runs, or after it completed): around a future
    /// that suspends itself they add one suspension, not replace its own.
    #[tokio::test(start_paused = true)]
    async fn the_wrappers_add_exactly_their_own_suspension() {
        let sleep = || tokio::time::sleep(Duration::from_millis(5));
        assert_eq!(suspensions(sleep).await, 1);
        assert_eq!(suspensions(|| traced(sleep())).await, 1);
        assert_eq!(suspensions(|| pending_before(sleep())).await, 2);
        assert_eq!(suspensions(|| pending_after(sleep())).await, 2);
        assert_eq!(suspensions(|| pending_after(async { 1 })).await, 1);
        assert_eq!(suspensions(|| pending_before(async { 1 })).await, 1);
        assert_eq!(traced(async { 42 }).await, 42);
        assert_eq!(pending_before(async { 42 }).await, 42);
    }

    async fn cleans_up_for(shutdown: Shutdown, took: Duration) {
        let token = shutdown.token();
        shutdown.spawn("cleanup", async move {
            token.cancelled().await;
            tokio::time::sleep(took).await;
        });
    }

    /// `DrainTest::DEFAULT_DEADLINE`: "one second": a cleanup of 990 ms passes, 1 010 ms fails.
    #[tokio::test(start_paused = true)]
    async fn the_default_drain_deadline_is_one_second() {
        assert_eq!(DrainTest::DEFAULT_DEADLINE, Duration::from_secs(1));
        DrainTest::trigger_after(Duration::from_secs(5))
            .run(|shutdown| cleans_up_for(shutdown, Duration::from_millis(990)))
            .await
            .expect("990 ms is within the default deadline");
        let late = DrainTest::trigger_after(Duration::from_secs(5))
            .run(|shutdown| cleans_up_for(shutdown, Duration::from_millis(1010)))
            .await
            .expect_err("1 010 ms is not");
        assert_eq!(late.stragglers(), ["cleanup"]);
        assert!(
            late.to_string().contains("did not drain within 1s"),
            "{late}"
        );
    }

    struct CountsDrops(Arc<AtomicUsize>);
    impl Drop for CountsDrops {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Module docs: "the error names the stragglers by path and spawn location";
    /// `DrainTimeout::stragglers`: "in spawn order"; `report`: "(and were aborted)". A task of a
    /// group tied to the shutdown is named `group/task`; both stragglers' futures have been
    /// dropped when `run` returns.
    #[tokio::test(start_paused = true)]
    async fn stragglers_are_named_by_path_in_spawn_order_and_aborted() {
        let dropped = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&dropped);
        let error = DrainTest::trigger_after(Duration::from_secs(1))
            .run(move |shutdown: Shutdown| async move {
                let first = CountsDrops(Arc::clone(&counter));
                shutdown.spawn("zeta", async move {
                    let _first = first;
                    std::future::pending::<()>().await;
                });
                let mut group = TaskGroup::new().with_shutdown(&shutdown, "uploads");
                let second = CountsDrops(counter);
                group
                    .spawn("stuck", async move {
                        let _second = second;
                        std::future::pending::<()>().await;
                    })
                    .unwrap();
                shutdown.triggered().await;
            })
            .await
            .unwrap_err();
        assert_eq!(error.stragglers(), ["zeta", "uploads/stuck"]);
        assert!(error.service_returned);
        assert_eq!(dropped.load(Ordering::SeqCst), 2, "both were aborted");
        let text = error.to_string();
        assert!(text.contains("`uploads/stuck` spawned at "), "{text}");
        assert!(text.contains(file!()), "{text}");
    }

    /// `DrainTest::run`, `# Panics`: a panic of the service future itself is not caught (unlike
    /// a tracked task's, which is in the report).
    #[tokio::test(start_paused = true)]
    async fn a_panic_of_the_service_future_reaches_the_test() {
        let panicked = tokio::spawn(DrainTest::trigger_after(Duration::from_secs(1)).run(
            |shutdown: Shutdown| async move {
                shutdown.triggered().await;
                panic!("the service panicked");
            },
        ))
        .await
        .unwrap_err();
        assert_eq!(panic_message(panicked), "the service panicked");
    }

    /// The bar of the crate: "the testing helpers report under the analyzer's rule names". Every
    /// name in `CancelSafetyError::RULES`, and the watchdog's `blocking_in_async`, is a rule of
    /// `asyncwise-lint`.
    #[test]
    fn the_rule_names_in_reports_are_rules_of_the_analyzer() {
        let names: Vec<&str> = CancelSafetyError::RULES.split('/').collect();
        assert_eq!(names, ["cleanup_after_await", "select_cancel_unsafe"]);
        for name in names.into_iter().chain(["blocking_in_async"]) {
            assert!(
                asyncwise_lint::rules::find(name).is_some(),
                "`{name}` is not a rule of the analyzer"
            );
        }
    }

    /// Module docs: "The analyzer reports this shape statically as `cleanup_after_await`; a
    /// `read_exact` inside a `select!` loop is `select_cancel_unsafe`": the docs' own example
    /// and such a loop, checked by the analyzer.
    #[test]
    fn the_analyzer_reports_the_shapes_the_module_docs_name() {
        let gauge = r"
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use asyncwise::testing::traced;

pub async fn handle(in_flight: Arc<AtomicI64>) {
    in_flight.fetch_add(1, Ordering::SeqCst);
    traced(tokio::task::yield_now()).await;
    in_flight.fetch_sub(1, Ordering::SeqCst);
}
";
        let select_loop = r"
use tokio::io::AsyncReadExt;

pub async fn serve(
    mut socket: tokio::net::TcpStream,
    mut ticks: tokio::time::Interval,
) -> std::io::Result<()> {
    let mut frame = [0_u8; 16];
    loop {
        // A tick that wins drops the read and the loop makes a new one: the bytes it had
        // read are lost. (A branch that returned instead would drop the socket with them.)
        tokio::select! {
            read = socket.read_exact(&mut frame) => { read?; }
            _ = ticks.tick() => {}
        }
    }
}
";
        let rules = |source: &str| -> Vec<&'static str> {
            asyncwise_lint::check_source("src/lib.rs", source)
                .unwrap()
                .iter()
                .map(|finding| finding.rule)
                .collect()
        };
        assert_eq!(rules(gauge), ["cleanup_after_await"]);
        assert_eq!(rules(select_loop), ["select_cancel_unsafe"]);
    }
}
