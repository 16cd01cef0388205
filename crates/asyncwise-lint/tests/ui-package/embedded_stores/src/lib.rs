// A write transaction of a single-writer embedded store (redb, heed/LMDB) is local storage
// work, as `std::fs` is: the default form where it runs once per request (a handler), the
// pedantic form where it runs once per user action of a client library or at start-up.
use std::sync::Arc;

use axum::extract::State;

pub struct Wallet {
    db: redb::Database,
}

impl Wallet {
    // Client side: one write per user action; nothing served shares the runtime.
    pub async fn add_proofs(&self, proofs: Vec<u8>) -> Result<(), redb::Error> {
        let txn = self.db.begin_write()?; //~ blocking_in_async(pedantic)
        let _ = proofs;
        txn.commit()?; //~ blocking_in_async(pedantic)
        Ok(())
    }
}

// Once per request: every client's write waits for the writer and the sync on a worker.
pub async fn record(State(wallet): State<Arc<Wallet>>, body: String) -> Result<(), String> {
    let txn = wallet.db.begin_write().map_err(|e| e.to_string())?; //~ blocking_in_async
    let _ = body;
    txn.commit().map_err(|e| e.to_string())?; //~ blocking_in_async
    Ok(())
}
