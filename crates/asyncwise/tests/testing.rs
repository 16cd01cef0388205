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

#[tokio::test(start_paused = true)]
async fn spurious_polls_are_not_counted() {
    // Another task keeps waking the harness' task by sharing a runtime with
    // it; the count depends only on the future's own wake-ups.
    let noise = tokio::spawn(async {
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
    });
    let report = cancel_at_each_await(
        || ((), tokio::time::sleep(Duration::from_millis(10))),
        |_, _| Ok::<_, String>(()),
    )
    .await
    .unwrap();
    assert_eq!(report.suspensions, 1);
    noise.await.unwrap();
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
