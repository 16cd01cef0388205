// A binary-only server: `main` serves the routes of `api.rs`. A module file that itself spawns,
// joins, selects and serves nothing is read as a command's flow (the pedantic form), unless a
// request handler reaches the blocking call: then it is served work. Readings: `keys.rs`
// verifies an API key for every request (default); `backup.rs` runs once per SIGHUP, which is
// no request handler (still the pedantic form); `report.rs` is reached from nothing concurrent.
mod api;
mod backup;
mod keys;
mod report;

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await.unwrap();
    tokio::spawn(backup::on_signals());
    axum::serve(listener, api::router()).await.unwrap();
}
