use weather_client::Client;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("tests/fixtures/{name}")).expect("fixture")
}

#[tokio::test]
async fn forecast_parses_the_recorded_reply() {
    let body = fixture("berlin.json"); // @helper //~ blocking_in_async(pedantic)
    let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parsed["place"], "Berlin");
    let client = Client::new("http://127.0.0.1:9");
    assert!(client.forecasts(&[]).await.is_empty());
}

#[async_std::test]
async fn counters_start_empty() {
    let client = Client::new("http://127.0.0.1:9");
    assert_eq!(client.counters()["requests"], 0);
}
