// Embedded key-value stores with a single writer (heed/LMDB, redb, lmdb): beginning a write
// transaction waits while another writer holds the database, and committing writes and syncs
// the file, so both block a worker where a request handler runs them. Like `std::fs` work, that
// is the default form on a per-event path only (the crate pass judges the rest: see
// `tests/ui-package/embedded_stores`). Reads (`read_txn`, `begin_read`) do not
// wait for the writer and stay silent; the same write transaction run in `spawn_blocking` is
// fine.
use axum::extract::State;

struct Store {
    env: heed::Env,
    db: redb::Database,
}

async fn register_task(State(store): State<std::sync::Arc<Store>>, task: Vec<u8>) -> Result<(), heed::Error> {
    let mut wtxn = store.env.write_txn()?; //~ blocking_in_async
    let _ = (&mut wtxn, task);
    wtxn.commit()?; //~ blocking_in_async
    Ok(())
}

async fn put_setting(State(store): State<std::sync::Arc<Store>>) -> Result<(), redb::Error> {
    let txn = store.db.begin_write()?; //~ blocking_in_async
    txn.commit()?; //~ blocking_in_async
    Ok(())
}

async fn read_settings(State(store): State<std::sync::Arc<Store>>) -> Result<(), redb::Error> {
    // ok: readers never wait for the writer
    let _txn = store.db.begin_read()?;
    let _rtxn = store.env.read_txn();
    Ok(())
}

async fn register_offloaded(store: std::sync::Arc<Store>) {
    // ok: the transaction runs on the blocking pool
    let _ = tokio::task::spawn_blocking(move || {
        let wtxn = store.env.write_txn()?;
        wtxn.commit()
    })
    .await;
}
