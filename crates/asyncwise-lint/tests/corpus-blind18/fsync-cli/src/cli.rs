use std::path::PathBuf;

#[derive(clap::Parser)]
pub struct Args {
    #[arg(long, default_value = "fsync.json")]
    pub config: PathBuf,
    #[arg(long, default_value = ".fsync-state.json")]
    pub state_file: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    Push { dir: PathBuf },
    Status { dir: PathBuf },
}
