// Image work is CPU work proportional to the image's size: decoding (`ImageReader::decode`,
// `image::load_from_memory`), transforming (`thumbnail`, `resize`) and encoding (`write_to`,
// webp's `Encoder::encode`). Readings: like filesystem work, it is the default form where a
// request handler reaches it (an upload or a stored image decoded per request) and the pedantic
// form elsewhere (a cover decoded when a track changes: a single file cannot tell, see
// `tests/ui-package/image_work`). The reader's type is followed through
// its builder (`ImageReader::new(..).with_guessed_format()?`) and through a crate's own wrapper
// macro around one expression; the same work in `spawn_blocking`, and a type of this crate with
// methods of the same names, are not reported.
use std::io::Cursor;

use axum::body::Bytes;
use axum::extract::{Path, State};
use image::{DynamicImage, ImageFormat, ImageReader};

pub struct Store;

macro_rules! logged {
    ($e:expr) => {
        $e.map_err(|e| {
            eprintln!("image error: {e}");
            e
        })
    };
}

fn decode_upload(bytes: &[u8]) -> Result<DynamicImage, image::ImageError> {
    logged!(logged!(ImageReader::new(Cursor::new(bytes)).with_guessed_format())?.decode())
}

pub async fn upload_avatar(State(_store): State<Store>, body: Bytes) -> Vec<u8> {
    let Ok(picture) = decode_upload(&body) else { //~ blocking_in_async
        return Vec::new();
    };
    let small = picture.thumbnail(128, 128); //~ blocking_in_async
    let mut out = Vec::new();
    let _ = small.write_to(&mut Cursor::new(&mut out), ImageFormat::Png); //~ blocking_in_async
    out
}

pub async fn preview(Path(name): Path<String>) -> Vec<u8> {
    let stored = std::fs::read(&name).unwrap_or_default(); //~ blocking_in_async
    let Ok(img) = image::load_from_memory(&stored) else { //~ blocking_in_async
        return Vec::new();
    };
    let Ok(encoder) = webp::Encoder::from_image(&img) else {
        return Vec::new();
    };
    encoder.encode(80.0).to_vec() //~ blocking_in_async
}

pub async fn upload_offloaded(State(_store): State<Store>, body: Bytes) -> Option<DynamicImage> {
    // ok: decoded on the blocking pool
    tokio::task::spawn_blocking(move || image::load_from_memory(&body).ok())
        .await
        .ok()
        .flatten()
}

pub struct Frame;

impl Frame {
    pub fn new(_bytes: &[u8]) -> Frame {
        Frame
    }
    pub fn decode(&self) -> usize {
        0
    }
    pub fn thumbnail(&self, _w: u32, _h: u32) -> usize {
        0
    }
}

pub async fn own_types(State(_store): State<Store>, body: Bytes) -> usize {
    let frame = Frame::new(&body);
    frame.decode() + frame.thumbnail(1, 1) // ok: a type of this crate, not the image crate's
}
