// Forms of blocking reached through a helper: a sync helper whose only blocking call touches
// metadata (creates a directory, removes a file, asks whether a path exists) is the pedantic
// form, as the same call made directly in async code is; a helper that reads or writes file
// contents, or waits, stays in the default form.
use std::path::{Path, PathBuf};

fn ensure_spool_dir(root: &Path) -> PathBuf {
    let dir = root.join("spool");
    std::fs::create_dir_all(&dir).ok();
    dir
}

fn forget_upload(path: &Path) {
    let _ = std::fs::remove_file(path);
}

fn has_marker(dir: PathBuf) -> bool {
    dir.exists()
}

fn load_upload(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

pub async fn accept_upload(root: &Path, name: &str) -> Vec<u8> {
    let dir = ensure_spool_dir(root); //~ blocking_in_async(pedantic)
    if has_marker(dir.clone()) { //~ blocking_in_async(pedantic)
        forget_upload(&dir.join(name)); //~ blocking_in_async(pedantic)
    }
    load_upload(&dir.join(name)) //~ blocking_in_async(pedantic)
}
