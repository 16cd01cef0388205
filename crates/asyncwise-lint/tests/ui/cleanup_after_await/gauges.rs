// Readings: metrics gauges (`increment`/`decrement`, prometheus `inc`/`dec`), `Cell<bool>` and
// `watch` flags (`set(true)`/`set(false)`, `send_replace(true)`/`send_replace(false)`) pair on
// the same receiver as written, macro receivers included (`gauge!("x")`). A flag's cancellation
// form is pedantic (one state left set, not a drifting count); a counter's is the default.
// A counter pairs only when raised and lowered by the same amount as written (a trailing numeric
// cast aside): `inc_by(chunk.size())` / `dec_by(buffer.total())` is an account of quantities.
use axum::routing::get;
use std::cell::Cell;

pub async fn handle(req: Request, metrics: &Metrics) -> Response {
    metrics.open_requests.inc();
    let resp = route(req).await;
    metrics.open_requests.dec(); //~ cleanup_after_await
    resp
}

pub async fn handle_with_macro(req: Request) -> Response {
    metrics::gauge!("open_requests").increment(1.0);
    let resp = route(req).await;
    metrics::gauge!("open_requests").decrement(1.0); //~ cleanup_after_await
    resp
}

pub async fn busy_flag(busy: &Cell<bool>, conn: &mut Conn) {
    busy.set(true);
    conn.flush().await.ok();
    busy.set(false); //~ cleanup_after_await(pedantic)
}

pub async fn watch_flag(state: &tokio::sync::watch::Sender<bool>, conn: &mut Conn) {
    state.send_replace(true);
    conn.sync().await;
    state.send_replace(false); //~ cleanup_after_await(pedantic)
}

pub async fn batch(metrics: &Metrics, items: Vec<Item>) {
    let queued = items.len();
    metrics.queue_depth.inc_by(queued as u64);
    for item in items {
        store(item).await; //~ sequential_await
    }
    metrics.queue_depth.dec_by(queued as u64); //~ cleanup_after_await
}

pub async fn buffered_bytes(metrics: &Metrics, buffer: &mut Buffer, chunk: Item) {
    // An account of quantities, not a scope: each chunk raises the gauge by its size and a
    // flush lowers it by everything buffered; the paths that keep buffering leave it raised.
    metrics.buffered.inc_by(chunk.size());
    buffer.push(chunk);
    if buffer.total() < FLUSH_AT {
        return;
    }
    buffer.flush().await;
    metrics.buffered.dec_by(buffer.total()); // ok: lowered by another amount than it was raised
}

async fn select_in_between(metrics: &Metrics, mut rx: Receiver, stop: Stop) {
    metrics.waiting.inc();
    tokio::select! {
        _ = rx.recv() => {}
        _ = stop.wait() => {}
    }
    metrics.waiting.dec(); //~ cleanup_after_await(pedantic)
}

async fn reversed_flag(busy: &Cell<bool>, conn: &mut Conn) {
    // ok: cleared first, then set: nothing is left entered by a cancel
    busy.set(false);
    conn.flush().await.ok();
    busy.set(true);
}

async fn set_values(limit: &Cell<u32>, conn: &mut Conn) {
    // ok: `set` with other values is not a flag pair
    limit.set(10);
    conn.flush().await.ok();
    limit.set(20);
}

async fn gauge_guard(metrics: &Metrics, req: Request) -> Response {
    metrics.open_requests.inc();
    // ok: a guard type lowers the gauge on drop
    let _guard = GaugeGuard::new(&metrics.open_requests);
    route(req).await
}

async fn defer_macro(metrics: &Metrics, req: Request) -> Response {
    metrics.open_requests.inc();
    // ok: `defer!` runs the leaving call on drop
    scopeguard::defer! { metrics.open_requests.dec(); }
    route(req).await
}

async fn without_enter(metrics: &Metrics, req: Request) -> Response {
    let resp = route(req).await;
    // ok: nothing was entered in this block
    metrics.open_requests.dec();
    resp
}

async fn set_by_other_code(metrics: &Metrics) {
    // ok: the same gauge, but different receivers as written
    metrics.a.inc();
    tick().await;
    metrics.b.dec();
}

// A request handler registered on a router: hyper and axum drop its future when the client
// disconnects, so the gauge's `dec` is skipped.
async fn list_items(Extension(metrics): Extension<Metrics>) -> Json<Vec<Item>> {
    metrics.open_requests.inc();
    let items = load_items().await;
    metrics.open_requests.dec(); //~ cleanup_after_await
    Json(items)
}

fn router() -> Router {
    Router::new().route("/items", get(list_items))
}

pub async fn busy_until_error(busy: &Cell<bool>, conn: &mut Conn) -> std::io::Result<()> {
    busy.set(true);
    conn.flush().await?; //~ cleanup_after_await
    busy.set(false);
    Ok(())
}

pub async fn same_amount_written_two_ways(counters: &Counters, conn: &mut Conn) {
    counters.active.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    conn.sync().await;
    counters.active.fetch_sub(1usize, std::sync::atomic::Ordering::Relaxed); //~ cleanup_after_await
}
