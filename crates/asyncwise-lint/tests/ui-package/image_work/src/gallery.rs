use axum::body::Bytes;

use crate::thumbs;

pub async fn upload(body: Bytes) -> Vec<u8> {
    let small = thumbs::shrink(&body); //~ blocking_in_async
    save(&small).await;
    small
}

async fn save(_bytes: &[u8]) {}
