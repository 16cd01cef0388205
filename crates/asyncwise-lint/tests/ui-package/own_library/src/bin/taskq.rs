// The client binary names its package's library by the package's name.
use taskq::client::{handle, Command};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let command = Command::from_args(std::env::args().skip(1).collect());
    handle(command).await
}
