//! Real signals sent to child processes. Each scenario runs this same test
//! binary again as a child (the ignored `child_entry` test, told which
//! scenario by an environment variable), so the signals and the forced
//! `std::process::exit` never reach the test harness itself.
#![cfg(unix)]

use std::process::Stdio;
use std::time::Duration;

use asyncwise::{BoxError, Shutdown};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const SCENARIO: &str = "ASYNCWISE_SIGNAL_SCENARIO";

/// Sends `signal` to process `pid` with the shell's `kill` builtin (the
/// workspace forbids `unsafe`, so no direct `libc::kill`).
async fn send(signal: &str, pid: u32) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(r#"kill -s "$1" "$2""#)
        .arg("sh")
        .arg(signal)
        .arg(pid.to_string())
        .status()
        .await
        .expect("run sh");
    assert!(status.success(), "kill -s {signal} failed: {status}");
}

struct Scenario {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    output: Vec<String>,
}

impl Scenario {
    fn start(name: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("test binary path"))
            .args(["--ignored", "--exact", "child_entry", "--nocapture"])
            .env(SCENARIO, name)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the child process");
        let stdout = child.stdout.take().expect("piped stdout");
        Scenario {
            child,
            lines: BufReader::new(stdout).lines(),
            output: Vec::new(),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("child still running")
    }

    /// Reads the child's output until a line equal to `marker`.
    async fn wait_for(&mut self, marker: &str) {
        while let Some(line) = self.lines.next_line().await.expect("read child stdout") {
            let found = line == marker;
            self.output.push(line);
            if found {
                return;
            }
        }
        panic!("child ended before printing {marker:?}: {:?}", self.output);
    }

    /// Waits for the child to exit; returns its exit code and its whole
    /// standard output and error.
    async fn finish(mut self) -> (Option<i32>, String) {
        while let Some(line) = self.lines.next_line().await.expect("read child stdout") {
            self.output.push(line);
        }
        let output = self
            .child
            .wait_with_output()
            .await
            .expect("wait for the child");
        let mut text = self.output.join("\n");
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        (output.status.code(), text)
    }
}

#[tokio::test]
async fn sigterm_drains_every_task_and_exits_zero() {
    let mut child = Scenario::start("drain");
    child.wait_for("ready").await;
    send("TERM", child.pid()).await;
    let (code, output) = child.finish().await;
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("shutdown (received SIGTERM)"), "{output}");
    assert!(output.contains("flushed"), "{output}");
    assert!(output.contains("all tasks stopped"), "{output}");
}

#[tokio::test]
async fn a_second_signal_during_the_drain_exits_at_once_despite_a_blocking_thread() {
    let mut child = Scenario::start("forced");
    child.wait_for("ready").await;
    send("INT", child.pid()).await;
    child.wait_for("draining").await;
    let forced_at = std::time::Instant::now();
    send("TERM", child.pid()).await;
    let (code, output) = child.finish().await;
    let took = forced_at.elapsed();
    eprintln!("forced exit took {took:?} after the second signal");
    assert_eq!(code, Some(143), "{output}");
    // The blocking thread sleeps for 15 s and the deadline is 60 s: an exit
    // well before either means nothing waited for them.
    assert!(took < Duration::from_secs(10), "took {took:?}: {output}");
    assert!(output.contains("forced by a second SIGTERM"), "{output}");
    assert!(output.contains("`stubborn` spawned at"), "{output}");
}

#[tokio::test]
async fn after_a_shutdown_the_program_began_one_signal_does_not_force() {
    let mut child = Scenario::start("self-initiated");
    child.wait_for("draining").await;
    send("TERM", child.pid()).await;
    let (code, output) = child.finish().await;
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("shutdown (main task returned)"), "{output}");
    assert!(output.contains("flushed"), "{output}");
}

#[tokio::test]
async fn a_signal_after_the_drain_is_not_swallowed() {
    let mut child = Scenario::start("after-run");
    child.wait_for("finishing").await;
    let sent_at = std::time::Instant::now();
    send("INT", child.pid()).await;
    let (code, output) = child.finish().await;
    assert_eq!(code, Some(130), "{output}");
    assert!(sent_at.elapsed() < Duration::from_secs(10), "{output}");
}

/// Runs one scenario in a child process (see the module documentation).
#[test]
#[ignore = "entry point of the child processes started by the other tests"]
fn child_entry() {
    let Ok(scenario) = std::env::var(SCENARIO) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("build the runtime");
    let code = runtime.block_on(run_scenario(&scenario));
    std::process::exit(i32::from(code));
}

async fn run_scenario(scenario: &str) -> u8 {
    let report = match scenario {
        "drain" => {
            Shutdown::with_deadline(Duration::from_secs(30))
                .run(|shutdown| async move {
                    let token = shutdown.child_token();
                    shutdown.spawn("flusher", async move {
                        token.cancelled().await;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        println!("flushed");
                    });
                    println!("ready");
                    shutdown.triggered().await;
                    Ok::<_, BoxError>(())
                })
                .await
        }
        "forced" => {
            Shutdown::with_deadline(Duration::from_secs(60))
                .run(|shutdown| async move {
                    // What `tokio::fs` does under the hood: a blocking thread.
                    tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_secs(15)));
                    shutdown.spawn("stubborn", std::future::pending::<()>());
                    println!("ready");
                    shutdown.triggered().await;
                    println!("draining");
                    std::future::pending::<Result<(), BoxError>>().await
                })
                .await
        }
        "self-initiated" => {
            Shutdown::with_deadline(Duration::from_secs(30))
                .run(|shutdown| async move {
                    let token = shutdown.child_token();
                    shutdown.spawn("flusher", async move {
                        token.cancelled().await;
                        println!("draining");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        println!("flushed");
                    });
                    // main returns at once: the program itself ends the service.
                    Ok::<_, BoxError>(())
                })
                .await
        }
        "after-run" => {
            let report = Shutdown::with_deadline(Duration::from_secs(30))
                .run(|_shutdown| async { Ok::<_, BoxError>(()) })
                .await;
            println!("finishing");
            // A slow final phase after `run` returned.
            tokio::time::sleep(Duration::from_secs(15)).await;
            report
        }
        other => panic!("unknown scenario {other}"),
    };
    match report {
        Ok(report) => {
            println!("{report}");
            report.exit_code()
        }
        Err(error) => {
            eprintln!("{error}");
            2
        }
    }
}
