//! `asyncwise server`: a language server over stdio (lsp-server and lsp-types, the crates
//! rust-analyzer uses).
//!
//! * Open buffers are analysed from their unsaved text, as one file (`check_source`): on open at
//!   once, on change after [`DEBOUNCE`] without further edits. A buffer that does not parse
//!   keeps its previous findings until it parses again (rust-analyzer reports the syntax error).
//! * Each finding can be suppressed by a code action that inserts
//!   `// asyncwise: allow(rule) -- …` above its line; hovering a finding shows the rule's
//!   documentation (`asyncwise explain`).
//!
//! * A buffer is read as part of its package, under its configuration, as
//!   [`check_buffer`](asyncwise_lint::engine::check_buffer) describes: levels, knowledge rows
//!   and suppression settings apply, and are read again at every analysis, so an edited
//!   `Cargo.toml` or `asyncwise.toml` takes effect at the next change. Test code is included,
//!   as rust-analyzer checks every target by default. Fixes `--fix` would apply are offered as
//!   preferred quick fixes.
//!
//! Not yet: findings that need other files of the crate (the crate pass sees only the buffer).

use std::collections::HashMap;
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
                for document in documents.values_mut() {
                    if document.due.is_some_and(|due| due <= now) {
                        document.due = None;
                        analyse(&connection, document)?;
                    }
                }
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
            let mut document = Document {
                uri: item.uri.clone(),
                text: item.text,
                version: item.version,
                findings: Vec::new(),
                due: None,
            };
            analyse(connection, &mut document)?;
            documents.insert(item.uri.as_str().to_owned(), document);
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

fn analyse(connection: &Connection, document: &mut Document) -> Result<()> {
    match asyncwise_lint::engine::check_buffer(&path_of(&document.uri), &document.text, true) {
        Ok(findings) => {
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
        // Mid-edit syntax errors: keep what was shown.
        Err(_) => Ok(()),
    }
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
        match note.span {
            Some(span) => related.push(DiagnosticRelatedInformation {
                location: Location::new(
                    uri.clone(),
                    Range::new(position(lines, span.start), position(lines, span.end)),
                ),
                message: note.message.clone(),
            }),
            None => {
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
