use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::PlayerId;

pub static ACTIVE_GAMES: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, Debug)]
pub struct Rules {
    pub turn_time: Duration,
    pub max_turns: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            turn_time: Duration::from_secs(20),
            max_turns: 40,
        }
    }
}

type Moves = mpsc::Sender<(PlayerId, String)>;

fn moves_table() -> &'static Mutex<HashMap<u64, Moves>> {
    static TABLE: OnceLock<Mutex<HashMap<u64, Moves>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

pub async fn relay(game: u64, from: PlayerId, text: &str) {
    let tx = moves_table().lock().unwrap().get(&game).cloned();
    if let Some(tx) = tx {
        let _ = tx.send((from, text.to_owned())).await;
    }
}

struct Seat {
    id: PlayerId,
    outbox: mpsc::Sender<String>,
}

impl Seat {
    async fn prompt(&self, turn: u32, limit: Duration) -> bool {
        self.outbox.send(format!("turn {turn} ({}s)", limit.as_secs())).await.is_ok()
    }
}

pub async fn play(
    game: u64,
    a: (PlayerId, mpsc::Sender<String>),
    b: (PlayerId, mpsc::Sender<String>),
    rules_rx: watch::Receiver<Rules>,
) {
    let (tx, mut moves) = mpsc::channel(16);
    moves_table().lock().unwrap().insert(game, tx);
    let (sa, sb) = (Seat { id: a.0, outbox: a.1 }, Seat { id: b.0, outbox: b.1 });
    ACTIVE_GAMES.fetch_add(1, Ordering::Relaxed);
    let max_turns = rules_rx.borrow().max_turns;
    for turn in 0..max_turns {
        let rules = rules_rx.borrow(); //~ lock_across_await
        let limit = rules.turn_time;
        let asked_a = sa.prompt(turn, limit).await; //~ sequential_await
        let asked_b = sb.prompt(turn, limit).await;
        if !(asked_a && asked_b) {
            break;
        }
        let deadline = tokio::time::sleep(limit);
        tokio::pin!(deadline);
        let mut answered = 0;
        while answered < 2 {
            tokio::select! {
                Some((who, mv)) = moves.recv() => {
                    answered += 1;
                    let other = if who == sa.id { &sb } else { &sa };
                    let _ = other.outbox.send(mv).await;
                }
                _ = &mut deadline => break,
            }
        }
    }
    ACTIVE_GAMES.fetch_sub(1, Ordering::Relaxed); //~ cleanup_after_await
    moves_table().lock().unwrap().remove(&game);
}
