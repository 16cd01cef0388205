// Readings: a crate's own helpers named as a pair (`inc_x`/`dec_x`, `x_start`/`x_end`) enter and
// leave a state like the methods they wrap; they pair on the module path as written. Entering
// and leaving calls may sit in different blocks (`if metrics_enabled { .. }`).
mod metrics {
    pub fn inc_requests_inflight() {}
    pub fn dec_requests_inflight() {}
}

pub async fn serve(req: Request, metrics_enabled: bool) -> Result<Response, Error> {
    if metrics_enabled {
        metrics::inc_requests_inflight();
    }
    let result = async { route(req).await }.await;
    if metrics_enabled {
        metrics::dec_requests_inflight(); //~ cleanup_after_await
    }
    result
}

async fn fetch(client: &Client, url: &str) -> Page {
    vitals::request_start();
    let page = client.get(url).await;
    vitals::request_end(); //~ cleanup_after_await(pedantic)
    page
}

async fn recorded_before(client: &Client, url: &str) -> Page {
    // ok: both helpers run before the await
    vitals::request_start();
    vitals::request_end();
    client.get(url).await
}

struct InFlight;

impl Drop for InFlight {
    fn drop(&mut self) {
        // ok: a Drop impl leaves the state however the future ends
        vitals::request_end();
    }
}

async fn guarded(client: &Client, url: &str) -> Page {
    vitals::request_start();
    let _in_flight = InFlight;
    client.get(url).await
}

async fn other_module(client: &Client, url: &str) -> Page {
    // ok: helpers of two different modules
    vitals::request_start();
    let page = client.get(url).await;
    tracing_vitals::request_end();
    page
}

async fn start_only(server: &Server) {
    // ok: `start_server` has no leaving counterpart here
    start_server(server);
    server.ready().await;
}
