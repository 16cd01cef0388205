//! Drives the binary.

mod common;

use std::process::Command;

#[test]
fn usage_without_a_host() {
    let out = Command::new(env!("CARGO_BIN_EXE_deploy-tool")).output().unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn fails_cleanly_on_an_unknown_host() {
    let repo = common::scratch_repo("deploy-tool-unknown-host"); // @helper //~ blocking_in_async
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_deploy-tool"))
        .arg("no-such-host.invalid")
        .current_dir(&repo)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn prints_usage_to_stderr() {
    let out = Command::new(env!("CARGO_BIN_EXE_deploy-tool")).output().unwrap(); //~ blocking_in_async
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
}

#[test]
fn scratch_repo_has_a_commit() {
    let repo = common::scratch_repo("deploy-tool-scratch"); // @helper
    assert!(repo.join(".git").is_dir());
}
