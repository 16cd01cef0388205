use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct LocalFile {
    pub abs: PathBuf,
    pub rel: String,
    pub size: u64,
}

/// Every regular file under `root`, depth first.
pub fn walk(root: &Path) -> std::io::Result<Vec<LocalFile>> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                todo.push(entry.path());
            } else if meta.is_file() {
                let abs = entry.path();
                let rel = abs.strip_prefix(root).unwrap_or(&abs).to_string_lossy().into_owned();
                out.push(LocalFile { abs, rel, size: meta.len() });
            }
        }
    }
    Ok(out)
}
