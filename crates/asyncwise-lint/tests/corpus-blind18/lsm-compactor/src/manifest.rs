use std::io;
use std::path::PathBuf;

use tokio::io::AsyncWriteExt;

use crate::levels::Edit;

pub struct Manifest {
    path: PathBuf,
}

impl Manifest {
    pub fn new(path: PathBuf) -> Manifest {
        Manifest { path }
    }

    pub async fn persist(&self, edit: &Edit) -> io::Result<()> {
        let mut f = tokio::fs::OpenOptions::new().append(true).create(true).open(&self.path).await?;
        for name in &edit.removed {
            f.write_all(format!("- {name}\n").as_bytes()).await?;
        }
        for t in &edit.added {
            f.write_all(format!("+ {} {}\n", t.level, t.name).as_bytes()).await?;
        }
        f.sync_data().await
    }
}
