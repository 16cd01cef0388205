//! Running steps on the host over ssh.

use std::sync::Arc;

use anyhow::{bail, Context};
use tokio::process::Command;

use crate::plan::Step;
use crate::state::{self, Checkpoint};

pub struct Session {
    host: String,
}

impl Session {
    pub async fn connect(host: &str) -> anyhow::Result<Session> {
        let status = Command::new("ssh")
            .args(["-o", "ControlMaster=auto", "-o", "ControlPersist=60", host, "true"])
            .status()
            .await
            .context("starting ssh")?;
        if !status.success() {
            bail!("cannot reach {host}");
        }
        Ok(Session {
            host: host.to_owned(),
        })
    }

    pub async fn exec(&self, command: &str) -> anyhow::Result<String> {
        let out = Command::new("ssh").arg(&self.host).arg(command).output().await?;
        if !out.status.success() {
            bail!("{command}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub async fn remote_revision(&self) -> anyhow::Result<String> {
        Ok(self.exec("cd /srv/app && git rev-parse --short HEAD").await?.trim().to_owned())
    }
}

pub async fn run_steps(host: &str, steps: &[Step], cp: &Arc<Checkpoint>) -> anyhow::Result<()> {
    let session = Session::connect(host).await?;
    let already = futures::executor::block_on(session.remote_revision())?; //~ block_on_in_async
    println!("{host} runs {already}");
    let mut pending = steps.iter().skip(cp.done());
    while let Some(step) = pending.next() {
        session
            .exec(&step.command)
            .await
            .with_context(|| format!("step {}", step.name))?;
        cp.advance();
        state::save_checkpoint(cp); // @helper //~ blocking_in_async
    }
    Ok(())
}

/// Posts to the team chat; failures are only logged.
pub async fn notify_chat(host: &str, rev: &str) {
    let text = format!("deployed {rev} to {host}");
    let handle = tokio::runtime::Handle::current();
    let posted = tokio::task::spawn_blocking(move || handle.block_on(post_message(text))).await;
    if let Err(e) = posted {
        eprintln!("chat notification failed: {e}");
    }
    if let Err(e) = record_in_ledger(host, rev) { //~? blocking_in_async, block_on_in_async
        eprintln!("ledger not updated: {e}");
    }
}

async fn post_message(text: String) -> anyhow::Result<()> {
    let status = Command::new("curl")
        .args(["-fsS", "-d", &text, "https://chat.example.com/hooks/deploy"])
        .status()
        .await?;
    if !status.success() {
        bail!("chat hook returned {status}");
    }
    Ok(())
}

// The ledger client is async-only; this sync wrapper drives it to completion.
fn record_in_ledger(host: &str, rev: &str) -> anyhow::Result<()> {
    let line = format!("{host} {rev}");
    tokio::runtime::Handle::current().block_on(async move {
        let status = Command::new("ledger").arg("append").arg(line).status().await?;
        anyhow::ensure!(status.success(), "ledger exited with {status}");
        Ok(())
    })
}
