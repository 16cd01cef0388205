// Readings: a call made under `#[cfg(P)]` does not reach a helper's blocking call that sits
// under `#[cfg(not(P))]` (or the reverse): the two are never compiled together. The helper's
// other blocking calls, and those under no or the same predicate, still count. (Filesystem
// work on no per-event path: the pedantic form.)
use std::io;
use std::path::Path;

/// Makes a directory's new entries durable; nothing to do where directories cannot be opened.
pub fn sync_dir_std(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub async fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || sync_dir_std(&dir)).await?
    }
    #[cfg(not(unix))]
    {
        // ok: where this is compiled, the helper's fsync is not
        sync_dir_std(dir)
    }
}

pub async fn sync_dir_inline(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        sync_dir_std(dir)?; //~ blocking_in_async(pedantic)
    }
    Ok(())
}

fn touch_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    {
        std::fs::File::create(dir.join(".touch"))?;
    }
    Ok(())
}

pub async fn touch(dir: &Path) -> io::Result<()> {
    #[cfg(not(unix))]
    {
        // the helper blocks under this predicate too
        touch_dir(dir)?; //~ blocking_in_async(pedantic)
    }
    Ok(())
}
