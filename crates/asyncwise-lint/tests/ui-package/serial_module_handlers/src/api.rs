use axum::http::HeaderMap;
use axum::routing::get;

pub fn router() -> axum::Router {
    axum::Router::new().route("/items", get(items))
}

async fn items(headers: HeaderMap) -> String {
    let key = headers.get("x-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
    match crate::keys::check(key).await {
        true => "[]".to_string(),
        false => "denied".to_string(),
    }
}
