use std::io::Cursor;

use image::{ImageFormat, ImageReader};

pub fn shrink(bytes: &[u8]) -> Vec<u8> {
    let Ok(reader) = ImageReader::new(Cursor::new(bytes)).with_guessed_format() else {
        return Vec::new();
    };
    let Ok(img) = reader.decode() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let _ = img.thumbnail(64, 64).write_to(&mut Cursor::new(&mut out), ImageFormat::Png);
    out
}
