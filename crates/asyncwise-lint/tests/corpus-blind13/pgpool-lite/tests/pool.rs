use std::time::Duration;

use pgpool_lite::{Config, Pool};

fn cfg() -> Config {
    Config {
        host: "127.0.0.1".into(),
        port: 5432,
        user: "postgres".into(),
        database: "postgres".into(),
        max_size: 4,
        keepalive: Duration::from_secs(30),
    }
}

#[tokio::test]
async fn close_stops_new_checkouts() {
    let pool = Pool::new(cfg());
    pool.close().await;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let res = rt.block_on(pool.get()); //~ block_on_in_async
    assert!(res.is_err());
}

#[test]
fn pool_can_be_driven_from_sync_code() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let pool = Pool::new(cfg());
    rt.block_on(pool.close());
    assert_eq!(pool.waiting(), 0);
}
