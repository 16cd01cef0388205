// Blocking where no served work waits. Readings: the call statement right before an
// unconditional `std::process::exit`/`abort` of the same block (logging between them skipped)
// runs on a path that ends the process, and a fallback taken only when an environment variable
// is unset (`or_else`/`unwrap_or_else` closures on `env::var(..)`, the `Err`/`None` arm, the
// `else` of `if let Ok(..) = env::var(..)`) runs where the program is not deployed: both are the
// pedantic form, directly and through helpers. The same calls elsewhere stay default.
use std::time::Duration;

use axum::extract::State;

struct Node {
    unavailable: u32,
}

async fn watch_health(state: State<Node>) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if state.unavailable > 3 {
            std::thread::sleep(Duration::from_secs(2)); //~ blocking_in_async(pedantic)
            log::error!("node unavailable, exiting");
            std::process::exit(3);
        }
    }
}

async fn abort_after_flush(state: State<Node>) {
    flush_sync(); //~ blocking_in_async(pedantic)
    std::process::abort();
}

async fn sleep_then_maybe_exit(state: State<Node>) {
    std::thread::sleep(Duration::from_secs(2)); //~ blocking_in_async
    if state.unavailable > 3 {
        std::process::exit(3);
    }
}

async fn read_then_exit(state: State<Node>) {
    // ok: only the statement right before the exit is quiet; this one is not
    std::thread::sleep(Duration::from_secs(1)); //~ blocking_in_async
    let config = std::fs::read_to_string("/etc/node.toml"); //~ blocking_in_async
    std::process::exit(0);
}

fn flush_sync() {
    std::thread::sleep(Duration::from_millis(100));
}

fn token_from_git_config() -> Result<String, std::io::Error> {
    let out = std::process::Command::new("git")
        .args(["config", "github.token"])
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn token_from_env() -> String {
    std::env::var("API_TOKEN")
        .or_else(|_| std::env::var("LEGACY_TOKEN"))
        .or_else(|_| token_from_git_config())
        .expect("a token")
}

fn token_or_dotfile() -> String {
    match std::env::var("API_TOKEN") {
        Ok(token) => token,
        Err(_) => std::fs::read_to_string("/home/dev/.token").unwrap_or_default(),
    }
}

fn token_always_from_git() -> String {
    // `unwrap_or` evaluates its argument whether or not the variable is set
    std::env::var("API_TOKEN").unwrap_or(token_from_git_config().unwrap_or_default())
}

async fn webhook(state: State<Node>) -> String {
    let a = token_from_env(); //~ blocking_in_async(pedantic)
    let b = token_or_dotfile(); //~ blocking_in_async(pedantic)
    let c = token_always_from_git(); //~ blocking_in_async
    let d = token_from_git_config(); //~ blocking_in_async
    format!("{a}{b}{c}{d:?}")
}

async fn direct_fallback(state: State<Node>) -> String {
    let token = if let Ok(token) = std::env::var("API_TOKEN") {
        token
    } else {
        std::fs::read_to_string("/home/dev/.token").unwrap_or_default() //~ blocking_in_async(pedantic)
    };
    // ok: `map` runs with the variable's value, on the served path
    let size = std::env::var("SIZE_FILE").map(|p| std::fs::read_to_string(p)); //~ blocking_in_async
    token
}
