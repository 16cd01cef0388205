use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::api::Client;

#[derive(Clone, Serialize, Deserialize)]
pub struct Reminder {
    pub room: String,
    pub text: String,
    pub due: SystemTime,
}

#[derive(Default, Serialize, Deserialize)]
struct State {
    since: Option<String>,
    reminders: Vec<Reminder>,
}

pub struct Store {
    path: PathBuf,
    state: Mutex<State>,
    last_roll: Mutex<HashMap<String, SystemTime>>,
}

impl Store {
    pub fn load(path: &Path) -> anyhow::Result<Store> {
        let state = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e.into()),
        };
        Ok(Store {
            path: path.to_owned(),
            state: Mutex::new(state),
            last_roll: Mutex::new(HashMap::new()),
        })
    }

    pub fn since(&self) -> Option<String> {
        self.state.lock().since.clone()
    }

    pub fn set_since(&self, token: &str) {
        self.state.lock().since = Some(token.to_owned());
    }

    pub fn add_reminder(&self, room: &str, text: &str) -> anyhow::Result<()> {
        let mut state = self.state.lock();
        state.reminders.push(Reminder {
            room: room.to_owned(),
            text: text.to_owned(),
            due: SystemTime::now() + Duration::from_secs(3600),
        });
        std::fs::write(&self.path, serde_json::to_vec(&*state)?)?;
        Ok(())
    }
}

/// Crude per-user rate limit for the dice command.
pub fn throttle(user: &str) {
    std::thread::sleep(Duration::from_millis(250));
    let _ = user;
}

pub fn roll(arg: &str) -> u32 {
    let sides: u32 = arg.trim().parse().unwrap_or(6).max(1);
    (SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0) % sides) + 1
}

pub async fn fire_reminders(store: Arc<Store>, client: Client) {
    let mut every = tokio::time::interval(Duration::from_secs(30));
    loop {
        every.tick().await;
        let now = SystemTime::now();
        let state = store.state.lock(); //~ lock_across_await
        for r in state.reminders.iter().filter(|r| r.due <= now) {
            if let Err(e) = client.send_text(&r.room, &r.text).await {
                tracing::warn!(error = %e, "reminder not delivered");
            }
        }
    }
}

pub async fn last_roll_or_fetch(store: &Store, client: &Client, user: &str) -> String {
    if let Some(at) = store.last_roll.lock().get(user).copied() {
        format!("{at:?}")
    } else {
        client.display_name(user).await.unwrap_or_default()
    }
}
