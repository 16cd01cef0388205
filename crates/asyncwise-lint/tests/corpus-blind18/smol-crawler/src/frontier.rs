use std::collections::HashSet;

use async_lock::Mutex;
use url::Url;

/// The URLs seen so far; a URL is admitted once.
#[derive(Default)]
pub struct Frontier {
    seen: Mutex<HashSet<Url>>, //~ async_mutex_unneeded(pedantic)
}

impl Frontier {
    pub async fn admit(&self, links: &[Url]) -> Vec<Url> {
        let mut seen = self.seen.lock().await;
        links.iter().filter(|u| seen.insert((*u).clone())).cloned().collect()
    }

    pub async fn len(&self) -> usize {
        self.seen.lock().await.len()
    }
}
