// A command-line client whose commands run as a spawned task (so nothing here runs alone)
// and ask the person at the terminal before they act. A blocking call in a
// function that itself waits for the user (a y/N read from standard input, a dialoguer
// prompt, directly or through a sync helper) holds up a flow whose next step is a person's
// answer anyway: the pedantic form. The same calls where nobody is asked, on a connection's
// path, or after the function started concurrent work stay in the default form.
use std::io::BufRead;
use std::time::Duration;

use dialoguer::Confirm;

fn ask(question: &str) -> bool {
    println!("{question} [y/N]");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    answer.trim() == "y"
}

fn flush_journal() {
    std::thread::sleep(Duration::from_millis(200));
}

async fn remove(ids: Vec<u32>) {
    if !ask("remove these tasks?") { //~ blocking_in_async(pedantic)
        return;
    }
    flush_journal(); //~ blocking_in_async(pedantic)
    send(ids).await;
}

async fn reset() {
    let sure = Confirm::new().with_prompt("reset everything?").interact().unwrap_or(false);
    if sure {
        std::thread::sleep(Duration::from_millis(500)); //~ blocking_in_async(pedantic)
        send(Vec::new()).await;
    }
}

// Nobody is asked here: the sleep stalls the background task's worker for nothing.
async fn status() {
    std::thread::sleep(Duration::from_millis(500)); //~ blocking_in_async
    send(Vec::new()).await;
}

// Asks first, then starts a watcher beside itself: what follows runs concurrently.
async fn follow() {
    if !ask("follow the log?") { //~ blocking_in_async(pedantic)
        return;
    }
    let watcher = tokio::spawn(async { send(Vec::new()).await });
    flush_journal(); //~ blocking_in_async
    watcher.await.ok();
}

// A connection's task: a prompt here would wait once per connection, with others served.
async fn serve(listener: tokio::net::TcpListener) {
    loop {
        let Ok((_socket, _)) = listener.accept().await else { break };
        tokio::spawn(async {
            if ask("accept the peer?") { //~ blocking_in_async
                flush_journal(); //~ blocking_in_async
            }
        });
    }
}

async fn send(_ids: Vec<u32>) {}

async fn dispatch(command: String) {
    match command.as_str() {
        "remove" => remove(vec![1]).await,
        "reset" => reset().await,
        "status" => status().await,
        "follow" => follow().await,
        "share" => prompts::share().await,
        _ => serve(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()).await,
    }
}

async fn next_command() -> Option<String> {
    use tokio::io::AsyncBufReadExt;
    let mut line = String::new();
    let mut input = tokio::io::BufReader::new(tokio::io::stdin());
    input.read_line(&mut line).await.ok()?;
    Some(line)
}

#[tokio::main]
async fn main() {
    // Commands come one after another; each runs as a task of the runtime.
    while let Some(command) = next_command().await {
        tokio::spawn(dispatch(command)).await.ok();
    }
}
