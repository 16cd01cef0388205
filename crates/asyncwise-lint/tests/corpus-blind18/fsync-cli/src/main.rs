mod cli;
mod manifest;
mod remote;
mod scan;
mod upload;

use clap::Parser;

use crate::cli::{Args, Command};
use crate::remote::Remote;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match &args.command {
        Command::Push { dir } => push(dir, &args).await,
        Command::Status { dir } => status(dir, &args).await,
    }
}

async fn push(dir: &std::path::Path, args: &Args) -> anyhow::Result<()> {
    let cfg = manifest::load(&args.config)?; // @helper //~ blocking_in_async(pedantic)
    let files = scan::walk(dir)?; // @helper //~ blocking_in_async(pedantic)
    let remote = Remote::new(&cfg.endpoint, &cfg.token);
    remote.login().await?;
    let listing = remote.list().await?;

    let mut handles = Vec::new();
    for file in files.iter().filter(|f| !listing.contains(&f.rel)) {
        let remote = remote.clone();
        let file = file.clone();
        handles.push(tokio::spawn(async move { upload::put(&remote, &file).await })); //~ unbounded_spawn(pedantic), detached_task(pedantic)
    }
    futures::future::join_all(handles).await;

    let state = manifest::State { pushed: files.iter().map(|f| f.rel.clone()).collect() };
    manifest::save(&args.state_file, &state)?; // @helper //~ blocking_in_async(pedantic)
    Ok(())
}

async fn status(dir: &std::path::Path, args: &Args) -> anyhow::Result<()> {
    let cfg = manifest::load(&args.config)?; // @helper //~ blocking_in_async(pedantic)
    let files = scan::walk(dir)?; // @helper //~ blocking_in_async(pedantic)
    let remote = Remote::new(&cfg.endpoint, &cfg.token);
    let quota = tokio::runtime::Handle::current().block_on(remote.quota())?; //~ block_on_in_async
    println!("quota: {} of {} bytes used", quota.used, quota.total);

    let mut report = Vec::new();
    for f in &files {
        let meta = remote.head(&f.rel).await; //~ sequential_await
        report.push((f.rel.clone(), meta));
    }
    for (rel, meta) in report {
        match meta {
            Ok(Some(m)) if m.size == 0 => println!("{rel}: empty on remote"),
            Ok(Some(_)) => println!("{rel}: in sync"),
            Ok(None) => println!("{rel}: not pushed"),
            Err(e) => println!("{rel}: {e}"),
        }
    }
    Ok(())
}
