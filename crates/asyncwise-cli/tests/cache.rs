//! The cache from the command line: where it goes, `--cache-dir`, `--no-cache`, and that a
//! cached run prints what an uncached one does.

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;

fn write(dir: &Path, rel: &str, contents: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
    std::fs::write(path, contents).expect("write");
}

/// A workspace with one member whose helper blocks.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\"]\nresolver = \"3\"\n",
    );
    write(
        dir.path(),
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    write(
        dir.path(),
        "app/src/lib.rs",
        "mod io;\n\npub async fn serve() {\n    io::load();\n}\n",
    );
    write(
        dir.path(),
        "app/src/io.rs",
        "pub fn load() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
    );
    dir
}

/// Runs `asyncwise check ARGS` in `dir`: (exit code, stdout, stderr).
fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = cargo_bin_cmd!("asyncwise")
        .current_dir(dir)
        .arg("check")
        .args(args)
        .arg("--color")
        .arg("never")
        .output()
        .expect("runs");
    (
        output.status.code().expect("exited normally"),
        String::from_utf8(output.stdout).expect("UTF-8"),
        String::from_utf8(output.stderr).expect("UTF-8"),
    )
}

#[test]
fn the_cache_goes_to_the_workspace_root_and_changes_nothing_printed() {
    let dir = workspace();
    let member = dir.path().join("app");
    let uncached = check(&member, &["--no-cache"]);
    assert_eq!(uncached.0, 1, "{uncached:?}");
    assert!(uncached.1.contains("blocking_in_async"), "{uncached:?}");
    let cold = check(&member, &[]);
    let warm = check(&member, &[]);
    assert_eq!(cold, uncached);
    assert_eq!(warm, uncached);
    let cache = dir.path().join(".asyncwise_cache");
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore")).expect("a .gitignore"),
        "# Created by asyncwise.\n*\n"
    );
    // One package file, and the directory of crate-pass records.
    let package_files = std::fs::read_dir(cache.join("v3"))
        .expect("v3")
        .filter(|entry| entry.as_ref().is_ok_and(|e| e.path().is_file()))
        .count();
    assert_eq!(package_files, 1);
    assert!(cache.join("v3").join("crates").is_dir());
    assert!(!member.join(".asyncwise_cache").exists());
}

#[test]
fn no_cache_writes_nothing_and_cache_dir_is_honoured() {
    let dir = workspace();
    check(dir.path(), &["--no-cache"]);
    let mut left: Vec<String> = walk(dir.path());
    left.sort();
    assert_eq!(
        left,
        [
            "Cargo.toml",
            "app/Cargo.toml",
            "app/src/io.rs",
            "app/src/lib.rs"
        ]
    );
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let target = elsewhere.path().join("c");
    let target_arg = target.to_string_lossy().into_owned();
    let (code, _, stderr) = check(dir.path(), &["--cache-dir", &target_arg]);
    assert_eq!(code, 1, "{stderr}");
    assert!(target.join("v3").is_dir());
    assert!(!dir.path().join(".asyncwise_cache").exists());
    let (code, _, stderr) = check(dir.path(), &["--cache-dir", &target_arg, "--no-cache"]);
    assert_eq!(code, 2, "the two options conflict: {stderr}");
}

#[test]
fn an_unwritable_cache_is_one_warning() {
    let dir = workspace();
    let blocker = dir.path().join("blocker");
    write(dir.path(), "blocker", "a file, not a directory");
    let blocked = blocker.join("cache").to_string_lossy().into_owned();
    let (code, stdout, stderr) = check(dir.path(), &["--cache-dir", &blocked]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("blocking_in_async"));
    assert_eq!(
        stderr
            .matches("warning: could not create the cache")
            .count(),
        1,
        "{stderr}"
    );
}

/// Every file under `dir`, relative to it.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("inside");
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out
}

/// The cache's one package file (there is one package).
fn package_file(workspace: &Path) -> std::path::PathBuf {
    let mut files: Vec<_> = std::fs::read_dir(workspace.join(".asyncwise_cache/v3"))
        .expect("v3")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_file())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.remove(0)
}

#[test]
fn a_run_that_changes_nothing_leaves_the_cache_file_untouched() {
    let dir = workspace();
    let member = dir.path().join("app");
    let uncached = check(&member, &["--no-cache"]);
    check(&member, &[]);
    // Stamps are trusted only once the files have been unchanged for the racy window; the run
    // after it records them, and from then on a run with no edit has nothing to write.
    std::thread::sleep(asyncwise_lint::cache::RACY_WINDOW + std::time::Duration::from_millis(500));
    assert_eq!(check(&member, &[]), uncached);
    let file = package_file(dir.path());
    let before = (
        std::fs::read(&file).expect("read"),
        std::fs::metadata(&file)
            .expect("stat")
            .modified()
            .expect("mtime"),
    );
    assert_eq!(check(&member, &[]), uncached);
    let after = (
        std::fs::read(&file).expect("read"),
        std::fs::metadata(&file)
            .expect("stat")
            .modified()
            .expect("mtime"),
    );
    assert!(
        before == after,
        "the cache file was rewritten by a run that changed nothing"
    );
    // The next run after an edit is still right: the helper no longer blocks, so the
    // cross-file finding in lib.rs goes.
    write(&member, "src/io.rs", "pub fn load() {}\n");
    let edited = check(&member, &[]);
    assert_eq!(edited, check(&member, &["--no-cache"]));
    assert!(!edited.1.contains("blocking_in_async"), "{edited:?}");
}
