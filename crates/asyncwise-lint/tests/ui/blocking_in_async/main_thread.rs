// `#[tokio::main]` builds a multi-thread runtime and blocks the main thread on `main`'s body
// (`Runtime::block_on` runs the future on the current thread); spawned tasks run on the worker
// threads. Blocking in an async fn polled only as part of `main`'s own future, outside any
// `join!` or per-event loop of it, stalls that future alone: the pedantic form. One a spawned
// task also awaits, one joined with other work, and one with an accept loop stay default.
// (Calls of blocking helpers: a lone file's own blocking calls are settled in package checks,
// see `tests/ui-package/main_thread`.)
use std::time::Duration;

fn pause(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[tokio::main]
async fn main() {
    tokio::spawn(sweep());
    start().await;
    // Polled inside `main`'s own future beside `serve`: a blocked thread stalls `serve` too.
    tokio::join!(serve(), async {
        pause(5); //~ blocking_in_async
    });
    listen().await;
}

async fn start() {
    migrate().await;
    refresh().await;
}

async fn migrate() {
    for step in 0..3 {
        pause(step); //~ blocking_in_async(pedantic)
    }
}

async fn refresh() {
    pause(5); //~ blocking_in_async
}

async fn sweep() {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        refresh().await;
    }
}

async fn serve() {}

async fn listen() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        pause(5); //~ blocking_in_async
        drop(socket);
    }
}

mod current {
    // The main thread is the runtime's only worker: the spawned task waits too.
    #[tokio::main(flavor = "current_thread")]
    async fn main() {
        tokio::spawn(async { tokio::time::sleep(std::time::Duration::from_secs(60)).await });
        step().await;
    }

    async fn step() {
        loop {
            super::pause(5); //~ blocking_in_async
        }
    }
}
