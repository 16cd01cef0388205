use crate::AppData;

#[actix_web::post("/register")]
pub async fn register(data: AppData, body: String) -> actix_web::HttpResponse {
    let hash = data.creds.password(&body).unwrap(); //~ blocking_in_async(pedantic)
    let _ = data.name.len(); // ok: not a hash
    actix_web::HttpResponse::Ok().body(hash)
}

pub async fn other(policy: &crate::state::Other, body: &str) -> usize {
    policy.creds.password(body).map(|h| h.len()).unwrap_or(0) // ok: this crate's `Policy`, not the wrapper's
}
