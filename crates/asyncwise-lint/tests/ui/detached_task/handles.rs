// detached_task: what counts as keeping the JoinHandle — binding, awaiting, pushing,
// returning, storing in a field, passing on, JoinSet — versus discarding it, with renamed and
// grouped imports of the spawn functions.
//
// Readings chosen where the issue is not explicit:
// - `let _task = tokio::spawn(..)` keeps the handle in a named binding (only `let _ =`
//   discards), so it is not reported even if the binding is never used.
// - Method calls on the spawn (`tokio::spawn(..).abort_handle()`) use the handle: not reported.

use std::io;

use tokio::spawn as go;
use tokio::task::{self, JoinHandle, JoinSet};

async fn fallible() -> io::Result<u64> {
    Ok(tokio::fs::metadata("/var/lib/app").await?.len())
}

async fn renamed_spawn() {
    go(async { fallible().await.unwrap() }); //~ detached_task(pedantic)
}

async fn module_import() {
    task::spawn(async { //~ detached_task
        fallible().await?;
        Ok::<_, io::Error>(())
    });
}

async fn kept_and_awaited() -> io::Result<u64> {
    let h = tokio::spawn(async { fallible().await }); // ok: awaited below
    h.await.map_err(io::Error::other)?
}

async fn awaited_directly() -> u64 {
    tokio::spawn(async { fallible().await.unwrap() }).await.unwrap_or(0) // ok: awaited
}

async fn pushed(handles: &mut Vec<JoinHandle<io::Result<u64>>>) {
    handles.push(tokio::spawn(async { fallible().await })); // ok: pushed
}

fn returned() -> JoinHandle<io::Result<u64>> {
    tokio::spawn(async { fallible().await }) // ok: returned (tail expression)
}

fn returned_explicitly(fast: bool) -> JoinHandle<u64> {
    if fast {
        return tokio::spawn(async { 0 }); // ok: returned
    }
    tokio::spawn(async { fallible().await.unwrap() }) // ok: returned
}

struct Service {
    task: Option<JoinHandle<io::Result<u64>>>,
    tasks: JoinSet<io::Result<u64>>,
}

impl Service {
    fn start(&mut self) {
        self.task = Some(tokio::spawn(async { fallible().await })); // ok: stored in a field
        self.tasks.spawn(async { fallible().await }); // ok: JoinSet::spawn is never detached
        self.tasks.spawn(async { fallible().await.unwrap() }); // ok: JoinSet keeps the handle
    }

    async fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
        while let Some(res) = self.tasks.join_next().await {
            if let Ok(Err(e)) = res {
                tracing::warn!(error = %e, "task failed");
            }
        }
    }
}

async fn joinset_local() {
    let mut set = JoinSet::new();
    set.spawn(async { fallible().await.expect("value") }); // ok: JoinSet::spawn
    let _ = set.join_next().await;
}

async fn named_binding() {
    let _task = tokio::spawn(async { fallible().await.unwrap() }); // ok: kept in a named binding
}

async fn passed_on() {
    supervise(tokio::spawn(async { fallible().await })).await; // ok: handed to a supervisor
}

async fn supervise(h: JoinHandle<io::Result<u64>>) {
    match h.await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "failed"),
        Err(e) => tracing::error!(error = %e, "panicked"),
    }
}

async fn abort_on_drop() -> tokio::task::AbortHandle {
    tokio::spawn(async { fallible().await.unwrap() }).abort_handle() // ok: handle used
}

async fn tuple_and_select() {
    let (a, b) = (
        tokio::spawn(async { fallible().await }), // ok: bound in a tuple
        tokio::spawn(async { fallible().await }), // ok: bound in a tuple
    );
    let _ = tokio::join!(a, b);
}

async fn discarded_in_match(kind: u8) {
    match kind {
        0 => {
            tokio::spawn(async { fallible().await.unwrap() }); //~ detached_task(pedantic)
        }
        _ => {
            let _ = tokio::spawn(async { fallible().await }); //~ detached_task
        }
    }
}

async fn discarded_in_closure(ids: Option<u64>) {
    if let Some(id) = ids {
        let start = move || {
            tokio::spawn(async move { //~ detached_task
                let v = fallible().await?;
                Ok::<_, io::Error>(v + id)
            });
        };
        start();
    }
}

// Futures built first and spawned by name are judged by what they were bound to.
pub fn spawn_bound_future(queue: Queue) {
    let flush = async move {
        let batch = queue.pop().await?;
        queue.store(batch).await
    };
    tokio::spawn(flush); //~ detached_task
}

pub fn spawn_bound_quiet_future(queue: Queue) {
    let drain = async move {
        if let Err(e) = queue.drain().await {
            tracing::warn!(error = %e, "drain failed");
        }
    };
    tokio::spawn(drain); // ok: the bound future handles its own errors
}

pub fn spawn_rebound_future(queue: Queue) {
    let job = async move { queue.pop().await.unwrap() };
    {
        let job = async move {};
        tokio::spawn(job); // ok: the inner `job` cannot fail
    }
    drop(job);
}
