use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::uplink;

#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Sample {
    pub available_kb: u64,
    pub load: f64,
}

#[derive(Default)]
pub struct State {
    recent: Mutex<VecDeque<Sample>>,
}

impl State {
    pub async fn render(&self) -> String {
        let recent = self.recent.lock().unwrap(); //~ lock_across_await
        let mut out = String::new();
        for s in recent.iter() {
            out.push_str(&format!("{} {:.2}\n", s.available_kb, s.load));
            tokio::task::yield_now().await;
        }
        out
    }

    fn push(&self, sample: Sample) {
        let mut recent = self.recent.lock().unwrap();
        if recent.len() == 360 {
            recent.pop_front();
        }
        recent.push_back(sample);
    }
}

/// Samples the host every ten seconds and ships batches of them upstream.
pub async fn run(state: Arc<State>) {
    let (batch_tx, mut batch_rx) = mpsc::unbounded_channel::<Vec<Sample>>(); //~ unbounded_channel
    tokio::spawn(async move { //~ detached_task(pedantic)
        while let Some(batch) = batch_rx.recv().await {
            uplink::push(&batch).await.expect("uplink push failed");
        }
    });
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    let mut batch = Vec::new();
    loop {
        tick.tick().await;
        let mem = sysinfo_lite::read_meminfo().unwrap_or_default(); // ok: /proc (changed after the blind run)
        let load = sysinfo_lite::load_average().unwrap_or(0.0); // ok: /proc (changed after the blind run)
        let sample = Sample { available_kb: mem.available_kb, load };
        state.push(sample);
        batch.push(sample);
        if batch.len() == 6 {
            let _ = batch_tx.send(std::mem::take(&mut batch));
        }
    }
}

/// Samples once a minute and hands each sample to its own upload task.
pub async fn run_direct(state: Arc<State>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let sample = Sample { available_kb: 0, load: 0.0 };
        state.push(sample);
        tokio::spawn(async move { uplink::push(&[sample]).await }); //~ unbounded_spawn(pedantic), detached_task
    }
}

thread_local! {
    static PENDING: RefCell<Vec<Sample>> = RefCell::new(Vec::new());
}

/// Flushes the samples queued on this thread (the agent's single-threaded uplink runtime).
pub async fn flush_local(buffer: &RefCell<Vec<Sample>>) -> anyhow::Result<()> {
    let pending = buffer.borrow(); //~ lock_across_await
    uplink::push(&pending).await?;
    drop(pending);
    buffer.borrow_mut().clear();
    Ok(())
}

/// The same flush with the samples taken out of the cell first.
pub async fn flush_local_taken(buffer: &RefCell<Vec<Sample>>) -> anyhow::Result<()> {
    let pending = std::mem::take(&mut *buffer.borrow_mut());
    uplink::push(&pending).await
}
