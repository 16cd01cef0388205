// A request handler of another member builds a credential through the associated fn that
// hashes: reported at the call, with the chain into the member.
use axum::extract::State;
use vault_common::Credential;

struct AppState;

async fn change_password(State(_state): State<AppState>, body: String) -> String {
    let cred = Credential::from_password(&body); //~ blocking_in_async(pedantic)
    let blank = Credential::placeholder(); // ok: builds a value, hashes nothing
    let quick = vault_common::auth::hasher_by_match(true); //~ blocking_in_async(pedantic)
    format!("{}{}{}", cred.hash, blank.hash, quick)
}

#[tokio::main]
async fn main() {
    let app = axum::Router::new().route("/password", axum::routing::post(change_password));
    let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();
    tokio::spawn(async { serve_metrics().await });
    axum::serve(listener, app).await.unwrap();
}

async fn serve_metrics() {}
