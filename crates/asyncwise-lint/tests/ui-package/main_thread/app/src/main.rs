// A multi-thread `#[tokio::main]`: its body is polled on the process's main thread, spawned tasks
// on the worker threads. Blocking in code polled only as part of `main`'s own future stalls that
// future alone (pedantic, see `data/src/migration.rs`); blocking where `main`'s future itself
// drives other work at that moment (a `join!`, an accept loop) or in code a spawned task also
// runs stalls someone (default).
#[tokio::main]
async fn main() {
    tokio::spawn(sweep());
    init("legacy.db").await;
    load_caches().await;
    // Both futures are polled inside `main`'s own: a blocked thread stalls `listen` too.
    tokio::join!(warm_up(), listen());
    tokio::join!(listen(), async {
        std::thread::sleep(std::time::Duration::from_millis(50)); //~ blocking_in_async
    });
    accept_loop().await;
    park().await;
}

// Parks `main`'s thread for good while the workers carry on: nothing else is polled there.
async fn park() {
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600)); //~ blocking_in_async(pedantic)
    }
}

async fn init(path: &str) {
    data::migration::migrate(path).await.ok();
}

async fn load_caches() {
    refresh_cache().await;
}

// A background task `main` spawns: it runs on the runtime's worker threads.
async fn sweep() {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        refresh_cache().await;
    }
}

// Awaited from `main`'s tree and by the spawned `sweep`: it also runs on the workers.
async fn refresh_cache() {
    std::thread::sleep(std::time::Duration::from_millis(10)); //~ blocking_in_async
}

async fn warm_up() {
    std::thread::sleep(std::time::Duration::from_millis(10)); //~ blocking_in_async
}

async fn listen() {}

// Awaited from `main` only, but its loop serves one connection per iteration: a blocked
// thread holds up the next connection.
async fn accept_loop() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5)); //~ blocking_in_async
        drop(socket);
    }
}
