//! Catalogue corpus: the profile endpoint of the gateway — aggregates a user's profile from the
//! user database, the order service, the avatar CDN and the billing API.
//! Focus: sequential_await (independent awaits in a row, and dependent ones that must stay quiet).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::{GatewayError, Result};

pub struct UserDb;
pub struct OrderApi;
pub struct AvatarCdn;
pub struct BillingApi;
pub struct Conn;
pub struct Tx;
pub struct Pool;

#[derive(Debug, Clone, Default)]
pub struct User {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Default)]
pub struct Profile {
    pub user: User,
    pub orders: Vec<u64>,
    pub avatar: Option<String>,
    pub balance: i64,
}

impl UserDb {
    pub async fn user(&self, id: u64) -> Result<User> {
        Ok(User { id, name: String::new() })
    }
    pub async fn count_sessions(&self, _id: u64) -> Result<u32> {
        Ok(0)
    }
}
impl OrderApi {
    pub async fn recent(&self, _id: u64) -> Result<Vec<u64>> {
        Ok(Vec::new())
    }
}
impl AvatarCdn {
    pub async fn url_for(&self, id: u64) -> Option<String> {
        Some(format!("https://cdn/{id}.png"))
    }
}
impl BillingApi {
    pub async fn balance(&self, _id: u64) -> Result<i64> {
        Ok(0)
    }
    pub async fn invoice_status(&self, invoice: u64) -> Result<String> {
        Ok(format!("paid:{invoice}"))
    }
}
impl Pool {
    pub async fn get(&self) -> Result<Conn> {
        Ok(Conn)
    }
    pub async fn begin(&self) -> Result<Tx> {
        Ok(Tx)
    }
}
impl Conn {
    pub async fn query_user(&self, id: u64) -> Result<User> {
        Ok(User { id, name: String::new() })
    }
    pub async fn server_version(&self) -> Result<String> {
        Ok("15".into())
    }
    pub async fn current_schema(&self) -> Result<String> {
        Ok("public".into())
    }
}
impl Tx {
    pub async fn commit(self) -> Result<()> {
        Ok(())
    }
}

async fn debit(tx: &mut Tx, user: u64, amount: i64) -> Result<i64> {
    let _ = (tx, user);
    Ok(amount)
}

async fn credit(tx: &mut Tx, user: u64, amount: i64) -> Result<i64> {
    let _ = (tx, user);
    Ok(amount)
}

pub struct ProfileService {
    users: Arc<UserDb>,
    orders: Arc<OrderApi>,
    avatars: Arc<AvatarCdn>,
    billing: Arc<BillingApi>,
    pool: Arc<Pool>,
}

impl ProfileService {
    /// Three independent back ends queried one after the other.
    pub async fn profile(&self, id: u64) -> Result<Profile> {
        let user = self.users.user(id).await?; //~ sequential_await
        let orders = self.orders.recent(id).await?;
        let avatar = self.avatars.url_for(id).await;
        let balance = self.billing.balance(id).await?;
        Ok(Profile { user, orders, avatar, balance })
    }

    /// The second query needs the connection the first produced: dependent.
    pub async fn user_via_pool(&self, id: u64) -> Result<User> {
        let conn = self.pool.get().await?;
        let user = conn.query_user(id).await?;
        Ok(user)
    }

    /// Two questions to one connection: same receiver, not a run.
    pub async fn server_info(&self) -> Result<(String, String)> {
        let conn = self.pool.get().await?;
        let version = conn.server_version().await?;
        let schema = conn.current_schema().await?;
        Ok((version, schema))
    }

    /// Debit and credit in one transaction: both borrow `&mut tx`, ordered by it.
    pub async fn transfer(&self, from: u64, to: u64, amount: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let debited = debit(&mut tx, from, amount).await?;
        let credited = credit(&mut tx, to, amount).await?;
        if debited != credited {
            return Err(GatewayError::Conflict(format!("{from}->{to}")));
        }
        tx.commit().await
    }

    /// A timer between two calls: the tick is no call of its own, one call is no run.
    pub async fn paced_balance(&self, id: u64, ticker: &mut tokio::time::Interval) -> Result<i64> {
        let _tick = ticker.tick().await;
        let balance = self.billing.balance(id).await?;
        Ok(balance)
    }

    /// Already concurrent.
    pub async fn summary(&self, id: u64) -> Result<(User, i64)> {
        let (user, balance) = tokio::try_join!(self.users.user(id), self.billing.balance(id))?;
        Ok((user, balance))
    }

    /// The answer of the first decides whether the second runs at all.
    pub async fn orders_if_active(&self, id: u64) -> Result<Vec<u64>> {
        let sessions = self.users.count_sessions(id).await?;
        if sessions == 0 {
            return Ok(Vec::new());
        }
        self.orders.recent(id).await
    }
}

/// Free function over two unrelated clients.
pub async fn dashboard(users: &UserDb, billing: &BillingApi, id: u64) -> Result<String> {
    let sessions = users.count_sessions(id).await?; //~ sequential_await
    let balance = billing.balance(id).await?;
    Ok(format!("{sessions} sessions, balance {balance}"))
}

/// One invoice looked up per item, each depending only on the item.
pub async fn invoice_report(billing: &BillingApi, invoices: &[u64]) -> Result<HashMap<u64, String>> {
    let mut report = HashMap::new();
    for invoice in invoices {
        let status = billing.invoice_status(*invoice).await?; //~ sequential_await
        report.insert(*invoice, status);
    }
    Ok(report)
}

/// Session counts chained through the previous answer, then a short settle delay.
pub async fn wait_for_all(users: &UserDb, ids: &[u64]) -> Vec<u64> {
    let mut live = Vec::new();
    let mut last = 0;
    for id in ids {
        // carries state between iterations: the next lookup starts after the previous id
        let next = users.count_sessions(*id + last).await.unwrap_or(0);
        last = u64::from(next);
        live.push(last);
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    live
}
