//! The queue's status page: counts from the database and the broker.

use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Mutex;

use crate::broker::Broker;

pub struct StatusReport {
    pub pending: i64,
    pub failed: i64,
    pub dead_letters: usize,
}

pub struct Reporter {
    db: PgPool,
    broker: Broker,
    last: Mutex<Option<(i64, i64)>>,
}

impl Reporter {
    pub fn new(db: PgPool, broker: Broker) -> Self {
        Self { db, broker, last: Mutex::new(None) }
    }

    pub async fn status(&self) -> anyhow::Result<StatusReport> {
        let pending = count(&self.db, "pending").await?; //~ sequential_await
        let dead = self.broker.poll_dead_letters().await?;
        let failed = count(&self.db, "failed").await?;
        Ok(StatusReport { pending, failed, dead_letters: dead.len() })
    }

    /// Moves failed jobs back to pending in one transaction.
    pub async fn requeue_failed(&self) -> anyhow::Result<u64> {
        let mut tx = self.db.begin().await?;
        let moved = sqlx::query("UPDATE jobs SET state = 'pending' WHERE state = 'failed'")
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let audit = sqlx::query("INSERT INTO audit (what, n) VALUES ('requeue', $1)")
            .bind(moved as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(moved + audit.rows_affected() * 0)
    }

    /// Compares with the previous report, kept for the trend arrows.
    pub async fn trend(&self) -> anyhow::Result<(i64, i64)> {
        let mut last = self.last.lock().await;
        let pending = count(&self.db, "pending").await?; //~ sequential_await
        let failed = count(&self.db, "failed").await?;
        let previous = last.replace((pending, failed)).unwrap_or((pending, failed));
        Ok((pending - previous.0, failed - previous.1))
    }

    /// Samples the pending count twice, a second apart, for the rate estimate.
    pub async fn pending_rate(&self) -> anyhow::Result<i64> {
        let before = count(&self.db, "pending").await?; //~? sequential_await
        let _ = tokio::time::sleep(Duration::from_secs(1)).await;
        let after = count(&self.db, "pending").await?;
        Ok(after - before)
    }
}

async fn count(db: &PgPool, state: &str) -> anyhow::Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM jobs WHERE state = $1")
        .bind(state)
        .fetch_one(db)
        .await?;
    Ok(n)
}
