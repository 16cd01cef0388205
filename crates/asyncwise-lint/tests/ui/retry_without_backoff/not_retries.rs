// Readings: loops paced by a timer or a backoff, bounded by a counter or a deadline, loops that
// leave on an error, receive and accept loops, and processing loops that keep going after a
// success are not retries without backoff.
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

async fn with_sleep(addr: &str) -> TcpStream {
    loop {
        // ok: sleeps between attempts
        match TcpStream::connect(addr).await {
            Ok(s) => break s,
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn with_own_backoff(addr: &str, backoff: &mut Backoff) -> TcpStream {
    loop {
        // ok: the crate's own backoff helper paces it
        match TcpStream::connect(addr).await {
            Ok(s) => break s,
            Err(_) => backoff.wait().await,
        }
        backoff_step(backoff).await;
    }
}

async fn with_attempt_counter(client: &Client) -> Result<Token, Error> {
    let mut attempts = 0;
    loop {
        // ok: at most five attempts
        match client.login().await {
            Ok(t) => return Ok(t),
            Err(e) if attempts >= 5 => return Err(e),
            Err(_) => attempts += 1,
        }
    }
}

async fn with_deadline(client: &Client) -> Option<Token> {
    let start = Instant::now();
    loop {
        // ok: gives up after ten seconds
        if let Ok(t) = client.login().await {
            return Some(t);
        }
        if start.elapsed() > Duration::from_secs(10) {
            return None;
        }
    }
}

async fn for_over_range(client: &Client) -> Option<Token> {
    // ok: a `for` over a range bounds the attempts
    for _ in 0..3 {
        if let Ok(t) = client.login().await {
            return Some(t);
        }
    }
    None
}

async fn breaks_on_error(client: &Client) {
    loop {
        // ok: an error leaves the loop
        match client.poll_job().await {
            Ok(job) => job.run(),
            Err(_) => break,
        }
    }
}

async fn propagates(reader: &mut Reader) -> Result<(), Error> {
    loop {
        // ok: `?` passes the error on
        let n = reader.read_chunk().await?;
        if n == 0 {
            return Ok(());
        }
    }
}

async fn receive_loop(mut rx: tokio::sync::mpsc::Receiver<Msg>) {
    // ok: a receive loop, ending on `None`
    while let Some(msg) = rx.recv().await {
        handle(msg);
    }
}

async fn processing_loop(socket: &UdpSocket) {
    let mut buf = [0u8; 1500];
    loop {
        // ok: success goes round too: this processes datagrams, it does not retry
        match socket.recv_from(&mut buf).await {
            Ok((n, peer)) => answer(&buf[..n], peer),
            Err(e) => tracing::warn!("recv failed: {e}"),
        }
    }
}

async fn interval_paced(client: &Client) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        // ok: an interval tick paces the loop
        if client.ping().await.is_ok() {
            break;
        }
    }
}

async fn smol_timer(client: &Client) {
    loop {
        // ok: smol's timer paces it
        if client.ping().await.is_ok() {
            break;
        }
        smol::Timer::after(Duration::from_millis(100)).await; //~ mixed_runtimes
    }
}

async fn accept_loop(listener: tokio::net::TcpListener) {
    loop {
        // ok: an accept loop goes round on errors by design
        match listener.accept().await {
            Ok((s, _)) => {
                tokio::spawn(serve(s));
            }
            Err(e) => tracing::warn!("accept: {e}"),
        }
    }
}

async fn while_counter(client: &Client) {
    let mut tries = 0;
    // ok: the `while` condition bounds the attempts
    while tries < 3 {
        if client.ping().await.is_ok() {
            break;
        }
        tries += 1;
    }
}

async fn next_candidate(candidates: &[Url]) -> Option<Page> {
    let mut urls = candidates.iter();
    while let Some(url) = urls.next() {
        // ok: a failure moves on to the next candidate; nothing is retried
        match fetch(url).await {
            Ok(page) => return Some(page),
            Err(_) => continue,
        }
    }
    None
}

impl Listener for MyListener {
    async fn accept(&mut self) -> (Io, Addr) {
        loop {
            // ok: a listener's own accept goes round on errors (its error handler decides)
            match Self::accept(self).await {
                Ok(pair) => return pair,
                Err(e) => handle_accept_error(e).await,
            }
        }
    }
}

async fn timeout_and_sleep(addr: &str) -> TcpStream {
    loop {
        // ok: the timeout bounds an attempt and the sleep paces the next one
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => break stream,
            Ok(Err(e)) => tracing::warn!("connect failed: {e}"),
            Err(_) => tracing::warn!("connect timed out"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn idle_timeout(rx: &mut Receiver<Job>) {
    loop {
        // ok: a receive loop with an idle timeout: the timeout firing is waiting, not a retry
        match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
            Ok(Some(job)) => handle(job),
            Ok(None) => break,
            Err(_) => tracing::debug!("idle"),
        }
    }
}

async fn wait_for_plugin(addr: SocketAddr, limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        // ok: the time spent is compared with a limit: the attempts are bounded
        let elapsed_time = Instant::now() - start;
        if elapsed_time >= limit {
            return false;
        }
        match tokio::time::timeout(limit - elapsed_time, TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return true,
            Ok(Err(_)) => {}
            Err(_) => return false,
        }
    }
}

// Failover over a list of candidates: each failure takes the failed one out of the list
// (`retain`, `remove`, `pop`), and the loop stops when the list is empty, so each candidate is
// tried once. Rotating the list instead (`rotate_left`) tries them round and round.
async fn failover_over_parents(mut parents: Vec<Parent>, piece: u32) -> Result<Piece, Error> {
    loop {
        let parent = pick(&parents);
        // ok: the failed parent is removed and the loop ends when none is left
        match download(&parent, piece).await {
            Ok(p) => break Ok(p),
            Err(e) => {
                tracing::warn!("{e}");
                parents.retain(|p| p.id != parent.id);
                if parents.is_empty() {
                    return Err(Error::NoParent);
                }
            }
        }
    }
}

async fn next_address(mut addrs: Vec<String>) -> TcpStream {
    loop {
        let addr = addrs[0].clone();
        match TcpStream::connect(&addr).await { //~ retry_without_backoff
            Ok(s) => break s,
            Err(_) => addrs.rotate_left(1),
        }
    }
}

async fn pop_until_empty(mut addrs: Vec<String>) -> Option<TcpStream> {
    while addrs.len() > 0 {
        let addr = addrs.pop()?;
        // ok: each address is taken off the list once
        if let Ok(s) = TcpStream::connect(&addr).await {
            return Some(s);
        }
    }
    None
}
