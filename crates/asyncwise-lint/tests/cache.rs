//! The incremental cache: a second run reuses unchanged files' results and gives the same
//! report as an uncached run, including after edits whose effect shows in other files.

use std::path::{Path, PathBuf};

use asyncwise_lint::levels::Levels;
use asyncwise_lint::{CheckOptions, CheckReport, check_paths};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("create dirs");
    std::fs::write(path, text).expect("write file");
}

/// A library package `svc`: `helper.rs` and `state.rs` declare what `server.rs` uses.
fn package() -> tempfile::TempDir {
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
        "pub mod helper;\npub mod server;\npub mod state;\n",
    );
    write(
        root,
        "src/helper.rs",
        "pub fn load_peers() -> Vec<String> {\n    Vec::new()\n}\n",
    );
    write(
        root,
        "src/state.rs",
        "pub struct AppState {\n    pub peers: tokio::sync::Mutex<Vec<String>>,\n}\n",
    );
    write(
        root,
        "src/server.rs",
        r#"use crate::state::AppState;

pub async fn refresh(state: &AppState) {
    let peers = crate::helper::load_peers();
    for peer in peers {
        tokio::spawn(async move { drop(peer) });
    }
    // A guard only if the field's type is a synchronous lock.
    let mut list = state.peers.lock();
    list.clear();
    announce().await;
}

async fn announce() {}
"#,
    );
    dir
}

fn options(cache: Option<PathBuf>) -> CheckOptions {
    CheckOptions {
        levels: Levels::everything(),
        cache,
        ..CheckOptions::default()
    }
}

/// (rule, file name, line) of every finding.
fn findings(report: &CheckReport) -> Vec<(&'static str, String, usize)> {
    report
        .diagnostics
        .iter()
        .map(|d| {
            let file = d.path.file_name().map(|n| n.to_string_lossy().into_owned());
            (d.rule, file.unwrap_or_default(), d.span.start.line)
        })
        .collect()
}

/// Runs cached, checks the report against an uncached run's, and returns it.
fn cached_run(root: &Path, cache: &Path) -> CheckReport {
    let paths = [root.to_path_buf()];
    let cached = check_paths(&paths, &options(Some(cache.to_path_buf())));
    let fresh = check_paths(&paths, &options(None));
    assert_eq!(cached.diagnostics, fresh.diagnostics);
    assert_eq!(cached.errors, fresh.errors);
    assert_eq!(cached.skipped, fresh.skipped);
    assert_eq!(cached.files_checked, fresh.files_checked);
    // What the report shows around findings too: item outlines (suppression scopes,
    // fingerprints; kept in the cache for files with findings) and texts.
    assert_eq!(cached.outlines, fresh.outlines);
    assert_eq!(cached.sources, fresh.sources);
    assert!(cached.warnings.is_empty(), "{:?}", cached.warnings);
    cached
}

#[test]
fn unchanged_files_come_from_the_cache() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    let first = cached_run(dir.path(), cache.path());
    assert_eq!((first.cache.hits, first.cache.misses), (0, 4));
    let second = cached_run(dir.path(), cache.path());
    assert_eq!((second.cache.hits, second.cache.misses), (4, 0));
    assert_eq!(findings(&first), findings(&second));
    // Findings of a file's own come with its outline, from the cache on the second run.
    assert!(!second.diagnostics.is_empty() && !second.outlines.is_empty());
    assert!(cache.path().join(".gitignore").is_file());
    assert_eq!(
        std::fs::read_to_string(cache.path().join(".gitignore")).expect("read"),
        "# Created by asyncwise.\n*\n"
    );
}

#[test]
fn a_helper_that_starts_blocking_is_reported_in_its_caller() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    let before = cached_run(dir.path(), cache.path());
    assert!(
        !findings(&before)
            .iter()
            .any(|(rule, _, _)| *rule == "blocking_in_async"),
        "{:?}",
        findings(&before)
    );
    write(
        dir.path(),
        "src/helper.rs",
        "pub fn load_peers() -> Vec<String> {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n    Vec::new()\n}\n",
    );
    let after = cached_run(dir.path(), cache.path());
    assert_eq!((after.cache.hits, after.cache.misses), (3, 1));
    assert!(
        findings(&after).contains(&("blocking_in_async", "server.rs".into(), 4)),
        "{:?}",
        findings(&after)
    );
    // The caller's text and outline are there for snippets and baseline fingerprints, though
    // the file itself came from the cache.
    let server = dir.path().join("src/server.rs");
    assert!(after.sources[&server].contains("load_peers"));
    assert!(
        after.outlines[&server]
            .items
            .iter()
            .any(|i| i.name == "refresh")
    );
    // And back: the finding goes away again.
    write(
        dir.path(),
        "src/helper.rs",
        "pub fn load_peers() -> Vec<String> {\n    Vec::new()\n}\n",
    );
    let reverted = cached_run(dir.path(), cache.path());
    assert_eq!(findings(&reverted), findings(&before));
}

#[test]
fn a_field_that_becomes_a_std_mutex_is_reported_where_it_is_held() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    let before = cached_run(dir.path(), cache.path());
    assert!(
        !findings(&before)
            .iter()
            .any(|(rule, _, _)| *rule == "lock_across_await"),
        "{:?}",
        findings(&before)
    );
    write(
        dir.path(),
        "src/state.rs",
        "pub struct AppState {\n    pub peers: std::sync::Mutex<Vec<String>>,\n}\n",
    );
    let after = cached_run(dir.path(), cache.path());
    assert_eq!((after.cache.hits, after.cache.misses), (3, 1));
    assert!(
        findings(&after).contains(&("lock_across_await", "server.rs".into(), 9)),
        "{:?}",
        findings(&after)
    );
}

#[test]
fn an_edit_of_the_file_itself_is_reported() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    cached_run(dir.path(), cache.path());
    write(
        dir.path(),
        "src/helper.rs",
        "pub async fn load_peers() -> Vec<String> {\n    std::fs::read_to_string(\"peers\").ok();\n    Vec::new()\n}\n",
    );
    let after = cached_run(dir.path(), cache.path());
    assert!(
        findings(&after).contains(&("blocking_in_async", "helper.rs".into(), 2)),
        "{:?}",
        findings(&after)
    );
}

#[test]
fn corrupt_entries_are_ignored_and_rewritten() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    let first = cached_run(dir.path(), cache.path());
    let files: Vec<PathBuf> = std::fs::read_dir(cache.path().join("v3"))
        .expect("cache layout")
        .map(|e| e.expect("entry"))
        // (Package files; the crate-pass records are in a directory of their own.)
        .filter(|e| e.path().is_file())
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1);
    // Flip bytes in the middle of the entries: the checksum no longer matches, and the run
    // analyses every file again.
    let mut data = std::fs::read(&files[0]).expect("read");
    let middle = data.len() / 2;
    for byte in &mut data[middle..middle + 16] {
        *byte ^= 0xa5;
    }
    std::fs::write(&files[0], &data).expect("write");
    let second = cached_run(dir.path(), cache.path());
    assert_eq!(findings(&first), findings(&second));
    assert_eq!((second.cache.hits, second.cache.misses), (0, 4));
    // Garbage of another kind entirely.
    std::fs::write(&files[0], b"not a cache file").expect("write");
    let third = cached_run(dir.path(), cache.path());
    assert_eq!((third.cache.hits, third.cache.misses), (0, 4));
    let fourth = cached_run(dir.path(), cache.path());
    assert_eq!((fourth.cache.hits, fourth.cache.misses), (4, 0));
}

#[test]
fn deleted_files_leave_the_cache() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    cached_run(dir.path(), cache.path());
    let file = std::fs::read_dir(cache.path().join("v3"))
        .expect("cache layout")
        .map(|e| e.expect("entry"))
        // (Package files; the crate-pass records are in a directory of their own.)
        .filter(|e| e.path().is_file())
        .map(|e| e.path())
        .next()
        .expect("a package file");
    let full = std::fs::metadata(&file).expect("stat").len();
    write(
        dir.path(),
        "src/lib.rs",
        "pub mod helper;\npub mod server;\n",
    );
    std::fs::remove_file(dir.path().join("src/state.rs")).expect("remove");
    let after = cached_run(dir.path(), cache.path());
    assert_eq!((after.cache.hits, after.cache.misses), (2, 1));
    assert!(std::fs::metadata(&file).expect("stat").len() < full);
}

#[test]
fn an_unusable_cache_directory_is_a_warning_not_a_failure() {
    let dir = package();
    let blocker = tempfile::NamedTempFile::new().expect("temp file");
    // A regular file where the directory should be: it cannot be created.
    let report = check_paths(
        &[dir.path().to_path_buf()],
        &options(Some(blocker.path().join("cache"))),
    );
    let fresh = check_paths(&[dir.path().to_path_buf()], &options(None));
    assert_eq!(report.diagnostics, fresh.diagnostics);
    assert!(report.errors.is_empty());
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("without the cache"));
    assert_eq!(report.cache, Default::default());
}

#[test]
fn concurrent_runs_share_a_cache() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    let paths = [dir.path().to_path_buf()];
    let fresh = check_paths(&paths, &options(None));
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    (0..5)
                        .map(|_| check_paths(&paths, &options(Some(cache.path().to_path_buf()))))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for run in runs {
            for report in run.join().expect("no panic") {
                assert_eq!(report.diagnostics, fresh.diagnostics);
                assert!(report.warnings.is_empty(), "{:?}", report.warnings);
            }
        }
    });
    // No temporary file is left behind, and the last writer's file is whole.
    let names: Vec<String> = std::fs::read_dir(cache.path().join("v3"))
        .expect("cache layout")
        .map(|e| e.expect("entry"))
        // (Package files; the crate-pass records are in a directory of their own.)
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let last = check_paths(&paths, &options(Some(cache.path().to_path_buf())));
    assert_eq!((last.cache.hits, last.cache.misses), (4, 0));
}

/// Sets a file's modification time (to make an edit look as old as the text it replaced).
fn set_modified(path: &Path, time: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open")
        .set_modified(time)
        .expect("set mtime");
}

fn modified(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .expect("stat")
        .modified()
        .expect("mtime")
}

const BLOCKING: &str = "pub async fn pause() {\n    std::thread::sleep(D);\n}\nconst D: std::time::Duration = std::time::Duration::from_millis(1);\n";
/// The same length as [`BLOCKING`], without the blocking call.
const ASYNC: &str = "pub async fn pause() {\n    tokio::time::sleep(D);\n}\nconst D: std::time::Duration = std::time::Duration::from_millis(1);\n";

fn blocks_in_pause(report: &CheckReport) -> bool {
    findings(report)
        .iter()
        .any(|(rule, file, _)| *rule == "blocking_in_async" && file == "pause.rs")
}

#[test]
fn an_edit_that_keeps_size_and_time_right_after_a_run_is_seen() {
    assert_eq!(BLOCKING.len(), ASYNC.len());
    let dir = package();
    write(dir.path(), "src/pause.rs", BLOCKING);
    let cache = tempfile::tempdir().expect("temp dir");
    let pause = dir.path().join("src/pause.rs");
    let before = cached_run(dir.path(), cache.path());
    assert!(blocks_in_pause(&before));
    // Same size, same modification time, moments after the run recorded the file: only its
    // text tells, and the cache must read it.
    let time = modified(&pause);
    write(dir.path(), "src/pause.rs", ASYNC);
    set_modified(&pause, time);
    let after = cached_run(dir.path(), cache.path());
    assert!(!blocks_in_pause(&after), "{:?}", findings(&after));
    assert_eq!(after.cache.unread, 0, "recent files are always read");
    assert_eq!((after.cache.hits, after.cache.misses), (4, 1));
}

#[test]
fn an_edit_then_a_revert_is_seen() {
    let dir = package();
    write(dir.path(), "src/pause.rs", ASYNC);
    let pause = dir.path().join("src/pause.rs");
    let time = modified(&pause);
    let cache = tempfile::tempdir().expect("temp dir");
    assert!(!blocks_in_pause(&cached_run(dir.path(), cache.path())));
    write(dir.path(), "src/pause.rs", BLOCKING);
    assert!(blocks_in_pause(&cached_run(dir.path(), cache.path())));
    // Back to the first text, and to its time.
    write(dir.path(), "src/pause.rs", ASYNC);
    set_modified(&pause, time);
    let reverted = cached_run(dir.path(), cache.path());
    assert!(!blocks_in_pause(&reverted), "{:?}", findings(&reverted));
}

#[test]
fn files_unchanged_for_a_while_are_not_read_and_an_edit_keeping_size_and_time_is_seen() {
    let dir = package();
    write(dir.path(), "src/pause.rs", BLOCKING);
    let pause = dir.path().join("src/pause.rs");
    // A stamp is trusted once the file has not changed for the racy window: let the files age
    // (the status-change time cannot be set back, only waited out).
    std::thread::sleep(asyncwise_lint::cache::RACY_WINDOW + std::time::Duration::from_millis(300));
    let cache = tempfile::tempdir().expect("temp dir");
    let first = cached_run(dir.path(), cache.path());
    assert!(blocks_in_pause(&first));
    assert_eq!((first.cache.hits, first.cache.misses), (0, 5));
    let second = cached_run(dir.path(), cache.path());
    assert_eq!((second.cache.hits, second.cache.unread), (5, 5));
    assert_eq!(findings(&first), findings(&second));
    // The same size and the same modification time: the status-change time still differs.
    let time = modified(&pause);
    write(dir.path(), "src/pause.rs", ASYNC);
    set_modified(&pause, time);
    let edited = cached_run(dir.path(), cache.path());
    assert!(!blocks_in_pause(&edited), "{:?}", findings(&edited));
    assert_eq!((edited.cache.hits, edited.cache.misses), (4, 1));
    assert_eq!(edited.cache.unread, 4);
}

/// A binary `site`: `config.rs` declares a constructor and the struct it returns, `main.rs`
/// reaches a field of the returned value.
fn site_package(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"site\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(root, "src/config.rs", config);
    write(
        root,
        "src/main.rs",
        r#"mod config;

pub async fn serve(name: &str) -> bool {
    let cfg = config::Settings::load();
    let found = cfg.root.join(name).read_dir().is_ok();
    tokio::task::yield_now().await;
    found
}

fn main() {}
"#,
    );
    dir
}

/// `Settings::load` returns `Self`, whose `root` is a `PathBuf`.
const SETTINGS_RETURNS_SELF: &str = r#"pub struct Settings {
    pub root: std::path::PathBuf,
}

pub struct Listing {
    pub root: Entries,
}

pub struct Entries;

impl Entries {
    pub fn join(&self, _name: &str) -> Entries {
        Entries
    }

    pub fn read_dir(&self) -> Result<(), ()> {
        Ok(())
    }
}

impl Settings {
    pub fn load() -> Self {
        Settings { root: "public".into() }
    }
}
"#;

#[test]
fn a_constructor_whose_return_type_changes_in_another_file_moves_the_finding() {
    let dir = site_package(SETTINGS_RETURNS_SELF);
    let cache = tempfile::tempdir().expect("temp dir");
    let lists_in_serve = ("blocking_in_async", "main.rs".to_string(), 5);
    let before = cached_run(dir.path(), cache.path());
    assert!(
        findings(&before).contains(&lists_in_serve),
        "{:?}",
        findings(&before)
    );
    // Only the declaring file changes: `load` now returns a `Listing`, whose `root` is the
    // crate's own `Entries` (no filesystem).
    write(
        dir.path(),
        "src/config.rs",
        &SETTINGS_RETURNS_SELF.replace(
            "pub fn load() -> Self {\n        Settings { root: \"public\".into() }",
            "pub fn load() -> Listing {\n        Listing { root: Entries }",
        ),
    );
    let after = cached_run(dir.path(), cache.path());
    assert_eq!((after.cache.hits, after.cache.misses), (1, 1));
    assert!(
        !findings(&after).contains(&lists_in_serve),
        "{:?}",
        findings(&after)
    );
    // And back, the caller's file still from the cache.
    write(dir.path(), "src/config.rs", SETTINGS_RETURNS_SELF);
    let reverted = cached_run(dir.path(), cache.path());
    assert_eq!((reverted.cache.hits, reverted.cache.misses), (1, 1));
    assert_eq!(findings(&reverted), findings(&before));
}

#[test]
fn a_field_whose_type_changes_in_another_file_moves_the_finding() {
    let dir = site_package(SETTINGS_RETURNS_SELF);
    let cache = tempfile::tempdir().expect("temp dir");
    let lists_in_serve = ("blocking_in_async", "main.rs".to_string(), 5);
    let before = cached_run(dir.path(), cache.path());
    assert!(findings(&before).contains(&lists_in_serve));
    write(
        dir.path(),
        "src/config.rs",
        &SETTINGS_RETURNS_SELF.replace(
            "pub struct Settings {\n    pub root: std::path::PathBuf,",
            "pub struct Settings {\n    pub root: Entries,",
        ),
    );
    let after = cached_run(dir.path(), cache.path());
    assert_eq!((after.cache.hits, after.cache.misses), (1, 1));
    assert!(
        !findings(&after).contains(&lists_in_serve),
        "{:?}",
        findings(&after)
    );
}

/// The crate-pass record of the package (`DIR/v3/crates/*.bin`).
fn crate_pass_record(cache: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cache.join("v3").join("crates"))
        .expect("crate-pass records")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files.pop().expect("one record")
}

#[test]
fn the_crate_pass_is_reused_only_while_its_inputs_are_the_same() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    let blocking_helper = "pub fn load_peers() -> Vec<String> {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n    Vec::new()\n}\n";
    write(dir.path(), "src/helper.rs", blocking_helper);
    let first = cached_run(dir.path(), cache.path());
    assert_eq!(first.cache.crate_passes_reused, 0);
    let cross_file = ("blocking_in_async", "server.rs".to_string(), 4);
    assert!(
        findings(&first).contains(&cross_file),
        "{:?}",
        findings(&first)
    );
    let second = cached_run(dir.path(), cache.path());
    assert_eq!(second.cache.crate_passes_reused, 1);
    assert_eq!(findings(&second), findings(&first));
    // A comment after the last item: the file is analysed again, its summary is the same, and
    // so is the crate pass's result.
    write(
        dir.path(),
        "src/helper.rs",
        &format!("{blocking_helper}// peers come from the seed list\n"),
    );
    let commented = cached_run(dir.path(), cache.path());
    assert_eq!(
        (commented.cache.misses, commented.cache.crate_passes_reused),
        (1, 1)
    );
    assert_eq!(findings(&commented), findings(&first));
    // The helper stops blocking: its summary changes, the pass runs, the finding goes.
    write(
        dir.path(),
        "src/helper.rs",
        "pub fn load_peers() -> Vec<String> {\n    Vec::new()\n}\n",
    );
    let fixed = cached_run(dir.path(), cache.path());
    assert_eq!(fixed.cache.crate_passes_reused, 0);
    assert!(
        !findings(&fixed).contains(&cross_file),
        "{:?}",
        findings(&fixed)
    );
    // A lock held across an await because another file's field changed type.
    write(
        dir.path(),
        "src/state.rs",
        "pub struct AppState {\n    pub peers: std::sync::Mutex<Vec<String>>,\n}\n",
    );
    let locked = cached_run(dir.path(), cache.path());
    assert_eq!(locked.cache.crate_passes_reused, 0);
    assert!(
        findings(&locked).contains(&("lock_across_await", "server.rs".into(), 9)),
        "{:?}",
        findings(&locked)
    );
    let again = cached_run(dir.path(), cache.path());
    assert_eq!(again.cache.crate_passes_reused, 1);
    assert_eq!(findings(&again), findings(&locked));
}

#[test]
fn a_damaged_crate_pass_record_is_ignored_and_rewritten() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    let first = cached_run(dir.path(), cache.path());
    let record = crate_pass_record(cache.path());
    let mut data = std::fs::read(&record).expect("read");
    let middle = data.len() / 2;
    data[middle] ^= 0xa5;
    std::fs::write(&record, &data).expect("write");
    let second = cached_run(dir.path(), cache.path());
    assert_eq!(second.cache.crate_passes_reused, 0);
    assert_eq!(findings(&second), findings(&first));
    std::fs::write(&record, b"not a record").expect("write");
    let third = cached_run(dir.path(), cache.path());
    assert_eq!(third.cache.crate_passes_reused, 0);
    let fourth = cached_run(dir.path(), cache.path());
    assert_eq!(fourth.cache.crate_passes_reused, 1);
    assert_eq!(findings(&fourth), findings(&first));
}

#[test]
fn an_edit_that_only_moves_code_moves_the_stored_crate_pass_result() {
    let dir = package();
    let cache = tempfile::tempdir().expect("temp dir");
    let blocking_helper = "pub fn load_peers() -> Vec<String> {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n    Vec::new()\n}\n";
    write(dir.path(), "src/helper.rs", blocking_helper);
    let first = cached_run(dir.path(), cache.path());
    let cross_file = ("blocking_in_async", "server.rs".to_string(), 4);
    assert!(
        findings(&first).contains(&cross_file),
        "{:?}",
        findings(&first)
    );
    // Lines added above the caller: the cross-file finding is reported at its new line (every
    // run is checked against an uncached one), from the stored result moved two lines down.
    let server = std::fs::read_to_string(dir.path().join("src/server.rs")).expect("read");
    write(
        dir.path(),
        "src/server.rs",
        &format!("// The refresh loop.\n// (Peers come from the helper.)\n{server}"),
    );
    let moved = cached_run(dir.path(), cache.path());
    assert_eq!(
        (
            moved.cache.misses,
            moved.cache.crate_passes_moved,
            moved.cache.crate_passes_reused
        ),
        (1, 1, 0)
    );
    assert!(
        findings(&moved).contains(&("blocking_in_async", "server.rs".to_string(), 6)),
        "{:?}",
        findings(&moved)
    );
    // The moved result was stored under the new inputs' key.
    let again = cached_run(dir.path(), cache.path());
    assert_eq!(
        (
            again.cache.crate_passes_moved,
            again.cache.crate_passes_reused
        ),
        (0, 1)
    );
    // A line added in the middle of the helper moves the blocking call its note points at, not
    // the finding.
    write(
        dir.path(),
        "src/helper.rs",
        &blocking_helper.replace(
            "pub fn load_peers() -> Vec<String> {\n",
            "pub fn load_peers() -> Vec<String> {\n    // The seed list is slow.\n",
        ),
    );
    let helper_moved = cached_run(dir.path(), cache.path());
    assert_eq!(
        (
            helper_moved.cache.crate_passes_moved,
            helper_moved.cache.crate_passes_reused
        ),
        (1, 0)
    );
    assert_eq!(findings(&helper_moved), findings(&again));
    // Lines removed, back to the first text: moved up again.
    write(dir.path(), "src/helper.rs", blocking_helper);
    write(dir.path(), "src/server.rs", &server);
    let both = cached_run(dir.path(), cache.path());
    assert_eq!(
        both.cache.crate_passes_moved, 0,
        "two files edited: the pass runs"
    );
    assert_eq!(findings(&both), findings(&first));
    // An edit that changes more than positions: the pass runs, the finding goes.
    write(
        dir.path(),
        "src/helper.rs",
        "// No more sleeping.\npub fn load_peers() -> Vec<String> {\n    Vec::new()\n}\n",
    );
    let fixed = cached_run(dir.path(), cache.path());
    assert_eq!(
        (
            fixed.cache.crate_passes_moved,
            fixed.cache.crate_passes_reused
        ),
        (0, 0)
    );
    assert!(
        !findings(&fixed)
            .iter()
            .any(|f| f.0 == "blocking_in_async" && f.1 == "server.rs")
    );
}

/// Summaries whose calls carry `#[cfg(..)]` predicates read back from the cache as written
/// (the cache format is positional: every field is written, even an empty list).
#[test]
fn calls_under_cfg_read_back_from_the_cache() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"disk\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(root, "src/lib.rs", "pub mod os;\npub mod store;\n");
    write(
        root,
        "src/os.rs",
        "pub fn sync_dir(dir: &std::path::Path) -> std::io::Result<()> {\n    #[cfg(unix)]\n    {\n        std::fs::File::open(dir)?.sync_all()?;\n    }\n    Ok(())\n}\n",
    );
    write(
        root,
        "src/store.rs",
        "pub async fn commit(dir: &std::path::Path) -> std::io::Result<()> {\n    #[cfg(not(unix))]\n    {\n        crate::os::sync_dir(dir)?;\n    }\n    #[cfg(unix)]\n    {\n        crate::os::sync_dir(dir)?;\n    }\n    Ok(())\n}\n",
    );
    let cache = tempfile::tempdir().expect("temp dir");
    let first = cached_run(root, cache.path());
    let second = cached_run(root, cache.path());
    assert_eq!(second.cache.misses, 0);
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    assert_eq!(findings(&first), findings(&second));
    // Only the call compiled together with the helper's fsync.
    assert_eq!(
        findings(&second),
        [("blocking_in_async", "store.rs".to_string(), 8)]
    );
}
