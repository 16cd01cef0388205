// Blocking right before an unconditional panic: a pause to let logs flush or a last report
// made just before `panic!`, `unreachable!` or `std::panic::resume_unwind` (re-raising a worker
// thread's panic) is on a crash path, which no served work waits for: the pedantic form,
// directly and through a helper. So is the whole body of a helper declared `-> !` that has no
// loop and panics (waits for a dying worker, joins it, re-raises its panic); a `-> !` server
// loop is not. A panic under a condition, or an `assert!`, does not follow every run of the
// statement: the same call there stays default.
use std::any::Any;
use std::thread;
use std::time::Duration;

use axum::extract::State;

struct Pool {
    failed: bool,
}

fn reraise(payload: Box<dyn Any + Send>) -> ! {
    thread::sleep(Duration::from_millis(200));
    std::panic::resume_unwind(payload)
}

async fn join_worker(state: State<Pool>, worker: thread::JoinHandle<()>) {
    if let Err(payload) = worker.join() { //~ blocking_in_async
        reraise(payload); //~ blocking_in_async(pedantic)
    }
    let _ = state.failed;
}

struct Workers {
    threads: Vec<thread::JoinHandle<()>>,
}

impl Workers {
    fn propagate_worker_panic(&mut self) -> ! {
        thread::sleep(Duration::from_millis(100));
        for worker in self.threads.drain(..) {
            if worker.is_finished() {
                match worker.join() {
                    Ok(()) => panic!("worker exited"),
                    Err(payload) => std::panic::resume_unwind(payload),
                }
            }
        }
        unreachable!("one worker has died")
    }

    fn serve_forever(&self) -> ! {
        loop {
            thread::sleep(Duration::from_millis(100));
        }
    }
}

async fn dispatch(state: State<Pool>, workers: &mut Workers, sent: bool) {
    if !sent {
        workers.propagate_worker_panic(); //~ blocking_in_async(pedantic)
    }
    let _ = state.failed;
}

async fn run_forever(state: State<Pool>, workers: &Workers) {
    let _ = state.failed;
    workers.serve_forever(); //~ blocking_in_async
}

async fn give_up(state: State<Pool>) {
    if state.failed {
        thread::sleep(Duration::from_millis(100)); //~ blocking_in_async(pedantic)
        tracing::error!("pool failed");
        panic!("pool failed");
    }
}

async fn unreachable_state(state: State<Pool>) -> u32 {
    match state.failed {
        true => {
            std::fs::write("/var/log/last-state", b"bad"); //~ blocking_in_async(pedantic)
            unreachable!("checked before")
        }
        false => 1,
    }
}

async fn maybe_panic(state: State<Pool>) {
    thread::sleep(Duration::from_millis(100)); //~ blocking_in_async
    if state.failed {
        panic!("failed");
    }
}

async fn asserted(state: State<Pool>) {
    thread::sleep(Duration::from_millis(100)); //~ blocking_in_async
    assert!(!state.failed);
}
