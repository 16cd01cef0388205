//! Presence: who is online, fed from connection events; a sync exporter thread.

use std::collections::HashSet;
use std::time::Duration;

#[derive(Debug)]
pub enum Event {
    Joined(String),
    Left(String),
}

/// Tracks presence from a stream of events read off the wire.
pub async fn track(mut events: tokio::sync::mpsc::Receiver<Event>) -> HashSet<String> {
    let (export_tx, export_rx) = std::sync::mpsc::channel::<Vec<String>>(); //~ unbounded_channel
    std::thread::spawn(move || export_loop(export_rx));
    let mut online = HashSet::new();
    while let Some(event) = events.recv().await {
        match event {
            Event::Joined(user) => {
                online.insert(user);
            }
            Event::Left(user) => {
                online.remove(&user);
            }
        }
        let _ = export_tx.send(online.iter().cloned().collect());
    }
    online
}

/// Pushes snapshots to a sync metrics library on its own thread.
fn export_loop(rx: std::sync::mpsc::Receiver<Vec<String>>) {
    let (tick_tx, tick_rx) = crossbeam_channel::unbounded::<()>();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(10));
        if tick_tx.send(()).is_err() {
            break;
        }
    });
    let mut last = Vec::new();
    loop {
        crossbeam_channel::select! {
            recv(tick_rx) -> _ => tracing::info!(online = last.len(), "presence"),
            default(Duration::from_millis(100)) => {}
        }
        match rx.try_recv() {
            Ok(snapshot) => last = snapshot,
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
        }
    }
}

/// Test and benchmark helper: a burst of events over a crossbeam channel.
pub async fn replay(burst: Vec<Event>) -> usize {
    let (tx, rx) = crossbeam_channel::unbounded(); //~ unbounded_channel
    for e in burst {
        let _ = tx.send(e);
    }
    drop(tx);
    rx.try_iter().count()
}
