// Filesystem work is the default form only on a per-event path: a request handler (registered
// with a router, or taking an extractor), a task spawned per accepted connection, and what they
// call. Elsewhere (start-up, a periodic save, an admin command read from a channel) it is the
// pedantic form. Waits and heavy work (verifying a password) stay default wherever tasks run;
// deriving a new password hash, when an account's password is set, is the pedantic form.
mod pages;

use axum::routing::get;

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:9000").await.unwrap();
    tokio::spawn(checkpoints());
    tokio::spawn(admin(commands()));
    let app = axum::Router::new().route("/", get(pages::index));
    tokio::spawn(async move { axum::serve(listener, app).await });
    tokio::spawn(accept_or_reload());
    accept_clients().await;
}

// A `select!` loop driven by `accept()`: its accept branch is per-event, its SIGHUP branch runs
// once per signal.
async fn accept_or_reload() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:9002").await.unwrap();
    let mut hangup =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).unwrap();
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let _config = std::fs::read_to_string("proxy.toml"); //~ blocking_in_async(pedantic)
            }
            accepted = listener.accept() => {
                let _banner = std::fs::read("banner.txt"); //~ blocking_in_async
                drop(accepted);
            }
        }
    }
}

async fn accept_clients() {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:9001").await.unwrap();
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::spawn(async move {
            let greeting = std::fs::read_to_string("motd.txt").unwrap_or_default(); //~ blocking_in_async
            client(socket, greeting).await;
        });
    }
}

async fn client(socket: tokio::net::TcpStream, greeting: String) {
    let _key = load_key(); //~ blocking_in_async
    drop((socket, greeting));
}

fn load_key() -> Vec<u8> {
    std::fs::read("client.key").unwrap_or_default()
}

async fn checkpoints() {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        std::fs::write("state.json", b"{}").ok(); //~ blocking_in_async(pedantic)
    }
}

async fn admin(mut commands: tokio::sync::mpsc::Receiver<String>) {
    while let Some(user) = commands.recv().await {
        let _ = std::fs::read_to_string(format!("users/{user}.toml")); //~ blocking_in_async(pedantic)
        let hash = bcrypt::hash(&user, 12); //~ blocking_in_async(pedantic)
        let same = bcrypt::verify(&user, "$2b$12$stored"); //~ blocking_in_async
        drop((hash, same));
    }
}

fn commands() -> tokio::sync::mpsc::Receiver<String> {
    tokio::sync::mpsc::channel(8).1
}
