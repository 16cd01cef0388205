//! Postgres-backed user repository with a small read-through cache.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::sync::Mutex as AsyncMutex;
use tokio::task::JoinHandle;
use tracing::{debug, instrument, warn};

use crate::domain::{NewUser, User, UserId};
use crate::error::RepoError;

#[async_trait]
pub trait UserRepo: Send + Sync {
    async fn get(&self, id: UserId) -> Result<Option<User>, RepoError>;
    async fn create(&self, new: NewUser) -> Result<User, RepoError>;
    async fn touch_many(&self, ids: &[UserId]) -> Result<u64, RepoError>;
    async fn invalidate(&self, id: UserId) -> Result<(), RepoError>;
}

pub struct PgUserRepo {
    pool: PgPool,
    cache: RwLock<HashMap<UserId, (User, Instant)>>,
    ttl: Duration,
    write_serial: AsyncMutex<()>,
}

impl PgUserRepo {
    pub async fn connect(url: &str, max: u32, ttl: Duration) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(3))
            .connect(url)
            .await
            .context("connecting to postgres")?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .context("running migrations")?;
        Ok(Self {
            pool,
            cache: RwLock::new(HashMap::new()),
            ttl,
            write_serial: AsyncMutex::new(()),
        })
    }

    pub fn spawn_cache_reaper(self: &Arc<Self>, every: Duration) -> JoinHandle<()> {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                this.reap();
            }
        })
    }

    fn reap(&self) {
        let mut cache = self.cache.write().unwrap();
        let before = cache.len();
        cache.retain(|_, (_, at)| at.elapsed() < self.ttl);
        debug!(evicted = before - cache.len(), "cache reaped");
    }

    pub async fn cache_report(&self) -> Result<(), RepoError> {
        let size = self.cache.read().unwrap().len();
        match size {
            0 => debug!("cache empty"),
            n => {
                sqlx::query("INSERT INTO cache_stats (size) VALUES ($1)")
                    .bind(n as i64)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl UserRepo for PgUserRepo {
    #[instrument(skip(self))]
    async fn get(&self, id: UserId) -> Result<Option<User>, RepoError> {
        if let Some((user, at)) = self.cache.read().unwrap().get(&id).cloned() {
            if at.elapsed() < self.ttl {
                return Ok(Some(user));
            }
        }
        let row = sqlx::query_as::<_, User>("SELECT id, email, name, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(u) = &row {
            self.cache.write().unwrap().insert(id, (u.clone(), Instant::now()));
        }
        Ok(row)
    }

    #[instrument(skip(self, new), fields(email = %new.email))]
    async fn create(&self, new: NewUser) -> Result<User, RepoError> {
        let _serial = self.write_serial.lock().await;
        let mut tx = self.pool.begin().await?;
        let user = sqlx::query_as::<_, User>(
            "INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id, email, name, created_at",
        )
        .bind(&new.email)
        .bind(&new.name)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO audit (user_id, action) VALUES ($1, 'create')")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut cache = self.cache.write().unwrap();
        cache.insert(user.id, (user.clone(), Instant::now()));
        Ok(user)
    }

    async fn touch_many(&self, ids: &[UserId]) -> Result<u64, RepoError> {
        let uncached: Vec<UserId> = {
            let cache = self.cache.read().unwrap();
            ids.iter().filter(|id| !cache.contains_key(id)).copied().collect()
        };
        let mut total = 0;
        for chunk in uncached.chunks(500) {
            let res = sqlx::query("UPDATE users SET last_seen = now() WHERE id = ANY($1)")
                .bind(chunk)
                .execute(&self.pool)
                .await?;
            total += res.rows_affected();
        }
        Ok(total)
    }

    async fn invalidate(&self, id: UserId) -> Result<(), RepoError> {
        let mut cache = self.cache.write().unwrap();
        let existed = cache.remove(&id).is_some();
        drop(cache);
        if existed {
            sqlx::query("SELECT pg_notify('user_invalidated', $1::text)")
                .bind(id)
                .execute(&self.pool)
                .await?;
        } else {
            warn!(?id, "invalidate for uncached user");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[sqlx::test]
    async fn concurrent_gets_share_cache(pool: PgPool) {
        let repo = Arc::new(PgUserRepo {
            pool,
            cache: RwLock::new(HashMap::new()),
            ttl: Duration::from_secs(60),
            write_serial: AsyncMutex::new(()),
        });
        let user = repo.create(NewUser::fixture()).await.unwrap();
        let mut handles = Vec::new();
        for _ in 0..8 {
            let repo = Arc::clone(&repo);
            handles.push(tokio::spawn(async move { repo.get(user.id).await.unwrap() }));
        }
        for h in handles {
            assert!(h.await.unwrap().is_some());
        }
    }
}
