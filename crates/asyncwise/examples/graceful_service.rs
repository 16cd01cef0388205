//! A small TCP echo service on 127.0.0.1 built from the three pieces of
//! `asyncwise`:
//!
//! - `Shutdown::run` owns the process: SIGINT/SIGTERM (ctrl-c) start a
//!   graceful drain, a second signal during the drain forces the exit, and
//!   the report naming any task that did not stop (or failed) is printed at
//!   the end;
//! - a `Supervisor` keeps the acceptor alive (restarted with backoff if it
//!   fails) and is tracked by the shutdown as `service/acceptor`;
//! - every connection is a task of a bounded `TaskGroup` tied to the
//!   shutdown (`connections/conn-<peer>`): on shutdown each connection
//!   answers what its client already sent, then closes; the drain waits for
//!   all of them up to the deadline. The accept loop waits for a free slot
//!   (backpressure) instead of queueing without bound.
//!
//! Run it until ctrl-c:
//!
//! ```text
//! cargo run -p asyncwise --example graceful_service
//! ```
//!
//! or as a self-terminating demo with built-in loopback clients (what CI
//! runs), optionally with a connection task that ignores the shutdown to
//! show the straggler report (exit code 124):
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

use asyncwise::{
    Backoff, BoxError, CancellationToken, ChildContext, RestartPolicy, Shutdown, Supervisor,
    TaskGroup,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Connections served at once; the accept loop waits when all are busy.
const MAX_CONNECTIONS: usize = 256;
/// How long a connection waits, once the shutdown began, for bytes its
/// client already sent, before it closes.
const LINGER: Duration = Duration::from_millis(200);
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
            ExitCode::from(&report)
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

    let acceptor_shutdown = shutdown.clone();
    let with_straggler = options.with_straggler;
    let report = Supervisor::new(shutdown.child_token())
        .name("service")
        .with_shutdown(&shutdown)
        .backoff(Backoff::new(
            Duration::from_millis(50),
            Duration::from_secs(2),
        ))
        .restart_intensity(5, Duration::from_secs(10))
        .child("acceptor", RestartPolicy::Permanent, move |ctx| {
            accept(
                Arc::clone(&listener),
                acceptor_shutdown.clone(),
                ctx,
                with_straggler,
            )
        })
        .run()
        .await?;
    println!("supervisor: {report}");
    if options.demo.is_some() {
        println!("demo: {} message(s) echoed", echoed.load(Ordering::Relaxed));
    }
    Ok(())
}

/// Accepts connections and serves each in its own task of a group tied to
/// the shutdown. On shutdown it returns at once: dropping the group leaves
/// its connections to finish within the drain deadline, tracked (and, if
/// they straggle, named and aborted) by the shutdown.
async fn accept(
    listener: Arc<TcpListener>,
    shutdown: Shutdown,
    ctx: ChildContext,
    with_straggler: bool,
) -> Result<(), BoxError> {
    let token = ctx.token().clone();
    let mut connections =
        TaskGroup::bounded(MAX_CONNECTIONS).with_shutdown(&shutdown, "connections");
    if with_straggler {
        // Ignores the shutdown: the report names it by path and spawn
        // location, then it is aborted.
        connections.spawn(
            "stubborn-reporter",
            std::future::pending::<Result<(), std::io::Error>>(),
        )?;
    }
    loop {
        // `accept` is cancel safe: losing the race loses no connection.
        let (stream, peer) = tokio::select! {
            () = token.cancelled() => {
                // Connections the kernel already completed are served too:
                // their clients are waiting for an answer.
                while let Ok(accepted) = tokio::time::timeout(LINGER, listener.accept()).await {
                    let (stream, peer) = accepted?;
                    let stop = connections.cancellation_token();
                    if connections.spawn(format!("conn-{peer}"), echo(stream, stop)).is_err() {
                        break;
                    }
                }
                return Ok(());
            }
            accepted = listener.accept() => accepted?,
        };
        let stop = connections.cancellation_token();
        // Backpressure: wait for a free slot rather than queue without bound.
        if connections
            .spawn_wait(format!("conn-{peer}"), echo(stream, stop))
            .await
            .is_err()
        {
            return Ok(()); // shutting down
        }
        // Reap finished connections so their results do not pile up.
        while let Some(result) = connections.try_join_next() {
            if let Ok(Err(error)) = result {
                eprintln!("connection: {error}");
            }
        }
    }
}

/// Echoes until the peer closes the connection, stays idle too long, or
/// the shutdown begins; then answers what the peer already sent and closes.
async fn echo(mut stream: TcpStream, stop: CancellationToken) -> Result<(), std::io::Error> {
    let mut buffer = [0_u8; 1024];
    loop {
        let read = tokio::select! {
            read = tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut buffer)) => {
                read.map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle connection"))??
            }
            () = stop.cancelled() => {
                // `read` is cancel safe: no byte was lost by the race.
                return linger(stream, &mut buffer).await;
            }
        };
        if read == 0 {
            return Ok(());
        }
        stream.write_all(&buffer[..read]).await?;
    }
}

/// The shutdown began: answer the bytes that are in flight, then close.
async fn linger(mut stream: TcpStream, buffer: &mut [u8]) -> Result<(), std::io::Error> {
    while let Ok(read) = tokio::time::timeout(LINGER, stream.read(buffer)).await {
        let read = read?;
        if read == 0 {
            break;
        }
        stream.write_all(&buffer[..read]).await?;
    }
    stream.shutdown().await
}

/// Demo clients on loopback, and a timer that triggers the shutdown. A
/// client checks the shutdown only between rounds: a message it sent is
/// always answered.
fn start_demo(shutdown: &Shutdown, addr: SocketAddr, duration: Duration, echoed: Arc<AtomicUsize>) {
    for client in 0..DEMO_CLIENTS {
        let token = shutdown.child_token();
        let echoed = Arc::clone(&echoed);
        shutdown.spawn(format!("demo-client-{client}"), async move {
            // Each round is a fresh connection.
            while !token.is_cancelled() {
                match demo_round(addr, client).await {
                    Ok(()) => {
                        echoed.fetch_add(1, Ordering::Relaxed);
                    }
                    // The service may be gone once the shutdown began.
                    Err(_) if token.is_cancelled() => break,
                    Err(error) => return Err(error),
                }
                tokio::select! {
                    () = token.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
            Ok::<(), BoxError>(())
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
