// Readings: a retry is a `loop`/`while` whose success path leaves the loop and whose failure
// path goes round again. Any timer, tick or backoff anywhere in the loop paces it; any counter
// changed in the loop and compared, or a deadline compared, bounds it. The finding is on the
// awaited call.
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

async fn connect_forever(addr: &str) -> TcpStream {
    loop {
        match TcpStream::connect(addr).await { //~ retry_without_backoff
            Ok(stream) => break stream,
            Err(e) => tracing::warn!("connect failed: {e}"),
        }
    }
}

async fn continue_on_error(client: &Client, req: &Request) -> Response {
    loop {
        let resp = match client.send(req).await { //~ retry_without_backoff
            Ok(r) => r,
            Err(_) => continue,
        };
        return resp;
    }
}

async fn if_let_ok(pool: &Pool) -> Conn {
    loop {
        if let Ok(conn) = pool.get().await { //~ retry_without_backoff
            return conn;
        }
    }
}

async fn while_let_err(addr: &str) {
    while let Err(e) = register(addr).await { //~ retry_without_backoff
        eprintln!("register failed: {e}");
    }
}

async fn while_is_err(lock: &DistLock) {
    while lock.try_acquire().await.is_err() {} //~ retry_without_backoff
}

async fn bound_result(db: &Db, row: Row) -> Result<(), Error> {
    loop {
        let result = db.insert(&row).await; //~ retry_without_backoff
        match result {
            Ok(()) => return Ok(()),
            Err(e) if e.is_conflict() => continue,
            Err(e) => return Err(e),
        }
    }
}

async fn let_else(queue: &Queue) -> Job {
    loop {
        let Ok(job) = queue.claim().await else { //~ retry_without_backoff
            continue;
        };
        break job;
    }
}

async fn is_ok_then_break(client: &Client) {
    loop {
        if client.ping().await.is_ok() { //~ retry_without_backoff
            break;
        }
        tracing::debug!("not up yet");
    }
}

async fn async_std_connect(addr: &str) -> async_std::net::TcpStream {
    loop {
        match async_std::net::TcpStream::connect(addr).await { //~ retry_without_backoff
            Ok(s) => return s,
            Err(e) => log::error!("{e}"),
        }
    }
}

async fn labelled(client: &Client) -> Token {
    'retry: loop {
        match client.login().await { //~ retry_without_backoff
            Ok(token) => break 'retry token,
            Err(_) => continue 'retry,
        }
    }
}

async fn inside_a_task(client: Client) {
    tokio::spawn(async move {
        loop {
            if client.subscribe().await.is_ok() { //~ retry_without_backoff
                return;
            }
        }
    });
}

// A `timeout` around the retried call bounds how long one attempt may take; it does not wait
// between attempts: a refused connection comes back at once and the loop spins.
async fn connect_with_timeout(addr: &str) -> TcpStream {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await { //~ retry_without_backoff
            Ok(Ok(stream)) => break stream,
            Ok(Err(e)) => tracing::warn!("connect failed: {e}"),
            Err(_) => tracing::warn!("connect timed out"),
        }
    }
}

async fn register_with_timeout(client: &Client) {
    loop {
        if let Ok(Ok(())) = tokio::time::timeout(Duration::from_secs(2), client.register()).await { //~ retry_without_backoff
            return;
        }
    }
}

// Only a timed-out attempt leaves; a refused one goes round at once: a retry of those
// failures, with nothing between the attempts.
async fn timeout_gives_up(addr: &str) -> Result<TcpStream> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await { //~ retry_without_backoff
            Ok(Ok(stream)) => break Ok(stream),
            Ok(Err(e)) => tracing::warn!("connect failed: {e}"),
            Err(elapsed) => return Err(elapsed.into()),
        }
    }
}
