//! What happens to a fetched page.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::fetch::Page;

pub trait PageHandler: Send + Sync {
    async fn on_page(&self, page: &Page) -> anyhow::Result<()>;
}

/// Writes each page under a directory named after its host.
pub struct DiskArchiver {
    root: PathBuf,
}

impl DiskArchiver {
    pub fn new(root: PathBuf) -> DiskArchiver {
        DiskArchiver { root }
    }

    fn write_page(&self, page: &Page) -> std::io::Result<()> {
        let dir = self.root.join(page.url.host_str().unwrap_or("unknown"));
        std::fs::create_dir_all(&dir)?;
        let mut file = std::fs::File::create(dir.join(sanitize(page.url.path())))?;
        file.write_all(page.body.as_bytes())
    }
}

fn sanitize(path: &str) -> String {
    let name = path.trim_matches('/').replace('/', "_");
    if name.is_empty() { "index.html".to_owned() } else { name }
}

impl PageHandler for DiskArchiver {
    async fn on_page(&self, page: &Page) -> anyhow::Result<()> {
        self.write_page(page)?; // @helper //~ blocking_in_async
        Ok(())
    }
}

/// Counts links, for crawl statistics.
#[derive(Default)]
pub struct LinkCounter {
    links: AtomicUsize,
}

impl LinkCounter {
    fn count(&self, page: &Page) -> usize {
        let n = page.links().len();
        self.links.fetch_add(n, Ordering::Relaxed);
        n
    }
}

impl PageHandler for LinkCounter {
    async fn on_page(&self, page: &Page) -> anyhow::Result<()> {
        let n = self.count(page); // @helper
        tracing::trace!(url = %page.url, n, "links");
        Ok(())
    }
}

/// Runs a handler over a page; which handler is not known here.
pub async fn dispatch<H: PageHandler>(handler: &H, page: &Page) -> anyhow::Result<()> {
    handler.on_page(page).await
}
