//! `--format json`: one document, schema version 1.
//!
//! ```text
//! {"version":1,"files_checked":N,
//!  "skipped":{"files","items"},
//!  "diagnostics":[{"rule","severity","level","group","form","on_by_default","path","line","column","end_line","end_column",
//!                  "message","help","notes":[{"message","path","line","column"}]}],
//!  "errors":[{"path","message","line","column"}]}
//! ```
//!
//! `level` is `deny` (printed as an error) or `warn`; `group` is the rule's group, or
//! `pedantic` for a finding of a rule's pedantic `form`. `on_by_default` says whether a run
//! with no options reports this kind of finding: the rule is on by default and the finding is
//! of its default form (a rule that is off by default, such as `unbounded_channel`, has a
//! default form too, reported only when the rule is selected). New fields are added without a
//! new `version`; removing or changing one needs one. Lines and columns are 1-based; `help`
//! may be null; a note without a span has null `line` and `column`, and so has an error that
//! concerns a whole file. A note's `path` is the file its line is in: the finding's own, or
//! another file of the crate (a helper's blocking call, another site of the same lock). Other tools parse this.

use std::io::Write;

use asyncwise_lint::levels::{Form, Group};
use asyncwise_lint::{CheckReport, Diagnostic, FileError, Severity};
use serde::Serialize;

/// The schema version written in every document.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    files_checked: usize,
    skipped: JsonSkipped,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    errors: Vec<JsonError>,
}

#[derive(Serialize)]
struct JsonSkipped {
    files: usize,
    items: usize,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: &'a str,
    level: &'static str,
    group: Option<&'static str>,
    form: &'static str,
    on_by_default: bool,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    help: Option<&'a str>,
    notes: Vec<JsonNote<'a>>,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    message: &'a str,
    path: String,
    line: Option<usize>,
    column: Option<usize>,
}

#[derive(Serialize)]
struct JsonError {
    path: String,
    message: String,
    line: Option<usize>,
    column: Option<usize>,
}

fn diagnostic(d: &Diagnostic) -> JsonDiagnostic<'_> {
    let path = d.path.display().to_string();
    JsonDiagnostic {
        rule: d.rule,
        severity: d.severity.as_str(),
        level: match d.severity {
            Severity::Error => "deny",
            Severity::Warning => "warn",
        },
        group: match d.form {
            Form::Pedantic => Some(Group::Pedantic.as_str()),
            Form::Default => asyncwise_lint::rules::find(d.rule).map(|r| r.group.as_str()),
        },
        form: match d.form {
            Form::Default => "default",
            Form::Pedantic => "pedantic",
        },
        on_by_default: d.form == Form::Default
            && asyncwise_lint::rules::find(d.rule)
                .is_some_and(|r| r.default_level != asyncwise_lint::levels::Level::Allow),
        line: d.span.start.line,
        column: d.span.start.column,
        end_line: d.span.end.line,
        end_column: d.span.end.column,
        message: &d.message,
        help: d.help.as_deref(),
        notes: d
            .notes
            .iter()
            .map(|n| JsonNote {
                message: &n.message,
                path: n
                    .path
                    .as_ref()
                    .map_or_else(|| path.clone(), |p| p.display().to_string()),
                line: n.span.map(|s| s.start.line),
                column: n.span.map(|s| s.start.column),
            })
            .collect(),
        path,
    }
}

fn error(e: &FileError) -> JsonError {
    JsonError {
        path: e.path.display().to_string(),
        message: e.message.clone(),
        line: e.location.map(|at| at.line),
        column: e.location.map(|at| at.column),
    }
}

/// Writes `report` as one JSON document followed by a newline.
pub fn write(report: &CheckReport, out: &mut impl Write) -> std::io::Result<()> {
    let document = Document {
        version: VERSION,
        files_checked: report.files_checked,
        skipped: JsonSkipped {
            files: report.skipped.files,
            items: report.skipped.items,
        },
        diagnostics: report.diagnostics.iter().map(diagnostic).collect(),
        errors: report.errors.iter().map(error).collect(),
    };
    serde_json::to_writer(&mut *out, &document)?;
    writeln!(out)
}
