//! Polite breadth-first crawler on smol.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_channel::{bounded, unbounded as work_queue, Receiver, Sender};
use smol::{lock::Semaphore, Task, Timer};

const WORKERS: usize = 6;
const POLITENESS: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, serde::Serialize)]
pub struct Page {
    url: String,
    bytes: usize,
    worker: usize,
}

pub struct Crawler {
    seen: Arc<Mutex<HashSet<String>>>,
    limiter: Arc<Semaphore>,
}

async fn fetch(url: &str) -> anyhow::Result<String> {
    let mut resp = isahc::get_async(url).await?;
    Ok(isahc::AsyncReadResponseExt::text(&mut resp).await?)
}

async fn head_ok(url: &str) -> bool {
    match isahc::head_async(url).await {
        Ok(r) => r.status().is_success(),
        Err(_) => false,
    }
}

async fn fetch_robots(host: &str) -> Option<String> {
    // quick and dirty: robots.txt through the small blocking client
    ureq::get(&format!("https://{host}/robots.txt")).call().ok()?.into_string().ok() //~ blocking_in_async
}

fn extract_links(base: &str, body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|l| l.starts_with("http"))
        .map(|l| l.trim_end_matches('/').to_string())
        .filter(|l| l != base)
        .collect()
}

fn robots_allowed(host: &str, path: &str) -> bool {
    let robots = smol::block_on(fetch_robots(host)).unwrap_or_default();
    !robots
        .lines()
        .filter_map(|l| l.strip_prefix("Disallow:"))
        .any(|rule| path.starts_with(rule.trim()))
}

impl Crawler {
    pub fn new(max_in_flight: usize) -> Self {
        Crawler {
            seen: Arc::new(Mutex::new(HashSet::new())),
            limiter: Arc::new(Semaphore::new(max_in_flight)),
        }
    }

    pub async fn crawl(self: Arc<Self>, seeds: Vec<String>, max_pages: usize) -> anyhow::Result<Vec<Page>> {
        let (queue_tx, queue_rx) = work_queue::<String>(); //~ unbounded_channel
        let (page_tx, page_rx) = bounded::<Page>(64);
        for s in seeds {
            queue_tx.send(s).await?;
        }
        let mut workers: Vec<Task<()>> = Vec::new();
        for id in 0..WORKERS {
            let me = self.clone();
            let (q_rx, q_tx, p_tx) = (queue_rx.clone(), queue_tx.clone(), page_tx.clone());
            workers.push(smol::spawn(async move {
                me.worker(id, q_rx, q_tx, p_tx).await;
            }));
        }
        drop(page_tx);
        let mut pages = Vec::new();
        while let Ok(page) = page_rx.recv().await {
            pages.push(page);
            if pages.len() >= max_pages {
                queue_tx.close();
                break;
            }
        }
        for w in workers {
            w.cancel().await;
        }
        Ok(pages)
    }

    async fn worker(&self, id: usize, q: Receiver<String>, q_tx: Sender<String>, pages: Sender<Page>) {
        while let Ok(url) = q.recv().await {
            if !self.seen.lock().unwrap().insert(url.clone()) {
                continue;
            }
            let body = {
                let _permit = self.limiter.acquire().await;
                match fetch(&url).await {
                    Ok(b) => b,
                    Err(e) => {
                        log::debug!("worker {id}: {url}: {e}");
                        continue;
                    }
                }
            };
            std::thread::sleep(POLITENESS); //~ blocking_in_async
            let links = extract_links(&url, &body);
            let fresh: Vec<String> = {
                let seen = self.seen.lock().unwrap();
                links.into_iter().filter(|l| !seen.contains(l)).collect()
            };
            let mut checks = Vec::new();
            for link in &fresh {
                let link = link.clone();
                checks.push(smol::spawn(async move { (head_ok(&link).await, link) })); //~ unbounded_spawn
            }
            for c in checks {
                let (ok, link) = c.await;
                if ok && q_tx.send(link).await.is_err() {
                    return;
                }
            }
            if pages.send(Page { url, bytes: body.len(), worker: id }).await.is_err() {
                return;
            }
            Timer::after(POLITENESS).await;
        }
    }

    pub async fn verify(&self, pages: &[Page]) -> usize {
        let mut pending = Vec::new();
        for p in pages {
            let permit = self.limiter.acquire_arc().await;
            let url = p.url.clone();
            pending.push(smol::spawn(async move {
                let _permit = permit;
                head_ok(&url).await
            }));
        }
        let mut ok = 0;
        for t in pending {
            ok += t.await as usize;
        }
        ok
    }

    pub async fn audit(&self, pages: &[Page]) -> usize {
        pages
            .iter()
            .filter(|p| smol::block_on(head_ok(&p.url))) //~ block_on_in_async
            .count()
    }
}

async fn save_report(pages: Vec<Page>) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(&pages)?;
    smol::unblock(move || std::fs::write("report.json", json)).await?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let seeds: Vec<String> = std::env::args().skip(1).collect();
    if !robots_allowed("example.org", "/") {
        anyhow::bail!("crawling disallowed");
    }
    smol::block_on(async {
        let crawler = Arc::new(Crawler::new(8));
        let pages = crawler.clone().crawl(seeds, 500).await?;
        let live = crawler.verify(&pages).await;
        println!("{} pages, {} live", pages.len(), live);
        save_report(pages).await
    })
}
