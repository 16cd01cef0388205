//! End-to-end tests: start the real gateway on an ephemeral port and drive it
//! over HTTP. Fixtures live in `tests/fixtures/`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use gateway::config::{GatewayConfig, RouteConfig};
use gateway::{App, AppError};
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinSet;

/// Shared helpers ---------------------------------------------------------

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Loads a fixture synchronously. Only call from sync tests or from
/// `spawn_blocking`.
fn load_fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn test_config(upstream: SocketAddr) -> GatewayConfig {
    GatewayConfig {
        routes: vec![RouteConfig {
            prefix: "/api".into(),
            upstream: format!("http://{upstream}"),
            timeout: Duration::from_secs(2),
        }],
        ..GatewayConfig::default()
    }
}

macro_rules! assert_json_field {
    ($value:expr, $field:literal, $expected:expr) => {
        assert_eq!($value.get($field), Some(&json!($expected)), "field {}", $field)
    };
}

struct TestServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), AppError>>,
}

impl TestServer {
    async fn start(config: GatewayConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel();
        let app = App::new(config).await.expect("app");
        let task = tokio::spawn(async move {
            app.serve_with_shutdown(listener, async {
                let _ = rx.await;
            })
            .await
        });
        Self { addr, shutdown: Some(tx), task }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.expect("join").expect("serve");
    }
}

/// A trivial upstream that echoes the request path as JSON.
async fn echo_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|uri: axum::http::Uri| async move {
        axum::Json(json!({ "path": uri.path() }))
    });
    tokio::spawn(async move { //~ detached_task
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

// Sync tests ---------------------------------------------------------------

#[test]
fn fixtures_parse() {
    for name in ["routes.json", "headers.json"] {
        let raw = load_fixture(name);
        let v: Value = serde_json::from_str(&raw).unwrap();
        assert!(v.is_object(), "{name} is not an object");
    }
}

#[test]
fn config_defaults_are_sane() {
    let cfg = GatewayConfig::default();
    assert!(cfg.routes.is_empty());
    assert!(cfg.max_body_bytes >= 1024);
}

#[test]
fn runs_inside_dedicated_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        let upstream = echo_upstream().await;
        let server = TestServer::start(test_config(upstream)).await;
        let status = reqwest::get(server.url("/healthz")).await.unwrap().status();
        server.stop().await;
        status
    });
    assert_eq!(status, StatusCode::OK);
}

// Async tests ---------------------------------------------------------------

#[tokio::test]
async fn proxies_to_upstream() {
    let upstream = echo_upstream().await;
    let server = TestServer::start(test_config(upstream)).await;

    let body: Value = reqwest::get(server.url("/api/users/7"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_json_field!(body, "path", "/api/users/7");
    server.stop().await;
}

#[tokio::test]
async fn unknown_route_is_404() {
    let server = TestServer::start(GatewayConfig::default()).await;
    let resp = reqwest::get(server.url("/nope")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn routes_from_fixture() {
    let raw = std::fs::read_to_string(fixture_path("routes.json")).unwrap(); //~ blocking_in_async
    let routes: Vec<RouteConfig> = serde_json::from_str(&raw).unwrap();
    let upstream = echo_upstream().await;
    let mut cfg = test_config(upstream);
    cfg.routes.extend(routes);
    let server = TestServer::start(cfg).await;
    let resp = reqwest::get(server.url("/v2/ping")).await.unwrap();
    assert!(resp.status().is_success());
    server.stop().await;
}

#[tokio::test]
async fn headers_fixture_via_blocking_pool() {
    let raw = tokio::task::spawn_blocking(|| load_fixture("headers.json"))
        .await
        .unwrap();
    let headers: Value = serde_json::from_str(&raw).unwrap();
    assert!(headers.get("x-request-id").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_are_isolated() {
    let upstream = echo_upstream().await;
    let server = Arc::new(TestServer::start(test_config(upstream)).await);
    let client = reqwest::Client::new();

    let paths: Vec<String> = (0..64).map(|i| format!("/api/item/{i}")).collect();
    let handles: Vec<_> = paths
        .iter()
        .map(|p| {
            let url = server.url(p);
            let client = client.clone();
            tokio::spawn(async move { client.get(url).send().await }) //~ unbounded_spawn
        })
        .collect();

    for (h, p) in handles.into_iter().zip(&paths) {
        let resp = h.await.unwrap().unwrap();
        let body: Value = resp.json().await.unwrap();
        assert_json_field!(body, "path", p.as_str());
    }
}

#[tokio::test]
async fn bounded_fanout_with_joinset() {
    let upstream = echo_upstream().await;
    let server = TestServer::start(test_config(upstream)).await;
    let limit = Arc::new(Semaphore::new(8));
    let mut set = JoinSet::new();
    for i in 0..200u32 {
        let permit = limit.clone().acquire_owned().await.unwrap();
        let url = server.url(&format!("/api/n/{i}"));
        set.spawn(async move {
            let status = reqwest::get(url).await.map(|r| r.status());
            drop(permit);
            status
        });
    }
    let mut ok = 0;
    while let Some(res) = set.join_next().await {
        if res.unwrap().map(|s| s.is_success()).unwrap_or(false) {
            ok += 1;
        }
    }
    assert_eq!(ok, 200);
    server.stop().await;
}

#[tokio::test]
async fn slow_upstream_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    let accept = tokio::spawn(async move {
        let (_sock, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let server = TestServer::start(test_config(upstream)).await;
    let resp = reqwest::get(server.url("/api/slow")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::GATEWAY_TIMEOUT);
    accept.abort();
    server.stop().await;
}
