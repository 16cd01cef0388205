//! The crawl frontier: discovery (every link of every page) and a bounded site crawl.

use std::collections::HashSet;
use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use url::Url;

use crate::fetch::Fetcher;
use crate::handlers::{dispatch, PageHandler};

/// Follows every link found, as fast as pages come back.
pub async fn discover<H: PageHandler + 'static>(
    seeds: Vec<Url>,
    fetcher: Arc<Fetcher>,
    handler: Arc<H>,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Url>(); //~ unbounded_channel
    for seed in seeds {
        tx.send(seed)?;
    }
    let mut seen = HashSet::new();
    while let Some(url) = rx.recv().await {
        if !seen.insert(url.clone()) {
            continue;
        }
        let tx = tx.clone();
        let fetcher = fetcher.clone();
        let handler = handler.clone();
        tokio::spawn(async move { //~ unbounded_spawn, detached_task
            if !fetcher.allowed(&url).await? {
                return Ok(());
            }
            let page = fetcher.get(&url).await?;
            dispatch(handler.as_ref(), &page).await?;
            for link in page.links() {
                tx.send(link)?;
            }
            Ok::<_, anyhow::Error>(())
        });
    }
    Ok(())
}

/// Crawls one site with at most `limit` fetches in flight; returns how many pages failed.
pub async fn crawl_site<H: PageHandler + 'static>(
    start: Url,
    fetcher: Arc<Fetcher>,
    handler: Arc<H>,
    limit: usize,
) -> anyhow::Result<usize> {
    let (tx, mut rx) = mpsc::channel::<Url>(10_000);
    tx.send(start.clone()).await?;
    let permits = Arc::new(Semaphore::new(limit));
    let mut tasks = JoinSet::new();
    let mut seen = HashSet::new();
    let mut failed = 0;
    while let Some(url) = rx.recv().await {
        if url.host() != start.host() || !seen.insert(url.clone()) {
            continue;
        }
        let permit = permits.clone().acquire_owned().await?;
        let (tx, fetcher, handler) = (tx.clone(), fetcher.clone(), handler.clone());
        tasks.spawn(async move {
            let _permit = permit;
            let page = fetcher.get(&url).await?;
            dispatch(handler.as_ref(), &page).await?;
            for link in page.links() {
                let _ = tx.try_send(link);
            }
            Ok::<_, anyhow::Error>(())
        });
        while let Some(done) = tasks.try_join_next() {
            if !matches!(done, Ok(Ok(()))) {
                failed += 1;
            }
        }
        if tasks.is_empty() && rx.is_empty() {
            break;
        }
    }
    while let Some(done) = tasks.join_next().await {
        if !matches!(done, Ok(Ok(()))) {
            failed += 1;
        }
    }
    Ok(failed)
}

/// Warms the robots cache for a handful of configured hosts before a crawl.
pub async fn warm_robots(fetcher: Arc<Fetcher>, hosts: &[Url]) -> usize {
    let mut checks = Vec::new();
    for host in hosts {
        let fetcher = fetcher.clone();
        let host = host.clone();
        checks.push(tokio::spawn(async move { fetcher.allowed(&host).await })); //~ unbounded_spawn
    }
    let mut ok = 0;
    for check in checks {
        if let Ok(Ok(true)) = check.await {
            ok += 1;
        }
    }
    ok
}
