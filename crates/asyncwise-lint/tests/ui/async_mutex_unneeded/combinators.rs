// async_mutex_unneeded: guards reached through future combinators and references.
//
// Readings chosen where the issue is not explicit:
// - `lock().then(|guard| async move { .. })` hands the guard to a closure whose future awaits:
//   the guard is held across that await, in whichever function the combinator is built (also
//   a plain fn returning `impl Future`).
// - `lock().map(|guard| ..)` (or `then` whose closure never awaits) keeps the guard for one
//   synchronous step only: not held.
// - A closure passed by name (`lock().then(write_out)`) is code we do not read here: held.
// - `let out = &mut lock.lock().await;` extends the guard's life to the end of the block, so an
//   await later in that block happens under the lock.
use std::future::Future;

use futures::FutureExt;
use futures::lock::Mutex;

struct Writer;

impl Writer {
    async fn write_all(&mut self, _b: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    async fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn len(&self) -> usize {
        0
    }
}

struct Console {
    // ok: the guard is held across `write_all(..).await` inside the `then` closure
    out: Mutex<Writer>,
    // ok: the guard is held across `flush().await` through a reference binding
    log: Mutex<Writer>,
    // ok: the guard is held in an async method's `then` closure
    trace: Mutex<Writer>,
    // ok: handed to a named function we do not follow
    named: Mutex<Writer>,
    sizes: Mutex<Writer>, //~ async_mutex_unneeded(pedantic)
    steps: Mutex<Writer>, //~ async_mutex_unneeded(pedantic)
}

impl Console {
    fn write_line(&self, line: String) -> impl Future<Output = std::io::Result<()>> + '_ {
        self.out
            .lock()
            .then(|mut out| async move { out.write_all(line.as_bytes()).await })
    }

    async fn finish(&self) {
        let log = &mut self.log.lock().await;
        log.flush().await.ok();
    }

    async fn trace(&self, msg: &str) {
        self.trace
            .lock()
            .then(move |mut t| async move { t.write_all(msg.as_bytes()).await })
            .await
            .ok();
    }

    // Short uses of `out` and `trace`: without the `then` sites above they would be reported.
    async fn pending(&self) -> usize {
        let queued = self.out.lock().await.len();
        queued + self.trace.lock().map(|t| t.len()).await
    }

    fn named(&self) -> impl Future<Output = usize> + '_ {
        self.named.lock().then(measure)
    }

    fn size(&self) -> impl Future<Output = usize> + '_ {
        self.sizes.lock().map(|w| w.len())
    }

    async fn step(&self) -> usize {
        let n = self.steps.lock().then(|w| async move { w.len() }).await;
        let s = &self.steps.lock().await;
        n + s.len()
    }
}

async fn measure(w: futures::lock::MutexGuard<'_, Writer>) -> usize {
    w.len()
}
