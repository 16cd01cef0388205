use std::time::Duration;

async fn wait_for_server(addr: &str) {
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server at {addr} did not start");
}

#[tokio::test]
async fn login_rejects_a_wrong_password() {
    let addr = std::env::var("LEDGER_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    wait_for_server(&addr).await;
    let client = reqwest::Client::new();
    let reply = client
        .post(format!("http://{addr}/login"))
        .json(&serde_json::json!({ "owner": "ann", "password": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 401);
}

#[tokio::test]
async fn statement_is_eventually_consistent() {
    let addr = "127.0.0.1:8080";
    wait_for_server(addr).await;
    // The ledger replicates within a second; the test waits that long.
    std::thread::sleep(Duration::from_secs(1)); //~ blocking_in_async
    let body = reqwest::get(format!("http://{addr}/statement/1")).await.unwrap().text().await.unwrap();
    assert!(body.starts_with('['));
}

#[test]
fn fixture_file_is_valid_json() {
    let raw = std::fs::read_to_string("tests/fixtures/accounts.json").unwrap();
    serde_json::from_str::<serde_json::Value>(&raw).unwrap();
}
