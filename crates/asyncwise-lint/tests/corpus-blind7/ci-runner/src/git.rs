//! Synchronous git helpers, also used by the `ci-runner doctor` subcommand.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

pub fn head_commit(repo: &Path) -> anyhow::Result<String> {
    let out = Command::new("git").arg("-C").arg(repo).args(["rev-parse", "HEAD"]).output()?;
    if !out.status.success() {
        bail!("git rev-parse failed");
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Subjects of the commits since `base`, read from git's piped stdout line by line.
pub fn subjects_since(repo: &Path, base: &str) -> anyhow::Result<Vec<String>> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["log", "--format=%s", &format!("{base}..HEAD")])
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().context("git log without stdout")?;
    let subjects = BufReader::new(stdout).lines().collect::<Result<Vec<_>, _>>()?;
    child.wait()?;
    Ok(subjects)
}

/// Pure: the arguments of a shallow fetch.
pub fn fetch_args(remote: &str, rev: &str, depth: u32) -> Vec<String> {
    vec!["fetch".into(), format!("--depth={depth}"), remote.into(), rev.into()]
}
