//! `--message-format json`: one cargo `compiler-message` object per line, the format
//! `cargo check --message-format json` prints, so tools that read cargo's output (rust-analyzer's
//! `check.overrideCommand`, CI problem matchers) show asyncwise's findings like rustc's.
//!
//! Each finding is a rustc diagnostic with code `asyncwise::RULE`, its primary span, the notes
//! that point at code as labelled secondary spans, help and other notes as children, and the
//! human rendering in `rendered`. Files that could not be checked are `error` diagnostics, with a
//! span at the syntax error when its place is known. The package is the nearest directory with a
//! `Cargo.toml` above the file (or the file's directory).

use std::io::Write;
use std::path::{Path, PathBuf};

use asyncwise_lint::{CheckReport, Diagnostic, LineCol, Severity, Span};
use serde::Serialize;

#[derive(Serialize)]
struct CompilerMessage<'a> {
    reason: &'static str,
    package_id: String,
    manifest_path: String,
    target: Target,
    message: RustcDiagnostic<'a>,
}

#[derive(Serialize)]
struct Target {
    name: String,
    kind: [&'static str; 1],
    crate_types: [&'static str; 1],
    #[serde(rename = "required-features")]
    required_features: [&'static str; 0],
    src_path: String,
    edition: &'static str,
    doctest: bool,
    test: bool,
    doc: bool,
}

#[derive(Serialize)]
struct RustcDiagnostic<'a> {
    #[serde(rename = "$message_type")]
    message_type: &'static str,
    message: &'a str,
    code: Option<Code>,
    level: &'static str,
    spans: Vec<RustcSpan<'a>>,
    children: Vec<RustcDiagnostic<'a>>,
    rendered: Option<String>,
}

#[derive(Serialize)]
struct Code {
    code: String,
    explanation: Option<String>,
}

#[derive(Serialize)]
struct RustcSpan<'a> {
    file_name: String,
    byte_start: usize,
    byte_end: usize,
    line_start: usize,
    line_end: usize,
    column_start: usize,
    column_end: usize,
    is_primary: bool,
    text: Vec<SpanLine<'a>>,
    label: Option<&'a str>,
    suggested_replacement: Option<String>,
    suggestion_applicability: Option<String>,
    expansion: Option<()>,
}

#[derive(Serialize)]
struct SpanLine<'a> {
    text: &'a str,
    highlight_start: usize,
    highlight_end: usize,
}

/// Writes one line per finding and per file that could not be checked.
pub fn write(report: &CheckReport, out: &mut impl Write) -> std::io::Result<()> {
    let mut packages = PackageLookup::default();
    for d in &report.diagnostics {
        let source = report.sources.get(&d.path).map(|s| &**s);
        let message = diagnostic(d, source, &report.sources);
        emit(out, &mut packages, &d.path, message)?;
    }
    for e in &report.errors {
        let spans = e
            .location
            .map(|at| {
                let span = Span {
                    start: at,
                    end: LineCol {
                        line: at.line,
                        column: at.column + 1,
                    },
                    ..Span::default()
                };
                vec![span_of(&e.path, span, None, true, None)]
            })
            .unwrap_or_default();
        let message = RustcDiagnostic {
            message_type: "diagnostic",
            message: &e.message,
            code: None,
            level: "error",
            spans,
            children: Vec::new(),
            rendered: Some(format!("error: {}\n --> {}\n", e.message, e.place())),
        };
        emit(out, &mut packages, &e.path, message)?;
    }
    Ok(())
}

fn emit(
    out: &mut impl Write,
    packages: &mut PackageLookup,
    path: &Path,
    message: RustcDiagnostic<'_>,
) -> std::io::Result<()> {
    let (root, manifest) = packages.of(path);
    let name = root.file_name().map_or_else(
        || "unknown".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let line = CompilerMessage {
        reason: "compiler-message",
        package_id: format!("path+file://{}#{name}@0.0.0", root.display()),
        manifest_path: manifest.display().to_string(),
        target: Target {
            name: name.replace('-', "_"),
            kind: ["lib"],
            crate_types: ["lib"],
            required_features: [],
            src_path: absolute(path).display().to_string(),
            edition: "2024",
            doctest: false,
            test: false,
            doc: false,
        },
        message,
    };
    serde_json::to_writer(&mut *out, &line)?;
    writeln!(out)
}

fn diagnostic<'a>(
    d: &'a Diagnostic,
    source: Option<&'a str>,
    sources: &'a std::collections::BTreeMap<std::path::PathBuf, std::sync::Arc<str>>,
) -> RustcDiagnostic<'a> {
    let mut spans = vec![span_of(&d.path, d.span, None, true, source)];
    let mut children = Vec::new();
    for note in &d.notes {
        match (note.span, &note.path) {
            // In another file: a note child with its own span, as rustc writes a note that
            // points elsewhere.
            (Some(span), Some(elsewhere)) => {
                let mut n = child("note", &note.message);
                let text = sources.get(elsewhere).map(|s| &**s);
                n.spans.push(span_of(elsewhere, span, None, true, text));
                children.push(n);
            }
            (Some(span), None) => spans.push(span_of(
                &d.path,
                span,
                Some(note.message.as_str()),
                false,
                source,
            )),
            (None, _) => children.push(child("note", &note.message)),
        }
    }
    if let Some(help) = &d.help {
        children.push(child("help", help));
    }
    // A certain fix is a machine-applicable suggestion, as rustc writes them: editors offer it
    // as a quick fix and `cargo fix`-style tools can apply it.
    if let (Some(fix), Some(source)) = (&d.fix, source) {
        let mut suggestion = child("help", &fix.message);
        for edit in &fix.edits {
            let span = Span {
                start: LineCol::at_byte(source, edit.byte_start),
                end: LineCol::at_byte(source, edit.byte_end),
                byte_start: edit.byte_start,
                byte_end: edit.byte_end,
            };
            let mut s = span_of(&d.path, span, None, true, Some(source));
            s.suggested_replacement = Some(edit.replacement.clone());
            s.suggestion_applicability = Some("MachineApplicable".to_owned());
            suggestion.spans.push(s);
        }
        children.push(suggestion);
    }
    RustcDiagnostic {
        message_type: "diagnostic",
        message: &d.message,
        code: Some(Code {
            code: format!("asyncwise::{}", d.rule),
            explanation: None,
        }),
        level: match d.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        },
        spans,
        children,
        rendered: Some(super::human::render_plain(d, source) + "\n"),
    }
}

fn child<'a>(level: &'static str, message: &'a str) -> RustcDiagnostic<'a> {
    RustcDiagnostic {
        message_type: "diagnostic",
        message,
        code: None,
        level,
        spans: Vec::new(),
        children: Vec::new(),
        rendered: None,
    }
}

fn span_of<'a>(
    path: &Path,
    span: Span,
    label: Option<&'a str>,
    is_primary: bool,
    source: Option<&'a str>,
) -> RustcSpan<'a> {
    let end = if span.end.line < span.start.line {
        span.start
    } else {
        span.end
    };
    let text = source
        .map(|s| {
            s.lines()
                .enumerate()
                .skip(span.start.line.saturating_sub(1))
                .take(end.line + 1 - span.start.line)
                .map(|(i, text)| {
                    let line = i + 1;
                    let width = text.chars().count() + 1;
                    SpanLine {
                        text,
                        highlight_start: if line == span.start.line {
                            span.start.column
                        } else {
                            1
                        },
                        highlight_end: if line == end.line { end.column } else { width },
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    RustcSpan {
        file_name: path.display().to_string(),
        byte_start: span.byte_start,
        byte_end: span.byte_end.max(span.byte_start),
        line_start: span.start.line,
        line_end: end.line,
        column_start: span.start.column,
        column_end: end.column,
        is_primary,
        text,
        label,
        suggested_replacement: None,
        suggestion_applicability: None,
        expansion: None,
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// The package of a file: the nearest ancestor directory with a `Cargo.toml`.
#[derive(Default)]
struct PackageLookup {
    known: std::collections::HashMap<PathBuf, (PathBuf, PathBuf)>,
}

impl PackageLookup {
    fn of(&mut self, file: &Path) -> (PathBuf, PathBuf) {
        let file = absolute(file);
        let dir = file.parent().unwrap_or(&file).to_path_buf();
        if let Some(found) = self.known.get(&dir) {
            return found.clone();
        }
        let found = dir
            .ancestors()
            .find(|d| d.join("Cargo.toml").is_file())
            .map(|root| (root.to_path_buf(), root.join("Cargo.toml")))
            .unwrap_or_else(|| (dir.clone(), dir.join("Cargo.toml")));
        self.known.insert(dir, found.clone());
        found
    }
}
