// Readings: a compression crate's encoder or decoder built over bytes in memory (a `Vec`, also
// one bound by a `let`, a slice of a buffer, a `Cursor`) does no I/O: writing to it and
// finishing it is CPU work on memory, not a blocking call, whether in the async fn or in a
// sync helper it calls. Built over a `std::fs::File` it writes the file as it goes: finishing
// it stays reported (the pedantic form in place, as brief work; through a helper the chain's
// form). A decoder over a slice parameter (`body: &[u8]`) keeps its type's rows, as before.
use std::io::{Read, Write};

use flate2::Compression;
use flate2::write::GzEncoder;

pub async fn store_gzipped(store: &Store, key: &str, json: Vec<u8>) -> std::io::Result<()> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&json)?;
    // ok: the encoder writes into a Vec
    let gz = encoder.finish()?;
    store.put(key, gz).await
}

fn compress_zstd(bytes: Vec<u8>, level: i32) -> std::io::Result<Vec<u8>> {
    let sink = Vec::<u8>::new();
    let mut encoder = zstd::stream::Encoder::new(sink, level)?;
    encoder.include_checksum(true)?;
    encoder.write_all(&bytes)?;
    encoder.finish()
}

pub async fn add_blob(out: &mut Output, blob: Vec<u8>) -> std::io::Result<()> {
    // ok: the helper compresses into a Vec
    let compressed = compress_zstd(blob, 3)?;
    out.write(compressed).await
}

pub async fn inflate_copy(packed: Vec<u8>) -> std::io::Result<Vec<u8>> {
    let mut decoder = flate2::read::GzDecoder::new(&packed[..]);
    let mut out = Vec::new();
    // ok: a slice of a buffer in memory
    decoder.read_to_end(&mut out)?;
    notify().await;
    Ok(out)
}

pub async fn archive_to(file: std::fs::File, json: &[u8]) -> std::io::Result<()> {
    let mut encoder = GzEncoder::new(file, Compression::default());
    encoder.write_all(json)?;
    encoder.finish()?; //~ blocking_in_async(pedantic)
    notify().await;
    Ok(())
}

fn pack_into(file: std::fs::File, data: &[u8]) -> std::io::Result<()> {
    let mut encoder = zstd::stream::Encoder::new(file, 3)?;
    encoder.write_all(data)?;
    encoder.finish()?;
    Ok(())
}

pub async fn snapshot(file: std::fs::File, data: Vec<u8>) -> std::io::Result<()> {
    pack_into(file, &data)?; //~ blocking_in_async
    notify().await;
    Ok(())
}
