mod archive;
mod cmd;
mod remote;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "snapctl", about = "Push and pull directory snapshots")]
struct Cli {
    #[arg(long, env = "SNAP_REMOTE", default_value = "https://snap.example.net")]
    remote: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Push(cmd::push::PushArgs),
    Pull(cmd::pull::PullArgs),
    Verify(cmd::verify::VerifyArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let remote = remote::Remote::new(&cli.remote);
    match cli.command {
        Command::Push(args) => cmd::push::run(&remote, args).await,
        Command::Pull(args) => cmd::pull::run(&remote, args).await,
        Command::Verify(args) => cmd::verify::run(&remote, args).await,
    }
}
