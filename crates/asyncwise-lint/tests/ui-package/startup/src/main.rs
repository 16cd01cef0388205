// Start-up reached through another function: `run` and `serve` are called only directly from
// `main`, so what they call directly runs once; what they call in a loop, or what a function
// called from a loop calls, runs many times. A current-thread runtime: `main`'s thread is also
// the spawned `serve`'s (under a multi-thread one, `run` is polled apart from the workers: see
// `main_thread`).
mod config;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    tokio::spawn(serve());
    run().await;
}

async fn run() {
    let _settings = config::load("app.toml"); //~ blocking_in_async(pedantic)
    loop {
        next_event().await;
        let _ = config::load("reload.toml"); //~ blocking_in_async
        audit().await;
    }
}

async fn serve() {
    let _routes = config::load("routes.toml"); //~ blocking_in_async(pedantic)
    loop {
        handle().await;
        per_request().await;
    }
}

// Called from a loop: every request.
async fn handle() {
    let _page = config::load("page.html"); //~ blocking_in_async
}

// Called in the loop of `run`, and per request: not start-up only.
async fn audit() {
    let _ = config::load("audit.log"); //~ blocking_in_async
}

async fn per_request() {
    audit().await;
}

async fn next_event() {}
