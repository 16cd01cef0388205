//! Package fixtures: every folder of `tests/ui-package/` is checked as a whole, as `asyncwise
//! check <folder>` would (manifests read, files analysed with the rest of their package), and
//! its `//~` markers must match the findings exactly. See `tests/ui-package/README.md`.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use asyncwise_lint::{CheckOptions, Diagnostic, check_paths};
use support::{display_path, parse_markers, rust_files};

fn cases_dir() -> PathBuf {
    support::manifest_dir().join("tests").join("ui-package")
}

fn check(case: &Path) -> Vec<Diagnostic> {
    let report = check_paths(&[display_path(case)], &CheckOptions::default());
    assert!(
        report.errors.is_empty(),
        "{}: {:?}",
        case.display(),
        report.errors
    );
    report.diagnostics
}

/// (file, line, rule) of the markers under `case`.
fn expected(case: &Path) -> BTreeSet<(PathBuf, usize, String)> {
    let mut out = BTreeSet::new();
    for file in rust_files(case) {
        let source = std::fs::read_to_string(&file).expect("fixture is readable");
        let markers = parse_markers(&source).expect("markers are well-formed");
        for m in markers {
            out.insert((display_path(&file), m.line, m.rule));
        }
    }
    out
}

#[test]
fn package_fixtures_match_their_markers() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/ui-package exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "too few package fixtures: {cases:?}");
    let mut problems = Vec::new();
    for case in &cases {
        let want = expected(case);
        let got: BTreeSet<(PathBuf, usize, String)> = check(case)
            .into_iter()
            .map(|d| (d.path, d.span.start.line, d.rule.to_string()))
            .collect();
        for f in want.difference(&got) {
            problems.push(format!("missing    {}:{} {}", f.0.display(), f.1, f.2));
        }
        for f in got.difference(&want) {
            problems.push(format!("unexpected {}:{} {}", f.0.display(), f.1, f.2));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn finding_at<'a>(found: &'a [Diagnostic], file: &str, line: usize) -> &'a Diagnostic {
    found
        .iter()
        .find(|d| d.path.ends_with(file) && d.span.start.line == line)
        .unwrap_or_else(|| panic!("no finding at {file}:{line} in {found:#?}"))
}

#[test]
fn chains_name_every_hop_with_file_and_line() {
    let found = check(&cases_dir().join("chain"));
    let d = finding_at(&found, "src/main.rs", 11);
    assert_eq!(
        d.message,
        "`install` blocks the thread inside async code (`install -> copy_files -> std::fs::copy`)"
    );
    let notes: Vec<&str> = d.notes.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].starts_with("`install` calls `copy_files` at ")
            && notes[0].ends_with("chain/src/setup/mod.rs:7:5"),
        "{notes:?}"
    );
    assert!(
        notes[1].starts_with("`copy_files` calls `std::fs::copy` at ")
            && notes[1].ends_with("chain/src/setup/files.rs:3:5"),
        "{notes:?}"
    );
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("spawn_blocking"))
    );
}

#[test]
fn chains_cross_workspace_members() {
    let found = check(&cases_dir().join("workspace"));
    let d = finding_at(&found, "app/src/main.rs", 6);
    assert!(
        d.message
            .ends_with("(`save -> write_blob -> std::fs::write`)"),
        "{}",
        d.message
    );
    assert!(d.notes[1].message.contains("store/src/disk/mod.rs:11:5"));
    let d = finding_at(&found, "app/src/main.rs", 7);
    assert!(
        d.message
            .ends_with("(`Disk::flush -> sync_all -> std::fs::File::open`)"),
        "{}",
        d.message
    );
}

#[test]
fn a_member_checked_alone_does_not_see_its_dependency() {
    // Only the app is checked: the store's functions are unknown, so nothing is guessed.
    let found = check(&cases_dir().join("workspace").join("app"));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn recursion_terminates_with_the_shortest_chain() {
    let found = check(&cases_dir().join("recursion"));
    let d = finding_at(&found, "src/lib.rs", 28);
    assert!(
        d.message
            .ends_with("(`walk -> visit -> std::fs::read_dir`)"),
        "{}",
        d.message
    );
}
