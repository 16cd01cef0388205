//! UI tests: every fixture under `tests/ui/<rule>/*.rs` carries `//~ rule` markers on the lines
//! where findings start; the analyzer must report exactly those (file, line, rule) triples.
//! See `tests/ui/README.md` for the marker format.
//!
//! `corpus_precision_recall` runs the same comparison over `tests/corpus/` (realistic service
//! code, same markers) and gates on overall precision and recall.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use support::{Checked, check_file, describe, display_path, format_table, rust_files, tally};

/// The rules this suite was written for; each needs fixtures even before it is registered.
const KNOWN_RULES: &[&str] = &[
    "blocking_in_async",
    "block_on_in_async",
    "lock_across_await",
    "unbounded_channel",
    "unbounded_spawn",
    "detached_task",
    "async_mutex_unneeded",
    "mixed_runtimes",
    "sequential_await",
    "select_cancel_unsafe",
    "cleanup_after_await",
    "retry_without_backoff",
    "inline_accept_loop",
];

/// Minimum number of firing markers per rule across all fixtures.
const MIN_FIRING: usize = 8;

const MIN_PRECISION: f64 = 0.95;
const MIN_RECALL: f64 = 0.90;

fn ui_dir() -> PathBuf {
    support::manifest_dir().join("tests").join("ui")
}

fn corpus_dir() -> PathBuf {
    support::manifest_dir().join("tests").join("corpus")
}

/// Checks every file, collecting per-file errors (unreadable, bad marker, analyzer error).
fn check_all(files: &[PathBuf]) -> (Vec<Checked>, Vec<String>) {
    let mut checked = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        match check_file(path) {
            Ok(c) => checked.push(c),
            Err(e) => errors.push(e),
        }
    }
    (checked, errors)
}

/// Every missing and unexpected finding, with its source line; empty when all match.
fn mismatch_report(checked: &[Checked]) -> String {
    let mut out = String::new();
    for file in checked {
        for f in file.missing() {
            let _ = writeln!(out, "missing    {}", describe(file, f));
        }
        for f in file.unexpected() {
            let _ = writeln!(out, "unexpected {}", describe(file, f));
        }
    }
    out
}

/// Matched findings reported in the other form than their marker says.
fn form_report(checked: &[Checked]) -> String {
    let mut out = String::new();
    for file in checked {
        for f in file.wrong_form() {
            let want = if file.expected_pedantic.contains(f) {
                "pedantic"
            } else {
                "default"
            };
            let _ = writeln!(out, "form≠{want:<8} {}", describe(file, f));
        }
    }
    out
}

#[test]
fn fixtures_parse() {
    let files = rust_files(&ui_dir());
    assert!(
        !files.is_empty(),
        "no fixtures under {}",
        ui_dir().display()
    );
    let mut failures = Vec::new();
    for path in &files {
        let shown = display_path(path);
        let source = match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: cannot read: {e}", shown.display()));
                continue;
            }
        };
        if let Err(e) = syn::parse_file(&source) {
            let at = e.span().start();
            failures.push(format!(
                "{}:{}:{}: does not parse: {e}",
                shown.display(),
                at.line,
                at.column + 1
            ));
        }
        if let Err(errors) = support::parse_markers(&source) {
            for e in errors {
                failures.push(format!("{}:{e}", shown.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ui() {
    let files = rust_files(&ui_dir());
    assert!(
        !files.is_empty(),
        "no fixtures under {}",
        ui_dir().display()
    );
    let (checked, mut problems) = check_all(&files);

    // Markers must name registered rules, and every rule must be exercised.
    let registered: Vec<&str> = asyncwise_lint::rules::RULES
        .iter()
        .map(|r| r.name)
        .collect();
    let mut firing: BTreeMap<&str, usize> = BTreeMap::new();
    for rule in KNOWN_RULES.iter().chain(&registered) {
        firing.entry(rule).or_default();
    }
    let mut unregistered: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    for file in &checked {
        for f in file.expected.iter().chain(&file.optional) {
            if !registered.contains(&f.rule.as_str()) {
                let entry = unregistered
                    .entry(f.rule.as_str())
                    .or_insert_with(|| (0, format!("{}:{}", f.path.display(), f.line)));
                entry.0 += 1;
            }
        }
        for f in &file.expected {
            if let Some(n) = firing.get_mut(f.rule.as_str()) {
                *n += 1;
            }
        }
    }
    for (rule, (n, first)) in &unregistered {
        problems.push(format!(
            "rule `{rule}` is named by {n} marker(s) (first at {first}) but is not in \
             asyncwise_lint::rules::RULES"
        ));
    }
    for (rule, n) in &firing {
        if *n < MIN_FIRING {
            problems.push(format!(
                "rule `{rule}` has {n} firing marker(s) in tests/ui; at least {MIN_FIRING} needed"
            ));
        }
    }

    let mut mismatches = mismatch_report(&checked);
    mismatches.push_str(&form_report(&checked));
    let (per_rule, total) = tally(&checked);
    if !problems.is_empty() || !mismatches.is_empty() {
        let mut msg = String::new();
        for p in &problems {
            let _ = writeln!(msg, "{p}");
        }
        msg.push_str(&mismatches);
        panic!(
            "ui fixtures do not match the analyzer ({} missing, {} unexpected, {} other problem(s)):\n{msg}\n{}",
            total.fn_,
            total.fp,
            problems.len(),
            format_table(&per_rule, total)
        );
    }
}

#[test]
fn corpus_precision_recall() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!("{} does not exist; skipping", display_path(&dir).display());
        return;
    }
    let files = rust_files(&dir);
    let (checked, problems) = check_all(&files);
    let (per_rule, total) = tally(&checked);
    println!(
        "corpus: {} file(s) checked, {} could not be checked\n{}",
        checked.len(),
        problems.len(),
        format_table(&per_rule, total)
    );
    let mismatches = mismatch_report(&checked);
    if !mismatches.is_empty() {
        println!("{mismatches}");
    }
    assert!(
        problems.is_empty(),
        "corpus files could not be checked:\n{}",
        problems.join("\n")
    );
    let precision = total.precision().unwrap_or(1.0);
    let recall = total.recall().unwrap_or(1.0);
    assert!(
        precision >= MIN_PRECISION && recall >= MIN_RECALL,
        "corpus: overall precision {precision:.3} (need {MIN_PRECISION}), recall {recall:.3} \
         (need {MIN_RECALL}); the findings that differ are listed above\n{}",
        format_table(&per_rule, total)
    );
}
