//! The crate pass: facts declared in one file decide findings in another — a struct's field
//! types (locks and receivers used through `state.field`) and the return types of spawned
//! async fns.

use std::path::{Path, PathBuf};

use asyncwise_lint::{CheckOptions, check_paths};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("create dirs");
    std::fs::write(path, text).expect("write file");
}

/// A temporary package named `svc` (just its `Cargo.toml`).
fn new_package() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    dir
}

/// A package whose state struct lives in `state.rs` and is used by `handlers.rs` and `main.rs`.
fn package() -> tempfile::TempDir {
    let dir = new_package();
    let root = dir.path();
    write(
        root,
        "src/state.rs",
        r#"
use std::cell::RefCell;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

pub struct AppState {
    pub cache: Arc<parking_lot::Mutex<Vec<String>>>,
    pub index: tokio::sync::RwLock<Vec<u64>>,
    pub jobs: Receiver<Job>,
    pub hits: RefCell<u64>,
}
"#,
    );
    write(
        root,
        "src/handlers.rs",
        r#"
use crate::state::AppState;

pub async fn remember(state: &AppState, name: String, db: &Db) {
    let mut cache = state.cache.lock();
    cache.push(name);
    db.flush().await;
}

pub async fn reindex(state: &AppState, db: &Db) {
    let mut index = state.index.write().await;
    index.clear();
    db.flush().await;
}

pub async fn next_job(state: &AppState) -> Option<Job> {
    state.jobs.recv().ok()
}

pub fn next_job_blocking(state: &AppState) -> Option<Job> {
    state.jobs.recv().ok()
}

pub async fn count(state: &AppState, db: &Db) {
    *state.hits.borrow_mut() += 1;
    db.flush().await;
}
"#,
    );
    write(
        root,
        "src/main.rs",
        r#"
mod handlers;
mod state;
mod worker;

#[tokio::main]
async fn main() {
    tokio::spawn(worker::run());
    tokio::spawn(worker::idle());
}
"#,
    );
    write(
        root,
        "src/worker.rs",
        r#"
pub async fn run() -> anyhow::Result<()> {
    tokio::fs::create_dir_all("/var/lib/worker").await?;
    Ok(())
}

pub async fn idle() {}
"#,
    );
    dir
}

fn findings(paths: &[PathBuf]) -> Vec<(String, usize, &'static str)> {
    let report = check_paths(paths, &CheckOptions::everything());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
        .diagnostics
        .iter()
        .map(|d| {
            let file = d
                .path
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or_default()
                .to_string();
            (file, d.span.start.line, d.rule)
        })
        .collect()
}

#[test]
fn field_types_and_return_types_come_from_other_files() {
    let dir = package();
    let found = findings(&[dir.path().to_path_buf()]);
    assert_eq!(
        found,
        vec![
            ("handlers.rs".to_string(), 5, "lock_across_await"),
            ("handlers.rs".to_string(), 17, "blocking_in_async"),
            ("main.rs".to_string(), 8, "detached_task"),
        ],
        "parking_lot guard across an await, std receiver in async code, spawned Result-returning fn; \
         not the tokio lock, not the sync fn, not `idle`, not the RefCell temporary"
    );
}

#[test]
fn naming_one_file_gives_it_the_verdicts_of_a_full_run() {
    // A pre-commit hook passes the changed file only: the types declared in the package's other
    // files still count (as `cargo clippy` sees the whole crate), and only that file is reported.
    let dir = package();
    let found = findings(&[dir.path().join("src/handlers.rs")]);
    assert_eq!(
        found,
        vec![
            ("handlers.rs".to_string(), 5, "lock_across_await"),
            ("handlers.rs".to_string(), 17, "blocking_in_async"),
        ]
    );
}

#[test]
fn outside_a_package_nothing_is_guessed() {
    // Without a manifest there is no package to complete: types declared in files that were
    // not checked are unknown.
    let dir = package();
    std::fs::remove_file(dir.path().join("Cargo.toml")).expect("remove manifest");
    let found = findings(&[dir.path().join("src/handlers.rs")]);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn examples_are_separate_crates() {
    let dir = new_package();
    let root = dir.path();
    write(
        root,
        "src/lib.rs",
        "pub async fn serve() -> std::io::Result<()> { tokio::fs::metadata(\"/srv\").await?; Ok(()) }\n",
    );
    // `echo` spawns `handle`, defined in the same package only by another example.
    write(
        root,
        "examples/echo.rs",
        "fn main() {\n    tokio::spawn(helpers::handle());\n    tokio::spawn(svc::serve());\n}\n",
    );
    write(
        root,
        "examples/other.rs",
        "pub mod helpers {}\nasync fn handle() -> std::io::Result<()> { tokio::fs::metadata(\"/srv\").await?; Ok(()) }\n",
    );
    let found = findings(&[root.to_path_buf()]);
    assert_eq!(
        found,
        vec![("echo.rs".to_string(), 3, "detached_task")],
        "the library's `serve` is visible to every example; another example's `handle` is not"
    );
}

/// Overlays (an editor's unsaved buffers) stand in for files on disk, through the cache, and
/// a named overlay that is not on disk yet is checked like a file.
#[test]
fn overlays_replace_the_text_on_disk() {
    let dir = new_package();
    let root = dir.path();
    let helper = "pub fn load() -> String {\n    String::new()\n}\n";
    write(root, "src/helpers.rs", helper);
    let lib = root.join("src/lib.rs");
    let lib_text = "mod helpers;\n\npub async fn handler() -> String {\n    helpers::load()\n}\n";
    // A wait (not filesystem work, which a library's async fn reports only on a per-event path).
    let blocking =
        "pub fn load() -> String {\n    std::thread::sleep(d());\n    String::new()\n}\n";
    let cache = tempfile::tempdir().expect("temp dir");
    let run = |helper_text: &str| {
        let overlays = [
            (lib.clone(), lib_text.into()),
            (root.join("src/helpers.rs"), helper_text.into()),
        ];
        let options = CheckOptions {
            cache: Some(cache.path().to_path_buf()),
            overlays: std::sync::Arc::new(overlays.into_iter().collect()),
            ..CheckOptions::default()
        };
        let report = check_paths(std::slice::from_ref(&lib), &options);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.span.start.line))
            .collect();
        (found, report.cache)
    };
    // lib.rs exists only as an overlay; helpers.rs's overlay blocks, its file does not.
    let (found, _) = run(blocking);
    assert_eq!(found, [("blocking_in_async", 4)]);
    let (found, _) = run(helper);
    assert_eq!(found, []);
    // The cache keeps each file's last text: an unchanged second run is answered from it,
    // an edited overlay is analysed again.
    let (found, stats) = run(helper);
    assert_eq!((found, stats.hits, stats.misses), (vec![], 2, 0));
    let (found, stats) = run(blocking);
    assert_eq!(found, [("blocking_in_async", 4)]);
    assert_eq!((stats.hits, stats.misses), (1, 1));
    assert!(
        !lib.exists()
            && std::fs::read_to_string(root.join("src/helpers.rs")).expect("read") == helper
    );
}

#[test]
fn a_file_with_only_crate_level_findings_comes_with_its_text_and_outline() {
    // `server.rs` has no finding of its own: its text is not kept through the run, only its
    // async-context calls, and it is read again once the crate pass reports in it.
    let dir = new_package();
    let root = dir.path();
    write(root, "src/lib.rs", "pub mod helper;\npub mod server;\n");
    write(
        root,
        "src/helper.rs",
        "pub fn load_peers() -> Vec<String> {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n    Vec::new()\n}\n",
    );
    write(
        root,
        "src/server.rs",
        "pub async fn refresh() {\n    let peers = crate::helper::load_peers();\n    drop(peers);\n}\n",
    );
    let report = check_paths(&[root.to_path_buf()], &CheckOptions::everything());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let server = root.join("src/server.rs");
    let in_server: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.path == server)
        .map(|d| (d.rule, d.span.start.line))
        .collect();
    assert_eq!(in_server, vec![("blocking_in_async", 2)]);
    assert!(report.sources[&server].contains("load_peers"));
    assert!(
        report.outlines[&server]
            .items
            .iter()
            .any(|i| i.name == "refresh")
    );
}
