// Image work (decoding, resizing, encoding) is CPU work proportional to the image's size, which
// the code does not show. Readings: it is the default form where a request handler reaches it,
// directly or through helpers in other files (an upload decoded per request); the pedantic form
// on a per-event path that an event loop starts (a cover decoded per player event of a local
// loop) and off every per-event path (a start-up icon).
mod gallery;
mod player;
mod thumbs;

use axum::routing::post;

pub fn router() -> axum::Router {
    axum::Router::new().route("/photos", post(gallery::upload))
}

pub async fn start() {
    let icon = std::fs::read("icon.png").unwrap_or_default(); //~ blocking_in_async(pedantic)
    let _ = thumbs::shrink(&icon); //~ blocking_in_async(pedantic)
    tokio::spawn(player::run());
}
