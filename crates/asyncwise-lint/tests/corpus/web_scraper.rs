//! Polite crawler: follows links within one host, honours robots.txt,
//! and stores pages on disk.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::channel::mpsc;
use futures::StreamExt;
use reqwest::{Client, Url};
use tokio::sync::Semaphore;
use tracing::{debug, info, warn};

const MAX_CONCURRENT: usize = 8;

pub struct Crawler {
    client: Client,
    seen: Mutex<HashSet<Url>>,
    robots: Mutex<HashMap<String, Vec<String>>>,
    limit: Arc<Semaphore>,
    out_dir: PathBuf,
}

#[derive(Debug)]
pub struct Page {
    pub url: Url,
    pub status: u16,
    pub links: Vec<Url>,
    pub body: String,
}

fn extract_links(base: &Url, body: &str) -> Vec<Url> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter_map(|href| base.join(href).ok())
        .filter(|u| u.host_str() == base.host_str())
        .collect()
}

impl Crawler {
    pub fn new(out_dir: PathBuf) -> reqwest::Result<Arc<Self>> {
        let client = Client::builder().user_agent("politebot/0.3").timeout(Duration::from_secs(20)).build()?;
        Ok(Arc::new(Crawler {
            client,
            seen: Mutex::new(HashSet::new()),
            robots: Mutex::new(HashMap::new()),
            limit: Arc::new(Semaphore::new(MAX_CONCURRENT)),
            out_dir,
        }))
    }

    async fn allowed(&self, url: &Url) -> bool {
        let host = url.host_str().unwrap_or_default().to_string();
        let cached = self.robots.lock().unwrap().get(&host).cloned();
        let rules = match cached {
            Some(rules) => rules,
            None => {
                let robots_url = format!("{}://{}/robots.txt", url.scheme(), host);
                let body = ureq::get(&robots_url).call().ok().and_then(|r| r.into_string().ok()).unwrap_or_default(); //~ blocking_in_async
                let rules: Vec<String> = body
                    .lines()
                    .filter_map(|l| l.strip_prefix("Disallow: "))
                    .map(str::to_string)
                    .collect();
                self.robots.lock().unwrap().insert(host, rules.clone());
                rules
            }
        };
        !rules.iter().any(|prefix| url.path().starts_with(prefix.as_str()))
    }

    async fn fetch(&self, url: Url) -> reqwest::Result<Page> {
        let resp = self.client.get(url.clone()).send().await?;
        let status = resp.status().as_u16();
        let body = resp.text().await?;
        let links = extract_links(&url, &body);
        Ok(Page { url, status, links, body })
    }

    fn save(&self, page: &Page) -> std::io::Result<()> {
        let name = page.url.path().trim_matches('/').replace('/', "_");
        let path = self.out_dir.join(if name.is_empty() { "index".to_string() } else { name });
        std::fs::write(path.with_extension("html"), &page.body)
    }

    pub async fn crawl(self: Arc<Self>, start: Url, max_pages: usize) -> usize {
        let (results_tx, mut results_rx) = mpsc::unbounded::<Page>(); //~ unbounded_channel
        let mut frontier = VecDeque::from([start]);
        let mut in_flight = 0usize;
        let mut stored = 0usize;

        while stored < max_pages {
            while let Some(url) = frontier.pop_front() {
                if !self.seen.lock().unwrap().insert(url.clone()) {
                    continue;
                }
                if !self.allowed(&url).await {
                    continue;
                }
                let this = Arc::clone(&self);
                let tx = results_tx.clone();
                in_flight += 1;
                tokio::spawn(async move { //~ unbounded_spawn
                    match this.fetch(url.clone()).await {
                        Ok(page) => {
                            let _ = tx.unbounded_send(page);
                        }
                        Err(e) => warn!("{url}: {e}"),
                    }
                });
            }
            if in_flight == 0 {
                break;
            }
            let Some(page) = results_rx.next().await else { break };
            in_flight -= 1;
            std::fs::write(self.out_dir.join("last-url.txt"), page.url.as_str()).ok(); //~ blocking_in_async
            let this = Arc::clone(&self);
            let page = tokio::task::spawn_blocking(move || {
                if let Err(e) = this.save(&page) {
                    warn!("saving {} failed: {e}", page.url);
                }
                page
            })
            .await
            .expect("save task panicked");
            stored += 1;
            debug!("stored {} ({} links)", page.url, page.links.len());
            frontier.extend(page.links.into_iter().filter(|u| futures::executor::block_on(self.allowed(u)))); //~ block_on_in_async
        }
        info!("crawl finished: {stored} pages");
        stored
    }

    /// Re-fetches a list of known URLs, at most MAX_CONCURRENT at a time.
    pub async fn recheck(self: Arc<Self>, urls: Vec<Url>) -> Vec<(Url, u16)> {
        let mut handles = Vec::new();
        for url in urls {
            let permit = Arc::clone(&self.limit).acquire_owned().await.expect("semaphore closed");
            let this = Arc::clone(&self);
            handles.push(tokio::spawn(async move {
                let status = this.client.head(url.clone()).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                drop(permit);
                (url, status)
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            if let Ok(pair) = h.await {
                out.push(pair);
            }
        }
        out
    }
}
