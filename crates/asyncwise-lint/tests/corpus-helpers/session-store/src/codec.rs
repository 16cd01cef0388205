//! Session encoding. Pure: no I/O.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user: String,
    pub created_unix: u64,
}

impl Session {
    pub fn expired(&self, ttl: Duration) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        now.saturating_sub(self.created_unix) > ttl.as_secs()
    }
}

pub fn encode(session: &Session) -> Vec<u8> {
    serde_json::to_vec(session).unwrap_or_default()
}

pub fn decode(bytes: &[u8]) -> Option<Session> {
    serde_json::from_slice(bytes).ok()
}

/// Session ids become file names: keep only safe characters.
pub fn file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("{safe}.json")
}
