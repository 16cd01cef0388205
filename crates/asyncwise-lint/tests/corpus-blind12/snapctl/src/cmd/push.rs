use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::archive;
use crate::remote::Remote;

/// Read by the progress line printer.
pub static UPLOADING: AtomicBool = AtomicBool::new(false);

#[derive(clap::Args)]
pub struct PushArgs {
    /// Directory to snapshot.
    dir: PathBuf,
    /// Upper bound of one uploaded part.
    #[arg(long, default_value_t = 64 << 20)]
    part_bytes: u64,
}

pub async fn run(remote: &Remote, args: PushArgs) -> anyhow::Result<()> {
    let manifest = archive::build_manifest(&args.dir)?; // @helper //~ blocking_in_async(pedantic)
    let parts = archive::chunk(&manifest, args.part_bytes); // @helper
    let count = parts.len();

    UPLOADING.store(true, Ordering::Relaxed);
    let mut uploads = Vec::with_capacity(count);
    for part in parts {
        let files: Vec<PathBuf> = part.iter().map(|e| e.path.clone()).collect();
        uploads.push(tokio::spawn(remote.clone().upload(args.dir.clone(), files))); //~ unbounded_spawn(pedantic)
    }
    for upload in uploads {
        upload.await??; //~ cleanup_after_await
    }
    UPLOADING.store(false, Ordering::Relaxed);

    remote.log_push(count).await;
    println!("pushed {count} parts");
    Ok(())
}
