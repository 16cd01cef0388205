mod fetch;
mod frontier;
mod store;

use std::sync::Arc;

use async_executor::Executor;
use url::Url;

fn main() -> anyhow::Result<()> {
    let seeds: Vec<Url> = std::env::args().skip(1).filter_map(|s| Url::parse(&s).ok()).collect();
    let ex = Arc::new(Executor::new());
    smol::block_on(ex.run(crawl(ex.clone(), seeds)))
}

async fn crawl(ex: Arc<Executor<'static>>, seeds: Vec<Url>) -> anyhow::Result<()> {
    let (url_tx, url_rx) = async_channel::unbounded::<Url>(); //~ unbounded_channel
    let (page_tx, page_rx) = async_channel::bounded::<fetch::Page>(64);
    for seed in seeds {
        url_tx.send(seed).await?;
    }
    let store = Arc::new(store::PageStore::new("pages".into()));
    let frontier = Arc::new(frontier::Frontier::default());

    for worker_id in 0..8 {
        ex.spawn(fetch::worker(worker_id, url_rx.clone(), page_tx.clone())).detach(); //~ detached_task
    }
    drop(page_tx);

    while let Ok(page) = page_rx.recv().await {
        let store = store.clone();
        ex.spawn(async move { //~ unbounded_spawn
            if let Err(e) = store.save(&page).await {
                log::warn!("could not save {}: {e}", page.url);
            }
        })
        .detach();
        for link in frontier.admit(&page.links).await {
            url_tx.send(link).await?;
        }
    }
    Ok(())
}
