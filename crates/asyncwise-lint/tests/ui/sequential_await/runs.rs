// Readings: only `let` statements whose whole value is one awaited call form a run (a
// statement whose result is dropped is done for its effect, which may be ordered on purpose).
// A run is reported at its first statement; a later statement that uses an earlier binding,
// shares a receiver place or a `&mut` argument, or is a timer, event wait, lock, send,
// transaction step or gate (auth/check/verify) ends the run.
struct Service {
    db: Db,
    cache: Cache,
    http: Client,
}

async fn profile(db: &Db, api: &Api, id: u64) -> Result<Profile> {
    let user = db.user(id).await?; //~ sequential_await
    let posts = api.posts(id).await?;
    Ok(Profile { user, posts })
}

async fn three_sources(id: u64) -> Summary {
    let orders = load_orders(id).await; //~ sequential_await
    let invoices = load_invoices(id).await;
    let tickets = load_tickets(id).await;
    Summary::new(orders, invoices, tickets)
}

impl Service {
    async fn dashboard(&self, id: u64) -> Result<Dash> {
        let stats = self.db.stats(id).await?; //~ sequential_await
        let hot = self.cache.hot_keys().await?;
        Ok(Dash { stats, hot })
    }

    async fn same_object(&self) -> Result<(A, B)> {
        // ok: methods of `self` itself may share its state
        let a = self.load_a().await?;
        let b = self.load_b().await?;
        Ok((a, b))
    }
}

async fn dependent_chain(client: &Client, url: &str) -> Result<String> {
    // ok: the second await uses the first one's result
    let resp = fetch(client, url).await?;
    let body = read_body(resp).await?;
    Ok(body)
}

async fn same_connection(conn: &mut Conn) -> Result<(Row, Row)> {
    // ok: both queries go through the same connection
    let a = conn.query_one("select 1").await?;
    let b = conn.query_one("select 2").await?;
    Ok((a, b))
}

async fn in_a_transaction(pool: &Pool) -> Result<()> {
    // ok: a transaction orders what follows
    let mut tx = pool.begin().await?;
    let n = count_rows(&mut tx).await?;
    let m = count_other(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn under_a_lock(state: &tokio::sync::Mutex<State>, api: &Api) {
    // ok: the lock orders the rest
    let guard = state.lock().await;
    let fresh = api.refresh(guard.id).await;
}

async fn with_timers(api: &Api) {
    // ok: a sleep between two calls orders them on purpose
    let a = api.ping_a().await;
    let _pause = tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let b = other_ping().await;
}

async fn effects_in_order(conn: &mut Conn, log: &Log) {
    // ok: results dropped, done for their effect
    write_header(conn).await;
    flush_log(log).await;
}

async fn gated(token: &str, id: u64) -> Result<Data> {
    // ok: the check must pass before the load runs
    let claims = verify_token(token).await?;
    let data = load_data(id).await?;
    Ok(data)
}

async fn mut_borrows(buf: &mut Vec<u8>, other: &Source) {
    // ok: the first call borrows `buf` mutably, the second reads it
    let n = fill(&mut *buf).await;
    let m = checksum_of(buf).await;
}

async fn inside_join(a: &Api, b: &Api) {
    // ok: already concurrent
    let (x, y) = tokio::join!(a.one(), b.two());
    let z = tokio::join!(async { a.three().await }, async { b.four().await });
}

async fn events(mut rx: Receiver<Msg>, mut rx2: Receiver<Msg>) {
    // ok: receiving is waiting for events, in order
    let first = rx.recv().await;
    let second = rx2.recv().await;
}

async fn one_then_other_stmt(api: &Api, db: &Db) {
    // ok: not consecutive
    let a = api.one().await;
    println!("got one");
    let b = db.two().await;
}

async fn mixed_try(db: &Db, api: &Api, id: u64) -> Result<()> {
    let user = db.user(id).await; //~ sequential_await
    let posts = api.posts(id).await?;
    Ok(())
}

async fn broken_then_new_run(api: &Api, db: &Db, cache: &Cache, id: u64) {
    let token = api.token(id).await; //~ sequential_await
    let stats = db.stats(id).await;
    let hot = cache.hot(&token).await; //~ sequential_await
    let cold = db2_cold(id).await;
}

async fn same_connection_argument(user_id: &str, conn: &DbConn) {
    // ok: both lookups go through the same connection, handed to each as an argument
    let ciphers = find_ciphers(user_id, conn).await;
    let folders = find_folders(user_id, &conn).await;
}

async fn set_up(cfg: &Config) -> Result<()> {
    // ok: opening and creating things runs once, and the next step often needs them
    let db = Database::open(&cfg.db_path).await?;
    let listener = create_listener(cfg.port).await?;
    Ok(())
}
