//! Calls the moderation service before a line is relayed.

use std::time::Duration;

use crate::rooms::Line;

#[derive(Debug, thiserror::Error)]
#[error("line rejected: {0}")]
pub struct Rejected(pub String);

pub struct Moderation {
    endpoint: String,
    blocklist_path: std::path::PathBuf,
}

impl Moderation {
    pub fn new(endpoint: impl Into<String>) -> Moderation {
        Moderation {
            endpoint: endpoint.into(),
            blocklist_path: "blocklist.txt".into(),
        }
    }

    // Re-read on every call so that edits apply without a restart.
    fn blocklist(&self) -> Vec<String> {
        std::fs::read_to_string(&self.blocklist_path)
            .map(|s| s.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    pub async fn check(&self, line: &Line) -> Result<(), Rejected> {
        // The real service is an HTTP call; its latency is what matters here.
        tokio::time::sleep(Duration::from_millis(3)).await;
        let blocked = self.blocklist(); // @helper //~ blocking_in_async
        if line.text.contains("spam") || blocked.iter().any(|w| line.text.contains(w.as_str())) {
            return Err(Rejected(format!("{} via {}", line.from, self.endpoint)));
        }
        Ok(())
    }

    pub async fn archive(&self, _line: &Line) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
