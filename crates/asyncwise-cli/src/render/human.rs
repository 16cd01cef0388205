//! Human output in rustc's style (annotate-snippets), then the files that could not be checked,
//! then a one-line summary.
//!
//! ```text
//! warning[asyncwise::blocking_in_async]: `std::thread::sleep` blocks the executor thread
//!  --> src/main.rs:3:5
//!   |
//! 3 |     std::thread::sleep(Duration::from_secs(1));
//!   |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
//!   |
//!   = help: use `tokio::time::sleep(..).await`
//!
//! asyncwise: 1 warning in 1 file (12 files checked)
//! ```

use std::collections::BTreeSet;
use std::io::Write;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use asyncwise_lint::{CheckReport, Diagnostic, LineCol, Severity};

use super::plural;

/// Writes every finding, every error and the summary line.
pub fn write(report: &CheckReport, color: bool, out: &mut impl Write) -> std::io::Result<()> {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    // Diagnostics are sorted by path: index each file's lines once.
    let mut index: Option<(&std::path::Path, LineIndex<'_>)> = None;
    for d in &report.diagnostics {
        let lines = report.sources.get(&d.path).map(|source| {
            if index.as_ref().is_none_or(|(path, _)| *path != d.path) {
                index = Some((&d.path, LineIndex::new(source)));
            }
            index.as_ref().map(|(_, lines)| lines)
        });
        writeln!(
            out,
            "{}\n",
            render_diagnostic(&renderer, d, lines.flatten())
        )?;
    }
    for e in &report.errors {
        let title = format!("{}: {}", e.place(), e.message);
        let group = Group::with_title(Level::ERROR.primary_title(title));
        writeln!(out, "{}", renderer.render(&[group]))?;
    }
    writeln!(out, "{}", summary(report))
}

/// `asyncwise: 3 warnings in 2 files (120 files checked)`, plus the test code left out and the
/// unchecked count if any.
pub fn summary(report: &CheckReport) -> String {
    let count = |s: Severity| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let mut found = Vec::new();
    if errors > 0 {
        found.push(plural(errors, "error"));
    }
    if warnings > 0 {
        found.push(plural(warnings, "warning"));
    }
    let checked = plural(report.files_checked, "file");
    let mut line = if found.is_empty() {
        format!("asyncwise: no findings ({checked} checked)")
    } else {
        let files: BTreeSet<_> = report.diagnostics.iter().map(|d| &d.path).collect();
        format!(
            "asyncwise: {} in {} ({checked} checked)",
            found.join(" and "),
            plural(files.len(), "file")
        )
    };
    let fixable = report
        .diagnostics
        .iter()
        .filter(|d| d.fix.is_some())
        .count();
    if fixable > 0 {
        line.push_str(&format!("; {fixable} fixable with `--fix`"));
    }
    let skipped = report.skipped;
    if skipped.files > 0 || skipped.items > 0 {
        let mut what = Vec::new();
        if skipped.files > 0 {
            what.push(plural(skipped.files, "file"));
        }
        if skipped.items > 0 {
            what.push(plural(skipped.items, "item"));
        }
        line.push_str(&format!(
            "; test code skipped ({}): use --all-targets to check it",
            what.join(", ")
        ));
    }
    if !report.errors.is_empty() {
        let what = if report.errors.len() == 1 {
            "path"
        } else {
            "paths"
        };
        line.push_str(&format!(
            "; {} {what} could not be checked",
            report.errors.len()
        ));
    }
    line
}

/// One finding rendered as rustc would, without colour (for formats that embed the text).
pub fn render_plain(d: &Diagnostic, source: Option<&str>) -> String {
    let lines = source.map(LineIndex::new);
    render_diagnostic(&Renderer::plain(), d, lines.as_ref())
}

fn render_diagnostic(
    renderer: &Renderer,
    d: &Diagnostic,
    source: Option<&LineIndex<'_>>,
) -> String {
    let level = match d.severity {
        Severity::Warning => Level::WARNING,
        Severity::Error => Level::ERROR,
    };
    let path = d.path.display().to_string();
    let title = level
        .primary_title(d.message.as_str())
        .id(format!("asyncwise::{}", d.rule));
    let snippet = source.and_then(|lines| snippet(d, &path, lines));
    let shown = snippet.is_some();
    let mut group = match snippet {
        Some(snippet) => title.element(snippet),
        // No text to show (it changed, or a span is out of range): still say where.
        None => title.element(Level::NOTE.message(format!(
            "at {path}:{}:{}",
            d.span.start.line, d.span.start.column
        ))),
    };
    for note in &d.notes {
        if let (Some(span), Some(elsewhere)) = (note.span, &note.path) {
            group = group.element(Level::NOTE.message(format!(
                "{} at {}:{}:{}",
                note.message,
                elsewhere.display(),
                span.start.line,
                span.start.column
            )));
        } else if let (Some(span), false) = (note.span, shown) {
            group = group.element(Level::NOTE.message(format!(
                "{} (at {path}:{}:{})",
                note.message, span.start.line, span.start.column
            )));
        } else if note.span.is_none() {
            group = group.element(Level::NOTE.message(note.message.as_str()));
        }
    }
    if let Some(help) = &d.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    renderer.render(&[group])
}

/// The lines the finding and its notes cover, annotated; `None` if a span does not fit `source`.
fn snippet<'a>(
    d: &'a Diagnostic,
    path: &str,
    lines: &LineIndex<'a>,
) -> Option<Snippet<'a, annotate_snippets::Annotation<'a>>> {
    let source = lines.source;
    let mut spans = vec![(d.span.start, d.span.end, None)];
    for note in d.notes.iter().filter(|n| n.path.is_none()) {
        if let Some(span) = note.span {
            spans.push((span.start, span.end, Some(note.message.as_str())));
        }
    }
    let first = spans.iter().map(|s| s.0.line).min()?;
    let last = spans.iter().map(|s| s.1.line.max(s.0.line)).max()?;
    let window = lines.line_range(first)?.start..lines.line_range(last)?.end;
    let mut snippet = Snippet::source(&source[window.clone()])
        .line_start(first)
        .path(path.to_owned());
    for (i, (start, end, label)) in spans.into_iter().enumerate() {
        let range = lines.offset(start)?..lines.offset(end)?.max(lines.offset(start)?);
        let range = range.start - window.start..range.end - window.start;
        let kind = if i == 0 {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        snippet = snippet.annotation(match label {
            Some(label) => kind.span(range).label(label),
            None => kind.span(range),
        });
    }
    Some(snippet)
}

/// Line starts of a text, to turn 1-based (line, character column) into byte offsets.
struct LineIndex<'s> {
    source: &'s str,
    starts: Vec<usize>,
}

impl<'s> LineIndex<'s> {
    fn new(source: &'s str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { source, starts }
    }

    /// Byte range of a 1-based line, without its line break.
    fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self
            .starts
            .get(line)
            .map_or(self.source.len(), |&next| next - 1);
        let end = if self.source[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        Some(start..end)
    }

    /// Byte offset of a 1-based line and character column (one past the end of the line is
    /// allowed).
    fn offset(&self, at: LineCol) -> Option<usize> {
        let line = self.line_range(at.line)?;
        let text = &self.source[line.clone()];
        let column = at.column.checked_sub(1)?;
        let within = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .nth(column)?;
        Some(line.start + within)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asyncwise_lint::{Note, Span};
    use std::path::PathBuf;

    fn lc(line: usize, column: usize) -> LineCol {
        LineCol { line, column }
    }

    fn finding() -> Diagnostic {
        Diagnostic {
            rule: "lock_across_await",
            severity: Severity::Warning,
            form: asyncwise_lint::levels::Form::Default,
            path: PathBuf::from("src/lib.rs"),
            span: Span {
                start: lc(2, 13),
                end: lc(2, 28),
                ..Span::default()
            },
            message: "a `std::sync::MutexGuard` is held across an `.await`".into(),
            help: Some("drop the guard before awaiting".into()),
            notes: vec![
                Note::here(
                    Span {
                        start: lc(3, 5),
                        end: lc(3, 16),
                        ..Span::default()
                    },
                    "awaited here while the guard is alive",
                ),
                Note::text("guards of `tokio::sync::Mutex` may be held"),
            ],
            fix: None,
            function: None,
            through: None,
            marks: Default::default(),
        }
    }

    const SOURCE: &str = "async fn f(m: &std::sync::Mutex<u8>) {\n    let g = m.lock().unwrap();\n    g2().await;\n}\n";

    #[test]
    fn renders_rustc_style_with_notes_and_help() {
        let report = CheckReport {
            files_checked: 4,
            diagnostics: vec![finding()],
            sources: [(PathBuf::from("src/lib.rs"), SOURCE.into())].into(),
            ..CheckReport::default()
        };
        let mut out = Vec::new();
        write(&report, false, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("warning[asyncwise::lock_across_await]: a `std::sync::MutexGuard`"),
            "{text}"
        );
        assert!(text.contains("--> src/lib.rs:2:13"), "{text}");
        assert!(
            text.contains("2 |     let g = m.lock().unwrap();"),
            "{text}"
        );
        assert!(text.contains("^^^^^^^^^^^^^^^"), "{text}");
        assert!(
            text.contains("awaited here while the guard is alive"),
            "{text}"
        );
        assert!(
            text.contains("= note: guards of `tokio::sync::Mutex` may be held"),
            "{text}"
        );
        assert!(
            text.contains("= help: drop the guard before awaiting"),
            "{text}"
        );
        assert!(
            text.trim_end()
                .ends_with("asyncwise: 1 warning in 1 file (4 files checked)"),
            "{text}"
        );
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn out_of_range_spans_fall_back_to_a_location_note() {
        let mut d = finding();
        d.span.start = lc(99, 1);
        let text = render_diagnostic(&Renderer::plain(), &d, Some(&LineIndex::new(SOURCE)));
        assert!(text.contains("at src/lib.rs:99:1"), "{text}");
        assert!(
            text.contains("= note: awaited here while the guard is alive (at src/lib.rs:3:5)"),
            "{text}"
        );
        assert!(
            text.contains("= note: guards of `tokio::sync::Mutex` may be held"),
            "{text}"
        );
    }

    #[test]
    fn columns_count_characters() {
        let index = LineIndex::new("é = 1;\r\nab\n");
        assert_eq!(index.offset(lc(1, 2)), Some(2));
        assert_eq!(index.offset(lc(2, 3)), Some(11));
        assert_eq!(index.line_range(1), Some(0..7));
        assert_eq!(index.offset(lc(3, 2)), None);
    }

    #[test]
    fn summary_mentions_errors() {
        let report = CheckReport {
            files_checked: 1,
            errors: vec![asyncwise_lint::FileError::new("a.rs", "could not parse")],
            ..CheckReport::default()
        };
        assert_eq!(
            summary(&report),
            "asyncwise: no findings (1 file checked); 1 path could not be checked"
        );
    }
}
