// Start-up through `for` loops: a library component whose async `init` (a set-up fn, called
// nowhere in a loop) resolves its configured peers, each with a bounded retry. A `for` loop over
// a range or a collection ends before start-up does, so what `init` reaches through such loops
// runs at start-up only: the pedantic form. The same lookup reached from a `loop`, or by a
// helper a request handler also calls, stays default.
use std::net::ToSocketAddrs;
use std::time::Duration;

pub struct Cluster {
    peers: Vec<String>,
}

impl Cluster {
    pub async fn init(&mut self) -> Result<(), String> {
        let first = self.peers.first().cloned().unwrap_or_default();
        resolve_with_retry(&first).await?;
        for peer in self.peers.iter() {
            resolve_with_retry(peer).await?; //~ sequential_await
        }
        Ok(())
    }
}

// Reached only from `init` (directly and in a `for` over the peers): start-up only.
async fn resolve_with_retry(addr: &str) -> Result<std::net::SocketAddr, String> {
    for attempt in 0..10 {
        if let Ok(mut found) = addr.to_socket_addrs() { //~ blocking_in_async(pedantic)
            if let Some(a) = found.next() {
                return Ok(a);
            }
        }
        tokio::time::sleep(Duration::from_millis(500 + attempt)).await;
    }
    Err("unresolved".into())
}

pub struct Watcher {
    peers: Vec<String>,
}

impl Watcher {
    pub async fn init(&mut self) {
        // a `loop` may run until the process ends: not start-up
        loop {
            recheck(&self.peers).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    }
}

async fn recheck(peers: &[String]) {
    for peer in peers {
        let _ = peer.to_socket_addrs(); //~ blocking_in_async
    }
}

pub async fn handle_request(hosts: Vec<String>) -> usize {
    hosts.iter().filter(|h| reachable(h)).count() //~ blocking_in_async
}

pub struct Pool {
    hosts: Vec<String>,
}

impl Pool {
    pub async fn open(hosts: Vec<String>) -> Pool {
        for host in &hosts {
            let _ = reachable(host); //~ blocking_in_async(pedantic)
        }
        Pool { hosts }
    }
}

// Reached from `Pool::open` in a `for` loop, and per request: not start-up only.
fn reachable(host: &str) -> bool {
    host.to_socket_addrs().is_ok()
}
