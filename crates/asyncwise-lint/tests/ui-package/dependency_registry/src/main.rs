// Request handlers that call into a registry crate's sync functions (its sources are in the
// fake cargo home `tests/ui-package-registry`, at the version `Cargo.lock` pins).
use axum::extract::State;
use probe::Scanner;

#[derive(Clone)]
struct AppState;

// The dependency's function waits for a child process.
async fn upload(State(_state): State<AppState>, body: String) -> String {
    let out = probe::probe(&body); //~ blocking_in_async
    probe::describe(&out) // ok: only formats
}

// Two hops inside the dependency (`inspect` -> `prepare` -> `run_tool`), reached through its
// re-export.
async fn details(State(_state): State<AppState>, body: String) -> String {
    probe::inspect(&body) //~ blocking_in_async
}

// An associated function that opens a std socket.
async fn scan(State(_state): State<AppState>, body: String) -> String {
    let mut scanner = Scanner::connect("127.0.0.1:3310").unwrap(); //~ blocking_in_async
    scanner.send(body.as_bytes()).ok();
    String::new()
}

// Through a sync helper of this crate first.
fn metadata_of(path: &str) -> usize {
    probe::probe(path).len()
}

async fn metadata(State(_state): State<AppState>, body: String) -> String {
    metadata_of(&body).to_string() //~ blocking_in_async
}

// Offloaded: nothing to report.
async fn offloaded(State(_state): State<AppState>, body: String) -> String {
    let out = tokio::task::spawn_blocking(move || probe::probe(&body)).await.unwrap();
    probe::describe(&out)
}

// The dependency reads its configuration file in its constructor: not reported.
async fn settings(State(_state): State<AppState>) -> String {
    probe::Settings::new().text
}

// A whole-file read of a path the caller gives, inside the dependency: the pedantic form.
async fn report(State(_state): State<AppState>, body: String) -> String {
    probe::read_report(&body) //~ blocking_in_async(pedantic)
}

#[tokio::main]
async fn main() {
    let app = axum::Router::new()
        .route("/upload", axum::routing::post(upload))
        .route("/details", axum::routing::post(details))
        .route("/scan", axum::routing::post(scan))
        .route("/metadata", axum::routing::post(metadata))
        .route("/offloaded", axum::routing::post(offloaded))
        .route("/settings", axum::routing::get(settings))
        .route("/report", axum::routing::post(report))
        .with_state(AppState);
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    tokio::spawn(async {});
    axum::serve(listener, app).await.unwrap();
}
