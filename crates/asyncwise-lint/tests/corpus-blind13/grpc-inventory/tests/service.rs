use std::time::Duration;

#[tokio::test]
async fn import_applies_every_delta() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inv.db");
    let client = spawn_server(&db).await;
    std::thread::sleep(Duration::from_millis(200)); //~ blocking_in_async
    let reply = client.clone().get_stock(StockQuery { sku: "A-1".into() }).await.unwrap();
    assert_eq!(reply.into_inner().qty, 0);
}

#[test]
fn sku_keys_are_normalised() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let out = rt.block_on(async { " a 1 ".trim().to_ascii_uppercase() });
    assert_eq!(out, "A 1");
}
