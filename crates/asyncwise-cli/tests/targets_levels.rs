//! `check` leaves out test code unless asked (as `cargo clippy` does), and reports each rule at
//! the level the command line gives it.

use std::path::Path;

use assert_cmd::Command;
use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

const SLEEP: &str = "std::thread::sleep(std::time::Duration::from_millis(1));";

fn asyncwise(dir: &Path) -> Command {
    let mut cmd = cargo_bin_cmd!("asyncwise");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

fn write(dir: &Path, rel: &str, contents: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
    std::fs::write(path, contents).expect("write");
}

/// A package with one finding in library code and one in each kind of test code.
fn package() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n",
    );
    write(
        root,
        "src/lib.rs",
        &format!(
            "pub async fn serve() {{\n    {SLEEP}\n}}\n\
             #[cfg(test)]\nmod tests {{\n    #[tokio::test]\n    async fn t() {{\n        {SLEEP}\n    }}\n}}\n\
             #[cfg(test)]\nmod helpers;\n\
             #[test_log::test(tokio::test)]\nasync fn logged() {{\n    {SLEEP}\n}}\n"
        ),
    );
    write(
        root,
        "src/helpers.rs",
        &format!("pub async fn fixture() {{\n    {SLEEP}\n}}\n"),
    );
    for rel in ["tests/it.rs", "examples/demo.rs", "benches/load.rs"] {
        write(root, rel, &format!("async fn f() {{\n    {SLEEP}\n}}\n"));
    }
    dir
}

fn check_json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let output = asyncwise(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .expect("runs");
    let doc = serde_json::from_slice(&output.stdout).expect("one JSON document");
    (output.status.code().expect("exit code"), doc)
}

/// (path, line) of every finding.
fn found(doc: &Value) -> Vec<(String, u64)> {
    doc["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["path"].as_str().expect("path").to_owned(),
                d["line"].as_u64().expect("line"),
            )
        })
        .collect()
}

fn at(path: &str, line: u64) -> (String, u64) {
    (path.to_owned(), line)
}

#[test]
fn test_code_is_skipped_by_default_and_counted() {
    let dir = package();
    let (code, doc) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(found(&doc), vec![at("src/lib.rs", 2)]);
    // tests/, examples/, benches/ and the out-of-line test module; `mod tests`, the `mod
    // helpers;` declaration and the test fn.
    assert_eq!(doc["skipped"]["files"], 4, "{doc}");
    assert_eq!(doc["skipped"]["items"], 3, "{doc}");
    assert_eq!(doc["files_checked"], 1, "{doc}");

    let text = asyncwise(dir.path()).arg("check").output().expect("runs");
    let text = String::from_utf8(text.stdout).expect("utf-8");
    assert!(
        text.contains("test code skipped (4 files, 3 items): use --all-targets to check it"),
        "{text}"
    );
}

#[test]
fn target_flags_include_what_cargo_would() {
    let dir = package();
    let all = vec![
        at("benches/load.rs", 2),
        at("examples/demo.rs", 2),
        at("src/helpers.rs", 2),
        at("src/lib.rs", 2),
        at("src/lib.rs", 8),
        at("src/lib.rs", 15),
        at("tests/it.rs", 2),
    ];
    let (_, doc) = check_json(dir.path(), &["--all-targets"]);
    assert_eq!(found(&doc), all);
    assert_eq!(
        (&doc["skipped"]["files"], &doc["skipped"]["items"]),
        (&0.into(), &0.into())
    );
    let (_, doc) = check_json(dir.path(), &["--tests"]);
    assert_eq!(
        found(&doc),
        vec![
            at("src/helpers.rs", 2),
            at("src/lib.rs", 2),
            at("src/lib.rs", 8),
            at("src/lib.rs", 15),
            at("tests/it.rs", 2),
        ]
    );
    let (_, doc) = check_json(dir.path(), &["--examples", "--benches"]);
    assert_eq!(
        found(&doc),
        vec![
            at("benches/load.rs", 2),
            at("examples/demo.rs", 2),
            at("src/lib.rs", 2)
        ]
    );
}

/// A workspace whose members declare `[[example]]`, `[[bench]]` and `[[test]]` targets by path,
/// outside the directories cargo would guess them from.
fn workspace_with_declared_targets() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let body = format!("async fn f() {{\n    {SLEEP}\n}}\n");
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"core\", \"examples/pool\", \"load\"]\n",
    );
    write(
        root,
        "core/Cargo.toml",
        "[package]\nname = \"core\"\nversion = \"0.1.0\"\n\n[[test]]\nname = \"wire\"\npath = \"checks/wire.rs\"\n",
    );
    write(root, "core/src/lib.rs", &format!("pub {body}"));
    write(root, "core/checks/wire.rs", &body);
    // A member package whose only target is an example.
    write(
        root,
        "examples/pool/Cargo.toml",
        "[package]\nname = \"pool\"\nversion = \"0.1.0\"\n\n[[example]]\nname = \"pool\"\npath = \"pool.rs\"\n",
    );
    write(root, "examples/pool/pool.rs", &body);
    // A bench target with its own directory and a module beside its main.rs.
    write(
        root,
        "load/Cargo.toml",
        "[package]\nname = \"load\"\nversion = \"0.1.0\"\n\n[[bench]]\nname = \"load\"\npath = \"./driver/main.rs\"\nharness = false\n",
    );
    write(root, "load/driver/main.rs", &format!("mod util;\n{body}"));
    write(root, "load/driver/util.rs", &body);
    dir
}

#[test]
fn targets_declared_in_the_manifest_are_test_code() {
    let dir = workspace_with_declared_targets();
    let (_, doc) = check_json(dir.path(), &[]);
    assert_eq!(found(&doc), vec![at("core/src/lib.rs", 2)]);
    assert_eq!(doc["skipped"]["files"], 4, "{doc}");
    let (_, doc) = check_json(dir.path(), &["--examples"]);
    assert_eq!(
        found(&doc),
        vec![at("core/src/lib.rs", 2), at("examples/pool/pool.rs", 2)]
    );
    let (_, doc) = check_json(dir.path(), &["--benches"]);
    assert_eq!(
        found(&doc),
        vec![
            at("core/src/lib.rs", 2),
            at("load/driver/main.rs", 3),
            at("load/driver/util.rs", 2)
        ]
    );
    let (_, doc) = check_json(dir.path(), &["--tests"]);
    assert_eq!(
        found(&doc),
        vec![at("core/checks/wire.rs", 2), at("core/src/lib.rs", 2)]
    );
}

/// A workspace (itself kept under a folder named `benchmarks`) with a server, a load harness
/// kept in the workspace's `benchmarks/` directory, and a shipped tool named like a benchmark.
fn workspace_with_a_bench_directory() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("benchmarks/broker");
    let body = format!("pub async fn f() {{\n    {SLEEP}\n}}\n");
    write(
        &root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"server\", \"benchmarks/router\", \"tools/load-bench\"]\n",
    );
    for member in ["server", "benchmarks/router", "tools/load-bench"] {
        let name = member.rsplit('/').next().expect("a name");
        write(
            &root,
            &format!("{member}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n"),
        );
        write(&root, &format!("{member}/src/lib.rs"), &body);
    }
    dir
}

#[test]
fn a_member_in_the_workspace_s_benchmarks_directory_is_bench_code() {
    let dir = workspace_with_a_bench_directory();
    let root = dir.path().join("benchmarks/broker");
    let (_, doc) = check_json(&root, &[]);
    // the folder above the workspace is not part of it; a name is not a directory
    assert_eq!(
        found(&doc),
        vec![
            at("server/src/lib.rs", 2),
            at("tools/load-bench/src/lib.rs", 2)
        ]
    );
    assert_eq!(doc["skipped"]["files"], 1, "{doc}");
    let (_, doc) = check_json(&root, &["--benches"]);
    assert_eq!(
        found(&doc),
        vec![
            at("benchmarks/router/src/lib.rs", 2),
            at("server/src/lib.rs", 2),
            at("tools/load-bench/src/lib.rs", 2)
        ]
    );
    // checked from its own folder, the member is still bench code of its workspace
    let (_, doc) = check_json(&root.join("benchmarks/router"), &[]);
    assert!(found(&doc).is_empty(), "{doc}");
}

/// A database driver's workspace: the driver, a cluster-manager bridge that drives the driver
/// in the driver's integration tests (a dev-dependency of the driver that depends on it), a
/// protocol client the driver's tests also use (a dev-dependency without that back edge), and
/// a deterministic-simulation harness and a stress tester named as such.
fn workspace_with_test_support_members() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let body = format!("pub async fn f() {{\n    {SLEEP}\n}}\n");
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"driver\", \"cluster-bridge\", \"wire-client\", \"driver-dst\", \"tools/driver_stress\"]\n",
    );
    let members = [
        (
            "driver",
            "[dev-dependencies]\ncluster-bridge = { path = \"../cluster-bridge\" }\nwire-client = { workspace = true }\n",
        ),
        (
            "cluster-bridge",
            "[dependencies]\ndriver = { path = \"../driver\", optional = true }\n",
        ),
        ("wire-client", ""),
        (
            "driver-dst",
            "[dependencies]\ndriver = { path = \"../driver\" }\n",
        ),
        ("tools/driver_stress", ""),
    ];
    for (member, deps) in members {
        let name = member.rsplit('/').next().expect("a name");
        write(
            root,
            &format!("{member}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n{deps}"),
        );
        write(root, &format!("{member}/src/lib.rs"), &body);
    }
    // the workspace's table names the client's path, as `wire-client.workspace = true` inherits it
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("read");
    write(
        root,
        "Cargo.toml",
        &format!(
            "{manifest}[workspace.dependencies]\nwire-client = {{ path = \"wire-client\" }}\n"
        ),
    );
    dir
}

/// A workspace with a library, an mdbook's listings built as a member under `docs/book`, and a
/// product crate that happens to be named `docs`.
fn workspace_with_a_book() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("quic");
    let body = format!("pub async fn f() {{\n    {SLEEP}\n}}\n");
    write(
        &root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"proto\", \"docs/book\", \"crates/docs\"]\n",
    );
    for member in ["proto", "docs/book", "crates/docs"] {
        let name = member.rsplit('/').next().expect("a name");
        write(
            &root,
            &format!("{member}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n"),
        );
        write(&root, &format!("{member}/src/lib.rs"), &body);
    }
    write(&root, "docs/book/src/bin/listing.rs", &body);
    dir
}

#[test]
fn members_that_exist_to_test_others_are_test_code() {
    let dir = workspace_with_test_support_members();
    let (_, doc) = check_json(dir.path(), &[]);
    // the bridge (dev-dependency with a back edge), the harness and the stress tool are test
    // code; the client other members only test against is a library like any other
    assert_eq!(
        found(&doc),
        vec![at("driver/src/lib.rs", 2), at("wire-client/src/lib.rs", 2)]
    );
    assert_eq!(doc["skipped"]["files"], 3, "{doc}");
    let (_, doc) = check_json(dir.path(), &["--all-targets"]);
    assert_eq!(found(&doc).len(), 5, "{doc}");
    // a named member is judged as a member of its workspace
    let (_, doc) = check_json(&dir.path().join("driver-dst"), &[]);
    assert!(found(&doc).is_empty(), "{doc}");
}

#[test]
fn a_package_named_like_test_tooling_is_checked_when_it_is_what_the_repository_ships() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"http-mock-testing\"\nversion = \"0.1.0\"\n",
    );
    write(
        dir.path(),
        "src/lib.rs",
        &format!("pub async fn serve() {{\n    {SLEEP}\n}}\n"),
    );
    let (_, doc) = check_json(dir.path(), &[]);
    assert_eq!(found(&doc), vec![at("src/lib.rs", 2)]);
}

#[test]
fn a_member_inside_the_workspace_s_docs_directory_is_checked_with_the_examples() {
    let dir = workspace_with_a_book();
    let root = dir.path().join("quic");
    let (_, doc) = check_json(&root, &[]);
    assert_eq!(
        found(&doc),
        vec![at("crates/docs/src/lib.rs", 2), at("proto/src/lib.rs", 2)]
    );
    assert_eq!(doc["skipped"]["files"], 2, "{doc}");
    // (the listing binary starts nothing concurrent, so its blocking call is pedantic: only
    // the book's library reports)
    let (_, doc) = check_json(&root, &["--examples"]);
    assert_eq!(
        found(&doc),
        vec![
            at("crates/docs/src/lib.rs", 2),
            at("docs/book/src/lib.rs", 2),
            at("proto/src/lib.rs", 2)
        ]
    );
    assert_eq!(doc["skipped"]["files"], 0, "{doc}");
}

/// A client library with an example program built as a package of its own in its `examples/`
/// directory, and a product that happens to sit in a directory of the user's named `examples`.
#[test]
fn a_package_in_the_examples_directory_of_another_is_checked_with_the_examples() {
    let dir = tempfile::tempdir().expect("temp dir");
    let client = dir.path().join("client");
    let body = format!("pub async fn f() {{\n    {SLEEP}\n}}\n");
    write(
        &client,
        "Cargo.toml",
        "[package]\nname = \"client\"\nversion = \"0.1.0\"\n",
    );
    write(&client, "src/lib.rs", &body);
    write(
        &client,
        "examples/axum/Cargo.toml",
        "[package]\nname = \"axum-example\"\nversion = \"0.1.0\"\n[workspace]\n",
    );
    write(&client, "examples/axum/src/lib.rs", &body);
    let (_, doc) = check_json(&client, &[]);
    assert_eq!(found(&doc), vec![at("src/lib.rs", 2)]);
    assert_eq!(doc["skipped"]["files"], 1, "{doc}");
    let (_, doc) = check_json(&client, &["--examples"]);
    assert_eq!(
        found(&doc),
        vec![at("examples/axum/src/lib.rs", 2), at("src/lib.rs", 2)]
    );
    // run in the example's own directory, it is the program asked for, as `cargo clippy` run
    // there checks it
    let (_, doc) = check_json(&client.join("examples").join("axum"), &[]);
    assert_eq!(found(&doc), vec![at("src/lib.rs", 2)]);
    assert_eq!(doc["skipped"]["files"], 0, "{doc}");
    // no manifest above the user's own `examples` directory: the product is checked
    let product = dir.path().join("examples").join("shop");
    write(
        &product,
        "Cargo.toml",
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\n",
    );
    write(&product, "src/lib.rs", &body);
    let (_, doc) = check_json(dir.path(), &[]);
    assert_eq!(
        found(&doc),
        vec![
            at("client/src/lib.rs", 2),
            at("examples/shop/src/lib.rs", 2)
        ]
    );
}

#[test]
fn a_named_file_selects_its_target() {
    let dir = package();
    let (_, doc) = check_json(dir.path(), &["tests/it.rs", "src/helpers.rs"]);
    assert_eq!(
        found(&doc),
        vec![at("src/helpers.rs", 2), at("tests/it.rs", 2)]
    );
    // A named library file still leaves its test items out.
    let (_, doc) = check_json(dir.path(), &["src/lib.rs"]);
    assert_eq!(found(&doc), vec![at("src/lib.rs", 2)]);
    assert_eq!(doc["skipped"]["items"], 3);
}

#[test]
fn levels_from_the_command_line() {
    let dir = package();
    let (code, doc) = check_json(dir.path(), &["-A", "blocking_in_async"]);
    assert_eq!((code, found(&doc).len()), (0, 0));
    let (code, doc) = check_json(dir.path(), &["--ignore", "perf"]);
    assert_eq!((code, found(&doc).len()), (0, 0));
    let (code, doc) = check_json(dir.path(), &["--select", "detached_task,correctness"]);
    assert_eq!((code, found(&doc).len()), (0, 0));

    let (code, doc) = check_json(dir.path(), &["-D", "blocking_in_async"]);
    assert_eq!(code, 1);
    let d = &doc["diagnostics"][0];
    assert_eq!(
        (&d["level"], &d["severity"]),
        (&"deny".into(), &"error".into())
    );
    // Later settings win.
    let (_, doc) = check_json(dir.path(), &["-D", "perf", "-A", "blocking_in_async"]);
    assert_eq!(found(&doc).len(), 0);
    let (_, doc) = check_json(dir.path(), &["-A", "blocking_in_async", "-D", "perf"]);
    assert_eq!(doc["diagnostics"][0]["level"], "deny");

    let text = asyncwise(dir.path())
        .args(["check", "-D", "blocking_in_async"])
        .output()
        .expect("runs");
    let text = String::from_utf8(text.stdout).expect("utf-8");
    assert!(
        text.starts_with("error[asyncwise::blocking_in_async]"),
        "{text}"
    );
    assert!(text.contains("asyncwise: 1 error in 1 file"), "{text}");
}

#[test]
fn exit_zero_and_unknown_names() {
    let dir = package();
    asyncwise(dir.path())
        .args(["check", "--exit-zero"])
        .assert()
        .code(0);
    // Something that could not be checked still exits 2.
    write(dir.path(), "src/broken.rs", "fn broken( {");
    asyncwise(dir.path())
        .args(["check", "--exit-zero"])
        .assert()
        .code(2);
    let out = asyncwise(dir.path())
        .args(["check", "--select", "blocking"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert!(err.contains("unknown rule or group `blocking`"), "{err}");
}

#[test]
fn blocking_in_a_binary_with_no_concurrency_is_pedantic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"tool\"\nversion = \"0.1.0\"\n",
    );
    // A CLI: reads a file, awaits one request, writes the answer. Nothing runs concurrently.
    write(
        root,
        "src/main.rs",
        "mod cmd;\n#[tokio::main]\nasync fn main() {\n    cmd::run().await;\n}\n",
    );
    write(
        root,
        "src/cmd.rs",
        "pub async fn run() {\n    let q = std::fs::read_to_string(\"q\").unwrap();\n    ask(&q).await;\n}\n",
    );
    // A second binary that serves: its blocking call stalls other tasks.
    write(
        root,
        "src/bin/daemon.rs",
        "async fn handle() {\n    let _ = std::net::TcpStream::connect(\"x\");\n}\n#[tokio::main]\nasync fn main() {\n    tokio::spawn(handle());\n}\n",
    );
    let (_, doc) = check_json(root, &[]);
    assert_eq!(found(&doc), vec![at("src/bin/daemon.rs", 2)]);
    let (_, doc) = check_json(root, &["--select", "all"]);
    assert_eq!(
        found(&doc),
        vec![at("src/bin/daemon.rs", 2), at("src/cmd.rs", 2)]
    );
    let d = &doc["diagnostics"][1];
    assert_eq!(
        (&d["form"], &d["group"]),
        (&"pedantic".into(), &"pedantic".into())
    );
    // `-W pedantic` turns the pedantic forms on too.
    let (_, doc) = check_json(root, &["-W", "pedantic"]);
    assert_eq!(found(&doc).len(), 2);
}

/// Library functions of a module named for tests that only test code calls are test code: a
/// default run leaves them out; `--all-targets` checks them.
#[test]
fn test_support_modules_called_only_by_tests_are_test_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        root,
        "src/lib.rs",
        &format!(
            "pub mod test_utils;\n\
             pub mod testing {{\n    pub async fn shared() {{\n        {SLEEP}\n    }}\n}}\n\
             pub async fn serve() {{\n    testing::shared().await;\n}}\n\
             pub async fn api() {{\n    {SLEEP}\n}}\n\
             #[cfg(test)]\nmod tests {{\n    #[tokio::test]\n    async fn loads() {{\n        \
             crate::test_utils::load_fixture().await;\n        crate::api().await;\n    }}\n}}\n"
        ),
    );
    write(
        root,
        "src/test_utils.rs",
        &format!(
            "pub async fn load_fixture() {{\n    {SLEEP}\n    seed().await;\n}}\n\
             async fn seed() {{\n    {SLEEP}\n}}\n\
             pub async fn unused() {{\n    {SLEEP}\n}}\n"
        ),
    );
    let (_, doc) = check_json(root, &[]);
    // `load_fixture` and the `seed` it calls run only in tests; `unused` has no caller to
    // tell (other crates may call it), `testing::shared` is called by library code, `api`
    // is not in a module named for tests.
    assert_eq!(
        found(&doc),
        vec![
            at("src/lib.rs", 4),
            at("src/lib.rs", 11),
            at("src/test_utils.rs", 9),
        ]
    );
    let (_, doc) = check_json(root, &["--all-targets"]);
    assert_eq!(
        found(&doc),
        vec![
            at("src/lib.rs", 4),
            at("src/lib.rs", 11),
            at("src/test_utils.rs", 2),
            at("src/test_utils.rs", 6),
            at("src/test_utils.rs", 9),
        ]
    );
}

/// "Work from any subdirectory": `check .` in a workspace member reports the member's manifest
/// finding (a second runtime) as a run from the workspace root does; naming one of its Rust
/// files reports that file only.
#[test]
fn a_member_checked_from_its_own_directory_reports_its_manifest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"core\", \"agent\"]\n",
    );
    write(
        root,
        "core/Cargo.toml",
        "[package]\nname = \"core\"\nversion = \"0.1.0\"\n",
    );
    write(root, "core/src/lib.rs", "pub fn parse() {}\n");
    write(
        root,
        "agent/Cargo.toml",
        "[package]\nname = \"agent\"\nversion = \"0.1.0\"\n\n[dependencies]\n\
         async-std = \"1\"\ncore = { path = \"../core\" }\ntokio = { version = \"1\", features = [\"rt\"] }\n",
    );
    write(root, "agent/src/main.rs", "fn main() { core::parse(); }\n");
    let manifest_findings = |dir: &Path, args: &[&str]| -> Vec<String> {
        let (_, doc) = check_json(dir, args);
        doc["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["rule"] == "mixed_runtimes")
            .map(|d| format!("{}:{}", d["path"].as_str().unwrap_or_default(), d["line"]))
            .collect()
    };
    assert_eq!(
        manifest_findings(root, &["--select", "mixed_runtimes", "."]),
        ["agent/Cargo.toml:8"]
    );
    let agent = root.join("agent");
    assert_eq!(
        manifest_findings(&agent, &["--select", "mixed_runtimes", "."]),
        ["Cargo.toml:8"]
    );
    assert!(manifest_findings(&agent, &["--select", "mixed_runtimes", "src/main.rs"]).is_empty());
}

/// `on_by_default` tells a JSON reader which findings a run with no options reports: the
/// default form of a rule that is on by default, not a rule's pedantic form, nor the default
/// form of a rule that is off by default (`unbounded_channel`).
#[test]
fn json_says_which_findings_a_plain_run_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n",
    );
    write(
        root,
        "src/lib.rs",
        "pub async fn handle(tx: tokio::sync::mpsc::UnboundedSender<u8>) {\n    let _ = std::net::TcpStream::connect(\"x\");\n    let (_t, _r) = tokio::sync::mpsc::unbounded_channel::<u8>();\n    let _ = tx.send(1);\n}\n",
    );
    let (_, doc) = check_json(root, &["--select", "all"]);
    let flag = |rule: &str| {
        doc["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .find(|d| d["rule"] == rule)
            .map(|d| (d["form"].clone(), d["on_by_default"].clone()))
    };
    assert_eq!(
        flag("blocking_in_async"),
        Some(("default".into(), true.into()))
    );
    assert_eq!(
        flag("unbounded_channel").map(|(_, on)| on),
        Some(false.into())
    );
}

/// A package whose only guard held across an await of its tokio lock is in a test.
fn lock_held_only_by_a_test() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(
        root,
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n[dependencies]\ntokio = \"1\"\n",
    );
    write(
        root,
        "src/lib.rs",
        "pub struct Counter {\n    hits: tokio::sync::Mutex<u64>,\n}\n\
         impl Counter {\n    pub async fn hit(&self) {\n        *self.hits.lock().await += 1;\n    }\n}\n\
         #[cfg(test)]\nmod tests {\n    #[tokio::test]\n    async fn holds_across_an_await() {\n        \
         let c = super::Counter { hits: Default::default() };\n        let guard = c.hits.lock().await;\n        \
         tokio::task::yield_now().await;\n        drop(guard);\n    }\n}\n",
    );
    dir
}

#[test]
fn a_default_run_judges_the_crate_without_its_test_code() {
    // As cargo builds it for `cargo clippy`: without `cfg(test)`, nothing holds the lock across
    // an await, so it could be a std one; with the tests, one does. The cache keeps both
    // answers apart whichever run comes first.
    let dir = lock_held_only_by_a_test();
    let rules = |doc: &Value| -> Vec<String> {
        doc["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| d["rule"].as_str().expect("rule").to_owned())
            .collect()
    };
    for _ in 0..2 {
        let (_, doc) = check_json(dir.path(), &["--select", "all"]);
        assert_eq!(rules(&doc), ["async_mutex_unneeded"], "{doc}");
        assert_eq!(found(&doc), vec![at("src/lib.rs", 2)]);
        let (_, doc) = check_json(dir.path(), &["--select", "all", "--all-targets"]);
        assert!(rules(&doc).is_empty(), "{doc}");
    }
}
