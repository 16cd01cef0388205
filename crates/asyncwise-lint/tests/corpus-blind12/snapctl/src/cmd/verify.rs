use std::path::PathBuf;

use crate::archive;
use crate::remote::Remote;

#[derive(clap::Args)]
pub struct VerifyArgs {
    dir: PathBuf,
    #[arg(long)]
    signature: PathBuf,
}

pub async fn run(remote: &Remote, args: VerifyArgs) -> anyhow::Result<()> {
    futures::executor::block_on(remote.ping())?; //~ block_on_in_async
    let manifest = archive::build_manifest(&args.dir)?; // @helper //~ blocking_in_async(pedantic)
    let gpg = std::process::Command::new("gpg") //~ blocking_in_async(pedantic)
        .arg("--verify")
        .arg(&args.signature)
        .output()?;
    anyhow::ensure!(gpg.status.success(), "signature does not verify");

    let mut mismatches = 0;
    for entry in &manifest {
        let expected = remote.expected_digest(&entry.path.display().to_string()).await?;
        if expected.trim() != entry.digest {
            mismatches += 1;
        }
    }
    anyhow::ensure!(mismatches == 0, "{mismatches} files differ from the snapshot");
    println!("snapshot verified");
    Ok(())
}
