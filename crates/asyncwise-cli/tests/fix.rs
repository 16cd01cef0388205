//! `--fix` and `--diff` end to end: the fixture crate in `tests/fix/service` is fixed in a copy,
//! compared with `tests/fix/lib.fixed.rs`, fixed again without change, and compiled.

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fix")
}

/// A copy of the fixture crate in a temporary directory.
fn copy_service() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = fixture().join("service");
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    for rel in ["Cargo.toml", "src/lib.rs"] {
        std::fs::copy(from.join(rel), dir.path().join(rel)).unwrap();
    }
    dir
}

/// Runs `asyncwise check ARGS` in `dir`: (exit code, stdout, stderr).
fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = cargo_bin_cmd!("asyncwise")
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn fix_rewrites_what_is_certain_and_is_idempotent() {
    let dir = copy_service();
    let lib = dir.path().join("src/lib.rs");
    let original = std::fs::read_to_string(&lib).unwrap();

    let (code, diff, stderr) = check(dir.path(), &["--diff"]);
    assert_eq!(code, 1, "a diff exits 1: {stderr}");
    assert!(
        diff.starts_with("--- a/src/lib.rs\n+++ b/src/lib.rs\n"),
        "{diff}"
    );
    assert!(
        stderr.contains("3 findings can be fixed in 1 file"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&lib).unwrap(),
        original,
        "--diff writes nothing"
    );

    let (code, stdout, stderr) = check(dir.path(), &["--fix", "--format", "json"]);
    assert!(stderr.contains("fixed 3 findings in 1 file"), "{stderr}");
    // What has no certain rewrite is still reported.
    assert_eq!(code, 1);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let left: Vec<_> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        left,
        ["`std::fs::read_dir` blocks the thread inside async code"]
    );

    let fixed = std::fs::read_to_string(&lib).unwrap();
    let expected_path = fixture().join("lib.fixed.rs");
    if std::env::var_os("ASYNCWISE_BLESS").is_some() {
        std::fs::write(&expected_path, &fixed).unwrap();
    }
    assert_eq!(fixed, std::fs::read_to_string(expected_path).unwrap());

    // A second run finds nothing more to fix and changes nothing.
    let (_, _, stderr) = check(dir.path(), &["--fix"]);
    assert!(stderr.contains("fixed 0 findings in 0 files"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), fixed);
    let (code, diff, _) = check(dir.path(), &["--diff"]);
    assert_eq!((code, diff.as_str()), (0, ""));

    // The fixed crate compiles. This workspace's lock file pins the same tokio, so nothing is
    // downloaded; its own target directory keeps the build out of ours.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::copy(workspace.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(dir.path())
        .args(["check", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", workspace.join("target/fix-check"))
        .status()
        .unwrap();
    assert!(status.success(), "the fixed crate must compile");
}

#[test]
fn nothing_is_rewritten_to_a_tokio_api_the_package_does_not_have() {
    for tokio in [
        "tokio = { version = \"1\", features = [\"rt\"] }\n",
        "async-std = \"1\"\n",
    ] {
        let dir = copy_service();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            format!("[package]\nname = \"x\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{tokio}"),
        )
        .unwrap();
        let (code, diff, stderr) = check(dir.path(), &["--diff"]);
        assert_eq!((code, diff.as_str()), (0, ""), "{tokio}: {stderr}");
    }
}

#[test]
fn the_time_feature_alone_allows_only_the_sleep_rewrite() {
    let dir = copy_service();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { workspace = true, features = [\"rt\"] }\n",
    )
    .unwrap();
    // Inherited from a workspace entry, whose features count too.
    let ws = dir.path().join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let member = ws.join("member");
    std::fs::create_dir_all(member.join("src")).unwrap();
    std::fs::rename(dir.path().join("Cargo.toml"), member.join("Cargo.toml")).unwrap();
    std::fs::rename(dir.path().join("src/lib.rs"), member.join("src/lib.rs")).unwrap();
    std::fs::write(
        ws.join("Cargo.toml"),
        "[workspace]\nmembers = [\"member\"]\n\n[workspace.dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n",
    )
    .unwrap();
    let (code, diff, _) = check(&ws, &["--diff"]);
    assert_eq!(code, 1);
    let added: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(
        added,
        ["+                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;"]
    );
}
