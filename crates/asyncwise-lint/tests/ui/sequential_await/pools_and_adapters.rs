// Readings: a place handed to two awaits serialises them when it names a connection, a
// transaction or a store; a field this file types as a connection pool (`PgPool`,
// `deadpool_postgres::Pool`) hands each await a connection of its own, so two queries on it
// are independent. An error changed on its way to `?` (`.map_err(f)?`, `.context(..)?`) keeps
// the statement's awaited call its value. In the loop form, a send on the item itself goes to
// another channel each iteration, and a sync step on the item alone carries no state.
use sqlx::PgPool;

struct Reporter {
    db: PgPool,
    last: tokio::sync::Mutex<Option<(i64, i64)>>,
}

struct Journal {
    db: Connection,
}

impl Reporter {
    async fn trend(&self) -> anyhow::Result<(i64, i64)> {
        let mut last = self.last.lock().await;
        let pending = count(&self.db, "pending").await?; //~ sequential_await
        let failed = count(&self.db, "failed").await?;
        *last = Some((pending, failed));
        Ok((pending, failed))
    }
}

impl Journal {
    async fn totals(&self) -> anyhow::Result<(i64, i64)> {
        // ok: one connection runs one query at a time
        let opened = count(&self.db, "open").await?;
        let closed = count(&self.db, "closed").await?;
        Ok((opened, closed))
    }
}

async fn transfer(st: &AppState, req: Transfer) -> Result<i64, ApiError> {
    let balance = st.ledger.balance(req.from).await.map_err(internal)?; //~ sequential_await
    let rate = st.fx.rate(&req.currency).await.map_err(internal)?;
    Ok((req.cents as f64 * rate) as i64 - balance)
}

async fn quote(st: &AppState, req: Transfer) -> anyhow::Result<f64> {
    let rate = st.fx.rate(&req.currency).await.context("fx")?; //~ sequential_await
    let fee = st.fees.lookup(&req.currency).await.context("fees")?;
    Ok(rate + fee)
}

async fn converted(st: &AppState, req: Transfer) -> Result<f64, ApiError> {
    // ok: the second call takes the first one's result
    let rate = st.fx.rate(&req.currency).await.map_err(internal)?;
    let total = st.fees.apply(rate).await.map_err(internal)?;
    Ok(total)
}

async fn broadcast(subscribers: &[mpsc::Sender<Bytes>], frame: Bytes) {
    for sub in subscribers {
        let _ = sub.send(frame.clone()).await; //~ sequential_await
    }
}

async fn stream_out(tx: &mpsc::Sender<Bytes>, frames: Vec<Bytes>) {
    for frame in frames {
        // ok: one channel, the frames keep their order
        let _ = tx.send(frame).await;
    }
}

async fn sweep(worker: &Worker, jobs: Vec<Job>) {
    for job in jobs {
        pause_for(job.id);
        let _ = worker.run_one(job).await; //~ sequential_await
    }
}

async fn sweep_counted(worker: &Worker, jobs: Vec<Job>, seen: &mut Vec<u64>) {
    for job in jobs {
        // ok: the sync step writes to state every iteration shares
        seen.push(job.id);
        record(seen, job.id);
        let _ = worker.run_one(job).await;
    }
}

struct Cluster {
    primary: std::sync::Arc<deadpool_postgres::Pool>,
    replica: std::sync::Arc<deadpool_postgres::Pool>,
}

impl Cluster {
    async fn lag(&self) -> anyhow::Result<(u64, u64)> {
        // ok: a connection checked out of each pool comes before the work that uses it
        let primary = self.primary.get().await?;
        let replica = self.replica.get().await?;
        let a = primary.query_one(LSN).await?; //~ sequential_await
        let b = replica.query_one(REPLAY_LSN).await?;
        Ok((a.get(0), b.get(0)))
    }
}

async fn health_round(backends: &[Backend]) {
    for b in backends {
        let up = probe(&b.target).await; //~ sequential_await
        if !up {
            tracing::warn!(backend = %b.name, "backend failed its health check");
        }
    }
}

async fn health_round_counted(backends: &[Backend], failures: &mut u32) {
    for b in backends {
        // ok: the branch changes state the iterations share
        let up = probe(&b.target).await;
        if !up {
            *failures += 1;
        }
    }
}

async fn check_all(backends: &[Backend]) {
    for b in backends.iter() {
        let up = check_one(b).await; //~ sequential_await
        if !up {
            tracing::warn!(backend = %b.name, "backend failed its health check");
        }
    }
}

async fn first_healthy(backends: &[Backend]) -> Option<&Backend> {
    for b in backends {
        // ok: the first healthy backend ends the loop, so the order matters
        if check_one(b).await {
            return Some(b);
        }
    }
    None
}
