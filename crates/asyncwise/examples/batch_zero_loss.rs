//! Zero-loss check for `Batcher`: producers send distinct ids, flushes fail
//! at random, a shutdown comes in the middle, and afterwards every accepted
//! id must be found exactly once among the flushed or dead-lettered ids.
//!
//! ```text
//! cargo run -p asyncwise --example batch_zero_loss -- \
//!     --producers 8 --items 100000 --fail-rate 0.2 --shutdown-after-ms 150 --out /tmp/zero-loss
//! ```
//!
//! Writes `DIR/accepted` (ids whose `send` succeeded), `DIR/flushed` (ids
//! appended by each successful flush) and `DIR/dead` (dead-lettered ids),
//! one id per line, then reads them back and exits 0 only if the check
//! holds (1 if it does not or the run failed, 2 on bad usage). `--flush-latency-ms` (default 1) makes each flush take a while, so
//! that the shutdown lands mid-stream.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use asyncwise::{BatchConfig, Batcher, RetryPolicy};
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

/// More producer tasks than this are refused.
const MAX_PRODUCERS: usize = 1_024;

struct Args {
    producers: u64,
    items: u64,
    fail_rate: f64,
    shutdown_after: Duration,
    flush_latency: Duration,
    out: PathBuf,
}

const USAGE: &str = "usage: batch_zero_loss [--producers P] [--items N] [--fail-rate F] \
     [--shutdown-after-ms T] [--flush-latency-ms L] [--out DIR]";

/// `None` for `--help`.
fn parse_args() -> anyhow::Result<Option<Args>> {
    let mut args = Args {
        producers: 8,
        items: 100_000,
        fail_rate: 0.0,
        shutdown_after: Duration::from_millis(100),
        flush_latency: Duration::from_millis(1),
        out: PathBuf::from("target/batch_zero_loss"),
    };
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = argv
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        let bad = || format!("bad value {value:?} for {flag}");
        match flag.as_str() {
            "--producers" => args.producers = value.parse().with_context(bad)?,
            "--items" => args.items = value.parse().with_context(bad)?,
            "--fail-rate" => args.fail_rate = value.parse().with_context(bad)?,
            "--shutdown-after-ms" => {
                args.shutdown_after = Duration::from_millis(value.parse().with_context(bad)?);
            }
            "--flush-latency-ms" => {
                args.flush_latency = Duration::from_millis(value.parse().with_context(bad)?);
            }
            "--out" => args.out = PathBuf::from(value),
            _ => bail!(
                "unknown flag {flag}; expected --producers --items --fail-rate \
                 --shutdown-after-ms --flush-latency-ms --out"
            ),
        }
    }
    if args.producers == 0 {
        bail!("--producers must be at least 1");
    }
    if !(0.0..=1.0).contains(&args.fail_rate) {
        bail!("--fail-rate must be within 0..=1");
    }
    Ok(Some(args))
}

fn lines(ids: &[u64]) -> String {
    let mut text = String::with_capacity(ids.len() * 7);
    for id in ids {
        text.push_str(&id.to_string());
        text.push('\n');
    }
    text
}

async fn read_ids(path: &Path) -> anyhow::Result<Vec<u64>> {
    let text = tokio::fs::read_to_string(path)
        .await
        .with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .map(|line| {
            line.parse()
                .with_context(|| format!("bad id {line:?} in {}", path.display()))
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    // Exit codes: 0 the check holds, 1 it does not (or the run failed),
    // 2 bad usage.
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Err(error) => {
            eprintln!("error: {error:#}\n{USAGE}");
            return Ok(ExitCode::from(2));
        }
    };
    tokio::fs::create_dir_all(&args.out)
        .await
        .with_context(|| format!("creating {}", args.out.display()))?;
    let accepted_path = args.out.join("accepted");
    let flushed_path = args.out.join("flushed");
    let dead_path = args.out.join("dead");
    for path in [&accepted_path, &flushed_path, &dead_path] {
        tokio::fs::write(path, "")
            .await
            .with_context(|| format!("truncating {}", path.display()))?;
    }
    let flushed_file = tokio::fs::OpenOptions::new()
        .append(true)
        .open(&flushed_path)
        .await
        .with_context(|| format!("opening {}", flushed_path.display()))?;
    let flushed_file = Arc::new(tokio::sync::Mutex::new(flushed_file));
    let dead = Arc::new(Mutex::new(Vec::new()));

    let token = CancellationToken::new();
    let config = BatchConfig::new(256, Duration::from_millis(5))
        .capacity(1_024)
        .retry(
            RetryPolicy::exponential(Duration::from_millis(1))
                .max_delay(Duration::from_millis(20))
                .max_attempts(3),
        )
        .cancel_on(token.clone());
    let fail_rate = args.fail_rate;
    let flush_latency = args.flush_latency;
    let (batcher, worker) = Batcher::new(config, move |batch| {
        let file = flushed_file.clone();
        async move {
            tokio::time::sleep(flush_latency).await;
            if fastrand::f64() < fail_rate {
                return Err(std::io::Error::other("injected flush failure"));
            }
            let mut file = file.lock().await;
            file.write_all(lines(&batch).as_bytes()).await?;
            file.flush().await
        }
    });
    let dead_sink = dead.clone();
    let worker = worker.dead_letter(move |batch, error| {
        eprintln!("dead-lettered {} ids: {error}", batch.len());
        if let Ok(mut dead) = dead_sink.lock() {
            dead.extend(batch.iter().copied());
        }
    });
    let worker = tokio::spawn(worker.run());

    let mut producers = tokio::task::JoinSet::new();
    let stride = usize::try_from(args.producers).context("too many producers")?;
    for first in 0..args.producers {
        // `--producers` is user input: one task each, up to a fixed limit.
        if producers.len() >= MAX_PRODUCERS {
            bail!("at most {MAX_PRODUCERS} producers");
        }
        let batcher = batcher.clone();
        let items = args.items;
        producers.spawn(async move {
            let mut accepted = Vec::new();
            for id in (first..items).step_by(stride) {
                if batcher.send(id).await.is_err() {
                    break;
                }
                accepted.push(id);
            }
            accepted
        });
    }
    drop(batcher);
    let trigger = tokio::spawn({
        let token = token.clone();
        let after = args.shutdown_after;
        async move {
            tokio::time::sleep(after).await;
            token.cancel();
        }
    });

    let mut accepted = Vec::new();
    while let Some(ids) = producers.join_next().await {
        accepted.extend(ids.context("a producer panicked")?);
    }
    let report = worker.await.context("the batcher worker panicked")?;
    let shutdown_came_first = token.is_cancelled();
    trigger.abort();
    tokio::fs::write(&accepted_path, lines(&accepted))
        .await
        .with_context(|| format!("writing {}", accepted_path.display()))?;
    let dead_ids = dead
        .lock()
        .map_err(|_| anyhow::anyhow!("dead-letter list poisoned"))?
        .clone();
    tokio::fs::write(&dead_path, lines(&dead_ids))
        .await
        .with_context(|| format!("writing {}", dead_path.display()))?;

    // Check from the files, as an outside observer would.
    let accepted = read_ids(&accepted_path).await?;
    let flushed = read_ids(&flushed_path).await?;
    let dead = read_ids(&dead_path).await?;
    let mut seen: HashMap<u64, u32> = HashMap::new();
    for id in flushed.iter().chain(&dead) {
        *seen.entry(*id).or_default() += 1;
    }
    let (mut missing, mut duplicated) = (0_u64, 0_u64);
    for id in &accepted {
        match seen.remove(id) {
            Some(1) => {}
            Some(_) => duplicated += 1,
            None => missing += 1,
        }
    }
    let unexpected = seen.len();
    println!(
        "accepted {} of {} ids (shutdown {}), flushed {}, dead-lettered {}, flush retries {}; \
         missing {missing}, duplicated {duplicated}, never accepted {unexpected}",
        accepted.len(),
        args.items,
        if shutdown_came_first && (accepted.len() as u64) < args.items {
            "mid-stream"
        } else {
            "after the last item"
        },
        flushed.len(),
        dead.len(),
        report.flush_retries,
    );
    if missing == 0 && duplicated == 0 && unexpected == 0 {
        println!("ok: every accepted id appears exactly once in flushed or dead");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("LOSS: the zero-loss check failed");
        Ok(ExitCode::FAILURE)
    }
}
