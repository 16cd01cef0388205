// unbounded_spawn: spawns in loop bodies with no visible bound, for every listed spawn
// function, and spawns that are not in loops.
//
// Readings chosen where the issue is not explicit:
// - Keeping the handles (`handles.push(tokio::spawn(..))`) and joining them after the loop is
//   not a bound: the number of concurrent tasks still grows with the input.
// - A spawn whose handle is discarded and whose body can fail is also a `detached_task`; the
//   task bodies here are infallible unless the line says otherwise.

use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

struct Job {
    id: u64,
}

async fn process(_job: Job) {}

async fn for_loop(jobs: Vec<Job>) {
    for job in jobs {
        tokio::spawn(process(job)); //~ unbounded_spawn
    }
}

async fn for_loop_keeps_handles(urls: Vec<String>) {
    let mut handles = Vec::new();
    for url in urls {
        handles.push(tokio::spawn(async move { url.len() })); //~ unbounded_spawn(pedantic)
    }
    for h in handles {
        let _ = h.await;
    }
}

async fn while_let_recv(mut rx: mpsc::Receiver<Job>) {
    while let Some(job) = rx.recv().await {
        tokio::spawn(process(job)); //~ unbounded_spawn
    }
}

async fn loop_recv(mut rx: mpsc::Receiver<Job>) {
    loop {
        let Some(job) = rx.recv().await else { break };
        tokio::task::spawn(process(job)); //~ unbounded_spawn
    }
}

async fn while_cond(queue: Arc<tokio::sync::Mutex<Vec<Job>>>) {
    while !queue.lock().await.is_empty() {
        let job = queue.lock().await.pop();
        if let Some(job) = job {
            tokio::spawn(async move { process(job).await }); //~ unbounded_spawn
        }
    }
}

async fn spawn_local_loop(jobs: Vec<Job>) {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            for job in jobs {
                tokio::task::spawn_local(process(job)); //~ unbounded_spawn
            }
        })
        .await;
}

async fn joinset_undrained(jobs: Vec<Job>) {
    let mut set = JoinSet::new();
    for job in jobs {
        set.spawn(process(job)); //~ unbounded_spawn(pedantic)
    }
    while set.join_next().await.is_some() {}
}

async fn handle_spawn(handle: Handle, jobs: Vec<Job>) {
    for job in jobs {
        handle.spawn(process(job)); //~ unbounded_spawn
    }
}

async fn other_runtimes(jobs: Vec<Job>, more: Vec<Job>) {
    for job in jobs {
        async_std::task::spawn(process(job)); //~ unbounded_spawn, mixed_runtimes
    }
    for job in more {
        smol::spawn(process(job)).detach(); //~ unbounded_spawn
    }
}

async fn single_spawns(job: Job) {
    let h = tokio::spawn(process(job)); // ok: not in a loop
    let _ = h.await;
    tokio::spawn(async {}); // ok: not in a loop, infallible
}

fn sync_fn_loop(handle: &Handle, jobs: Vec<Job>) {
    for job in jobs {
        handle.spawn(process(job)); //~ unbounded_spawn
    }
}

async fn loop_without_spawn(jobs: Vec<Job>) {
    for job in jobs {
        process(job).await; //~ sequential_await
    }
}

async fn spawn_before_loop(mut rx: mpsc::Receiver<Job>) {
    let worker = tokio::spawn(async move { // ok: spawned once, the loop is inside the task
        while let Some(job) = rx.recv().await {
            process(job).await;
        }
    });
    let _ = worker.await;
}

async fn nested_fn_in_loop(jobs: Vec<Job>) {
    for job in jobs {
        fn start(job: Job) -> tokio::task::JoinHandle<()> {
            tokio::spawn(process(job)) // ok: a fn item is not part of the loop body
        }
        let _ = job.id;
        let _ = start;
    }
}

async fn thread_spawn_in_loop(jobs: Vec<u64>) {
    for j in jobs {
        std::thread::spawn(move || j * 2); // ok: threads are not tasks (not this rule)
    }
}
