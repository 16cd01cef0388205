//! Findings reported through a sync helper of the crate: async code of several functions that
//! calls one blocking helper is one fix (the helper's), so the command line reports it once;
//! and a suppression written at the helper covers every async caller.

use std::path::Path;

use asyncwise_lint::diagnostic::Diagnostic;
use asyncwise_lint::{CheckOptions, check_paths, repeats};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("create dirs");
    std::fs::write(path, text).expect("write file");
}

/// A library package `svc` whose `run.rs` holds a sync helper that waits on a child process,
/// called from async code in `install.rs` (twice in one function, once in another) and in
/// `verify.rs`; `helper_head` is written just above the helper.
fn package(helper_head: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    write(
        root,
        "src/lib.rs",
        "pub mod install;\npub mod run;\npub mod verify;\n",
    );
    write(
        root,
        "src/run.rs",
        &format!(
            "pub struct Runner;\n\nimpl Runner {{\n{helper_head}    pub fn execute(&self, program: &str) -> std::io::Result<()> {{\n        std::process::Command::new(program).status()?;\n        Ok(())\n    }}\n}}\n"
        ),
    );
    write(
        root,
        "src/install.rs",
        "use crate::run::Runner;\n\n\
         pub async fn install(runner: &Runner) -> std::io::Result<()> {\n    \
             runner.execute(\"configure\")?;\n    \
             runner.execute(\"make\")?;\n    \
             Ok(())\n}\n\n\
         pub async fn uninstall(runner: &Runner) -> std::io::Result<()> {\n    \
             runner.execute(\"rm\")\n}\n",
    );
    write(
        root,
        "src/verify.rs",
        "use crate::run::Runner;\n\n\
         pub async fn verify(runner: &Runner) -> std::io::Result<()> {\n    \
             runner.execute(\"version\")\n}\n",
    );
    dir
}

fn blocking(found: &[Diagnostic]) -> Vec<&Diagnostic> {
    found
        .iter()
        .filter(|d| d.rule == "blocking_in_async")
        .collect()
}

fn file_line(d: &Diagnostic) -> (String, usize) {
    let file = d
        .path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default()
        .to_string();
    (file, d.span.start.line)
}

#[test]
fn every_async_call_of_the_helper_is_found_and_names_it() {
    let dir = package("");
    let report = check_paths(&[dir.path().to_path_buf()], &CheckOptions::everything());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let found = blocking(&report.diagnostics);
    let places: Vec<_> = found.iter().map(|d| file_line(d)).collect();
    assert_eq!(
        places,
        vec![
            ("install.rs".to_string(), 4),
            ("install.rs".to_string(), 5),
            ("install.rs".to_string(), 10),
            ("verify.rs".to_string(), 4),
        ]
    );
    for d in found {
        let through = d.through.as_ref().expect("reported through the helper");
        assert_eq!(through.helper, "crate::run::Runner::execute");
        assert!(through.helper_path.ends_with("src/run.rs"));
        assert_eq!(through.steps.len(), 1);
        assert_eq!(through.steps[0].1, 5, "the status() call inside the helper");
    }
}

#[test]
fn calls_of_one_helper_from_several_functions_are_one_finding() {
    let dir = package("");
    let report = check_paths(&[dir.path().to_path_buf()], &CheckOptions::everything());
    let grouped = repeats::group(report.diagnostics);
    let found = blocking(&grouped);
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = found[0];
    assert_eq!(file_line(d), ("install.rs".to_string(), 4));
    assert!(
        d.message
            .ends_with("(and 3 more calls of `Runner::execute` from async code)"),
        "{}",
        d.message
    );
    // The repeats are the last notes: each at its call, the one in another file with its path.
    let repeats: Vec<_> = d.notes[d.notes.len() - 3..]
        .iter()
        .map(|n| {
            (
                n.path
                    .as_deref()
                    .and_then(|p| p.file_name())
                    .and_then(|f| f.to_str())
                    .map(str::to_owned),
                n.span.map(|s| s.start.line),
                n.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        repeats,
        vec![
            (
                None,
                Some(5),
                "`install` calls `Runner::execute` from async code too".to_string()
            ),
            (
                None,
                Some(10),
                "`uninstall` calls `Runner::execute` from async code too".to_string()
            ),
            (
                Some("verify.rs".to_string()),
                Some(4),
                "`verify` calls `Runner::execute` from async code too".to_string()
            ),
        ]
    );
}

#[test]
fn a_helper_only_one_function_calls_is_grouped_by_that_function() {
    let dir = package("");
    std::fs::remove_file(dir.path().join("src/verify.rs")).expect("remove");
    write(dir.path(), "src/lib.rs", "pub mod install;\npub mod run;\n");
    write(
        dir.path(),
        "src/install.rs",
        "use crate::run::Runner;\n\n\
         pub async fn install(runner: &Runner) -> std::io::Result<()> {\n    \
             runner.execute(\"configure\")?;\n    \
             runner.execute(\"make\")?;\n    \
             Ok(())\n}\n",
    );
    let report = check_paths(&[dir.path().to_path_buf()], &CheckOptions::everything());
    let grouped = repeats::group(report.diagnostics);
    let found = blocking(&grouped);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0]
            .message
            .ends_with("(and 1 more blocking call in `install`)"),
        "{}",
        found[0].message
    );
}

#[test]
fn a_suppression_over_the_helper_covers_every_async_caller() {
    let dir = package(
        "    // asyncwise: allow(blocking_in_async) -- runs build tools; the runtime has a worker per job\n",
    );
    let report = check_paths(&[dir.path().to_path_buf()], &CheckOptions::everything());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let rules: Vec<_> = report.diagnostics.iter().map(|d| d.rule).collect();
    assert!(
        !rules.contains(&"blocking_in_async"),
        "every caller is covered: {:#?}",
        report.diagnostics
    );
    assert!(
        !rules.contains(&"unused_suppression"),
        "the suppression is used: {:#?}",
        report.diagnostics
    );
}

#[test]
fn a_suppression_on_the_blocking_line_of_the_helper_covers_its_callers() {
    let dir = package("");
    let run = std::fs::read_to_string(dir.path().join("src/run.rs")).expect("read");
    write(
        dir.path(),
        "src/run.rs",
        &run.replace(
            ".status()?;",
            ".status()?; // asyncwise: allow(blocking_in_async) -- short tool runs",
        ),
    );
    let report = check_paths(&[dir.path().to_path_buf()], &CheckOptions::everything());
    let rules: Vec<_> = report.diagnostics.iter().map(|d| d.rule).collect();
    assert!(!rules.contains(&"blocking_in_async"), "{rules:?}");
    assert!(!rules.contains(&"unused_suppression"), "{rules:?}");
}

#[test]
fn a_suppression_of_another_rule_at_the_helper_covers_nothing() {
    let dir = package("    // asyncwise: allow(detached_task) -- wrong rule\n");
    let report = check_paths(&[dir.path().to_path_buf()], &CheckOptions::everything());
    let found = blocking(&report.diagnostics);
    assert_eq!(found.len(), 4);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.rule == "unused_suppression")
    );
}
