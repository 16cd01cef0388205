// Registry crates that block the calling thread: tar's `Archive::unpack`/`entries` (over a
// decompressor the whole stream is decompressed here), git2 (libgit2 works on
// the caller's thread), lettre's `SmtpTransport::send`, and ssh2 sessions. The std adapters of
// flate2/xz2/zstd/bzip2 read to their end or finished, and zstd's whole-stream functions, are
// the pedantic form (brief work on buffers of a size the code does not show). tempfile's
// one create-and-open is not reported (a handler's temp file per upload was labelled noise). Readings: the
// receiver's type comes from a constructor (`Archive::new`, `GzDecoder::new`), a parameter or
// a `use`; the same calls inside `spawn_blocking` are fine, and a method of that name on a type
// of this crate is not these crates'.
use std::io::Read;

use flate2::read::GzDecoder;
use git2::Repository;
use lettre::{Message, SmtpTransport, Transport};
use tar::Archive;

pub async fn publish_docs(bytes: Vec<u8>, dest: std::path::PathBuf) -> std::io::Result<()> {
    let mut archive = Archive::new(GzDecoder::new(&bytes[..]));
    archive.unpack(&dest)?; //~ blocking_in_async
    notify().await;
    Ok(())
}

pub async fn inflate(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut decoder = GzDecoder::new(body);
    decoder.read_to_end(&mut out)?; //~ blocking_in_async(pedantic)
    notify().await;
    Ok(out)
}

pub async fn inflate_zstd(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let out = zstd::decode_all(body)?; //~ blocking_in_async(pedantic)
    notify().await;
    Ok(out)
}

pub async fn mirror(url: String, dest: std::path::PathBuf) -> Result<(), git2::Error> {
    Repository::clone(&url, &dest)?; //~ blocking_in_async
    notify().await;
    Ok(())
}

pub async fn mail(mailer: &SmtpTransport, message: Message) {
    let _ = mailer.send(&message); //~ blocking_in_async
    notify().await;
}

pub fn serve(listener: std::net::TcpListener, key: String) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let key = key.clone();
        tokio::spawn(async move {
            let Ok(mut session) = ssh2::Session::new() else { return };
            session.set_tcp_stream(stream);
            let _ = session.handshake(); //~ blocking_in_async
            let _ = session.userauth_password("relay", &key); //~ blocking_in_async
            notify().await;
        });
    }
}

pub async fn scratch() -> std::io::Result<std::fs::File> {
    let file = tempfile::tempfile()?; // ok: one create-and-open, not in the tables
    notify().await;
    Ok(file)
}

pub async fn offloaded(bytes: Vec<u8>, dest: std::path::PathBuf) {
    let _ = tokio::task::spawn_blocking(move || {
        let mut archive = Archive::new(GzDecoder::new(&bytes[..]));
        archive.unpack(&dest) // ok: in spawn_blocking
    })
    .await;
    notify().await;
}

pub async fn own_archive(archive: &Shelf) {
    archive.unpack(); // ok: a method of this crate's own type
    notify().await;
}

pub struct Shelf;

impl Shelf {
    fn unpack(&self) {}
}

async fn notify() {}
