// unbounded_spawn: visible bounds that silence the rule — a semaphore permit acquired in the
// loop before the spawn or inside the spawned future, a JoinSet / FuturesUnordered drained or
// size-checked inside the loop, a `for` over a literal or constant range, accept loops — and
// near misses that are still unbounded.
//
// Readings chosen where the issue is not explicit:
// - A semaphore acquired *outside* the loop (once) is not a bound on the loop's spawns.
// - `for i in 0..n` with a runtime `n` is not a literal/constant range: it fires, in the pedantic
//   form (a pool sized by a value bound before the loop; issue 7).
// - A JoinSet drained only after the loop is not a bound; since issue 7 such a fan-out, joined
//   right after the loop, is the pedantic form.

use std::sync::Arc;

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

const WORKERS: usize = 8;
const MAX_IN_FLIGHT: usize = 32;

async fn work(_i: usize) {}

async fn permit_before_spawn(items: Vec<usize>, sem: Arc<Semaphore>) {
    for i in items {
        let Ok(permit) = sem.clone().acquire_owned().await else { break };
        tokio::spawn(async move { // ok: permit acquired in the loop before the spawn
            work(i).await;
            drop(permit);
        });
    }
}

async fn permit_inside_future(items: Vec<usize>, sem: Arc<Semaphore>) {
    for i in items {
        let sem = sem.clone();
        tokio::spawn(async move { // ok: permit acquired inside the spawned future
            let Ok(_permit) = sem.acquire().await else { return };
            work(i).await;
        });
    }
}

async fn permit_outside_loop(items: Vec<usize>, sem: Arc<Semaphore>) {
    let _permit = sem.acquire().await;
    for i in items {
        tokio::spawn(work(i)); //~ unbounded_spawn
    }
}

async fn joinset_drained_in_loop(items: Vec<usize>) {
    let mut set = JoinSet::new();
    for i in items {
        if set.len() >= MAX_IN_FLIGHT {
            set.join_next().await;
        }
        set.spawn(work(i)); // ok: JoinSet size-checked and drained in the loop
    }
    while set.join_next().await.is_some() {}
}

async fn joinset_drained_with_while(items: Vec<usize>) {
    let mut set = JoinSet::new();
    for i in items {
        while set.len() >= MAX_IN_FLIGHT {
            let _ = set.join_next().await;
        }
        set.spawn(work(i)); // ok: JoinSet drained in the loop
    }
}

async fn joinset_drained_after_loop(items: Vec<usize>) {
    let mut set = JoinSet::new();
    for i in items {
        set.spawn(work(i)); //~ unbounded_spawn(pedantic)
    }
    while set.join_next().await.is_some() {}
}

async fn futures_unordered_bounded(items: Vec<usize>) {
    let mut in_flight = FuturesUnordered::new();
    for i in items {
        if in_flight.len() >= MAX_IN_FLIGHT {
            in_flight.next().await;
        }
        in_flight.push(tokio::spawn(work(i))); // ok: FuturesUnordered size-checked in the loop
    }
    while in_flight.next().await.is_some() {}
}

async fn futures_unordered_unbounded(items: Vec<usize>) {
    let in_flight = FuturesUnordered::new();
    for i in items {
        in_flight.push(tokio::spawn(work(i))); //~ unbounded_spawn
    }
    let _ = in_flight.collect::<Vec<_>>().await;
}

async fn literal_range_pool(rx: async_channel::Receiver<usize>) {
    for _ in 0..4 {
        let rx = rx.clone();
        tokio::spawn(async move { // ok: fixed worker pool (literal range)
            while let Ok(i) = rx.recv().await {
                work(i).await;
            }
        });
    }
}

async fn const_range_pool(rx: async_channel::Receiver<usize>) {
    let mut set = JoinSet::new();
    for id in 0..WORKERS {
        let rx = rx.clone();
        set.spawn(async move { // ok: fixed worker pool (constant range)
            while let Ok(i) = rx.recv().await {
                work(i + id).await;
            }
        });
    }
    while set.join_next().await.is_some() {}
}

async fn inclusive_literal_range() {
    for shard in 1..=3 {
        tokio::spawn(work(shard)); // ok: literal range
    }
}

async fn runtime_range(n: usize) {
    for i in 0..n {
        tokio::spawn(work(i)); //~ unbounded_spawn(pedantic)
    }
}

async fn accept_loop(listener: TcpListener) -> std::io::Result<()> {
    loop {
        let (sock, _peer) = listener.accept().await?;
        tokio::spawn(async move { // ok: accept loop, one task per connection
            let _ = sock.readable().await;
        });
    }
}

async fn accept_loop_while_let(listener: TcpListener) {
    while let Ok((sock, _)) = listener.accept().await {
        tokio::spawn(async move { // ok: accept loop
            drop(sock);
        });
    }
}

async fn not_an_accept_loop(mut rx: mpsc::Receiver<tokio::net::TcpStream>) {
    while let Some(sock) = rx.recv().await {
        tokio::spawn(async move { //~ unbounded_spawn
            drop(sock);
        });
    }
}
