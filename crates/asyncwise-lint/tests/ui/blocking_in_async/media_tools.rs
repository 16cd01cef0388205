// Registry crates that wait for another program or walk the filesystem on the calling thread:
// ffprobe runs the `ffprobe` program to its end, glob lists the directories its pattern names,
// cargo's library API runs a whole `cargo doc` or build. Readings: a free function of the
// crate, called by its path or through a `use`, is reported where async code calls it (in a
// single file, filesystem work is the default form; off per-event paths the crate pass makes it
// pedantic); a function of this crate with the same name, and the same calls inside
// `spawn_blocking`, are not.
use cargo::ops;
use glob::glob;

pub async fn probe_upload(path: std::path::PathBuf) -> Option<(i64, i64)> {
    let info = ffprobe::ffprobe(&path).ok()?; //~ blocking_in_async
    let stream = info.streams.first()?;
    announce().await;
    Some((stream.width?, stream.height?))
}

pub async fn list_pictures(dir: &str) -> usize {
    let found = glob(&format!("{dir}/*.png")).map(|paths| paths.count()).unwrap_or(0); //~ blocking_in_async
    announce().await;
    found
}

pub async fn build_docs(ws: &cargo::core::Workspace<'_>, options: &ops::DocOptions) {
    let _ = ops::doc(ws, options); //~ blocking_in_async
    announce().await;
}

pub async fn probe_offloaded(path: std::path::PathBuf) -> bool {
    // ok: the program runs on the blocking pool
    tokio::task::spawn_blocking(move || ffprobe::ffprobe(&path).is_ok())
        .await
        .unwrap_or(false)
}

pub async fn own_matcher(names: Vec<String>) -> usize {
    let matched = matcher::glob(&names, "*.png"); // ok: this crate's own `glob`, no filesystem
    announce().await;
    matched
}

mod matcher {
    pub fn glob(names: &[String], _pattern: &str) -> usize {
        names.len()
    }
}

async fn announce() {}
