//! StatsD-style metrics aggregator.
//!
//! Runs on a current-thread runtime inside a `LocalSet`, so state is kept in
//! `Rc<RefCell<..>>`. Samples arrive over UDP and from in-process producers.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::task::{self, LocalSet};
use tracing::{debug, warn};

use crate::sink::{Sink, Snapshot};

#[derive(Default)]
pub struct Aggregates {
    counters: BTreeMap<String, i64>,
    gauges: BTreeMap<String, f64>,
    timers: BTreeMap<String, Vec<f64>>,
}

impl Aggregates {
    fn apply(&mut self, line: &str) {
        let Some((name, rest)) = line.split_once(':') else { return };
        let mut parts = rest.split('|');
        let value: f64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        match parts.next() {
            Some("c") => *self.counters.entry(name.to_string()).or_default() += value as i64,
            Some("g") => {
                self.gauges.insert(name.to_string(), value);
            }
            Some("ms") => self.timers.entry(name.to_string()).or_default().push(value),
            _ => debug!("ignoring malformed sample {line:?}"),
        }
    }

    fn snapshot(&mut self) -> Snapshot {
        Snapshot {
            counters: std::mem::take(&mut self.counters),
            gauges: self.gauges.clone(),
            timers: std::mem::take(&mut self.timers),
        }
    }
}

/// In-process producers (sync code in the host application) push samples here.
pub fn producer_channel() -> (std_mpsc::Sender<String>, std_mpsc::Receiver<String>) {
    std_mpsc::channel()
}

pub struct Aggregator {
    state: Rc<RefCell<Aggregates>>,
    sinks: Vec<Rc<dyn Sink>>,
    flush_every: Duration,
}

impl Aggregator {
    pub fn run(self, bind: &str) -> anyhow::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let local = LocalSet::new();
        local.block_on(&rt, self.serve(bind.to_string()))
    }

    async fn serve(self, bind: String) -> anyhow::Result<()> {
        let socket = UdpSocket::bind(&bind).await?;
        let state = Rc::clone(&self.state);
        task::spawn_local(async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match socket.recv_from(&mut buf).await {
                    Ok((n, _)) => {
                        let text = String::from_utf8_lossy(&buf[..n]);
                        let mut agg = state.borrow_mut();
                        for line in text.lines() {
                            agg.apply(line);
                        }
                    }
                    Err(e) => warn!("udp recv: {e}"),
                }
            }
        });

        let mut ticker = tokio::time::interval(self.flush_every);
        loop {
            ticker.tick().await;
            self.flush().await;
        }
    }

    async fn flush(&self) {
        let mut agg = self.state.borrow_mut(); //~ lock_across_await
        let snapshot = agg.snapshot();
        for sink in &self.sinks {
            if let Err(e) = sink.push(&snapshot).await { //~ sequential_await
                warn!("sink failed: {e}");
            }
        }
        agg.gauges.clear();
    }

    async fn flush_each(&self) {
        let snapshot = self.state.borrow_mut().snapshot();
        for sink in self.sinks.iter().cloned() {
            let snapshot = snapshot.clone();
            task::spawn_local(async move { //~ unbounded_spawn
                if let Err(e) = sink.push(&snapshot).await {
                    warn!("sink failed: {e}");
                }
            });
        }
    }

    /// Drains samples from in-process producers for a short while.
    pub async fn drain_producers(&self, rx: &std_mpsc::Receiver<String>) {
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) { //~ blocking_in_async
                Ok(line) => self.state.borrow_mut().apply(&line),
                Err(_) => break,
            }
        }
        tokio::task::yield_now().await;
    }

    pub async fn import_file(&self, path: &str) -> anyhow::Result<usize> {
        let (tx, rx) = std_mpsc::channel(); //~ unbounded_channel
        let path = path.to_string();
        let reader = std::thread::spawn(move || -> std::io::Result<()> {
            for line in std::fs::read_to_string(&path)?.lines() {
                let _ = tx.send(line.to_string());
            }
            Ok(())
        });
        let mut n = 0;
        while let Ok(line) = rx.try_recv() {
            self.state.borrow_mut().apply(&line);
            n += 1;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        reader.join().map_err(|_| anyhow::anyhow!("reader panicked"))??; //~ blocking_in_async
        Ok(n)
    }

    pub async fn current_counter(&self, name: &str) -> i64 {
        let value = {
            let agg = self.state.borrow();
            agg.counters.get(name).copied().unwrap_or(0)
        };
        tokio::task::yield_now().await;
        value
    }
}
