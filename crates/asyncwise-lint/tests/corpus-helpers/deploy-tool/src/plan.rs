//! What to run: derived from the git revision.

use std::process::Command;

use anyhow::{bail, Context};

#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub command: String,
}

pub fn current_revision() -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!("git rev-parse failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

pub fn steps_for(rev: &str) -> Vec<Step> {
    let step = |name: &str, command: String| Step {
        name: name.to_owned(),
        command,
    };
    vec![
        step("fetch", format!("cd /srv/app && git fetch && git checkout {rev}")),
        step("build", "cd /srv/app && make release".to_owned()),
        step("restart", "systemctl restart app".to_owned()),
    ]
}
