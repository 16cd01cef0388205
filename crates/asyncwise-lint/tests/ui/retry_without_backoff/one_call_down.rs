// Readings: the delay or the attempt bound may live one call down. When the retried call is an
// async fn or method of the same file whose own body sleeps, backs off, or compares a counter it
// changes with a limit, the loop is paced by it. A callee of the same file that does neither
// does not pace the loop.
use std::time::Duration;

struct Connector {
    attempts: usize,
    max_attempts: Option<usize>,
    delay: Duration,
}

impl Connector {
    async fn connect(&mut self) -> Result<Conn, Error> {
        loop {
            // ok: `try_connect` sleeps between attempts and gives up after `max_attempts`
            match self.try_connect().await {
                Ok(conn) => return Ok(conn),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => tracing::warn!("connect failed: {e}"),
            }
        }
    }

    async fn try_connect(&mut self) -> Result<Conn, Error> {
        if self.attempts > 0 {
            tokio::time::sleep(self.delay * self.attempts as u32).await;
        }
        self.attempts += 1;
        dial(&self.addr).await
    }

    async fn reconnect(&mut self) -> Conn {
        loop {
            // ok: `dial_counted` bounds the attempts itself and fails for good past the limit
            if let Ok(conn) = self.dial_counted().await {
                return conn;
            }
        }
    }

    async fn dial_counted(&mut self) -> Result<Conn, Error> {
        self.attempts += 1;
        if self.attempts > self.max_attempts.unwrap_or(10) {
            std::process::exit(1);
        }
        dial(&self.addr).await
    }

    async fn resubscribe(&mut self) -> Subscription {
        loop {
            match self.subscribe_once().await { //~ retry_without_backoff
                Ok(sub) => return sub,
                Err(e) => tracing::warn!("subscribe failed: {e}"),
            }
        }
    }

    async fn subscribe_once(&mut self) -> Result<Subscription, Error> {
        // Neither waits nor counts: the loop above spins on a quick failure.
        self.client.subscribe("events").await
    }
}

async fn fetch_with_pause(url: &str) -> Result<Page, Error> {
    tokio::time::sleep(Duration::from_millis(200)).await;
    get(url).await
}

async fn fetch_plain(url: &str) -> Result<Page, Error> {
    get(url).await
}

async fn poll_page(url: &str) -> Page {
    loop {
        // ok: the free fn `fetch_with_pause` waits before every request
        match fetch_with_pause(url).await {
            Ok(page) => return page,
            Err(_) => continue,
        }
    }
}

async fn spin_page(url: &str) -> Page {
    loop {
        match fetch_plain(url).await { //~ retry_without_backoff
            Ok(page) => return page,
            Err(_) => continue,
        }
    }
}
