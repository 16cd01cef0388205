//! A small TCP echo service on 127.0.0.1 built from the three pieces of
//! `asyncwise`:
//!
//! - `Shutdown::run` owns the process: SIGINT/SIGTERM (ctrl-c) start a
//!   graceful drain, a second signal forces the exit, and the report naming
//!   any task that did not stop is printed at the end;
//! - a `Supervisor` keeps the acceptor alive (restarted with backoff if it
//!   fails);
//! - the acceptor gathers connections into batches and serves each batch
//!   with a bounded `TaskGroup` (at most 4 connections of a batch at once).
//!
//! Run it until ctrl-c:
//!
//! ```text
//! cargo run -p asyncwise --example graceful_service
//! ```
//!
//! or as a self-terminating demo with built-in loopback clients (what CI
//! runs), optionally with a task that ignores the shutdown to show the
//! straggler report:
//!
//! ```text
//! cargo run -p asyncwise --example graceful_service -- --demo-secs 2 [--with-straggler]
//! ASYNCWISE_DEMO_SECS=2 cargo run -p asyncwise --example graceful_service
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asyncwise::{Backoff, BoxError, ChildContext, RestartPolicy, Shutdown, Supervisor, TaskGroup};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Most connections gathered into one batch.
const BATCH_SIZE: usize = 16;
/// How long the acceptor waits for more connections to fill a batch.
const BATCH_WINDOW: Duration = Duration::from_millis(20);
/// Connections of one batch served at once.
const PER_BATCH_LIMIT: usize = 4;
/// A connection idle for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// Number of demo clients.
const DEMO_CLIENTS: usize = 8;

struct Options {
    demo: Option<Duration>,
    with_straggler: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut demo = match std::env::var("ASYNCWISE_DEMO_SECS") {
        Ok(secs) => Some(parse_secs(&secs)?),
        Err(_) => None,
    };
    let mut with_straggler = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo-secs" => {
                let secs = args.next().ok_or("--demo-secs needs a number of seconds")?;
                demo = Some(parse_secs(&secs)?);
            }
            "--with-straggler" => with_straggler = true,
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: graceful_service [--demo-secs N] [--with-straggler]"
                ));
            }
        }
    }
    Ok(Options {
        demo,
        with_straggler,
    })
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs >= 0.0 && *secs <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{text}` is not a number of seconds between 0 and 3600"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let deadline = if options.demo.is_some() {
        Duration::from_secs(2)
    } else {
        Duration::from_secs(10)
    };
    let result = Shutdown::with_deadline(deadline)
        .run(|shutdown| service(shutdown, options))
        .await;
    match result {
        Ok(report) => {
            println!("{report}");
            report.exit_code()
        }
        Err(error) => {
            eprintln!("cannot start: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn service(shutdown: Shutdown, options: Options) -> Result<(), BoxError> {
    // Loopback only.
    let listener = Arc::new(TcpListener::bind(("127.0.0.1", 0)).await?);
    let addr = listener.local_addr()?;
    println!("echo service listening on {addr} (ctrl-c to stop)");

    let echoed = Arc::new(AtomicUsize::new(0));
    if let Some(duration) = options.demo {
        start_demo(&shutdown, addr, duration, Arc::clone(&echoed));
    }
    if options.with_straggler {
        // Ignores the shutdown token: the report names it and where it was
        // spawned, then it is aborted.
        shutdown.spawn("stubborn-reporter", std::future::pending::<()>());
    }

    let acceptor_shutdown = shutdown.clone();
    let report = Supervisor::new(shutdown.child_token())
        .backoff(Backoff::new(
            Duration::from_millis(50),
            Duration::from_secs(2),
        ))
        .restart_intensity(5, Duration::from_secs(10))
        .child("acceptor", RestartPolicy::Permanent, move |ctx| {
            accept_batches(Arc::clone(&listener), acceptor_shutdown.clone(), ctx)
        })
        .run()
        .await?;
    for child in &report.children {
        println!(
            "supervisor: child `{}` restarted {} time(s)",
            child.name, child.restarts
        );
    }
    if options.demo.is_some() {
        println!("demo: {} message(s) echoed", echoed.load(Ordering::Relaxed));
    }
    Ok(())
}

/// Accepts connections in batches and hands each batch to a tracked task.
async fn accept_batches(
    listener: Arc<TcpListener>,
    shutdown: Shutdown,
    ctx: ChildContext,
) -> Result<(), BoxError> {
    let token = ctx.token().clone();
    let mut batch_number = 0_u64;
    loop {
        let mut batch = Vec::with_capacity(BATCH_SIZE);
        // `accept` is cancel safe: losing the race loses no connection.
        tokio::select! {
            () = token.cancelled() => return Ok(()),
            accepted = listener.accept() => batch.push(accepted?),
        }
        let window = tokio::time::sleep(BATCH_WINDOW);
        tokio::pin!(window);
        while batch.len() < BATCH_SIZE {
            tokio::select! {
                () = &mut window => break,
                () = token.cancelled() => break,
                accepted = listener.accept() => batch.push(accepted?),
            }
        }
        batch_number += 1;
        shutdown.spawn(
            format!("batch-{batch_number}"),
            serve_batch(batch, token.clone()),
        );
    }
}

/// Serves one batch of connections, at most `PER_BATCH_LIMIT` at once.
async fn serve_batch(connections: Vec<(TcpStream, SocketAddr)>, token: CancellationToken) {
    let mut group = TaskGroup::bounded(PER_BATCH_LIMIT).with_parent(&token);
    for (stream, peer) in connections {
        if group
            .spawn(format!("conn-{peer}"), echo(stream))
            .await
            .is_err()
        {
            // Shutting down: the remaining connections are closed unserved.
            break;
        }
    }
    for result in group.join_all().await {
        if let Err(error) = result
            && !error.is_cancelled()
        {
            eprintln!("{error}");
        }
    }
}

/// Echoes until the peer closes the connection or stays idle too long.
async fn echo(mut stream: TcpStream) -> Result<(), std::io::Error> {
    let mut buffer = [0_u8; 1024];
    loop {
        let read = tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut buffer))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle connection"))??;
        if read == 0 {
            return Ok(());
        }
        stream.write_all(&buffer[..read]).await?;
    }
}

/// Demo clients on loopback, and a timer that triggers the shutdown.
fn start_demo(shutdown: &Shutdown, addr: SocketAddr, duration: Duration, echoed: Arc<AtomicUsize>) {
    for client in 0..DEMO_CLIENTS {
        let token = shutdown.child_token();
        let echoed = Arc::clone(&echoed);
        shutdown.spawn(format!("demo-client-{client}"), async move {
            // Each round is a fresh connection so that batches form.
            while !token.is_cancelled() {
                tokio::select! {
                    () = token.cancelled() => break,
                    result = demo_round(addr, client) => match result {
                        Ok(()) => {
                            echoed.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => eprintln!("demo client {client}: {error}"),
                    },
                }
                tokio::select! {
                    () = token.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        });
    }
    let trigger = shutdown.clone();
    shutdown.spawn("demo-timer", async move {
        tokio::select! {
            () = trigger.triggered() => {}
            () = tokio::time::sleep(duration) => {
                println!("demo: {duration:?} elapsed, shutting down");
                trigger.trigger();
            }
        }
    });
}

async fn demo_round(addr: SocketAddr, client: usize) -> Result<(), BoxError> {
    let mut stream = TcpStream::connect(addr).await?;
    let message = format!("hello from client {client}");
    stream.write_all(message.as_bytes()).await?;
    let mut reply = vec![0_u8; message.len()];
    stream.read_exact(&mut reply).await?;
    if reply != message.as_bytes() {
        return Err("echo mismatch".into());
    }
    Ok(())
}
