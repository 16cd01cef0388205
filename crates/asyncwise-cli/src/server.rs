//! `asyncwise server`: a language server over stdio (lsp-server and lsp-types, the crates
//! rust-analyzer uses).
//!
//! * A buffer inside a package (the nearest `Cargo.toml` above it) is checked as part of its
//!   crate: [`check_paths`](asyncwise_lint::check_paths) on the package's open buffers, with
//!   every open buffer's unsaved text as an overlay of its file
//!   ([`CheckOptions::overlays`](asyncwise_lint::CheckOptions::overlays)), every target (as
//!   rust-analyzer checks every target by default), the configuration and the incremental
//!   cache (in the directory the command line would use). Crate-level findings (blocking
//!   through a helper in another file, a lock field declared elsewhere) are therefore shown,
//!   and when any buffer of a package changes or closes, every open buffer of that package is
//!   analysed again: on open at once, on change after [`DEBOUNCE`] without further edits.
//! * A buffer outside any package is analysed alone
//!   ([`check_buffer`](asyncwise_lint::engine::check_buffer)).
//! * A buffer that does not parse keeps its previous findings until it parses again
//!   (rust-analyzer reports the syntax error).
//! * Each finding can be suppressed by a code action that inserts
//!   `// asyncwise: allow(rule) -- …` above its line; fixes `--fix` would apply are offered as
//!   preferred quick fixes; hovering a finding shows the rule's documentation
//!   (`asyncwise explain`). Findings are computed on the buffers' texts, so their byte offsets
//!   are those of the buffer.
//! * Levels, knowledge rows and suppression settings are read again at every analysis, so an
//!   edited `Cargo.toml` or `asyncwise.toml` takes effect at the next change.
//!
//! Not yet: a change re-analyses the open buffers of its own package only, not those of
//! packages that depend on it by path; an edited `Cargo.toml` is read from disk, not from its
//! buffer; a new file not yet on disk is seen only by itself (the other files' module
//! declarations do not find it by walking the directory); while one buffer does not parse, the
//! other buffers of its package are published without the facts of that file (their
//! crate-level findings that depend on it disappear until it parses again).

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use asyncwise_lint::{Diagnostic, LineCol, Severity, rules};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, DiagnosticRelatedInformation, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, Hover, HoverContents, HoverParams,
    HoverProviderCapability, Location, MarkupContent, MarkupKind, NumberOrString, Position,
    PublishDiagnosticsParams, Range, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Uri, WorkspaceEdit,
};

/// How long a buffer must stay unchanged before it is analysed again.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(30);

/// One open buffer.
struct Document {
    uri: Uri,
    /// The absolute, normalised path of its file.
    path: PathBuf,
    /// The directory of the nearest `Cargo.toml` above it, if any.
    package: Option<PathBuf>,
    text: String,
    version: i32,
    /// The findings last published, with the text they were computed on.
    findings: Vec<Diagnostic>,
    /// When to analyse it again, if it changed.
    due: Option<Instant>,
}

/// Runs the server until the client says `exit`.
pub(crate) fn serve() -> Result<u8> {
    let (connection, io_threads) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    };
    connection
        .initialize(serde_json::to_value(capabilities)?)
        .context("LSP initialisation failed")?;
    let mut documents: HashMap<String, Document> = HashMap::new();
    loop {
        let next_due = documents.values().filter_map(|d| d.due).min();
        let message = match next_due {
            Some(due) => {
                match connection
                    .receiver
                    .recv_timeout(due.saturating_duration_since(Instant::now()))
                {
                    Ok(message) => Some(message),
                    Err(crossbeam_timeout) if crossbeam_timeout.is_timeout() => None,
                    Err(_) => break,
                }
            }
            None => match connection.receiver.recv() {
                Ok(message) => Some(message),
                Err(_) => break,
            },
        };
        match message {
            None => {
                let now = Instant::now();
                let due: Vec<String> = documents
                    .iter()
                    .filter(|(_, d)| d.due.is_some_and(|due| due <= now))
                    .map(|(key, _)| key.clone())
                    .collect();
                analyse_all(&connection, &mut documents, &due)?;
            }
            Some(Message::Request(request)) => {
                if connection.handle_shutdown(&request)? {
                    break;
                }
                let response = respond(&request, &documents);
                connection.sender.send(response.into())?;
            }
            Some(Message::Notification(notification)) => {
                notify(&connection, notification, &mut documents)?;
            }
            Some(Message::Response(_)) => {}
        }
    }
    drop(connection);
    io_threads.join().context("LSP I/O failed")?;
    Ok(super::EXIT_CLEAN)
}

fn notify(
    connection: &Connection,
    notification: Notification,
    documents: &mut HashMap<String, Document>,
) -> Result<()> {
    match notification.method.as_str() {
        lsp_types::notification::DidOpenTextDocument::METHOD => {
            let params: DidOpenTextDocumentParams = serde_json::from_value(notification.params)?;
            let item = params.text_document;
            let path = asyncwise_lint::config::absolute(&path_of(&item.uri));
            let package = path
                .ancestors()
                .skip(1)
                .find(|d| d.join("Cargo.toml").is_file())
                .map(PathBuf::from);
            let key = item.uri.as_str().to_owned();
            let document = Document {
                uri: item.uri,
                path,
                package,
                text: item.text,
                version: item.version,
                findings: Vec::new(),
                due: None,
            };
            documents.insert(key.clone(), document);
            analyse_all(connection, documents, &[key])?;
        }
        lsp_types::notification::DidChangeTextDocument::METHOD => {
            let params: DidChangeTextDocumentParams = serde_json::from_value(notification.params)?;
            if let Some(document) = documents.get_mut(params.text_document.uri.as_str()) {
                // Full synchronisation: the last change holds the whole text.
                if let Some(change) = params.content_changes.into_iter().last() {
                    document.text = change.text;
                    document.version = params.text_document.version;
                    document.due = Some(Instant::now() + DEBOUNCE);
                }
            }
        }
        lsp_types::notification::DidCloseTextDocument::METHOD => {
            let params: DidCloseTextDocumentParams = serde_json::from_value(notification.params)?;
            if let Some(document) = documents.remove(params.text_document.uri.as_str()) {
                publish(connection, &document.uri, Vec::new(), None)?;
                // Its file is read from disk again: the rest of its package may change.
                if let Some(other) = documents
                    .values_mut()
                    .find(|d| d.package.is_some() && d.package == document.package)
                {
                    other.due = Some(Instant::now() + DEBOUNCE);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The file system path of a `file:` URI (percent-decoded), for messages and target detection.
fn path_of(uri: &Uri) -> std::path::PathBuf {
    let text = uri.as_str();
    let path = text.strip_prefix("file://").unwrap_or(text);
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(Some(hi)), Some(Some(lo))) = (
                bytes.get(i + 1).map(|&b| hex(b)),
                bytes.get(i + 2).map(|&b| hex(b)),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    std::path::PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

/// Analyses the buffers `keys` and, for those inside a package, every other open buffer of
/// the same package (their findings may depend on the changed text).
fn analyse_all(
    connection: &Connection,
    documents: &mut HashMap<String, Document>,
    keys: &[String],
) -> Result<()> {
    let mut packages = BTreeSet::new();
    for key in keys {
        let Some(document) = documents.get_mut(key) else {
            continue;
        };
        document.due = None;
        match &document.package {
            Some(root) => {
                packages.insert(root.clone());
            }
            None => {
                let found =
                    asyncwise_lint::engine::check_buffer(&document.path, &document.text, true);
                // Mid-edit syntax errors: keep what was shown.
                if let Ok(findings) = found {
                    show(connection, document, findings)?;
                }
            }
        }
    }
    for root in packages {
        analyse_package(connection, documents, &root)?;
    }
    Ok(())
}

/// Checks the open buffers of the package at `root` as part of their crate, every open
/// buffer standing in for its file, and publishes their findings.
fn analyse_package(
    connection: &Connection,
    documents: &mut HashMap<String, Document>,
    root: &std::path::Path,
) -> Result<()> {
    let overlays: HashMap<PathBuf, Arc<str>> = documents
        .values()
        .map(|d| (d.path.clone(), Arc::from(d.text.as_str())))
        .collect();
    let paths: Vec<PathBuf> = documents
        .values()
        .filter(|d| d.package.as_deref() == Some(root))
        .map(|d| d.path.clone())
        .collect();
    let options = asyncwise_lint::CheckOptions {
        targets: asyncwise_lint::engine::targets::Targets::ALL,
        configure: true,
        cache: Some(asyncwise_lint::cache::default_dir(&paths)),
        overlays: Arc::new(overlays),
        ..asyncwise_lint::CheckOptions::default()
    };
    let report = asyncwise_lint::check_paths(&paths, &options);
    let mut by_path: HashMap<PathBuf, Vec<Diagnostic>> = HashMap::new();
    for d in report.diagnostics {
        let path = asyncwise_lint::config::absolute(&d.path);
        by_path.entry(path).or_default().push(d);
    }
    let failed: BTreeSet<PathBuf> = report
        .errors
        .iter()
        .map(|e| asyncwise_lint::config::absolute(&e.path))
        .collect();
    for document in documents.values_mut() {
        if document.package.as_deref() != Some(root) {
            continue;
        }
        document.due = None;
        // Mid-edit syntax errors: keep what was shown.
        if failed.contains(&document.path) {
            continue;
        }
        let findings = by_path.remove(&document.path).unwrap_or_default();
        show(connection, document, findings)?;
    }
    Ok(())
}

/// Publishes `findings`, computed on the document's current text, and keeps them for code
/// actions and hovers.
fn show(connection: &Connection, document: &mut Document, findings: Vec<Diagnostic>) -> Result<()> {
    let lines: Vec<&str> = document.text.split('\n').collect();
    let diagnostics = findings
        .iter()
        .map(|d| to_lsp(d, &document.uri, &lines))
        .collect();
    document.findings = findings;
    publish(
        connection,
        &document.uri,
        diagnostics,
        Some(document.version),
    )
}

fn publish(
    connection: &Connection,
    uri: &Uri,
    diagnostics: Vec<lsp_types::Diagnostic>,
    version: Option<i32>,
) -> Result<()> {
    let params = PublishDiagnosticsParams {
        uri: uri.clone(),
        diagnostics,
        version,
    };
    let notification = Notification::new(
        lsp_types::notification::PublishDiagnostics::METHOD.to_owned(),
        params,
    );
    connection.sender.send(notification.into())?;
    Ok(())
}

/// A 1-based line and character column as an LSP position, without the line's text.
fn unindexed(at: LineCol) -> Position {
    Position::new(
        at.line.saturating_sub(1) as u32,
        at.column.saturating_sub(1) as u32,
    )
}

/// The `file:` URI of an absolute path (percent-encoded), or `None` for a relative one.
fn uri_of(path: &std::path::Path) -> Option<Uri> {
    if !path.is_absolute() {
        return None;
    }
    let mut text = String::from("file://");
    for byte in path.display().to_string().replace('\\', "/").bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                text.push(byte as char)
            }
            _ => text.push_str(&format!("%{byte:02X}")),
        }
    }
    text.parse().ok()
}

/// A 1-based line and character column as an LSP position (0-based line, UTF-16 units).
fn position(lines: &[&str], at: LineCol) -> Position {
    let line = at.line.saturating_sub(1);
    let text = lines.get(line).copied().unwrap_or("");
    let character: usize = text
        .chars()
        .take(at.column.saturating_sub(1))
        .map(char::len_utf16)
        .sum();
    Position::new(line as u32, character as u32)
}

fn to_lsp(d: &Diagnostic, uri: &Uri, lines: &[&str]) -> lsp_types::Diagnostic {
    let range = Range::new(position(lines, d.span.start), position(lines, d.span.end));
    let mut message = d.message.clone();
    let mut related = Vec::new();
    for note in &d.notes {
        let elsewhere = note.path.as_deref().map(uri_of);
        match (note.span, elsewhere) {
            (Some(span), None) => related.push(DiagnosticRelatedInformation {
                location: Location::new(
                    uri.clone(),
                    Range::new(position(lines, span.start), position(lines, span.end)),
                ),
                message: note.message.clone(),
            }),
            // Another file, whose text the server may not hold: its character columns are
            // taken as UTF-16 units, exact unless a character outside the BMP comes first.
            (Some(span), Some(Some(other))) => related.push(DiagnosticRelatedInformation {
                location: Location::new(
                    other,
                    Range::new(unindexed(span.start), unindexed(span.end)),
                ),
                message: note.message.clone(),
            }),
            (Some(span), Some(None)) => {
                message.push_str(&format!(
                    "\nnote: {} at {}:{}:{}",
                    note.message,
                    note.file(&d.path).display(),
                    span.start.line,
                    span.start.column
                ));
            }
            (None, _) => {
                message.push_str("\nnote: ");
                message.push_str(&note.message);
            }
        }
    }
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Warning => lsp_types::DiagnosticSeverity::WARNING,
            Severity::Error => lsp_types::DiagnosticSeverity::ERROR,
        }),
        code: Some(NumberOrString::String(d.rule.to_owned())),
        source: Some("asyncwise".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

fn respond(request: &Request, documents: &HashMap<String, Document>) -> Response {
    let id: RequestId = request.id.clone();
    let result = match request.method.as_str() {
        lsp_types::request::CodeActionRequest::METHOD => {
            serde_json::from_value::<CodeActionParams>(request.params.clone())
                .map(|params| serde_json::to_value(code_actions(&params, documents)))
        }
        lsp_types::request::HoverRequest::METHOD => {
            serde_json::from_value::<HoverParams>(request.params.clone())
                .map(|params| serde_json::to_value(hover(&params, documents)))
        }
        _ => {
            return Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("asyncwise does not handle `{}`", request.method),
            );
        }
    };
    match result {
        Ok(Ok(value)) => Response::new_ok(id, value),
        Ok(Err(e)) | Err(e) => Response::new_err(
            id,
            lsp_server::ErrorCode::InvalidParams as i32,
            e.to_string(),
        ),
    }
}

/// The findings of `document` whose lines meet the 0-based line range `first..=last`.
fn findings_on(document: &Document, first: u32, last: u32) -> impl Iterator<Item = &Diagnostic> {
    document.findings.iter().filter(move |d| {
        let start = d.span.start.line.saturating_sub(1) as u32;
        let end = d.span.end.line.max(d.span.start.line).saturating_sub(1) as u32;
        start <= last && first <= end
    })
}

fn code_actions(
    params: &CodeActionParams,
    documents: &HashMap<String, Document>,
) -> Vec<CodeActionOrCommand> {
    let Some(document) = documents.get(params.text_document.uri.as_str()) else {
        return Vec::new();
    };
    let lines: Vec<&str> = document.text.split('\n').collect();
    let range = params.range;
    findings_on(document, range.start.line, range.end.line)
        .filter(|d| {
            d.rule != asyncwise_lint::suppress::INVALID_SUPPRESSION
                && d.rule != asyncwise_lint::suppress::UNUSED_SUPPRESSION
        })
        .flat_map(|d| {
            let fix = d.fix.as_ref().map(|fix| {
                let edits = fix
                    .edits
                    .iter()
                    .map(|e| {
                        let at = |byte| position(&lines, LineCol::at_byte(&document.text, byte));
                        TextEdit::new(
                            Range::new(at(e.byte_start), at(e.byte_end)),
                            e.replacement.clone(),
                        )
                    })
                    .collect();
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: format!("{} (asyncwise)", upper_first(&fix.message)),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![to_lsp(d, &document.uri, &lines)]),
                    edit: Some(WorkspaceEdit {
                        changes: Some([(document.uri.clone(), edits)].into()),
                        ..WorkspaceEdit::default()
                    }),
                    is_preferred: Some(true),
                    ..CodeAction::default()
                })
            });
            let line = d.span.start.line.saturating_sub(1);
            let text = lines.get(line).copied().unwrap_or("");
            let indent: String = text.chars().take_while(|c| c.is_whitespace()).collect();
            let insert = Position::new(line as u32, 0);
            let edit = TextEdit::new(
                Range::new(insert, insert),
                format!(
                    "{indent}// asyncwise: allow({}) -- why this is acceptable here\n",
                    d.rule
                ),
            );
            let suppress = CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Suppress `{}` on this line (asyncwise)", d.rule),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![to_lsp(d, &document.uri, &lines)]),
                edit: Some(WorkspaceEdit {
                    changes: Some([(document.uri.clone(), vec![edit])].into()),
                    ..WorkspaceEdit::default()
                }),
                ..CodeAction::default()
            });
            fix.into_iter().chain([suppress])
        })
        .collect()
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn hover(params: &HoverParams, documents: &HashMap<String, Document>) -> Option<Hover> {
    let at = &params.text_document_position_params;
    let document = documents.get(at.text_document.uri.as_str())?;
    let lines: Vec<&str> = document.text.split('\n').collect();
    let line = at.position.line;
    let finding = findings_on(document, line, line).find(|d| {
        let range = Range::new(position(&lines, d.span.start), position(&lines, d.span.end));
        let p = at.position;
        (range.start.line, range.start.character) <= (p.line, p.character)
            && (p.line, p.character) <= (range.end.line, range.end.character)
    })?;
    let rule = rules::find(finding.rule)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: format!("# asyncwise::{}\n\n{}", rule.name, rule.markdown()),
        }),
        range: None,
    })
}
