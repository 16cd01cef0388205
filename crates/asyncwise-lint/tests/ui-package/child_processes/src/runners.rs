// A runner: a sync helper that starts a child process, hands its pipes and its exit to
// threads, and waits on their channel (or joins them) until the child is done. Its channel
// receive or join waits for the child, as `Command::output` does: the same cost class, default
// only on a per-event path. A channel wait in a helper that starts no child stays a wait.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use axum::extract::State;

enum Event {
    Line(String),
    Exited(ExitStatus),
}

pub struct Runner {
    command: Command,
}

impl Runner {
    fn start(&mut self) -> std::io::Result<Child> {
        self.command.stdout(Stdio::piped()).spawn()
    }

    fn run_streaming(mut self) -> std::io::Result<ExitStatus> {
        let mut child = self.start()?;
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            let lines = tx.clone();
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = lines.send(Event::Line(line));
                }
            });
        }
        thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = tx.send(Event::Exited(status));
            }
        });
        loop {
            match rx.recv_timeout(Duration::from_secs(600)) {
                Ok(Event::Line(line)) => println!("{line}"),
                Ok(Event::Exited(status)) => return Ok(status),
                Err(RecvTimeoutError::Timeout) => return Err(std::io::Error::other("timed out")),
                Err(RecvTimeoutError::Disconnected) => return Err(std::io::Error::other("lost")),
            }
        }
    }
}

fn run_collecting(program: &str) -> std::io::Result<Vec<String>> {
    let mut child = Command::new(program).stdout(Stdio::piped()).spawn()?;
    let stdout = child.stdout.take();
    let reader = thread::spawn(move || {
        stdout.map_or_else(Vec::new, |out| {
            BufReader::new(out).lines().map_while(Result::ok).collect()
        })
    });
    let lines = reader.join().unwrap_or_default();
    child.wait()?;
    Ok(lines)
}

// Steps of an install: the user waits for the tool anyway.
pub async fn install_plugin(command: Command) -> std::io::Result<ExitStatus> {
    Runner { command }.run_streaming() //~ blocking_in_async(pedantic)
}

pub async fn list_versions(program: &str) -> std::io::Result<Vec<String>> {
    run_collecting(program) //~ blocking_in_async(pedantic)
}

// Once per request: a worker held per request, as with `Command::output`.
pub async fn render(State(program): State<String>) -> String {
    run_collecting(&program).unwrap_or_default().join("\n") //~ blocking_in_async
}

// A channel fed by worker threads, no child process: a wait like any other.
fn sum_in_threads(parts: Vec<Vec<u64>>) -> u64 {
    let (tx, rx) = mpsc::channel();
    for part in parts {
        let tx = tx.clone();
        thread::spawn(move || {
            let _ = tx.send(part.iter().sum::<u64>());
        });
    }
    drop(tx);
    rx.iter().sum()
}

pub async fn total(parts: Vec<Vec<u64>>) -> u64 {
    sum_in_threads(parts) //~ blocking_in_async
}
