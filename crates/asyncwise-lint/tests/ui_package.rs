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

/// Every case runs with the fake cargo home of `tests/ui-package-registry` (see its README).
fn options() -> CheckOptions {
    CheckOptions {
        dependency_sources: Some(asyncwise_lint::engine::dependencies::Sources {
            cargo_home: Some(
                support::manifest_dir()
                    .join("tests")
                    .join("ui-package-registry"),
            ),
        }),
        ..CheckOptions::everything()
    }
}

fn check(case: &Path) -> Vec<Diagnostic> {
    let report = check_paths(&[display_path(case)], &options());
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
    // Manifests carry markers too (`# //~ mixed_runtimes`): findings can point into them.
    let mut files = rust_files(case);
    files.extend(manifests(case));
    for file in files {
        let source = std::fs::read_to_string(&file).expect("fixture is readable");
        let markers = parse_markers(&source).expect("markers are well-formed");
        for m in markers {
            // `rule(pedantic)` expects the pedantic form: the form is part of the identity.
            let rule = if m.pedantic {
                format!("{}(pedantic)", m.rule)
            } else {
                m.rule
            };
            out.insert((display_path(&file), m.line, rule));
        }
    }
    out
}

/// Every `Cargo.toml` under `dir`.
fn manifests(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d)
            .expect("fixture folder is readable")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.file_name().is_some_and(|n| n == "Cargo.toml") {
                out.push(path);
            }
        }
    }
    out.sort();
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
            .map(|d| {
                let rule = match d.form {
                    asyncwise_lint::levels::Form::Pedantic => format!("{}(pedantic)", d.rule),
                    _ => d.rule.to_string(),
                };
                (d.path, d.span.start.line, rule)
            })
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

/// Where a note points, as `path:line:column` (its own file, else the finding's).
fn place(d: &Diagnostic, note: &asyncwise_lint::Note) -> String {
    let span = note.span.expect("the note points at code");
    format!(
        "{}:{}:{}",
        note.file(&d.path).display(),
        span.start.line,
        span.start.column
    )
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
    assert_eq!(
        notes,
        [
            "`install` calls `copy_files`",
            "`copy_files` calls `std::fs::copy`",
            "pedantic form: filesystem or image work on no per-event path (start-up, a command, a reload, a periodic task)"
        ]
    );
    // Each hop points into its own file, which is not the finding's.
    assert!(place(d, &d.notes[0]).ends_with("chain/src/setup/mod.rs:7:5"));
    assert!(place(d, &d.notes[1]).ends_with("chain/src/setup/files.rs:3:5"));
    // The hops point into files; the pedantic form's reason points at no code.
    assert!(d.notes[..2].iter().all(|n| n.path.is_some()));
    assert!(d.notes[2].span.is_none());
    assert!(
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("spawn_blocking"))
    );
}

#[test]
fn one_lock_stored_in_several_structs_is_one_finding_with_its_copies_as_notes() {
    let found = check(&cases_dir().join("async_mutex_copies"));
    let mutex: Vec<&Diagnostic> = found
        .iter()
        .filter(|d| d.rule == "async_mutex_unneeded")
        .collect();
    assert_eq!(mutex.len(), 3, "{mutex:#?}");
    // Reported at the copy locked per message, with the plugin's copy and its calls as notes.
    let d = finding_at(&found, "src/handler.rs", 10);
    let notes: Vec<&str> = d.notes.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(
        notes[0], "the same lock, shared through `Arc`, is also stored",
        "{notes:?}"
    );
    assert!(place(d, &d.notes[0]).ends_with("src/main.rs:18:5"));
    assert_eq!(notes.len(), 4, "{notes:?}");
    // The configuration lock copied by a struct literal: one pedantic finding whose notes
    // name the copy and all three lock calls.
    let d = finding_at(&found, "src/main.rs", 40);
    assert_eq!(d.form, asyncwise_lint::levels::Form::Pedantic);
    assert_eq!(d.notes.len(), 4, "{:?}", d.notes);
    assert!(d.help.as_deref().is_some_and(|h| h.contains("set-up")));
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
    assert!(place(d, &d.notes[1]).ends_with("store/src/disk/mod.rs:11:5"));
    let d = finding_at(&found, "app/src/main.rs", 7);
    assert!(
        d.message
            .ends_with("(`Disk::flush -> sync_all -> std::fs::File::open`)"),
        "{}",
        d.message
    );
}

#[test]
fn a_member_checked_from_its_own_folder_reads_the_members_it_depends_on() {
    // Only the app's folder is named: the store it depends on by path is read for the facts
    // (as naming the app's file does), and only the app's files are reported and counted.
    let app = cases_dir().join("workspace").join("app");
    let report = check_paths(&[display_path(&app)], &CheckOptions::everything());
    assert_eq!(report.files_checked, 1);
    let mut lines: Vec<usize> = report
        .diagnostics
        .iter()
        .inspect(|d| assert!(d.path.ends_with("app/src/main.rs"), "{d:#?}"))
        .map(|d| d.span.start.line)
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, [6, 7]);
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

#[test]
fn naming_one_file_keeps_the_facts_of_the_whole_package() {
    // A pre-commit hook passes only the changed file: the helpers in the other files (and in
    // the workspace member it depends on) still count, and only the named file is reported.
    let chain = cases_dir().join("chain");
    let full: Vec<Diagnostic> = check(&chain);
    let main = chain.join("src").join("main.rs");
    let named = check(&main);
    assert!(!named.is_empty());
    assert!(named.iter().all(|d| d.path.ends_with("src/main.rs")));
    let from_full: Vec<&Diagnostic> = full
        .iter()
        .filter(|d| d.path.ends_with("src/main.rs"))
        .collect();
    assert_eq!(named.iter().collect::<Vec<_>>(), from_full);

    let app_main = cases_dir().join("workspace/app/src/main.rs");
    let report = check_paths(&[display_path(&app_main)], &CheckOptions::everything());
    assert_eq!(report.files_checked, 1);
    let lines: Vec<usize> = report
        .diagnostics
        .iter()
        .map(|d| d.span.start.line)
        .collect();
    assert_eq!(lines, vec![6, 7]);
}

fn temp_package(manifest: &str, lib: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("src")).expect("src dir");
    std::fs::write(dir.path().join("Cargo.toml"), manifest).expect("manifest");
    std::fs::write(dir.path().join("src/lib.rs"), lib).expect("lib.rs");
    dir
}

#[test]
fn edition_2015_syntax_is_named_as_such() {
    let old = "trait Codec { fn encode(&self, u8) -> Vec<u8>; }\n";
    let dir = temp_package("[package]\nname = \"old\"\nversion = \"0.1.0\"\n", old);
    let report = check_paths(&[dir.path().to_path_buf()], &CheckOptions::everything());
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0]
            .message
            .starts_with("2015 edition syntax not supported"),
        "{}",
        report.errors[0].message
    );
    // The same text in a 2018 package is a plain parse error.
    let dir = temp_package(
        "[package]\nname = \"new\"\nversion = \"0.1.0\"\nedition = \"2018\"\n",
        old,
    );
    let report = check_paths(&[dir.path().to_path_buf()], &CheckOptions::everything());
    assert!(report.errors[0].message.starts_with("could not parse"));
}

#[test]
fn if_let_temporaries_live_through_else_before_2024() {
    let lib = "use std::sync::Mutex;\nasync fn flush() {}\n\
               pub async fn first(m: &Mutex<Vec<u8>>) {\n\
               if let Some(b) = m.lock().unwrap().first() { println!(\"{b}\"); } else { flush().await; }\n}\n";
    let found = |edition: &str| {
        let manifest =
            format!("[package]\nname = \"e\"\nversion = \"0.1.0\"\nedition = \"{edition}\"\n");
        let dir = temp_package(&manifest, lib);
        let report = check_paths(&[dir.path().to_path_buf()], &CheckOptions::everything());
        report
            .diagnostics
            .iter()
            .map(|d| (d.rule, d.span.start.line))
            .collect::<Vec<_>>()
    };
    assert_eq!(found("2021"), vec![("lock_across_await", 4)]);
    assert_eq!(found("2024"), vec![]);
}

#[test]
fn an_inherited_edition_is_the_workspace_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"m\"]\n[workspace.package]\nedition = \"2018\"\n",
    )
    .expect("workspace manifest");
    let m = asyncwise_lint::engine::manifest::parse(
        "[package]\nname = \"m\"\nedition.workspace = true\n",
        &root.join("m"),
    )
    .expect("parses");
    assert!(m.edition_inherited);
    std::fs::create_dir_all(root.join("m")).expect("member dir");
    std::fs::write(
        root.join("m/Cargo.toml"),
        "[package]\nname = \"m\"\nedition.workspace = true\n",
    )
    .expect("member manifest");
    let read = asyncwise_lint::engine::manifest::read(&root.join("m")).expect("reads");
    assert_eq!(read.edition, asyncwise_lint::model::Edition::E2018);
}

#[test]
fn files_read_only_for_their_facts_report_no_errors() {
    // A broken file elsewhere in the package does not fail a hook that names a good one; a
    // named path that does not exist is still an error.
    let dir = temp_package(
        "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        "pub fn ok() {}\n",
    );
    std::fs::write(dir.path().join("src/broken.rs"), "fn broken( {}\n").expect("write");
    let lib = dir.path().join("src/lib.rs");
    let report = check_paths(std::slice::from_ref(&lib), &CheckOptions::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let missing = dir.path().join("src/missing.rs");
    let report = check_paths(&[lib, missing], &CheckOptions::default());
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.errors[0].message.starts_with("could not read"));
}

/// Findings of a blind set (labelled from the rule definitions before the analyzer was run on
/// it), scored by rule whatever the form: (true positives, false positives, misses), with
/// helper-tagged lines (`// @helper`) counted apart as well. Lines marked `//~?` are ambiguous
/// by the definitions: a finding there is neither a hit nor a false positive.
/// The lines a finding stands for: its own, and (one finding per fix) those of the repeats of
/// its rule in the same function that it carries as its last notes with a place.
fn finding_lines(d: &Diagnostic) -> Vec<(PathBuf, usize, String)> {
    let mut lines = vec![(d.path.clone(), d.span.start.line, d.rule.to_string())];
    let repeats = d
        .message
        .rsplit_once("(and ")
        .and_then(|(_, rest)| rest.split_once(' '))
        .and_then(|(n, rest)| rest.starts_with("more ").then(|| n.parse::<usize>().ok())?)
        .unwrap_or(0);
    let placed: Vec<_> = d.notes.iter().filter(|n| n.span.is_some()).collect();
    for note in &placed[placed.len().saturating_sub(repeats)..] {
        if let Some(span) = note.span {
            let path = note.file(&d.path).to_path_buf();
            lines.push((path, span.start.line, d.rule.to_string()));
        }
    }
    lines
}

fn score_blind_set(dir: &Path) -> (BlindScore, BlindScore) {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the blind set exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let (mut all, mut helper) = (BlindScore::default(), BlindScore::default());
    for case in &cases {
        let mut want = BTreeSet::new();
        let mut ambiguous = BTreeSet::new();
        let mut helper_lines = BTreeSet::new();
        let mut files = rust_files(case);
        files.extend(manifests(case));
        for file in files {
            let source = std::fs::read_to_string(&file).expect("fixture is readable");
            let path = display_path(&file);
            for (i, text) in source.lines().enumerate() {
                if text
                    .split_once("//")
                    .is_some_and(|(_, c)| c.contains("@helper"))
                {
                    helper_lines.insert((path.clone(), i + 1));
                }
            }
            for m in parse_markers(&source).expect("markers are well-formed") {
                let key = (path.clone(), m.line, m.rule);
                if m.optional {
                    ambiguous.insert(key);
                } else {
                    want.insert(key);
                }
            }
        }
        let got: BTreeSet<(PathBuf, usize, String)> = check(case)
            .iter()
            .flat_map(finding_lines)
            .filter(|f| !ambiguous.contains(f))
            .collect();
        let show = |f: &(PathBuf, usize, String)| format!("{}:{} {}", f.0.display(), f.1, f.2);
        for f in want.intersection(&got) {
            all.tp += 1;
            helper.tp += usize::from(helper_lines.contains(&(f.0.clone(), f.1)));
        }
        for f in got.difference(&want) {
            all.fp.push(show(f));
            if helper_lines.contains(&(f.0.clone(), f.1)) {
                helper.fp.push(show(f));
            }
        }
        for f in want.difference(&got) {
            all.missed.push(show(f));
            if helper_lines.contains(&(f.0.clone(), f.1)) {
                helper.missed.push(show(f));
            }
        }
    }
    (all, helper)
}

/// One blind set's score: hits, and the false positives and misses by location.
#[derive(Debug, Default)]
struct BlindScore {
    tp: usize,
    fp: Vec<String>,
    missed: Vec<String>,
}

impl BlindScore {
    fn assert_at_least(&self, what: &str, precision: f64, recall: f64) {
        let p = self.tp as f64 / (self.tp + self.fp.len()) as f64;
        let r = self.tp as f64 / (self.tp + self.missed.len()) as f64;
        assert!(
            p >= precision && r >= recall,
            "{what}: precision {p:.3}, recall {r:.3}\nfalse positives:\n{}\nmissed:\n{}",
            self.fp.join("\n"),
            self.missed.join("\n")
        );
    }
}

/// The blind set of the seven newer rules, with the acceptance thresholds of issue 8 rather
/// than exactly, as `tests/corpus/` is.
#[test]
fn catalogue_corpus_precision_recall() {
    let dir = support::manifest_dir()
        .join("tests")
        .join("corpus-catalogue");
    let (all, _) = score_blind_set(&dir);
    assert!(
        all.tp >= 50,
        "the blind set lost its markers: {} hits",
        all.tp
    );
    all.assert_at_least("catalogue set", 0.95, 0.90);
}

/// The blind set of blocking through helpers and the six original rules, with issue 6's
/// thresholds: helper-reached blocking precision 0.95 and recall 0.85, every rule 0.95 and 0.90.
#[test]
fn helpers_corpus_precision_recall() {
    let dir = support::manifest_dir().join("tests").join("corpus-helpers");
    let (all, helper) = score_blind_set(&dir);
    assert!(
        all.tp >= 70,
        "the blind set lost its markers: {} hits",
        all.tp
    );
    assert!(
        helper.tp >= 40,
        "the helper lines lost their markers: {} hits",
        helper.tp
    );
    helper.assert_at_least("blocking through helpers", 0.95, 0.85);
    all.assert_at_least("helpers set, every rule", 0.95, 0.90);
}

/// The blind set of session 7 (`tests/corpus-blind7/`: password hashing through other crates,
/// `Path` methods on typed values, child pipes, joins and macro spawns, statics, timeouts in
/// loops, cancellation across files), written from the definitions before any run. Its first
/// score, after that session's changes, was precision 1.000 and recall 0.750 (27 of 36, the
/// repeats a grouped finding carries counted at their lines): the
/// issues' 0.90 recall is not reached (the misses need types carried across files: a
/// constructor's return type in another file, a field of a struct declared elsewhere reached
/// through a local). A fix made from two of its misses (a unit struct used as a value) then
/// took it to 0.806 (29 of 36), no longer blind. Session 8 carried types across files (and
/// a `OnceLock` static handed out by a function) and found `sequential_await`'s loop form when
/// the awaited call is examined by `if let`: 36 of 36 expected after both. Precision is held
/// to the issues' 0.95; recall to 0.95, so that a regression of either fails.
#[test]
fn session7_blind_corpus_precision_and_recall_floor() {
    let dir = support::manifest_dir().join("tests").join("corpus-blind7");
    let (all, _) = score_blind_set(&dir);
    assert!(
        all.tp >= 20,
        "the blind set lost its markers: {} hits",
        all.tp
    );
    all.assert_at_least("session-7 blind set", 0.95, 0.95);
}

/// The blind set of session 12 (`tests/corpus-blind12/`: nine packages of services, a client
/// library, a CLI, a workspace with a path dependency, on tokio, async-std and smol), written
/// from the printed definitions of all thirteen rules and committed before any run. Its first
/// score (with one label changed from the printed definition after the run, see its README):
/// 75 hits, 2 false positives, 7 misses (precision 0.974, recall 0.915); at the end of session
/// 12 79/1/5, and since session 13 (awaits behind `.map_err(..)?`, a pool handed to two
/// queries, a broadcast to each item, a sync step on the item, a rejected `Ok` that only logs)
/// 84/1/0. The floors are the latest score, so that a lost hit or a new false positive fails.
#[test]
fn session12_blind_corpus_precision_and_recall_floor() {
    let dir = support::manifest_dir().join("tests").join("corpus-blind12");
    let (all, _) = score_blind_set(&dir);
    let report = format!(
        "hits {}, false positives {:?}, missed {:?}",
        all.tp, all.fp, all.missed
    );
    assert!(all.tp >= 84, "session-12 blind set lost hits: {report}");
    assert!(
        all.fp.len() <= 1,
        "session-12 blind set has new false positives: {report}"
    );
    all.assert_at_least("session-12 blind set", 0.988, 0.988);
}

/// The blind set of session 13 (`tests/corpus-blind13/`: eleven packages, among them a
/// workspace with a path dependency, on tokio, async-std and smol), written from the printed
/// definitions of all thirteen rules and committed before any run. Its first score: 100 hits,
/// 3 false positives, 6 misses (precision 0.971, recall 0.943); after the fixes made from it
/// (and two markers changed where the printed definitions were wrong or loose, see its
/// README) 104/0/3; session 19 made one more marker quiet (a stream taken by value, see the
/// README): 103/0/3. The floors are the latest score.
#[test]
fn session13_blind_corpus_precision_and_recall_floor() {
    assert_blind_set_holds("corpus-blind13", 103, 0.97);
}

/// A blind set of `tests/DIR` keeps at least `hits` hits, no false positive and `recall`.
fn assert_blind_set_holds(dir: &str, hits: usize, recall: f64) {
    let (all, _) = score_blind_set(&support::manifest_dir().join("tests").join(dir));
    let report = format!(
        "hits {}, false positives {:?}, missed {:?}",
        all.tp, all.fp, all.missed
    );
    assert!(all.tp >= hits, "{dir} lost hits: {report}");
    assert!(all.fp.is_empty(), "{dir} has new false positives: {report}");
    all.assert_at_least(dir, 1.0, recall);
}

/// The blind set of session 18 (`tests/corpus-blind18/`: eleven packages, among them a
/// two-member workspace with a path dependency, on tokio, async-std and smol), written from the
/// printed definitions of all thirteen rules and committed before any run. Its first score, by
/// exact line: 95 hits, 14 false positives, 19 misses (precision 0.872, recall 0.833). Fourteen
/// of the false positives are the same findings as fourteen of the misses on another line of
/// the same construct (the definitions do not say which line): `cleanup_after_await`'s
/// cancellation form is reported at the leaving call (marked at the entering one),
/// `retry_without_backoff` at the retried call (marked at the `loop`), `sequential_await`'s
/// loop form at the awaited call (marked at the `for`); counted so, 109/0/5 (see its README).
/// After the fixes made from it and the markers moved to the lines the docs now name (its
/// README says which): 110 hits, no false positive, 1 miss; the floors hold that score.
#[test]
fn session18_blind_corpus_precision_and_recall_floor() {
    assert_blind_set_holds("corpus-blind18", 110, 0.99);
}

#[test]
fn a_cancellable_chain_names_each_caller_and_the_reason() {
    let found = check(&cases_dir().join("cancellation"));
    // Reached through a trait object from a handler registered in another file.
    let d = finding_at(&found, "src/store.rs", 27);
    assert_eq!(d.form, asyncwise_lint::levels::Form::Default);
    let why = &d.notes[0].message;
    assert!(
        why.starts_with("this body can be cancelled: `put_item` awaits it (")
            && why.contains("src/routes.rs:24)")
            && why.ends_with(
                "and is a request handler, whose future a server may drop before it completes"
            ),
        "{why}"
    );
    // Two hops to a `timeout` in another file.
    let d = finding_at(&found, "src/store.rs", 71);
    let why = &d.notes[0].message;
    assert!(
        why.contains("`audit_step` awaits it (")
            && why.contains("`bounded_audit` calls that inside a `timeout(..)`")
            && why.ends_with("src/jobs.rs:21)"),
        "{why}"
    );
}

#[test]
fn filesystem_work_on_a_per_event_path_names_the_path() {
    let found = check(&cases_dir().join("per_event"));
    let d = found
        .iter()
        .find(|d| d.path.ends_with("src/main.rs") && d.message.starts_with("`load_key`"))
        .unwrap_or_else(|| panic!("no finding for load_key in {found:#?}"));
    let notes: Vec<&str> = d.notes.iter().map(|n| n.message.as_str()).collect();
    assert!(
        notes.contains(
            &"`client` is called in a loop of `accept_clients` driven by incoming events (or a task spawned there): once per event"
        ),
        "{notes:#?}"
    );
}

#[test]
fn a_chain_inside_a_registry_dependency_has_notes_in_its_files() {
    // Two hops inside the dependency: every note points into the registry's copy of the crate.
    let found = check(&cases_dir().join("dependency_registry"));
    let d = finding_at(&found, "src/main.rs", 18);
    assert!(
        d.message
            .ends_with("(`inspect -> prepare -> run_tool -> Command::output`)"),
        "{}",
        d.message
    );
    let in_registry: Vec<(String, usize)> = d
        .notes
        .iter()
        .filter_map(|n| {
            let path = n.path.as_ref()?;
            Some((
                path.strip_prefix(support::manifest_dir().join("tests/ui-package-registry"))
                    .ok()?
                    .to_string_lossy()
                    .into_owned(),
                n.span?.start.line,
            ))
        })
        .collect();
    let file = "registry/src/index.example.test-0000000000000000/probe-0.1.0/src/runner/mod.rs";
    assert_eq!(
        in_registry,
        [
            (file.to_string(), 5),
            (file.to_string(), 10),
            (file.to_string(), 14)
        ]
    );
}

#[test]
fn dependencies_are_not_read_without_sources_configured() {
    // `dependency_sources: None` (the default; `--deps` opts in): the calls into the crate are not followed.
    let options = CheckOptions {
        dependency_sources: None,
        ..CheckOptions::everything()
    };
    let report = check_paths(
        &[display_path(&cases_dir().join("dependency_registry"))],
        &options,
    );
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
}

#[test]
fn a_dependency_summary_is_cached_and_a_damaged_entry_is_ignored() {
    // Cold: the crate is read and its summary stored; warm: the stored summary gives the same
    // findings; a damaged entry is read as none and replaced.
    let cache = tempfile::tempdir().expect("temp dir");
    let options = CheckOptions {
        cache: Some(cache.path().to_path_buf()),
        ..options()
    };
    let case = display_path(&cases_dir().join("dependency_registry"));
    let cold = check_paths(std::slice::from_ref(&case), &options).diagnostics;
    assert_eq!(cold.len(), 5, "{cold:#?}");
    let deps_dir = cache.path().join("v3").join("deps");
    let entries: Vec<PathBuf> = std::fs::read_dir(&deps_dir)
        .expect("dependency entries are written")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let warm = check_paths(std::slice::from_ref(&case), &options).diagnostics;
    assert_eq!(warm, cold);
    std::fs::write(&entries[0], b"AWCACHE\x02 not a summary").expect("entry is writable");
    let damaged = check_paths(std::slice::from_ref(&case), &options).diagnostics;
    assert_eq!(damaged, cold);
    assert!(std::fs::read(&entries[0]).expect("entry").len() > 32);
}
