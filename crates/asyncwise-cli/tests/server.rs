//! A real LSP conversation with `asyncwise server` over stdio: initialize, didOpen,
//! publishDiagnostics, didChange, codeAction, hover, shutdown, exit.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: mpsc::Receiver<Value>,
    next_id: u64,
}

impl Client {
    fn start() -> Client {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_asyncwise"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        // A reader thread, so that a silent server fails the test instead of hanging it.
        let (tx, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(n) = header.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("Content-Length header")];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let response = self.receive(|m| m["id"] == id);
        assert!(response.get("error").is_none(), "{response}");
        response["result"].clone()
    }

    /// The next message that `wanted` accepts (others are skipped).
    fn receive(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self
                .incoming
                .recv_timeout(Duration::from_secs(60))
                .expect("the server answers");
            if wanted(&message) {
                return message;
            }
        }
    }

    fn diagnostics(&mut self, version: i64) -> Vec<Value> {
        let message = self.receive(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }
}

const URI: &str = "file:///tmp/asyncwise-lsp/src/lib.rs";

fn codes_and_lines(diagnostics: &[Value]) -> Vec<(String, u64)> {
    diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_owned(),
                d["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn lsp_conversation() {
    let mut client = Client::start();
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert_eq!(init["capabilities"]["codeActionProvider"], true, "{init}");
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    client.notify("initialized", json!({}));

    // Unsaved text: the file does not exist on disk.
    let text =
        "async fn handler() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "rust", "version": 1, "text": text}}),
    );
    let found = client.diagnostics(1);
    assert_eq!(
        codes_and_lines(&found),
        [("blocking_in_async".to_owned(), 1)]
    );
    assert_eq!(found[0]["source"], "asyncwise");
    assert_eq!(found[0]["range"]["start"]["character"], 4);

    // A line added above (with a non-ASCII string: columns are UTF-16) and a blocking read.
    let edited = format!(
        "const GREETING: &str = \"😀\"; async fn nap() {{ let _ = std::fs::read(\"f\"); }}\n{text}"
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": edited}]}),
    );
    let found = client.diagnostics(2);
    assert_eq!(
        codes_and_lines(&found),
        [
            ("blocking_in_async".to_owned(), 0),
            ("blocking_in_async".to_owned(), 2)
        ]
    );
    // `std` is the 54th character (index 53); the emoji before it counts two UTF-16 units.
    assert_eq!(found[0]["range"]["start"]["character"], 54);

    // A code action adds a suppression above the blocking call.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": URI},
            "range": {"start": {"line": 2, "character": 4}, "end": {"line": 2, "character": 10}},
            "context": {"diagnostics": []},
        }),
    );
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "quickfix");
    let edit = &actions[0]["edit"]["changes"][URI][0];
    assert_eq!(edit["range"]["start"], json!({"line": 2, "character": 0}));
    let inserted = edit["newText"].as_str().unwrap();
    assert!(
        inserted.starts_with("    // asyncwise: allow(blocking_in_async) -- "),
        "{inserted}"
    );

    // Applying it silences the finding.
    let mut lines: Vec<&str> = edited.split_inclusive('\n').collect();
    lines.insert(2, inserted);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": lines.concat()}]}),
    );
    assert_eq!(
        codes_and_lines(&client.diagnostics(3)),
        [("blocking_in_async".to_owned(), 0)]
    );

    // Hover on the remaining finding shows the rule's documentation.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": 0, "character": 60}}),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(
        markdown.starts_with("# asyncwise::blocking_in_async"),
        "{markdown}"
    );
    assert!(markdown.contains("## What it does"));
    // Nothing to say elsewhere.
    let nothing = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": 3, "character": 0}}),
    );
    assert!(nothing.is_null(), "{nothing}");

    // Repeats in one function, which the command line reports as one finding, stay apart in
    // the editor: each place is underlined (and keeps its own quick fix).
    let twice = "async fn migrate() {\n    std::thread::sleep(d);\n    std::thread::sleep(d);\n}\n";
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 4}, "contentChanges": [{"text": twice}]}),
    );
    let found = client.diagnostics(4);
    assert_eq!(
        codes_and_lines(&found),
        [
            ("blocking_in_async".to_owned(), 1),
            ("blocking_in_async".to_owned(), 2)
        ]
    );
    assert!(
        found
            .iter()
            .all(|d| !d["message"].as_str().unwrap().contains("more")),
        "{found:?}"
    );

    let shutdown = client.request("shutdown", Value::Null);
    assert!(shutdown.is_null());
    client.notify("exit", Value::Null);
    let status = client.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn buffers_are_checked_under_their_package_configuration_with_quick_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    let manifest = |level: &str| {
        format!(
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = {{ version = \"1\", features = [\"full\"] }}\n\n[package.metadata.asyncwise]\nblocking = [{{ path = \"legacy::query_sync\" }}]\n\n[package.metadata.asyncwise.rules]\nunbounded_channel = \"{level}\"\n"
        )
    };
    std::fs::write(root.join("Cargo.toml"), manifest("allow")).unwrap();
    let uri = format!("file://{}/src/lib.rs", root.display());

    let mut client = Client::start();
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    client.notify("initialized", json!({}));
    let text = "pub async fn handler() {\n    legacy::query_sync();\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<u8>();\n    relay(tx, rx).await;\n}\n";
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}}),
    );
    // The configured blocking function is known; the allowed rule is not reported.
    assert_eq!(
        codes_and_lines(&client.diagnostics(1)),
        [
            ("blocking_in_async".to_owned(), 1),
            ("blocking_in_async".to_owned(), 2)
        ]
    );

    // The sleep has a certain fix, offered first and preferred; the configured call has none.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 10}},
            "context": {"diagnostics": []},
        }),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Suppress `blocking_in_async` on this line (asyncwise)",
            "Call `tokio::time::sleep(..).await` instead (asyncwise)",
            "Suppress `blocking_in_async` on this line (asyncwise)",
        ]
    );
    let fix = &actions[1];
    assert_eq!(fix["isPreferred"], true);
    let edits = fix["edit"]["changes"][uri.as_str()].as_array().unwrap();
    assert_eq!(
        edits
            .iter()
            .map(|e| (
                e["range"]["start"]["line"].as_u64().unwrap(),
                e["range"]["start"]["character"].as_u64().unwrap(),
                e["newText"].as_str().unwrap()
            ))
            .collect::<Vec<_>>(),
        [(2, 4, "tokio::time::sleep"), (2, 59, ".await")]
    );

    // The configuration is read again at the next change.
    std::fs::write(root.join("Cargo.toml"), manifest("warn")).unwrap();
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]}),
    );
    assert_eq!(
        codes_and_lines(&client.diagnostics(2)),
        [
            ("blocking_in_async".to_owned(), 1),
            ("blocking_in_async".to_owned(), 2),
            ("unbounded_channel".to_owned(), 3)
        ]
    );

    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert!(client.child.wait().unwrap().success());
}

impl Client {
    /// The codes and lines published for each of `buffers` (uri, version), in that order,
    /// whatever the order the server published them in.
    fn findings_of(&mut self, buffers: &[(&str, i64)]) -> Vec<Vec<(String, u64)>> {
        self.published(buffers)
            .iter()
            .map(|d| codes_and_lines(d))
            .collect()
    }

    /// The diagnostics published for each of `buffers` (uri, version), in that order.
    fn published(&mut self, buffers: &[(&str, i64)]) -> Vec<Vec<Value>> {
        let mut found: Vec<Option<Vec<Value>>> = vec![None; buffers.len()];
        while found.iter().any(Option::is_none) {
            let message = self.receive(|m| m["method"] == "textDocument/publishDiagnostics");
            let params = &message["params"];
            if let Some(at) = buffers
                .iter()
                .position(|(uri, version)| params["uri"] == *uri && params["version"] == *version)
            {
                found[at] = Some(params["diagnostics"].as_array().unwrap().clone());
            }
        }
        found.into_iter().flatten().collect()
    }
}

#[test]
fn crate_level_findings_follow_unsaved_edits_of_another_buffer() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n",
    )
    .unwrap();
    let lib = "mod helpers;\n\npub async fn handler() -> String {\n    helpers::load()\n}\n";
    let sync_helper = "pub fn load() -> String {\n    String::from(\"config\")\n}\n";
    // A wait: filesystem work in a library's async fn is reported only on a per-event path.
    let blocking_helper = "pub fn load() -> String {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    String::new()\n}\n";
    // What is on disk never changes: the edits below exist only in the buffers.
    std::fs::write(root.join("src/lib.rs"), lib).unwrap();
    std::fs::write(root.join("src/helpers.rs"), sync_helper).unwrap();
    let lib_uri = format!("file://{}/src/lib.rs", root.display());
    let helpers_uri = format!("file://{}/src/helpers.rs", root.display());

    let mut client = Client::start();
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": lib_uri, "languageId": "rust", "version": 1, "text": lib}}),
    );
    assert_eq!(client.findings_of(&[(&lib_uri, 1)]), [[]]);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": helpers_uri, "languageId": "rust", "version": 1, "text": sync_helper}}),
    );
    assert_eq!(
        client.findings_of(&[(&lib_uri, 1), (&helpers_uri, 1)]),
        [[], []]
    );

    // The helper now blocks: the async caller in the other buffer gets the finding, at the
    // call; the helper itself is sync, nothing to report in it.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": helpers_uri, "version": 2}, "contentChanges": [{"text": blocking_helper}]}),
    );
    let published = client.published(&[(&lib_uri, 1), (&helpers_uri, 2)]);
    assert_eq!(
        published
            .iter()
            .map(|d| codes_and_lines(d))
            .collect::<Vec<_>>(),
        [vec![("blocking_in_async".to_owned(), 3)], vec![]]
    );
    // Its note points at the blocking call in the other buffer, as related information there.
    let related = &published[0][0]["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], helpers_uri, "{related}");
    assert_eq!(
        related["location"]["range"]["start"]["line"], 1,
        "{related}"
    );
    assert_eq!(
        related["location"]["range"]["start"]["character"], 4,
        "{related}"
    );

    // The finding can be suppressed from the caller's buffer.
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": lib_uri},
            "range": {"start": {"line": 3, "character": 4}, "end": {"line": 3, "character": 10}},
            "context": {"diagnostics": []},
        }),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Suppress `blocking_in_async` on this line (asyncwise)"]
    );

    // Reverting the edit takes the finding away again.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": helpers_uri, "version": 3}, "contentChanges": [{"text": sync_helper}]}),
    );
    assert_eq!(
        client.findings_of(&[(&lib_uri, 1), (&helpers_uri, 3)]),
        [[], []]
    );
    assert_eq!(
        std::fs::read_to_string(root.join("src/helpers.rs")).unwrap(),
        sync_helper,
        "nothing was saved"
    );

    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert!(client.child.wait().unwrap().success());
}
