// Readings: a one-shot flag (set to one value only, tested where the code it guards leaves the
// loop or sets it) allows one retry; candidates held in a bit set cleared bit by bit and
// compared with zero, or taken out by `let Some(c) = list.pop() else { .. }`, are used up; a
// `timeout` around another future of the iteration (a shutdown signal) waits before the loop
// goes round. A flag only logged on, one reset each round, a bit set never compared and a
// `timeout` around the retried call itself bound nothing.
use std::time::Duration;
use tokio::time::timeout;

async fn retry_once_by_guard(client: &Client) -> Result<Reply, Error> {
    let mut retried = false;
    loop {
        // ok: the guard lets one failure go round, the next one returns
        match client.call().await {
            Ok(reply) => return Ok(reply),
            Err(e) if !retried => {
                retried = true;
                continue;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn retry_once_flag_tested_first(client: &Client) -> Result<Reply, Error> {
    let mut refreshed = false;
    loop {
        // ok: the second failure returns
        match client.call().await {
            Ok(reply) => break Ok(reply),
            Err(e) => {
                if refreshed {
                    return Err(e);
                }
                refreshed = true;
                client.refresh_token();
            }
        }
    }
}

async fn flag_only_logged(client: &Client) -> Reply {
    let mut first = true;
    loop {
        if !first {
            tracing::warn!("retrying");
        }
        first = false;
        match client.call().await { //~ retry_without_backoff
            Ok(reply) => break reply,
            Err(_) => continue,
        }
    }
}

async fn flag_reset_each_round(client: &Client) -> Reply {
    loop {
        let mut retried = false;
        match client.call().await { //~ retry_without_backoff
            Ok(reply) => break reply,
            Err(_) if !retried => {
                retried = true;
                continue;
            }
            Err(_) => continue,
        }
    }
}

async fn failover_over_bit_set(nodes: &[Node], mut untried: u64) -> Result<Conn, Error> {
    loop {
        let i = untried.trailing_zeros() as usize;
        // ok: each failure clears one candidate; the loop ends when none is left
        match nodes[i].connect().await {
            Ok(conn) => return Ok(conn),
            Err(e) => {
                untried &= !(1u64 << i);
                if untried == 0 {
                    return Err(e);
                }
            }
        }
    }
}

async fn bit_set_never_compared(nodes: &[Node], mut untried: u64) -> Conn {
    loop {
        let i = untried.trailing_zeros() as usize;
        match nodes[i].connect().await { //~ retry_without_backoff
            Ok(conn) => return conn,
            Err(_) => untried ^= 1u64 << i,
        }
    }
}

async fn failover_by_pop(mut peers: Vec<Peer>) -> Result<Conn, Error> {
    loop {
        let Some(peer) = peers.pop() else {
            return Err(Error::NoPeerLeft);
        };
        // ok: one attempt per peer, and the list runs out
        match peer.connect().await {
            Ok(conn) => return Ok(conn),
            Err(_) => continue,
        }
    }
}

async fn waits_on_shutdown(client: &Client, shutdown: &mut Receiver<()>, delay: Duration) {
    loop {
        // ok: the failure waits `delay` for the shutdown signal before going round
        match client.register().await {
            Ok(_) => break,
            Err(e) => {
                tracing::warn!("register failed: {e}");
                if timeout(delay, shutdown.recv()).await.is_ok() {
                    break;
                }
            }
        }
    }
}

async fn timeout_around_the_attempt(addr: &str, limit: Duration) -> TcpStream {
    loop {
        match timeout(limit, TcpStream::connect(addr)).await { //~ retry_without_backoff
            Ok(Ok(stream)) => break stream,
            Ok(Err(_)) | Err(_) => continue,
        }
    }
}
