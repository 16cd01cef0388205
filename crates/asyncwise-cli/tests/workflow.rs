//! End-to-end tests of what fits asyncwise into a team's workflow: output formats for CI and
//! editors, suppressions, configuration, baselines and the `cargo asyncwise` subcommand.

use std::path::Path;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn asyncwise(dir: &Path) -> Command {
    let mut cmd = cargo_bin_cmd!("asyncwise");
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

fn write(dir: &Path, rel: &str, contents: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Runs `asyncwise` with `args` in `dir`: (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = asyncwise(dir).args(args).output().unwrap();
    (
        output.status.code().expect("exited normally"),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// (rule, line) of every finding, from `--format json`.
fn findings(dir: &Path, args: &[&str]) -> (i32, Vec<(String, u64)>) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(dir, &all);
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let found = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (code, found)
}

fn found(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(r, l)| ((*r).to_owned(), *l)).collect()
}

/// A small crate with a lock held across an await (with a note), a blocking call on a line
/// with a non-ASCII string, and a file that does not parse.
fn sample_crate(dir: &Path) {
    write(
        dir,
        "Cargo.toml",
        "[package]\nname = \"sample\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    write(
        dir,
        "src/lib.rs",
        "use std::sync::Mutex;\n\
         \n\
         pub async fn record(peers: &Mutex<Vec<String>>, name: String) {\n\
         \x20   let mut list = peers.lock().unwrap();\n\
         \x20   list.push(name);\n\
         \x20   announce().await;\n\
         }\n\
         \n\
         async fn announce() {}\n\
         \n\
         pub async fn greet() {\n\
         \x20   let _ = (\"😀\", std::net::TcpStream::connect(\"a\"));\n\
         }\n",
    );
    write(dir, "src/broken.rs", "fn broken() {\n    let x = ;\n}\n");
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let dir = tempfile::tempdir().unwrap();
    sample_crate(dir.path());
    let (code, stdout, _) = run(dir.path(), &["check", "--format", "sarif"]);
    assert_eq!(code, 2, "a file does not parse");
    let log: Value = serde_json::from_str(&stdout).unwrap();

    let schema_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::draft4::new(&schema).expect("the official schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}\n{log:#}");
    // A document that breaks the schema is caught: the validator is really validating.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "severe".into();
    assert!(!validator.is_valid(&broken));

    let run = &log["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{run:#}");
    let lock = &results[0];
    assert_eq!(lock["ruleId"], "lock_across_await");
    let index = lock["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        run["tool"]["driver"]["rules"][index]["id"],
        "lock_across_await"
    );
    let location = &lock["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "src/lib.rs");
    assert_eq!(location["region"]["startLine"], 4);
    assert_eq!(location["region"]["startColumn"], 20);
    assert_eq!(
        lock["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        6
    );
    // `std::fs::…` starts at character 19 of line 12; the emoji before it is two UTF-16 units.
    let blocking = &results[1];
    assert_eq!(blocking["ruleId"], "blocking_in_async");
    assert_eq!(
        blocking["locations"][0]["physicalLocation"]["region"]["startColumn"],
        20
    );
    // The file that could not be checked: a notification at the syntax error.
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(notification["level"], "error");
    let region = &notification["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (&region["startLine"], &region["startColumn"]),
        (&2.into(), &13.into())
    );
}

#[test]
fn github_annotations() {
    let dir = tempfile::tempdir().unwrap();
    sample_crate(dir.path());
    let (code, stdout, _) = run(dir.path(), &["check", "--format", "github"]);
    assert_eq!(code, 2);
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 3, "{stdout}");
    assert!(
        annotations[0].starts_with(
            "::warning file=src/lib.rs,line=4,col=20,endLine=4,endColumn=32,title=asyncwise%3A%3Alock_across_await::`std::sync::Mutex` guard is held across an `.await`%0Anote: the task can be suspended here while the lock is held (line 6)%0Ahelp: "
        ),
        "{stdout}"
    );
    assert!(!annotations[0].contains('\n'));
    assert!(
        annotations[2].starts_with(
            "::error file=src/broken.rs,line=2,col=13,title=asyncwise::could not parse"
        ),
        "{stdout}"
    );
    insta::assert_snapshot!(stdout);
}

#[test]
fn message_format_json_lines_are_cargo_compiler_messages() {
    let dir = tempfile::tempdir().unwrap();
    sample_crate(dir.path());
    let (code, stdout, _) = run(dir.path(), &["check", "--message-format", "json"]);
    assert_eq!(code, 2);
    let messages: Vec<cargo_metadata::diagnostic::Diagnostic> = stdout
        .lines()
        .map(
            |line| match serde_json::from_str::<cargo_metadata::Message>(line) {
                Ok(cargo_metadata::Message::CompilerMessage(m)) => {
                    assert!(m.package_id.repr.contains("path+file://"), "{line}");
                    assert!(m.target.src_path.as_str().ends_with(".rs"), "{line}");
                    m.message
                }
                other => panic!("not a compiler-message: {other:?}\n{line}"),
            },
        )
        .collect();
    assert_eq!(messages.len(), 3, "{stdout}");

    let lock = &messages[0];
    assert_eq!(
        lock.code.as_ref().map(|c| c.code.as_str()),
        Some("asyncwise::lock_across_await")
    );
    assert_eq!(
        lock.level,
        cargo_metadata::diagnostic::DiagnosticLevel::Warning
    );
    let primary = lock.spans.iter().find(|s| s.is_primary).unwrap();
    assert_eq!(
        (
            primary.file_name.as_str(),
            primary.line_start,
            primary.column_start,
            primary.column_end
        ),
        ("src/lib.rs", 4, 20, 32)
    );
    assert_eq!(
        primary.text[0].text,
        "    let mut list = peers.lock().unwrap();"
    );
    let secondary = lock.spans.iter().find(|s| !s.is_primary).unwrap();
    assert_eq!(secondary.line_start, 6);
    assert!(secondary.label.is_some());
    assert!(
        lock.children
            .iter()
            .any(|c| c.level == cargo_metadata::diagnostic::DiagnosticLevel::Help)
    );
    assert!(
        lock.rendered
            .as_deref()
            .is_some_and(|r| r.contains("--> src/lib.rs:4:20")),
        "{:?}",
        lock.rendered
    );

    let broken = &messages[2];
    assert_eq!(
        broken.level,
        cargo_metadata::diagnostic::DiagnosticLevel::Error
    );
    assert_eq!(
        (
            broken.spans[0].file_name.as_str(),
            broken.spans[0].line_start,
            broken.spans[0].column_start
        ),
        ("src/broken.rs", 2, 13)
    );
}

#[test]
fn suppressions_and_unused_suppressions() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"s\"\nversion = \"0.1.0\"\n",
    );
    write(
        dir.path(),
        "src/lib.rs",
        "\
mod jobs;

pub async fn trailing() {
    std::thread::sleep(d()); // asyncwise: allow(blocking_in_async) -- test helper
    std::thread::sleep(d());
}

pub async fn next_line() {
    // asyncwise: allow(blocking_in_async) -- startup only
    std::thread::sleep(d());
    std::thread::sleep(d());
}

// asyncwise: allow(blocking_in_async, unbounded_channel) -- the whole fn
#[allow(unused)]
pub async fn whole_item() {
    std::thread::sleep(d());
    let _ = tokio::sync::mpsc::unbounded_channel::<u8>();
}

pub async fn crate_level() {
    // asyncwise: allow(detached_task) -- fire and forget is fine here
    tokio::spawn(jobs::sync_all());
}

// asyncwise: allow(detached_task) -- nothing here spawns
fn stale() {}

// asyncwise: allow(blockin_in_async)
fn typo() {}

fn d() -> std::time::Duration {
    std::time::Duration::from_millis(1)
}
",
    );
    write(
        dir.path(),
        "src/jobs.rs",
        "// asyncwise: allow-file(unbounded_channel) -- prototype module\n\
         pub async fn sync_all() -> Result<(), std::io::Error> {\n\
         \x20   let _ = tokio::sync::mpsc::unbounded_channel::<u8>();\n\
         \x20   tokio::fs::create_dir_all(\"/var/cache/app\").await?;\n\
         \x20   Ok(())\n\
         }\n",
    );
    let (code, found_) = findings(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found_,
        found(&[
            ("blocking_in_async", 5),
            ("blocking_in_async", 11),
            ("unused_suppression", 26),
            ("invalid_suppression", 29),
        ])
    );
    let (_, human, _) = run(dir.path(), &["check", "--color", "never"]);
    insta::assert_snapshot!(human);
}

#[test]
fn configuration_excludes_requires_reasons_and_is_inherited() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"lib\"]\n\n[workspace.metadata.asyncwise]\nexclude = [\"app/generated\", \"**/fixtures/**\"]\nrequire_reason = true\n",
    );
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
    );
    let blocking_unexplained = "pub async fn f() {\n    // asyncwise: allow(blocking_in_async)\n    std::thread::sleep(std::time::Duration::ZERO);\n}\n";
    write(root, "app/src/lib.rs", blocking_unexplained);
    write(
        root,
        "app/generated/out.rs",
        "pub async fn g() { std::thread::sleep(x); }\n",
    );
    write(
        root,
        "app/tests/fixtures/case.rs",
        "pub async fn g() { std::thread::sleep(x); }\n",
    );
    // The lib package turns the requirement off for itself: the nearest setting wins.
    write(
        root,
        "lib/Cargo.toml",
        "[package]\nname = \"lib\"\nversion = \"0.1.0\"\n\n[package.metadata.asyncwise]\nrequire_reason = false\n",
    );
    write(root, "lib/src/lib.rs", blocking_unexplained);

    let (code, stdout, stderr) = run(root, &["check", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        doc["files_checked"], 2,
        "excluded files are not checked: {doc}"
    );
    let rules: Vec<(&str, &str)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["path"].as_str().unwrap(), d["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(rules, [("app/src/lib.rs", "invalid_suppression")]);

    // A path named on the command line is checked even when excluded.
    let (_, named) = findings(root, &["app/generated/out.rs"]);
    assert_eq!(named, found(&[("blocking_in_async", 1)]));
    // --no-config ignores it all (test code needs --all-targets, as always).
    let (_, everything) = findings(root, &["--no-config", "--all-targets"]);
    assert_eq!(everything.len(), 2, "{everything:?}");
}

#[test]
fn configured_blocking_offload_and_spawn_functions_are_known_to_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"svc\"]\n\n[workspace.metadata.asyncwise]\nblocking = [{ path = \"legacy_db::query_sync\", help = \"use `legacy_db::query(..).await`\" }]\n",
    );
    // The package names its own functions by its library's name; its code calls them `crate::`.
    write(
        root,
        "svc/Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[package.metadata.asyncwise]\noffload = [\"svc::pool::run_blocking\"]\nspawn = [\"svc::rt::spawn_named\"]\n",
    );
    write(
        root,
        "svc/src/lib.rs",
        "pub mod pool;\npub mod rt;\nuse rt::spawn_named;\n\npub async fn handler(jobs: Vec<Job>) {\n    legacy_db::query_sync(\"select 1\");\n    pool::run_blocking(|| legacy_db::query_sync(\"select 2\"));\n    for job in jobs {\n        spawn_named(\"job\", async move { run(job).await? });\n    }\n}\n\nasync fn run(job: Job) -> Result<(), Error> {\n    job.check()?;\n    Ok(())\n}\n",
    );
    write(
        root,
        "svc/src/pool.rs",
        "pub fn run_blocking<F: FnOnce() -> R, R>(f: F) -> R {\n    f()\n}\n",
    );
    write(
        root,
        "svc/src/rt.rs",
        "pub fn spawn_named<F>(_name: &str, _task: F) {}\n",
    );

    // `unbounded_spawn` is off by default.
    let (code, got) = findings(root, &["-W", "unbounded_spawn"]);
    assert_eq!(code, 1);
    assert_eq!(
        got,
        found(&[
            ("blocking_in_async", 6),
            ("detached_task", 9),
            ("unbounded_spawn", 9)
        ]),
        "the configured blocking call is found, the offloaded one is not, the spawn wrapper is a spawn"
    );
    let (_, stdout, _) = run(root, &["check"]);
    assert!(
        stdout.contains("use `legacy_db::query(..).await`"),
        "the configured help is shown: {stdout}"
    );
    // Without the configuration, none of those functions is known.
    let (code, got) = findings(root, &["--no-config"]);
    assert_eq!((code, got), (0, Vec::new()));
}

#[test]
fn a_configured_bound_keeps_a_spawn_loop_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lib = "pub mod limits;\n\npub async fn fan_out(jobs: Vec<u32>, more: Vec<u32>) {\n    for job in jobs {\n        limits::acquire_slot().await;\n        tokio::spawn(async move { work(job).await });\n    }\n    for job in more {\n        tokio::spawn(async move { work(job).await });\n    }\n}\n\nasync fn work(_job: u32) {}\n";
    write(root, "src/lib.rs", lib);
    write(root, "src/limits.rs", "pub async fn acquire_slot() {}\n");
    let manifest = |rows: &str| {
        format!(
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[package.metadata.asyncwise]\n{rows}\n[package.metadata.asyncwise.rules]\nunbounded_spawn = \"warn\"\n"
        )
    };
    write(root, "Cargo.toml", &manifest(""));
    let (_, without) = findings(root, &[]);
    assert_eq!(
        without,
        found(&[("unbounded_spawn", 6), ("unbounded_spawn", 9)])
    );
    write(
        root,
        "Cargo.toml",
        &manifest("bound = [\"svc::limits::acquire_slot\"]"),
    );
    let (_, with) = findings(root, &[]);
    assert_eq!(
        with,
        found(&[("unbounded_spawn", 9)]),
        "only the loop without the slot"
    );
}

#[test]
fn vendored_packages_are_skipped_unless_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let blocking = "pub async fn f() {\n    std::thread::sleep(std::time::Duration::ZERO);\n}\n";
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
    );
    write(root, "src/lib.rs", "mod vendor;\n");
    // A module of the project that happens to be called `vendor` is its code.
    write(root, "src/vendor/mod.rs", blocking);
    write(
        root,
        "vendor/fork/Cargo.toml",
        "[package]\nname = \"fork\"\nversion = \"0.1.0\"\n",
    );
    write(root, "vendor/fork/src/lib.rs", blocking);

    let (_, walked) = findings(root, &[]);
    assert_eq!(walked, found(&[("blocking_in_async", 2)]));
    let (_, json, _) = run(root, &["check", "--format", "json"]);
    assert!(
        json.contains("src/vendor/mod.rs") && !json.contains("vendor/fork"),
        "{json}"
    );
    // Named, it is checked.
    let (_, named) = findings(root, &["vendor/fork"]);
    assert_eq!(named, found(&[("blocking_in_async", 2)]));
}

#[test]
fn path_overrides_and_test_code_levels() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[package.metadata.asyncwise]\ntest_rules = { blocking_in_async = \"allow\" }\n\n[[package.metadata.asyncwise.overrides]]\npaths = [\"src/legacy/**\"]\nrules = { blocking_in_async = \"deny\" }\n",
    );
    let sleep = "std::thread::sleep(std::time::Duration::ZERO);";
    write(
        root,
        "src/lib.rs",
        &format!(
            "pub mod legacy;\npub async fn a() {{\n    {sleep}\n}}\n#[cfg(test)]\nmod tests {{\n    #[tokio::test]\n    async fn t() {{\n        {sleep}\n    }}\n}}\n"
        ),
    );
    write(
        root,
        "src/legacy/mod.rs",
        &format!("pub async fn b() {{\n    {sleep}\n}}\n"),
    );
    write(
        root,
        "tests/it.rs",
        &format!("async fn c() {{\n    {sleep}\n}}\n"),
    );

    let (_, stdout, stderr) = run(root, &["check", "--all-targets", "--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let got: Vec<(String, u64, String)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("src/legacy/mod.rs".to_owned(), 2, "deny".to_owned()),
            ("src/lib.rs".to_owned(), 3, "warn".to_owned()),
        ],
        "test code (the test item and tests/) is allowed, the legacy path denied"
    );
    // The command line still comes last.
    let (_, all) = findings(root, &["--all-targets", "-W", "blocking_in_async"]);
    assert_eq!(all.len(), 4, "{all:?}");

    // Mistyped keys and rule names are errors with a suggestion.
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[[package.metadata.asyncwise.overrides]]\npath = [\"src/**\"]\n",
    );
    let (code, stdout, _) = run(root, &["check"]);
    assert_eq!(code, 2);
    assert!(
        stdout.contains(
            "Cargo.toml:6:1: unknown key of an `overrides` table `path`; did you mean `paths`?"
        ),
        "{stdout}"
    );
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[package.metadata.asyncwise]\ntest_rules = { detached_tsk = \"allow\" }\n",
    );
    let (code, stdout, _) = run(root, &["check"]);
    assert_eq!(code, 2);
    assert!(stdout.contains("did you mean `detached_task`?"), "{stdout}");
}

#[test]
fn configuration_errors_point_at_the_place_and_suggest() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\n\n[package.metadata.asyncwise]\nexlude = [\"gen/**\"]\n",
    );
    write(dir.path(), "src/lib.rs", "pub fn f() {}\n");
    let (code, stdout, _) = run(dir.path(), &["check", "--color", "never"]);
    assert_eq!(code, 2);
    assert!(
        stdout.contains("error: Cargo.toml:6:1: unknown key `exlude`; did you mean `exclude`?"),
        "{stdout}"
    );

    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
    );
    write(
        dir.path(),
        "asyncwise.toml",
        "[rules]\nunbounded_chanel = \"allow\"\n",
    );
    let (code, stdout, _) = run(dir.path(), &["check", "--color", "never"]);
    assert_eq!(code, 2);
    assert!(
        stdout.contains(
            "error: asyncwise.toml:2:1: unknown rule `unbounded_chanel`; did you mean `unbounded_channel`?"
        ),
        "{stdout}"
    );

    // Two configurations in one place are an error, not a silent choice.
    write(
        dir.path(),
        "asyncwise.toml",
        "exclude = []
",
    );
    write(
        dir.path(),
        "Cargo.toml",
        "[package]
name = \"x\"
version = \"0.1.0\"

[package.metadata.asyncwise]
exclude = []
",
    );
    let (code, stdout, _) = run(dir.path(), &["check", "--color", "never"]);
    assert_eq!(code, 2);
    assert!(
        stdout.contains(
            "`[package.metadata.asyncwise]` and `asyncwise.toml` both configure asyncwise here"
        ),
        "{stdout}"
    );
}

#[test]
fn baseline_round_trip_survives_an_edit_above_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let original = "\
pub async fn old() {
    std::thread::sleep(std::time::Duration::ZERO);
}
";
    write(dir.path(), "src/lib.rs", original);
    let (code, _, stderr) = run(
        dir.path(),
        &["check", "--write-baseline", "asyncwise-baseline.json"],
    );
    assert_eq!(code, 1, "the findings are still reported while recording");
    assert!(stderr.contains("recorded 1 finding"), "{stderr}");
    let baseline: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("asyncwise-baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(baseline["findings"][0]["item"], "old");

    // Lines added above, the call reformatted, and one new finding in a new fn.
    let edited = "\
use std::time::Duration;

pub async fn added() {
    std::thread::sleep(Duration::ZERO);
}

pub async fn old() {
    std::thread::sleep(
        std::time::Duration::ZERO,
    );
}
";
    write(dir.path(), "src/lib.rs", edited);
    let (code, found_) = findings(dir.path(), &["--baseline", "asyncwise-baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(found_, found(&[("blocking_in_async", 4)]));
    // Without the new finding, the baseline makes the run clean.
    write(
        dir.path(),
        "src/lib.rs",
        &edited.replace("    std::thread::sleep(Duration::ZERO);\n", ""),
    );
    let (code, found_) = findings(dir.path(), &["--baseline", "asyncwise-baseline.json"]);
    assert_eq!((code, found_), (0, vec![]));
    // A second identical finding in the same fn is new: fingerprints count occurrences.
    write(
        dir.path(),
        "src/lib.rs",
        "pub async fn old() {\n    std::thread::sleep(std::time::Duration::ZERO);\n    std::thread::sleep(std::time::Duration::ZERO);\n}\n",
    );
    let (_, found_) = findings(dir.path(), &["--baseline", "asyncwise-baseline.json"]);
    assert_eq!(found_, found(&[("blocking_in_async", 3)]));

    write(
        dir.path(),
        "bad-baseline.json",
        "{\"version\": 7, \"findings\": []}",
    );
    let (code, _, stderr) = run(dir.path(), &["check", "--baseline", "bad-baseline.json"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("baseline version 7 is not supported"),
        "{stderr}"
    );
}

#[test]
fn empty_paths_warn_and_nothing_checked_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/lib.rs", "pub fn f() {}\n");
    write(dir.path(), "docs/readme.md", "# docs\n");
    let (code, _, stderr) = run(dir.path(), &["check", "src", "docs"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: docs: no Rust file to check here"),
        "{stderr}"
    );
    let (code, _, stderr) = run(dir.path(), &["check", "docs"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: no Rust file was checked"),
        "{stderr}"
    );
}

/// A two-member workspace: `app` (with a finding) and `util` (with a suppressed finding and one
/// more), plus a test fixture the workspace excludes.
fn two_member_workspace(root: &Path) {
    write(
        root,
        "Cargo.toml",
        "[workspace]\nresolver = \"3\"\nmembers = [\"app\", \"util\"]\n\n[workspace.metadata.asyncwise]\nexclude = [\"util/tests/fixtures\"]\n",
    );
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    write(
        root,
        "app/src/main.rs",
        "fn main() {}\n\nasync fn serve() {\n    std::thread::sleep(std::time::Duration::ZERO);\n}\n",
    );
    write(
        root,
        "util/Cargo.toml",
        "[package]\nname = \"util\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    write(
        root,
        "util/src/lib.rs",
        "pub async fn a() {\n    // asyncwise: allow(blocking_in_async) -- startup\n    std::thread::sleep(std::time::Duration::ZERO);\n}\n\npub fn channel() {\n    let _ = tokio::sync::mpsc::unbounded_channel::<u8>();\n}\n",
    );
    write(root, "util/tests/it.rs", "#[test]\nfn t() {}\n");
    write(
        root,
        "util/tests/fixtures/bad.rs",
        "async fn f() { std::thread::sleep(x); }\n",
    );
}

fn cargo_asyncwise(dir: &Path, args: &[&str]) -> (i32, Vec<(String, String, u64)>, String) {
    let output = cargo_bin_cmd!("cargo-asyncwise")
        .current_dir(dir)
        .arg("asyncwise")
        .args(args)
        // Off by default; the fixture's `util` member has one.
        .args(["--format", "json", "-W", "unbounded_channel"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let found = serde_json::from_str::<Value>(&stdout)
        .map(|doc| {
            doc["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["path"].as_str().unwrap().to_owned(),
                        d["rule"].as_str().unwrap().to_owned(),
                        d["line"].as_u64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (output.status.code().unwrap(), found, stderr)
}

fn triples(items: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    items
        .iter()
        .map(|(p, r, l)| ((*p).to_owned(), (*r).to_owned(), *l))
        .collect()
}

#[test]
fn cargo_subcommand_checks_the_package_or_workspace_from_any_subdirectory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    two_member_workspace(root);
    let app = triples(&[("app/src/main.rs", "blocking_in_async", 4)]);
    let util = triples(&[("util/src/lib.rs", "unbounded_channel", 7)]);

    // Deep inside a member: that member, paths relative to the workspace root.
    let (code, found_, stderr) = cargo_asyncwise(&root.join("app/src"), &[]);
    assert_eq!((code, &found_), (1, &app), "{stderr}");
    // In the virtual workspace's root: every member; the excluded fixture stays out.
    let (code, found_, stderr) = cargo_asyncwise(root, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(found_, [app.clone(), util.clone()].concat());
    // From a member's directory, other selections.
    let inside_util = root.join("util/tests");
    let (_, found_, _) = cargo_asyncwise(&inside_util, &["--workspace"]);
    assert_eq!(found_, [app.clone(), util.clone()].concat());
    let (_, found_, _) = cargo_asyncwise(&inside_util, &["--workspace", "--exclude", "util"]);
    assert_eq!(found_, app);
    let (_, found_, _) = cargo_asyncwise(&inside_util, &["-p", "app", "-p", "util"]);
    assert_eq!(found_, [app.clone(), util.clone()].concat());
    let (code, _, stderr) = cargo_asyncwise(&inside_util, &["-p", "ap"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `app`?"), "{stderr}");
}

#[test]
fn configured_levels_apply_nearest_first_and_the_command_line_last() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"quiet\"]\n\n[workspace.metadata.asyncwise.rules]\ncorrectness = \"deny\"\nperf = \"warn\"\nblocking_in_async = \"deny\"\n",
    );
    let code = "pub async fn f() {\n    std::thread::sleep(std::time::Duration::ZERO);\n}\npub async fn g() {\n    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel::<u8>();\n    loop { tx.send(1).ok(); tokio::task::yield_now().await; }\n}\n";
    write(
        root,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
    );
    write(root, "app/src/lib.rs", code);
    // A package setting wins over the workspace's for that package.
    write(
        root,
        "quiet/Cargo.toml",
        "[package]\nname = \"quiet\"\nversion = \"0.1.0\"\n\n[package.metadata.asyncwise.rules]\nblocking_in_async = \"allow\"\n",
    );
    write(root, "quiet/src/lib.rs", code);

    let (_, stdout, _) = run(root, &["check", "--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let levels: Vec<(String, String, String)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["rule"].as_str().unwrap().to_owned(),
                d["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let has = |path: &str, rule: &str| levels.iter().find(|(p, r, _)| p == path && r == rule);
    assert_eq!(
        has("app/src/lib.rs", "blocking_in_async").map(|l| l.2.as_str()),
        Some("deny"),
        "{levels:?}"
    );
    assert!(
        has("quiet/src/lib.rs", "blocking_in_async").is_none(),
        "{levels:?}"
    );
    // A group setting turns on its rules that are off by default.
    assert!(
        has("quiet/src/lib.rs", "unbounded_channel").is_some(),
        "{levels:?}"
    );

    // The command line comes after the configuration.
    let (_, stdout, _) = run(
        root,
        &["check", "--format", "json", "-W", "blocking_in_async"],
    );
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let app_blocking = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "app/src/lib.rs" && d["rule"] == "blocking_in_async")
        .unwrap();
    assert_eq!(app_blocking["level"], "warn");
}

/// A package whose `lib.rs` is `body`, with tokio's `time` feature (so sleeps are fixable).
fn timed_package(dir: &Path, body: &str) {
    write(
        dir,
        "Cargo.toml",
        "[package]\nname = \"r\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
         [dependencies]\ntokio = { version = \"1\", features = [\"time\"] }\n",
    );
    write(dir, "src/lib.rs", body);
}

const THREE_IN_TWO_FNS: &str = "\
use std::time::Duration;

pub async fn migrate() {
    std::thread::sleep(Duration::ZERO);
    let _ = 1;
    std::thread::sleep(Duration::ZERO);
}

pub async fn other() {
    std::thread::sleep(Duration::ZERO);
}
";

#[test]
fn repeated_findings_in_one_function_are_one_finding_with_notes() {
    let dir = tempfile::tempdir().unwrap();
    timed_package(dir.path(), THREE_IN_TWO_FNS);

    // JSON: two findings; the first says how many more and points at the repeat.
    let (code, stdout, _) = run(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2, "{stdout}");
    let first = &diagnostics[0];
    assert_eq!(first["line"], 4);
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .ends_with("(and 1 more blocking call in `migrate`)"),
        "{first}"
    );
    let notes = first["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{first}");
    assert_eq!(
        (notes[0]["line"].clone(), notes[0]["column"].clone()),
        (6.into(), 5.into())
    );
    assert_eq!(notes[0]["path"], "src/lib.rs");
    assert_eq!(diagnostics[1]["line"], 10);
    assert_eq!(diagnostics[1]["notes"].as_array().unwrap().len(), 0);

    // Human: the repeat is labelled in the snippet; the summary counts grouped findings.
    let (_, human, _) = run(dir.path(), &["check", "--color", "never"]);
    assert!(
        human.contains("6 |     std::thread::sleep(Duration::ZERO);"),
        "{human}"
    );
    assert!(
        human.contains("asyncwise: 2 warnings in 1 file (1 file checked); 2 fixable with `--fix`"),
        "{human}"
    );

    // SARIF: the repeat is a related location.
    let (_, sarif, _) = run(dir.path(), &["check", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let related = results[0]["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 1);
    assert_eq!(
        related[0]["physicalLocation"]["region"]["startLine"], 6,
        "{related:?}"
    );

    // cargo's JSON: a labelled secondary span, and one suggestion that fixes both calls.
    let (_, lines, _) = run(dir.path(), &["check", "--message-format", "json"]);
    let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    let spans = first["message"]["spans"].as_array().unwrap();
    assert!(
        spans
            .iter()
            .any(|s| s["is_primary"] == false && s["line_start"] == 6 && s["label"].is_string()),
        "{first}"
    );
    let suggestion = first["message"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["spans"].as_array().is_some_and(|s| !s.is_empty()))
        .expect("a machine-applicable suggestion");
    let edited_lines: std::collections::BTreeSet<u64> = suggestion["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["line_start"].as_u64().unwrap())
        .collect();
    assert_eq!(edited_lines, [4, 6].into());

    // The baseline records every occurrence.
    let (_, _, stderr) = run(dir.path(), &["check", "--write-baseline", "b.json"]);
    assert!(stderr.contains("recorded 3 findings"), "{stderr}");
    let (code, found_) = findings(dir.path(), &["--baseline", "b.json"]);
    assert_eq!((code, found_), (0, vec![]));

    // `--fix` rewrites every occurrence, the repeats included.
    let (_, _, stderr) = run(dir.path(), &["check", "--fix"]);
    assert!(stderr.contains("fixed 3 findings in 1 file"), "{stderr}");
    let fixed = std::fs::read_to_string(dir.path().join("src/lib.rs")).unwrap();
    assert_eq!(
        fixed
            .matches("tokio::time::sleep(Duration::ZERO).await")
            .count(),
        3
    );
}

#[test]
fn repeats_are_grouped_after_suppressions_and_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    // The first occurrence suppressed: the second is reported alone, with no count or note.
    timed_package(
        dir.path(),
        &THREE_IN_TWO_FNS.replacen(
            "    std::thread::sleep(Duration::ZERO);\n    let _ = 1;",
            "    std::thread::sleep(Duration::ZERO); // asyncwise: allow(blocking_in_async) -- once\n    let _ = 1;",
            1,
        ),
    );
    let (_, stdout, _) = run(dir.path(), &["check", "--format", "json"]);
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2, "{stdout}");
    assert_eq!(diagnostics[0]["line"], 6);
    assert!(!diagnostics[0]["message"].as_str().unwrap().contains("more"));
    assert_eq!(diagnostics[0]["notes"].as_array().unwrap().len(), 0);

    // A baseline with one occurrence; a second added in the same function is reported alone.
    let dir = tempfile::tempdir().unwrap();
    timed_package(
        dir.path(),
        "pub async fn migrate() {\n    std::thread::sleep(std::time::Duration::ZERO);\n}\n",
    );
    run(dir.path(), &["check", "--write-baseline", "b.json"]);
    timed_package(
        dir.path(),
        "pub async fn migrate() {\n    std::thread::sleep(std::time::Duration::ZERO);\n    \
         std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
    );
    let (_, stdout, stderr) = run(
        dir.path(),
        &["check", "--format", "json", "--baseline", "b.json"],
    );
    assert!(
        stderr.contains("1 finding recorded in b.json not shown"),
        "{stderr}"
    );
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{stdout}");
    assert_eq!(diagnostics[0]["line"], 3);
    assert!(!diagnostics[0]["message"].as_str().unwrap().contains("more"));
    assert_eq!(diagnostics[0]["notes"].as_array().unwrap().len(), 0);

    // A baseline written before repeats were grouped (by main at 51a6501, for
    // THREE_IN_TWO_FNS) still matches occurrence by occurrence: with `migrate`'s first call
    // recorded, its second is reported alone, and `other` as before.
    let dir = tempfile::tempdir().unwrap();
    timed_package(dir.path(), THREE_IN_TWO_FNS);
    let entry = |fingerprint: &str, item: &str| {
        format!(
            "{{\"fingerprint\": \"{fingerprint}\", \"rule\": \"blocking_in_async\", \
             \"path\": \"src/lib.rs\", \"item\": \"{item}\", \"message\": \"m\"}}"
        )
    };
    write(
        dir.path(),
        "old.json",
        &format!(
            "{{\"version\": 1, \"findings\": [{}]}}",
            entry("0b5cc4322533ddb0", "migrate")
        ),
    );
    let (_, found_) = findings(dir.path(), &["--baseline", "old.json"]);
    assert_eq!(
        found_,
        found(&[("blocking_in_async", 6), ("blocking_in_async", 10)])
    );
    write(
        dir.path(),
        "old.json",
        &format!(
            "{{\"version\": 1, \"findings\": [{}, {}, {}]}}",
            entry("0b5cc4322533ddb0", "migrate"),
            entry("0b5cc5322533df63", "migrate"),
            entry("e3319da1bf37d181", "other")
        ),
    );
    let (code, found_) = findings(dir.path(), &["--baseline", "old.json"]);
    assert_eq!((code, found_), (0, vec![]));
}
