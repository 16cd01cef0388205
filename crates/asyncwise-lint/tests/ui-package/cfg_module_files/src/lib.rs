// One module declaration picks between two files: a call reaches whichever is compiled, so
// the Unix file's blocking counts; a function that blocks in neither stays quiet.
#[cfg(unix)]
#[path = "platform/unix.rs"]
mod platform;
#[cfg(not(unix))]
#[path = "platform/fallback.rs"]
mod platform;

pub async fn commit(dir: &std::path::Path) -> std::io::Result<usize> {
    platform::sync_spool(dir)?; //~ blocking_in_async(pedantic)
    Ok(platform::page_size())
}

pub fn run() {}
