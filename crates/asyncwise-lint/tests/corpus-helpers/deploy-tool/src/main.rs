//! `deploy-tool HOST`: runs the deploy steps for the checked-out revision over ssh, resuming
//! from the last checkpoint after an interruption.

mod plan;
mod remote;
mod state;

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let host = std::env::args().nth(1).context("usage: deploy-tool HOST")?;
    let checkpoint = state::Checkpoint::shared(); // @helper //~ blocking_in_async

    let on_interrupt = checkpoint.clone();
    ctrlc::set_handler(move || {
        state::save_checkpoint(&on_interrupt); // @helper
        std::process::exit(130);
    })?;

    let rev = plan::current_revision()?; // @helper //~ blocking_in_async
    let steps = plan::steps_for(&rev); // @helper
    remote::run_steps(&host, &steps, &checkpoint).await?;
    remote::notify_chat(&host, &rev).await;
    Ok(())
}
