use std::path::PathBuf;

use crate::archive;
use crate::remote::Remote;

#[derive(clap::Args)]
pub struct PullArgs {
    /// Blob names to fetch; all of the index when empty.
    names: Vec<String>,
    #[arg(long, default_value = ".")]
    dest: PathBuf,
}

pub async fn run(remote: &Remote, args: PullArgs) -> anyhow::Result<()> {
    let names = if args.names.is_empty() {
        let index = remote.fetch("index").await?;
        let listed = String::from_utf8(index)?;
        let pinned = remote.fetch(listed.lines().next().unwrap_or("latest")).await?;
        String::from_utf8(pinned)?.lines().map(str::to_owned).collect()
    } else {
        args.names.clone()
    };

    let mut fetched = Vec::with_capacity(names.len());
    for name in &names {
        let blob = remote.fetch(name).await; //~ sequential_await
        fetched.push((name.clone(), blob));
    }

    for (name, blob) in fetched {
        let blob = blob?;
        let expected = remote.expected_digest(&name).await?;
        anyhow::ensure!(archive::digest_bytes(&blob) == expected.trim(), "digest mismatch for {name}"); // @helper
        tokio::fs::write(args.dest.join(&name), &blob).await?;
    }
    remote.log_pull(names.len()).await?;
    Ok(())
}
