// blocking_in_async: rayon's `scope`/`join` and a pool's `install`/`scope` run their closures
// on the pool but return only when the whole job is done, so the async caller's thread waits
// for it: the call is the blocking call (its closures are not reported on their own).
// async-scoped's `scope_and_block` blocks the thread on the scope's futures.
use std::sync::Arc;

struct Compactor {
    pool: Arc<rayon::ThreadPool>,
}

impl Compactor {
    async fn compact(&self, segments: Vec<Vec<u8>>) -> usize {
        let mut total = 0;
        self.pool.scope(|s| { //~ blocking_in_async
            for segment in &segments {
                s.spawn(move |_| {
                    let _ = std::fs::write("/tmp/segment", segment); // ok: runs on the pool
                });
            }
        });
        total += segments.len();
        total
    }

    async fn checksum(&self, data: Vec<u8>) -> u64 {
        self.pool.install(|| data.iter().map(|&b| b as u64).sum()) //~ blocking_in_async
    }

    async fn checksum_later(&self, data: Vec<u8>) -> u64 {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || { // ok: rayon runs it, nobody waits here
            let _ = tx.send(data.iter().map(|&b| b as u64).sum());
        });
        rx.await.unwrap_or(0)
    }
}

async fn both_halves(left: Vec<u8>, right: Vec<u8>) -> (usize, usize) {
    rayon::join(|| left.len(), || right.len()) //~ blocking_in_async
}

async fn offloaded(left: Vec<u8>, right: Vec<u8>) -> (usize, usize) {
    tokio::task::spawn_blocking(move || rayon::join(|| left.len(), || right.len())) // ok: on the blocking pool
        .await
        .unwrap_or_default()
}

async fn fan_out(urls: Vec<String>) {
    let ((), _) = async_scoped::TokioScope::scope_and_block(|s| { //~ blocking_in_async
        for url in &urls {
            s.spawn(async move {
                let _ = url.len();
            });
        }
    });
}
