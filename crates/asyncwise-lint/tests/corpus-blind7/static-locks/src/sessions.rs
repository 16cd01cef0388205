use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Instant;

use tokio::sync::{Mutex, RwLock};

use crate::SessionId;

#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    pub last_seen: Instant,
}

static SESSIONS: LazyLock<Mutex<HashMap<SessionId, Session>>> = LazyLock::new(|| Mutex::new(HashMap::new())); //~ async_mutex_unneeded

/// Saved to disk by `persist::snapshot`, which holds the read guard while it writes.
pub static TOKENS: LazyLock<RwLock<HashMap<String, SessionId>>> = LazyLock::new(|| RwLock::new(HashMap::new()));

static CURRENT_BANNER: LazyLock<RwLock<Option<String>>> = LazyLock::new(|| RwLock::new(None)); //~ async_mutex_unneeded

/// Counts per user, only touched in sync code.
static LOGINS: LazyLock<std::sync::Mutex<HashMap<String, u32>>> = LazyLock::new(Default::default);

pub async fn open(id: SessionId, user: String, token: String) {
    SESSIONS.lock().await.insert(id, Session { user: user.clone(), last_seen: Instant::now() });
    TOKENS.write().await.insert(token, id);
    if let Ok(mut logins) = LOGINS.lock() {
        *logins.entry(user).or_default() += 1;
    }
}

pub async fn touch(id: SessionId) -> Option<Session> {
    let mut sessions = SESSIONS.lock().await;
    let session = sessions.get_mut(&id)?;
    session.last_seen = Instant::now();
    Some(session.clone())
}

pub async fn close(id: SessionId) {
    let removed = {
        let mut sessions = SESSIONS.lock().await;
        sessions.remove(&id)
    };
    if let Some(session) = removed {
        crate::persist::log_logout(&session.user).await;
    }
}

pub async fn by_token(token: &str) -> Option<SessionId> {
    TOKENS.read().await.get(token).copied()
}

pub async fn set_banner(text: Option<String>) {
    *CURRENT_BANNER.write().await = text;
}

pub async fn banner() -> Option<String> {
    CURRENT_BANNER.read().await.clone()
}
