//! Image work: header probing, scaling, saving. All synchronous.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub fn probe_dimensions(path: &Path) -> io::Result<(u32, u32)> {
    let mut header = [0u8; 24];
    std::fs::File::open(path)?.read_exact(&mut header)?;
    parse_png_header(&header)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "not a PNG file"))
}

fn parse_png_header(h: &[u8; 24]) -> Option<(u32, u32)> {
    if &h[..8] != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let w = u32::from_be_bytes([h[16], h[17], h[18], h[19]]);
    let hgt = u32::from_be_bytes([h[20], h[21], h[22], h[23]]);
    Some((w, hgt))
}

/// Longest edge of the thumbnail: an eighth of the image, between 64 and 256 pixels.
pub fn thumbnail_edge(width: u32, height: u32) -> u32 {
    (width.max(height) / 8).clamp(64, 256)
}

pub fn make_thumbnail(src: &Path, max: u32) -> io::Result<PathBuf> {
    let img = image::open(src).map_err(to_io)?;
    let dest = src.with_extension("thumb.png");
    img.thumbnail(max, max).save(&dest).map_err(to_io)?;
    Ok(dest)
}

fn to_io(e: image::ImageError) -> io::Error {
    io::Error::new(io::ErrorKind::Other, e)
}
