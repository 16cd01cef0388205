// Image work on a per-event path: a handler that decodes and re-encodes the image of every
// request. Reading: decoding, encoding and resizing cost with the image's size, so like
// filesystem work they are default where they run once per request (see `brief_work.rs` for
// the pedantic form off such paths).
use std::io::Cursor;

use axum::body::Bytes;
use axum::extract::Path;

// A preview handler: every request decodes and re-encodes the stored image.
pub async fn preview(Path(id): Path<String>, body: Bytes) -> Vec<u8> {
    let img = image::load_from_memory(&body).unwrap(); //~ blocking_in_async
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::WebP).unwrap(); //~ blocking_in_async
    let small = img.thumbnail(128, 128); //~ blocking_in_async
    let _ = (id, small);
    out.into_inner()
}
