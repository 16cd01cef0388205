//! End-to-end tests of the `asyncwise` binary: output formats, exit codes, error handling.

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::Value;

/// A finding of `blocking_in_async` on line 2, columns 5..61 (end exclusive).
const BLOCKING: &str =
    "async fn handler() {\n    std::thread::sleep(std::time::Duration::from_millis(10));\n}\n";
const CLEAN: &str =
    "fn main() {\n    std::thread::sleep(std::time::Duration::from_millis(10));\n}\n";

fn asyncwise(dir: &Path) -> Command {
    let mut cmd = cargo_bin_cmd!("asyncwise");
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

fn write(dir: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// Runs `check --format json` with extra arguments; returns the exit code and the document.
fn check_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let output = asyncwise(dir)
        .arg("check")
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let doc = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"));
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {:?}", output.status));
    (code, doc)
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

fn error_messages(doc: &Value) -> Vec<(String, String)> {
    doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn rules_found(doc: &Value) -> Vec<(String, u64, String)> {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
                d["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn json_schema_is_exactly_version_1() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/lib.rs", BLOCKING);
    write(dir.path(), "src/broken.rs", "fn broken( {");
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!(code, 2, "{doc}");
    assert_eq!(
        keys(&doc),
        set(&[
            "version",
            "files_checked",
            "skipped",
            "diagnostics",
            "errors"
        ])
    );
    assert_eq!(keys(&doc["skipped"]), set(&["files", "items"]));
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["files_checked"], 2);

    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{doc}");
    let d = &diagnostics[0];
    assert_eq!(
        keys(d),
        set(&[
            "rule",
            "severity",
            "level",
            "group",
            "form",
            "on_by_default",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "message",
            "help",
            "notes"
        ])
    );
    assert_eq!(d["rule"], "blocking_in_async");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["level"], "warn");
    assert_eq!(d["group"], "perf");
    assert_eq!(d["form"], "default");
    assert_eq!(d["on_by_default"], true);
    assert_eq!(d["path"], "src/lib.rs");
    assert_eq!(
        (&d["line"], &d["column"], &d["end_line"], &d["end_column"]),
        (&2.into(), &5.into(), &2.into(), &61.into())
    );
    assert!(d["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(d["help"].is_null() || d["help"].is_string());
    for note in d["notes"].as_array().unwrap() {
        assert_eq!(keys(note), set(&["message", "path", "line", "column"]));
        assert!(note["message"].is_string());
        assert_eq!(note["path"], "src/lib.rs");
        assert!(note["line"].is_null() || note["line"].is_u64());
        assert_eq!(note["line"].is_null(), note["column"].is_null());
    }

    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        keys(&errors[0]),
        set(&["path", "message", "line", "column"])
    );
    assert_eq!(errors[0]["path"], "src/broken.rs");
    assert_eq!(
        (&errors[0]["line"], &errors[0]["column"]),
        (&1.into(), &12.into())
    );
}

#[test]
fn exit_code_0_when_clean() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/main.rs", CLEAN);
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["files_checked"], 1);
    assert_eq!(doc["diagnostics"], Value::Array(vec![]));
    assert_eq!(doc["errors"], Value::Array(vec![]));
    asyncwise(dir.path())
        .arg("check")
        .assert()
        .code(0)
        .stdout("asyncwise: no findings (1 file checked)\n");
}

#[test]
fn exit_code_1_on_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/lib.rs", BLOCKING);
    write(dir.path(), "src/main.rs", CLEAN);
    let (code, doc) = check_json(dir.path(), &["src"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(
        rules_found(&doc),
        [("src/lib.rs".to_owned(), 2, "blocking_in_async".to_owned())]
    );
}

#[test]
fn exit_code_2_still_reports_the_other_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/lib.rs", BLOCKING);
    write(dir.path(), "src/bad.rs", "fn main() { let = ; }");
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!(code, 2, "{doc}");
    assert_eq!(rules_found(&doc).len(), 1, "{doc}");
    let errors = error_messages(&doc);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "src/bad.rs");
    assert!(errors[0].1.starts_with("could not parse"), "{errors:?}");
}

#[test]
fn human_output_is_rustc_style_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/lib.rs", BLOCKING);
    write(dir.path(), "src/main.rs", CLEAN);
    let output = asyncwise(dir.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("warning[asyncwise::blocking_in_async]: "),
        "{text}"
    );
    assert!(text.contains("--> src/lib.rs:2:5"), "{text}");
    assert!(
        text.contains("2 |     std::thread::sleep(std::time::Duration::from_millis(10));"),
        "{text}"
    );
    assert!(
        text.contains(&format!("|     {}", "^".repeat(56))),
        "{text}"
    );
    assert!(text.contains("= help: "), "{text}");
    assert!(!text.contains('\x1b'), "no colours when piped: {text}");
    assert!(
        text.ends_with("asyncwise: 1 warning in 1 file (2 files checked)\n"),
        "{text}"
    );
}

#[test]
fn colours_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.rs", BLOCKING);
    asyncwise(dir.path())
        .args(["check", "--color", "always"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\x1b["));
    asyncwise(dir.path())
        .args(["check", "--color", "auto"])
        .env("NO_COLOR", "1")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn non_utf8_file_is_a_per_file_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin1.rs", b"// caf\xe9\nfn main() {}\n");
    write(dir.path(), "ok.rs", CLEAN);
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    assert_eq!(doc["files_checked"], 2);
    assert_eq!(
        error_messages(&doc),
        [(
            "latin1.rs".to_owned(),
            "not valid UTF-8 (invalid byte at offset 6)".to_owned()
        )]
    );
}

#[test]
fn empty_file_is_clean() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty.rs", "");
    let (code, doc) = check_json(dir.path(), &["empty.rs"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["files_checked"], 1);
}

#[test]
fn invalid_syntax_names_the_place() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.rs", "fn main() {\n    let x = ;\n}\n");
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!(code, 2);
    let errors = error_messages(&doc);
    assert_eq!(errors[0].0, "bad.rs");
    assert!(errors[0].1.starts_with("could not parse:"), "{errors:?}");
    let error = &doc["errors"][0];
    assert_eq!((&error["line"], &error["column"]), (&2.into(), &13.into()));
    // Every format prints the place as a clickable `path:line:col`.
    let human = asyncwise(dir.path())
        .args(["check", "--color", "never"])
        .output()
        .unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(
        human.contains("error: bad.rs:2:13: could not parse:"),
        "{human}"
    );
}

#[test]
fn pathological_nesting_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    write(
        dir.path(),
        "parens.rs",
        format!("fn f() {{ let x = {}1{}; }}", "(".repeat(n), ")".repeat(n)),
    );
    write(
        dir.path(),
        "nots.rs",
        format!("fn f() {{ {}true; }}", "!".repeat(n)),
    );
    write(
        dir.path(),
        "refs.rs",
        format!("fn f() {{ {}x; }}", "&".repeat(n)),
    );
    write(
        dir.path(),
        "negs.rs",
        format!("fn f() {{ {}x; }}", "- ".repeat(n)),
    );
    write(
        dir.path(),
        "derefs.rs",
        format!("fn f() {{ {}x; }}", "*".repeat(n)),
    );
    write(
        dir.path(),
        "chain.rs",
        format!("fn f() {{ x{}; }}", ".a()".repeat(n)),
    );
    write(
        dir.path(),
        "tries.rs",
        format!("fn f() {{ x{}; }}", "?".repeat(n)),
    );
    write(
        dir.path(),
        "generics.rs",
        format!("type T = {}u8{};", "Vec<".repeat(n), ">".repeat(n)),
    );
    write(dir.path(), "fine.rs", BLOCKING);
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!(code, 2, "{doc}");
    assert_eq!(doc["files_checked"], 9);
    assert_eq!(rules_found(&doc).len(), 1, "{doc}");
    let errors = error_messages(&doc);
    let failed: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        failed,
        [
            "chain.rs",
            "derefs.rs",
            "generics.rs",
            "negs.rs",
            "nots.rs",
            "parens.rs",
            "refs.rs",
            "tries.rs"
        ]
    );
    assert!(
        errors
            .iter()
            .all(|e| e.1.contains("too deeply") || e.1.contains("too long")),
        "{errors:?}"
    );
}

#[test]
fn huge_files_are_refused_and_large_ones_checked() {
    let dir = tempfile::tempdir().unwrap();
    // 40 MiB: over the size limit.
    let line = "fn filler() { let _ = 1 + 2; }\n";
    write(
        dir.path(),
        "huge.rs",
        line.repeat((40 << 20) / line.len() + 1),
    );
    // About 2 MiB of real code, with a finding at the very end.
    let mut large = String::new();
    for i in 0..40_000 {
        large.push_str(&format!("pub fn f{i}(x: u32) -> u32 {{ x + {i} }}\n"));
    }
    large.push_str(BLOCKING);
    write(dir.path(), "large.rs", &large);
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!(code, 2, "{}", doc["errors"]);
    let errors = error_messages(&doc);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "huge.rs");
    assert!(errors[0].1.starts_with("file too large"), "{errors:?}");
    assert_eq!(
        rules_found(&doc),
        [(
            "large.rs".to_owned(),
            40_002,
            "blocking_in_async".to_owned()
        )]
    );
}

#[test]
fn nonexistent_path_is_reported_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.rs", CLEAN);
    let (code, doc) = check_json(dir.path(), &["./no/such/dir", "a.rs"]);
    assert_eq!(code, 2);
    assert_eq!(doc["files_checked"], 1);
    let errors = error_messages(&doc);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, "no/such/dir");
    assert!(errors[0].1.starts_with("could not read"), "{errors:?}");
}

#[test]
fn gitignore_is_honoured_but_named_paths_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "fixtures/\ngenerated.rs\n");
    write(dir.path(), "src/lib.rs", CLEAN);
    write(dir.path(), "src/generated.rs", BLOCKING);
    write(dir.path(), "fixtures/bad.rs", BLOCKING);
    write(dir.path(), "fixtures/deep/worse.rs", BLOCKING);

    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!((code, &doc["files_checked"]), (0, &1.into()), "{doc}");

    let (code, doc) = check_json(dir.path(), &["fixtures"]);
    assert_eq!(code, 1, "{doc}");
    let paths: Vec<String> = rules_found(&doc).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, ["fixtures/bad.rs", "fixtures/deep/worse.rs"]);

    let (code, doc) = check_json(dir.path(), &["src/generated.rs", "fixtures/deep"]);
    assert_eq!(code, 1, "{doc}");
    let paths: Vec<String> = rules_found(&doc).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, ["fixtures/deep/worse.rs", "src/generated.rs"]);
}

#[test]
fn named_directories_are_checked_even_when_their_contents_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "vendor/**\n");
    write(dir.path(), "vendor/dep/lib.rs", BLOCKING);
    write(dir.path(), "vendor/dep/.gitignore", "skipped.rs\n");
    write(dir.path(), "vendor/dep/skipped.rs", BLOCKING);
    write(dir.path(), ".hidden/lib.rs", BLOCKING);
    write(dir.path(), "src/lib.rs", CLEAN);

    let (code, doc) = check_json(dir.path(), &["."]);
    assert_eq!((code, &doc["files_checked"]), (0, &1.into()), "{doc}");

    let (code, doc) = check_json(dir.path(), &["vendor/dep", ".hidden"]);
    assert_eq!(code, 1, "{doc}");
    let paths: Vec<String> = rules_found(&doc).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, [".hidden/lib.rs", "vendor/dep/lib.rs"]);
}

#[test]
fn paths_are_shown_as_typed_relative_to_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.rs", BLOCKING);
    let absolute = dir.path().canonicalize().unwrap().join("src");
    for arg in ["./src", "src/", "src/./a.rs", absolute.to_str().unwrap()] {
        let (code, doc) = check_json(&dir.path().canonicalize().unwrap(), &[arg]);
        assert_eq!(code, 1, "{arg}: {doc}");
        assert_eq!(doc["diagnostics"][0]["path"], "src/a.rs", "{arg}");
    }
    let (_, doc) = check_json(&dir.path().join("src"), &["../src/a.rs"]);
    assert_eq!(doc["diagnostics"][0]["path"], "../src/a.rs");
}

#[test]
fn thread_count_does_not_change_the_result() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        let text = if i % 3 == 0 { BLOCKING } else { CLEAN };
        write(dir.path(), &format!("src/m{i}.rs"), text);
    }
    let (_, one) = check_json(dir.path(), &["--threads", "1"]);
    let (_, four) = check_json(dir.path(), &["--threads", "4"]);
    assert_eq!(one, four);
    assert_eq!(one["files_checked"], 40);
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["check", "--format", "xml"][..],
        &["check", "--threads", "0"],
        &["frobnicate"],
        &[],
    ] {
        asyncwise(dir.path()).args(args).assert().code(2);
    }
}

#[test]
fn rules_lists_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    let output = asyncwise(dir.path()).arg("rules").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    for rule in asyncwise_lint::rules::RULES {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(rule.name))
            .unwrap_or_else(|| panic!("`{}` missing from:\n{text}", rule.name));
        assert!(line.ends_with(&rule.summary()), "{line}");
    }
    assert!(
        asyncwise_lint::rules::find("blocking_in_async").is_some(),
        "the core rules are registered"
    );
}

#[test]
fn explain_prints_the_doc_and_rejects_unknown_rules() {
    let dir = tempfile::tempdir().unwrap();
    for rule in asyncwise_lint::rules::RULES {
        asyncwise(dir.path())
            .args(["explain", rule.name])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(rule.markdown().trim()));
    }
    let names = asyncwise_lint::rules::RULES.iter().map(|r| r.name);
    let mut listed = predicate::str::contains("unknown rule `no_such_rule`").boxed();
    for name in names {
        listed = listed.and(predicate::str::contains(name)).boxed();
    }
    asyncwise(dir.path())
        .args(["explain", "no_such_rule"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(listed);
    asyncwise(dir.path())
        .args(["explain", "blocking_in_async"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("## What it does"));
}

#[test]
fn readme_rule_table_is_up_to_date() {
    const START: &str = "<!-- rules:start -->\n";
    const END: &str = "<!-- rules:end -->";
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let output = cargo_bin_cmd!("asyncwise")
        .args(["rules", "--markdown"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let table = String::from_utf8(output.stdout).unwrap();
    let start = readme.find(START).expect("README has <!-- rules:start -->") + START.len();
    let end = readme.find(END).expect("README has <!-- rules:end -->");
    assert_eq!(
        &readme[start..end],
        table,
        "the README's rule table is stale: regenerate it with \
         `cargo run -q -- rules --markdown` and paste the output between the \
         `<!-- rules:start -->` and `<!-- rules:end -->` lines of README.md"
    );
}

#[test]
fn tracked_files_are_checked_even_when_ignored() {
    let git = |dir: &Path, args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(dir)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let dir = tempfile::tempdir().unwrap();
    if !git(dir.path(), &["init", "-q"]) {
        eprintln!("git is not available; skipping");
        return;
    }
    write(dir.path(), ".gitignore", "generated/\n");
    write(dir.path(), "src/lib.rs", CLEAN);
    write(dir.path(), "generated/tracked.rs", BLOCKING);
    write(dir.path(), "generated/untracked.rs", BLOCKING);
    assert!(git(
        dir.path(),
        &["add", "-f", "generated/tracked.rs", "src/lib.rs"]
    ));

    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["files_checked"], 2, "{doc}");
    assert_eq!(
        rules_found(&doc),
        vec![(
            "generated/tracked.rs".to_owned(),
            2,
            "blocking_in_async".to_owned()
        )]
    );
}

/// A package with two runtimes in `[dependencies]`: `mixed_runtimes` points at line 8 of its
/// manifest, and every output format says so.
#[test]
fn manifest_findings_point_into_cargo_toml_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"two\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\nasync-std = \"1\"\n",
    );
    write(dir.path(), "src/lib.rs", "pub fn f() {}\n");
    let run = |args: &[&str]| {
        let output = asyncwise(dir.path())
            .arg("check")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let human = run(&[]);
    assert!(human.contains("--> Cargo.toml:8:1"), "{human}");
    assert!(human.contains("8 | async-std = \"1\""), "{human}");
    assert!(human.contains("^^^^^^^^^^^^^^^"), "{human}");
    let (_, doc) = check_json(dir.path(), &[]);
    let found = rules_found(&doc);
    assert_eq!(found.len(), 1, "{doc}");
    assert!(
        found[0].0.ends_with("Cargo.toml") && found[0].1 == 8,
        "{found:?}"
    );
    let sarif = run(&["--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "Cargo.toml", "{sarif}");
    assert_eq!(location["region"]["startLine"], 8, "{sarif}");
    let github = run(&["--format", "github"]);
    assert!(github.contains("file=Cargo.toml,line=8,col=1"), "{github}");
    let rustc = run(&["--message-format", "json"]);
    assert!(rustc.contains("\"file_name\":\"Cargo.toml\""), "{rustc}");
    assert!(rustc.contains("\"line_start\":8"), "{rustc}");
    assert!(rustc.contains("async-std = \\\"1\\\""), "{rustc}");
}

/// A helper in another file blocks: the finding is at the async call, and its note points at
/// the blocking call in `src/disk.rs`, line 3, in every output format (not only in the text).
#[test]
fn notes_in_another_file_carry_that_file_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"notes\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n",
    );
    write(
        dir.path(),
        "src/lib.rs",
        "mod disk;\n\npub async fn handle() {\n    disk::save();\n}\n",
    );
    write(
        dir.path(),
        "src/disk.rs",
        "pub fn save() {\n    // the blocking call\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n",
    );
    let run = |args: &[&str]| {
        let output = asyncwise(dir.path())
            .arg("check")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let human = run(&[]);
    assert!(
        human.contains("note: `save` calls `std::thread::sleep` at src/disk.rs:3:5"),
        "{human}"
    );
    let (_, doc) = check_json(dir.path(), &[]);
    let note = &doc["diagnostics"][0]["notes"][0];
    assert_eq!(note["path"], "src/disk.rs", "{doc}");
    assert_eq!(note["line"], 3, "{doc}");
    assert_eq!(note["column"], 5, "{doc}");
    assert_eq!(doc["diagnostics"][0]["path"], "src/lib.rs", "{doc}");
    let sarif: Value = serde_json::from_str(&run(&["--format", "sarif"])).unwrap();
    let related = &sarif["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"];
    assert_eq!(related["artifactLocation"]["uri"], "src/disk.rs", "{sarif}");
    assert_eq!(related["region"]["startLine"], 3, "{sarif}");
    let github = run(&["--format", "github"]);
    assert!(github.contains("(src/disk.rs:3)"), "{github}");
    let rustc: Value =
        serde_json::from_str(run(&["--message-format", "json"]).lines().next().unwrap()).unwrap();
    // The package as cargo names it: from the manifest, not from the directory.
    assert!(
        rustc["package_id"]
            .as_str()
            .is_some_and(|id| id.ends_with("#notes@0.1.0")),
        "{rustc}"
    );
    assert_eq!(rustc["target"]["kind"][0], "lib", "{rustc}");
    assert_eq!(rustc["target"]["name"], "notes", "{rustc}");
    assert_eq!(rustc["target"]["edition"], "2021", "{rustc}");
    assert!(
        rustc["target"]["src_path"]
            .as_str()
            .is_some_and(|p| p.ends_with("src/lib.rs")),
        "{rustc}"
    );
    let child = &rustc["message"]["children"][0];
    assert_eq!(child["level"], "note", "{rustc}");
    assert_eq!(child["spans"][0]["file_name"], "src/disk.rs", "{rustc}");
    assert_eq!(child["spans"][0]["line_start"], 3, "{rustc}");
    assert!(
        child["spans"][0]["text"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("std::thread::sleep")),
        "{rustc}"
    );
}

/// `--message-format json` names the target a file belongs to as cargo would: a file under
/// `src/bin/` is that binary's, one under `tests/` that test's.
#[test]
fn cargo_json_names_the_target_of_each_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"svc-tools\"\nversion = \"2.3.4\"\nedition = \"2018\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n",
    );
    let sleepy = "async fn nap() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n\nfn main() {\n    let _ = nap();\n}\n";
    write(dir.path(), "src/bin/migrate.rs", sleepy);
    write(dir.path(), "tests/api/main.rs", sleepy);
    let output = asyncwise(dir.path())
        .args([
            "check",
            "--all-targets",
            "--select",
            "all",
            "--message-format",
            "json",
        ])
        .output()
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let targets: BTreeSet<(String, String, String)> = lines
        .iter()
        .map(|l| {
            let t = &l["target"];
            (
                t["kind"][0].as_str().unwrap().to_owned(),
                t["name"].as_str().unwrap().to_owned(),
                t["edition"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from([
            ("bin".to_owned(), "migrate".to_owned(), "2018".to_owned()),
            ("test".to_owned(), "api".to_owned(), "2018".to_owned()),
        ]),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| {
        l["package_id"]
            .as_str()
            .is_some_and(|id| id.ends_with("#svc-tools@2.3.4"))
    }));
}
