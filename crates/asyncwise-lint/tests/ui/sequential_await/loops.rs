// Readings: the loop form is a `for` loop whose body awaits exactly one call that uses the
// loop's binding, on the item itself or on a receiver shared immutably (not rooted in a
// `let mut`, `mut` or `&mut` binding, not named like a connection), with no `&mut` argument,
// and does nothing else but push the result into a collection. Reported at the awaited call.
async fn fetch_all(client: &Client, urls: Vec<String>) -> Vec<Page> {
    let mut pages = Vec::new();
    for url in urls {
        let page = fetch_page(client, &url).await; //~ sequential_await
        pages.push(page);
    }
    pages
}

async fn notify_all(users: &[User]) {
    for user in users {
        send_email(&user.email).await; //~ sequential_await
    }
}

async fn close_each(conns: Vec<Conn>) -> Result<()> {
    for conn in conns {
        conn.close().await?; //~ sequential_await
    }
    Ok(())
}

async fn by_id(ids: &[u64]) -> Result<HashMap<u64, Item>> {
    let mut out = HashMap::new();
    for id in ids {
        let item = load_item(*id).await?; //~ sequential_await
        out.insert(*id, item);
    }
    Ok(out)
}

async fn over_one_connection(conn: &mut Conn, queries: &[String]) {
    for q in queries {
        // ok: every iteration uses the same connection
        conn.execute(q).await;
    }
}

async fn carries_state(items: Vec<Item>) -> u64 {
    let mut total = 0;
    for item in items {
        // ok: `total` is carried from one iteration to the next
        let n = price_of(&item).await;
        total += n;
    }
    total
}

async fn rate_limited(urls: Vec<String>) {
    for url in urls {
        // ok: two awaits per item, the sleep paces the requests on purpose
        ping(&url).await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn not_item_dependent(n: usize) {
    for _ in 0..n {
        // ok: does not depend on the item: a retry or a repeated step
        heartbeat().await;
    }
}

async fn sends_in_order(tx: &Sender<Msg>, msgs: Vec<Msg>) {
    for m in msgs {
        // ok: a channel send keeps the order of the messages
        tx.send(m).await;
    }
}

async fn breaks_early(ids: Vec<u64>) {
    for id in ids {
        // ok: stops at the first hit, so the later items are not needed
        if let Some(hit) = find(id).await {
            break;
        }
    }
}

async fn mutable_borrow(items: Vec<Item>, buf: &mut Vec<u8>) {
    for item in items {
        // ok: the buffer is borrowed mutably by every iteration
        encode_into(&item, &mut *buf).await;
    }
}

async fn self_receiver(svc: &Service, ids: Vec<u64>) {
    for id in ids {
        svc.refresh(id).await; //~ sequential_await
    }
}

async fn mut_receiver(svc: &mut Service, ids: Vec<u64>) {
    for id in ids {
        // ok: the receiver is borrowed mutably, so calls cannot overlap
        svc.refresh(id).await;
    }
}

async fn mut_local_client(ids: Vec<u64>) -> Result<()> {
    let mut client = GreeterClient::connect(ADDR).await?;
    for id in ids {
        // ok: a `let mut` client (gRPC clients take `&mut self`)
        client.say_hello(id).await?;
    }
    Ok(())
}

impl Poller {
    async fn poll_all(&mut self, regions: Vec<Region>) {
        for region in regions {
            // ok: `&mut self`: the prober may be borrowed mutably
            self.prober.measure(region).await;
        }
    }

    async fn poll_shared(&self, regions: Vec<Region>) -> Vec<Sample> {
        let mut out = Vec::new();
        for region in regions {
            let sample = self.prober.measure(region).await; //~ sequential_await
            out.push(sample);
        }
        out
    }

    async fn over_the_session(&self, keys: Vec<Key>) {
        for key in keys {
            // ok: named like a connection: requests on it go one after the other anyway
            self.session.get(key).await;
        }
    }
}

async fn delete_each(rows: Vec<Row>, conn: &DbConn) -> Result<()> {
    for row in rows {
        // ok: every delete goes through the same connection
        row.delete(conn).await?;
    }
    Ok(())
}

async fn filters_in_order(filters: &mut [Filter], req: &mut Request) -> Result<()> {
    for filter in filters.iter_mut() {
        // ok: each filter changes the request the next one sees
        filter.apply(req).await?;
    }
    Ok(())
}

async fn recursive_scan(dirs: Vec<PathBuf>, found: &mut Vec<PathBuf>) {
    for dir in dirs {
        // ok: every iteration pushes into the same `&mut` output (the pinned call is looked through)
        Box::pin(scan(&dir, found)).await;
    }
}

async fn pinned_per_item(urls: Vec<String>) {
    for url in urls {
        Box::pin(fetch_one(&url)).await; //~ sequential_await
    }
}

// The call examined in place by an `if let`, `if` or `match` whose branches only log or
// collect: still one awaited call per item, depending only on the item.
async fn probe_all(checker: &Checker, hosts: Vec<String>) {
    for host in hosts {
        if let Err(e) = checker.ping(&host).await { //~ sequential_await
            tracing::warn!(%e, %host, "ping failed");
        }
    }
}

async fn count_up(urls: &[String]) {
    for url in urls {
        match head_request(url).await { //~ sequential_await
            Ok(status) => tracing::info!(%status, "up"),
            Err(e) => tracing::warn!(%e, "down"),
        }
    }
}

// A request built from the item and sent: `send()` with no argument ends a builder chain on
// a shared client, it is not an ordered output through that client.
async fn head_all(&self, urls: Vec<String>) {
    for url in urls {
        if self.http.head(&url).send().await.is_err() { //~ sequential_await
            tracing::warn!(%url, "unreachable");
        }
    }
}

async fn first_reachable(urls: &[String]) -> Option<String> {
    for url in urls {
        // ok: the branch leaves the loop at the first success, so the order of items matters
        if let Ok(()) = head_request(url).await {
            return Some(url.clone());
        }
    }
    None
}

async fn stop_at_first_failure(urls: &[String]) {
    for url in urls {
        // ok: `break` on the first failure: later items must not be tried
        if head_request(url).await.is_err() {
            break;
        }
    }
}

async fn count_failures(urls: &[String]) -> usize {
    let mut failed = 0;
    for url in urls {
        // ok: the branch changes state carried from one iteration to the next
        if head_request(url).await.is_err() {
            failed += 1;
        }
    }
    failed
}

async fn relay(tx: &Sender<Job>, jobs: Vec<Job>) {
    for job in jobs {
        // ok: a channel's `send` takes the value: one ordered stream through the shared sender
        if tx.send(job).await.is_err() {
            tracing::warn!("receiver gone");
        }
    }
}
