use std::io::{BufRead, Read};
use std::process::Stdio;

use anyhow::Context;
use serde::Deserialize;
use tokio::io::AsyncBufReadExt;

#[derive(Clone, Deserialize)]
pub struct Step {
    pub name: String,
    pub program: String,
    pub args: Vec<String>,
}

pub struct StepOutput {
    pub name: String,
    pub lines: Vec<String>,
    pub success: bool,
}

/// The first runner, kept for the `--legacy-exec` flag: std process, pipe read in place.
pub async fn run_step_legacy(step: &Step) -> anyhow::Result<StepOutput> {
    let mut command = std::process::Command::new(&step.program);
    command.args(&step.args).stdout(Stdio::piped());
    let mut child = command.spawn().with_context(|| format!("starting {}", step.name))?; //~? blocking_in_async
    let stdout = child.stdout.take().context("no stdout")?;
    let mut reader = std::io::BufReader::new(stdout);
    let mut lines = Vec::new();
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 { //~ blocking_in_async
        lines.push(line.trim_end().to_owned());
        line.clear();
    }
    let status = child.wait()?; //~ blocking_in_async
    crate::report::step_finished(&step.name, status.success()).await;
    Ok(StepOutput { name: step.name.clone(), lines, success: status.success() })
}

/// Version probe of a tool: the whole of its stdout at once.
pub async fn tool_version(program: &str) -> anyhow::Result<String> {
    let mut command = std::process::Command::new(program);
    command.arg("--version").stdout(Stdio::piped());
    let mut child = command.spawn()?; //~? blocking_in_async
    let mut text = String::new();
    child.stdout.take().context("no stdout")?.read_to_string(&mut text)?; //~ blocking_in_async
    Ok(text.trim().to_owned())
}

pub async fn run_step(step: &Step) -> anyhow::Result<StepOutput> {
    let mut child = tokio::process::Command::new(&step.program)
        .args(&step.args)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", step.name))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut reader = tokio::io::BufReader::new(stdout).lines();
    let mut lines = Vec::new();
    while let Some(line) = reader.next_line().await? {
        lines.push(line);
    }
    let status = child.wait().await?;
    Ok(StepOutput { name: step.name.clone(), lines, success: status.success() })
}

pub async fn changed_files(repo: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let out = tokio::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["diff", "--name-only", "HEAD~1"])
        .output()
        .await?;
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect())
}
