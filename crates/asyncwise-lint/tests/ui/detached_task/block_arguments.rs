// detached_task: a spawn whose argument is a block (`tokio::spawn({ let tx = tx.clone();
// async move { .. } })`, the usual way to clone what the task moves) spawns the block's value:
// the async block at its tail is the task. The statements before it run at the spawn.
use tokio::sync::mpsc::Sender;

async fn fetch() -> anyhow::Result<u64> {
    tokio::task::yield_now().await;
    Ok(1)
}

pub async fn forward(tx: Sender<u64>) {
    tokio::spawn({ //~ detached_task
        let tx = tx.clone();
        async move {
            let n = fetch().await?;
            tx.send(n).await?;
            Ok::<_, anyhow::Error>(())
        }
    });
}

// Parentheses around the block change nothing.
pub async fn forward_paren(tx: Sender<u64>) {
    tokio::spawn(({ //~ detached_task
        let tx = tx.clone();
        async move {
            tx.send(fetch().await?).await?;
            Ok::<_, anyhow::Error>(())
        }
    }));
}

// ok: the task handles every error and returns `()`.
pub async fn forward_logged(tx: Sender<u64>) {
    tokio::spawn({
        let tx = tx.clone();
        async move {
            match fetch().await {
                Ok(n) => {
                    let _ = tx.send(n).await;
                }
                Err(e) => eprintln!("fetch failed: {e}"),
            }
        }
    });
}

// ok: a fallible statement before the async block runs at the spawn, in this function; the
// task itself cannot fail.
pub async fn forward_parsed(tx: Sender<u64>, raw: &str) -> anyhow::Result<()> {
    tokio::spawn({
        let n: u64 = raw.parse()?;
        async move {
            let _ = tx.send(n).await;
        }
    });
    Ok(())
}

// ok: the handle is kept and awaited.
pub async fn forward_joined(tx: Sender<u64>) -> anyhow::Result<()> {
    let handle = tokio::spawn({
        let tx = tx.clone();
        async move {
            tx.send(fetch().await?).await?;
            Ok::<_, anyhow::Error>(())
        }
    });
    handle.await??;
    Ok(())
}
