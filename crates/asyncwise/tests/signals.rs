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

    /// Reads the child's output until a line that contains `part`.
    async fn wait_for_containing(&mut self, part: &str) {
        while let Some(line) = self.lines.next_line().await.expect("read child stdout") {
            let found = line.contains(part);
            self.output.push(line);
            if found {
                return;
            }
        }
        panic!("child ended before printing {part:?}: {:?}", self.output);
    }

    /// Waits for the child to exit; returns its exit code and its whole
    /// standard output and error.
    async fn finish(self) -> (Option<i32>, String) {
        let (code, stdout, stderr) = self.finish_split().await;
        (code, format!("{stdout}\n{stderr}"))
    }

    /// Waits for the child to exit; returns its exit code, its standard
    /// output and its standard error.
    async fn finish_split(mut self) -> (Option<i32>, String, String) {
        while let Some(line) = self.lines.next_line().await.expect("read child stdout") {
            self.output.push(line);
        }
        let output = self
            .child
            .wait_with_output()
            .await
            .expect("wait for the child");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code(), self.output.join("\n"), stderr)
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

/// `run`, "Forced exit": it "writes the report to standard error, flushes
/// standard output and error, and ends the process with
/// `std::process::exit` and the report's exit code": a line the program
/// had not finished (no newline, still in stdout's buffer) is not lost, and
/// the report is on stderr, naming what did not finish.
#[tokio::test]
async fn a_forced_exit_flushes_stdout_and_writes_the_report_to_stderr() {
    let mut child = Scenario::start("forced");
    child.wait_for("ready").await;
    send("TERM", child.pid()).await;
    child.wait_for("draining").await;
    send("INT", child.pid()).await;
    let (code, stdout, stderr) = child.finish_split().await;
    assert_eq!(code, Some(130), "{stdout}\n{stderr}");
    assert!(stdout.ends_with("half a line"), "{stdout:?}");
    assert!(stderr.contains("shutdown (received SIGTERM)"), "{stderr}");
    assert!(stderr.contains("forced by a second SIGINT"), "{stderr}");
    assert!(stderr.contains("`stubborn` spawned at"), "{stderr}");
    assert!(stderr.contains("`main` spawned at"), "{stderr}");
    assert!(stderr.contains("exit code 130"), "{stderr}");
    assert!(!stdout.contains("exit code"), "{stdout}");
}

/// `Shutdown` docs: "One root `CancellationToken` is cancelled by
/// SIGINT/SIGTERM": SIGINT drains like SIGTERM.
#[tokio::test]
async fn sigint_drains_every_task_and_exits_zero() {
    let mut child = Scenario::start("drain");
    child.wait_for("ready").await;
    send("INT", child.pid()).await;
    let (code, output) = child.finish().await;
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("shutdown (received SIGINT)"), "{output}");
    assert!(output.contains("flushed"), "{output}");
}

/// `exit_on_force`: "With `exit_on_force(false)` it returns the report
/// instead": the second signal still cuts the drain and names the
/// stragglers, and the program goes on after `run`.
#[tokio::test]
async fn without_exit_on_force_a_second_signal_returns_the_forced_report() {
    let mut child = Scenario::start("forced-returns");
    child.wait_for("ready").await;
    send("INT", child.pid()).await;
    child.wait_for("draining").await;
    send("TERM", child.pid()).await;
    let (code, output) = child.finish().await;
    assert_eq!(code, Some(143), "{output}");
    assert!(output.contains("run returned"), "{output}");
    assert!(output.contains("forced by a second SIGTERM"), "{output}");
    assert!(output.contains("`stubborn` spawned at"), "{output}");
}

/// `run`: "With `exit_on_force(false)` no such task is left. Either way,
/// once nothing listens, SIGINT and SIGTERM are ignored for the rest of the
/// process": a SIGINT after such a `run` returned neither ends the program
/// nor reaches a default handler; the program finishes on its own terms.
#[tokio::test]
async fn without_exit_on_force_a_signal_after_run_is_ignored() {
    let mut child = Scenario::start("after-run-no-exit");
    child.wait_for("finishing").await;
    send("INT", child.pid()).await;
    let (code, output) = child.finish().await;
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("finished on its own"), "{output}");
}

/// `run` installs its signal handlers with `tokio::signal`, which needs the
/// runtime's IO driver: on a runtime built without it, `run` panics as
/// `tokio::signal` does (documented under "Panics") before `main` runs.
#[test]
fn run_on_a_runtime_without_io_panics_before_main_runs() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let main_ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&main_ran);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(Shutdown::new().run(move |_| async move {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, BoxError>(())
        }))
    }));
    let payload = outcome.expect_err("no IO driver, no signal handler");
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(message.contains("IO is disabled"), "{message}");
    assert!(!main_ran.load(std::sync::atomic::Ordering::SeqCst));
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

/// `Shutdown::run`, "Forced exit": when the shutdown was not started by a signal, "the
/// first signal during the drain is taken as the request to stop that is already being
/// served, and the second one forces" — the second half (session 10): the child logs that
/// it took the first signal (the test waits for that line, so the two signals are never
/// merged into one by the operating system), the second ends the process at once with
/// 143, long before its 60 s flush.
#[tokio::test]
async fn after_a_shutdown_the_program_began_the_second_signal_forces() {
    let mut child = Scenario::start("self-initiated-twice");
    child.wait_for("draining").await;
    send("TERM", child.pid()).await;
    child
        .wait_for_containing("the next one forces the exit")
        .await;
    send("TERM", child.pid()).await;
    let (code, output) = child.finish().await;
    assert_eq!(code, Some(143), "{output}");
    assert!(output.contains("forced by a second SIGTERM"), "{output}");
    assert!(!output.contains("flushed"), "{output}");
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
                    // Still in stdout's line buffer when the forced exit comes.
                    print!("half a line");
                    std::future::pending::<Result<(), BoxError>>().await
                })
                .await
        }
        "forced-returns" => {
            let report = Shutdown::with_deadline(Duration::from_secs(60))
                .exit_on_force(false)
                .run(|shutdown| async move {
                    shutdown.spawn("stubborn", std::future::pending::<()>());
                    println!("ready");
                    shutdown.triggered().await;
                    println!("draining");
                    std::future::pending::<Result<(), BoxError>>().await
                })
                .await;
            println!("run returned");
            report
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
        "self-initiated-twice" => {
            // The drain's log says when the first signal was taken.
            tracing_subscriber::fmt()
                .with_writer(std::io::stdout)
                .with_ansi(false)
                .init();
            Shutdown::with_deadline(Duration::from_secs(120))
                .run(|shutdown| async move {
                    let token = shutdown.child_token();
                    shutdown.spawn("flusher", async move {
                        token.cancelled().await;
                        println!("draining");
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        println!("flushed");
                    });
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
        "after-run-no-exit" => {
            let report = Shutdown::new()
                .exit_on_force(false)
                .run(|_shutdown| async { Ok::<_, BoxError>(()) })
                .await;
            println!("finishing");
            // Long enough for the signal to arrive and be handled.
            tokio::time::sleep(Duration::from_secs(2)).await;
            println!("finished on its own");
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
