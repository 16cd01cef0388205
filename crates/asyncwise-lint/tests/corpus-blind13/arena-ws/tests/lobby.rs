use std::sync::Arc;
use std::time::Duration;

use arena_ws::lobby::{Lobby, Ticket};

#[tokio::test(flavor = "multi_thread")]
async fn queued_players_get_an_answer() {
    let lobby = Arc::new(Lobby::new());
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    lobby.join(7, Ticket { rating: 1000, outbox: tx }).await;
    assert_eq!(rx.recv().await.as_deref(), Some("queued"));
}

#[tokio::test]
async fn ids_are_unique_across_threads() {
    let lobby = Arc::new(Lobby::new());
    let (ids_tx, ids_rx) = std::sync::mpsc::channel(); //~ unbounded_channel
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let lobby = lobby.clone();
            let ids_tx = ids_tx.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    ids_tx.send(lobby.next_id()).unwrap();
                }
            })
        })
        .collect();
    drop(ids_tx);
    for w in workers {
        w.join().unwrap(); //~ blocking_in_async
    }
    let mut seen: Vec<u64> = Vec::new();
    while let Ok(id) = ids_rx.recv() { //~ blocking_in_async
        seen.push(id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 400);
    tokio::time::sleep(Duration::from_millis(1)).await;
}
