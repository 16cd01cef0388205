// unbounded_spawn: spawns in closures given to iterator adapters (`map`, `for_each`,
// `filter_map`, `flat_map`), which are loops in disguise.
//
// Readings chosen where the issue is not explicit:
// - `(0..4).map(|i| tokio::spawn(..))` over a literal or constant range is a fixed worker
//   pool, exactly like `for i in 0..4`: no finding.
// - `Option::map` is not an iterator adapter: when the receiver is known to be an `Option`
//   (or `Result`), a spawn in its closure runs at most once and does not fire.
// - Keeping the handles (`.collect::<Vec<_>>()`, `join_all`) is not a bound.

use futures::future::join_all;
use futures::stream::{self, StreamExt};

const SHARDS: usize = 4;

#[derive(Clone)]
struct Peer {
    addr: String,
}

async fn ping(_p: Peer) {}

// Since issue 7, fan-outs whose handles are joined right after are the pedantic form.
async fn map_collect(peers: &[Peer]) {
    let handles: Vec<_> = peers
        .iter()
        .map(|p| tokio::spawn(ping(p.clone()))) //~ unbounded_spawn(pedantic)
        .collect();
    join_all(handles).await;
}

async fn map_one_line(peers: Vec<Peer>) {
    let hs: Vec<_> = peers.into_iter().map(|p| tokio::spawn(ping(p))).collect(); //~ unbounded_spawn(pedantic)
    for h in hs {
        let _ = h.await;
    }
}

async fn for_each(peers: Vec<Peer>) {
    peers.into_iter().for_each(|p| {
        tokio::spawn(ping(p)); //~ unbounded_spawn
    });
}

async fn filter_map(peers: Vec<Peer>) -> Vec<tokio::task::JoinHandle<()>> {
    peers
        .into_iter()
        .filter_map(|p| (!p.addr.is_empty()).then(|| tokio::spawn(ping(p)))) //~ unbounded_spawn
        .collect()
}

async fn flat_map(groups: Vec<Vec<Peer>>) {
    let hs: Vec<_> = groups
        .into_iter()
        .flat_map(|g| g.into_iter().map(|p| tokio::task::spawn(ping(p)))) //~ unbounded_spawn(pedantic)
        .collect();
    join_all(hs).await;
}

async fn literal_range_map() {
    let hs: Vec<_> = (0..4)
        .map(|i| tokio::spawn(async move { i * 2 })) // ok: fixed pool over a literal range
        .collect();
    join_all(hs).await;
}

async fn const_range_map() {
    let hs: Vec<_> = (0..SHARDS)
        .map(|i| tokio::spawn(async move { i })) // ok: fixed pool over a constant range
        .collect();
    join_all(hs).await;
}

async fn option_map(peer: Option<Peer>) {
    let h = peer.map(|p| tokio::spawn(ping(p))); // ok: Option::map runs at most once
    if let Some(h) = h {
        let _ = h.await;
    }
}

async fn sequential_map(peers: Vec<Peer>) {
    for p in peers.iter().map(|p| p.addr.clone()) { // ok: no spawn
        let _ = p;
    }
}

async fn buffered_stream(peers: Vec<Peer>) {
    // Bounded concurrency without spawning: the usual fix.
    stream::iter(peers)
        .map(ping) // ok: no spawn
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

async fn buffered_stream_of_spawns(peers: Vec<Peer>) {
    // `StreamExt::map` is lazy: `buffer_unordered(16)` pulls (and so spawns) only while fewer
    // than 16 handles are pending, so this is actually bounded. A syntactic rule cannot tell
    // it from `Iterator::map`; either answer is accepted (optional marker).
    stream::iter(peers)
        .map(|p| tokio::spawn(ping(p))) //~? unbounded_spawn
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}
