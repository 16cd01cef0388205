// Tasks that end in a call of an async fn of another workspace member (`shared`): the task's
// value is that fn's `Result`, so a dropped handle loses its error as it would for an async
// fn of this crate. The member decides: an fn that logs its errors (`logged_endpoint`, or
// `quiet_serve` through a callee that logs) loses nothing, one returning no `Result` has
// nothing to lose, and a registry crate's future (`tokio::time::sleep`) is not judged.
use shared::health;
use shared::metrics_endpoint as metrics;

// A function of this crate with the same name as the member's: the path says which is meant.
async fn serve(_addr: std::net::SocketAddr) {}

#[tokio::main]
async fn main() {
    let addr: std::net::SocketAddr = "0.0.0.0:8080".parse().unwrap();
    tokio::spawn(health::serve(addr)); //~ detached_task
    tokio::spawn(shared::health::serve_with(addr, Some("1"))); //~ detached_task
    tokio::spawn({ //~ detached_task
        let version = Some("2");
        health::serve_with(addr, version)
    });
    tokio::spawn(async move { metrics(9000).await }); //~ detached_task
    let _ = tokio::spawn(shared::metrics_endpoint(9001)); //~ detached_task
    // ok: the member's fn logs every error it returns
    tokio::spawn(shared::logged_endpoint(9002));
    // ok: it passes on the error of a callee that logs it
    tokio::spawn(health::quiet_serve(addr));
    // ok: returns no `Result`
    tokio::spawn(shared::heartbeat());
    // ok: a registry crate's future
    tokio::spawn(tokio::time::sleep(std::time::Duration::from_secs(1)));
    // ok: this crate's `serve`, which returns nothing
    tokio::spawn(serve(addr));
    // ok: the handle is kept and awaited
    let kept = tokio::spawn(health::serve(addr));
    let _ = kept.await;
    let _ = shared::version();
}
