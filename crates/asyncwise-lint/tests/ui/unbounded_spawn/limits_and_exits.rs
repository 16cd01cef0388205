// unbounded_spawn: spawns bounded by a stream consumer's concurrency limit, spawns followed by
// leaving the loop, and fan-outs over a configured list into a `JoinSet` joined after the loop.
//
// Readings chosen where the issue is not explicit:
// - A spawn in a stream's `map` whose chain ends in `for_each_concurrent(n, ..)` or
//   `buffer_unordered(n)` is bounded: the stream is polled for the next item, and the next task
//   spawned, only when one of the `n` slots is free. `for_each_concurrent(None, ..)` has no
//   limit.
// - A spawn followed in its block by `return` or `break` happens once per loop, not per
//   iteration.
// - `JoinSet::spawn_on` fills the set like `spawn`; a fan-out filled in the branches of an `if`
//   and joined after the `if` is joined right after the loop: the pedantic form.
use futures::StreamExt;
use tokio::task::JoinSet;

async fn fetch(url: String) -> usize {
    url.len()
}

pub async fn crawl(urls: Vec<String>, threads: usize) {
    futures::stream::iter(urls)
        .map(|url| tokio::spawn(fetch(url))) // ok: for_each_concurrent(threads) bounds it
        .for_each_concurrent(threads, |handle| async move {
            let _ = handle.await;
        })
        .await;
}

pub async fn crawl_buffered(urls: Vec<String>) -> Vec<usize> {
    futures::stream::iter(urls)
        .map(|url| tokio::spawn(fetch(url))) // ok: buffer_unordered(8) bounds it
        .buffer_unordered(8)
        .map(|r| r.unwrap_or(0))
        .collect()
        .await
}

pub async fn crawl_unlimited(urls: Vec<String>) {
    futures::stream::iter(urls)
        .map(|url| tokio::spawn(fetch(url))) //~ unbounded_spawn
        .for_each_concurrent(None, |handle| async move {
            let _ = handle.await;
        })
        .await;
}

pub async fn quorum(mut replies: tokio::sync::mpsc::Receiver<usize>, needed: usize) -> bool {
    let mut ok = 0;
    while let Some(n) = replies.recv().await {
        ok += n;
        if ok >= needed {
            tokio::spawn(async move { while replies.recv().await.is_some() {} }); // ok: return follows
            return true;
        }
    }
    false
}

pub async fn first_match(mut rx: tokio::sync::mpsc::Receiver<String>) {
    while let Some(line) = rx.recv().await {
        if line.starts_with("GO") {
            tokio::spawn(fetch(line)); // ok: break follows
            break;
        }
    }
}

pub async fn per_message(mut rx: tokio::sync::mpsc::Receiver<String>) {
    while let Some(line) = rx.recv().await {
        if line.is_empty() {
            continue;
        }
        tokio::spawn(fetch(line)); //~ unbounded_spawn
    }
}

pub async fn listen_all(addrs: Vec<std::net::SocketAddr>, rt: tokio::runtime::Handle, tls: bool) {
    let mut set = JoinSet::new();
    if tls {
        for addr in &addrs {
            set.spawn_on(serve_tls(*addr), &rt); //~ unbounded_spawn(pedantic)
        }
    } else {
        for addr in &addrs {
            set.spawn_on(serve_plain(*addr), &rt); //~ unbounded_spawn(pedantic)
        }
    }
    while set.join_next().await.is_some() {}
}

pub async fn listen_plain(addrs: Vec<std::net::SocketAddr>, rt: tokio::runtime::Handle) {
    let mut set = JoinSet::new();
    for addr in &addrs {
        set.spawn_on(serve_plain(*addr), &rt); //~ unbounded_spawn(pedantic)
    }
    tracing::info!("listening on {addrs:?}");
    while set.join_next().await.is_some() {}
}

pub async fn listen_detached(addrs: Vec<std::net::SocketAddr>, rt: tokio::runtime::Handle) -> JoinSet<()> {
    let mut set = JoinSet::new();
    for addr in &addrs {
        set.spawn_on(serve_plain(*addr), &rt); //~ unbounded_spawn
    }
    set
}

async fn serve_tls(_addr: std::net::SocketAddr) {}
async fn serve_plain(_addr: std::net::SocketAddr) {}
