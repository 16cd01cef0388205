//! `--format sarif`: one SARIF 2.1.0 log, as GitHub code scanning and other SARIF viewers read
//! it.
//!
//! * One run; `tool.driver.rules` lists every rule (with its summary and full Markdown help),
//!   each result refers to its rule by id and index.
//! * Paths are relative URIs (`uriBaseId` `%SRCROOT%`, the working directory), so GitHub can
//!   map them to the repository when `asyncwise` runs at its root.
//! * Columns are counted in UTF-16 code units, the unit SARIF assumes (`columnKind`), converted
//!   from the characters the analyzer counts when the file's text is at hand; `endColumn` is one
//!   past the last character, as SARIF expects.
//! * Files that could not be checked become `toolExecutionNotifications` (with the place of a
//!   syntax error), and `executionSuccessful` is `false`.

use std::io::Write;

use asyncwise_lint::rules::Rule;
use asyncwise_lint::{CheckReport, Diagnostic, LineCol, Severity};
use serde_json::{Value, json};

/// The schema every log names.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Writes `report` as a SARIF log followed by a newline.
pub fn write(report: &CheckReport, rules: &[Rule], out: &mut impl Write) -> std::io::Result<()> {
    let mut rule_ids: Vec<&str> = rules.iter().map(|r| r.name).collect();
    // Findings about suppressions are not rules of the registry, but SARIF wants them described.
    for extra in [
        asyncwise_lint::suppress::UNUSED_SUPPRESSION,
        asyncwise_lint::suppress::INVALID_SUPPRESSION,
    ] {
        rule_ids.push(extra);
    }
    let descriptors: Vec<Value> = rule_ids
        .iter()
        .map(|&id| match rules.iter().find(|r| r.name == id) {
            Some(rule) => json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": rule.summary()},
                "fullDescription": {"text": rule.summary()},
                "help": {"text": rule.markdown(), "markdown": rule.markdown()},
                "defaultConfiguration": {"level": default_level(rule.default_level)},
            }),
            None => json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": suppression_summary(id)},
                "defaultConfiguration": {"level": if id == asyncwise_lint::suppress::INVALID_SUPPRESSION { "error" } else { "warning" }},
            }),
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| result(d, &rule_ids, report))
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut location = json!({
                "physicalLocation": {"artifactLocation": artifact(&e.path)}
            });
            if let Some(at) = e.location {
                location["physicalLocation"]["region"] =
                    json!({"startLine": at.line, "startColumn": at.column});
            }
            json!({
                "level": "error",
                "message": {"text": e.message},
                "locations": [location],
            })
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "asyncwise",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": descriptors,
            }},
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the directory asyncwise ran in"}}},
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    });
    serde_json::to_writer(&mut *out, &log)?;
    writeln!(out)
}

fn suppression_summary(id: &str) -> &'static str {
    if id == asyncwise_lint::suppress::UNUSED_SUPPRESSION {
        "A suppression comment that covers no finding."
    } else {
        "A suppression comment that cannot be understood, names an unknown rule, or lacks a required reason."
    }
}

/// SARIF's level for a rule's default level (`note` for rules off by default).
fn default_level(level: asyncwise_lint::levels::Level) -> &'static str {
    match level {
        asyncwise_lint::levels::Level::Deny => "error",
        asyncwise_lint::levels::Level::Warn => "warning",
        asyncwise_lint::levels::Level::Allow => "note",
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// A relative path as a URI reference: `/` separators, percent-encoded where needed.
fn artifact(path: &std::path::Path) -> Value {
    let text = path.display().to_string().replace('\\', "/");
    let mut uri = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    if path.is_absolute() {
        json!({"uri": format!("file://{uri}")})
    } else {
        json!({"uri": uri, "uriBaseId": "%SRCROOT%"})
    }
}

/// A character column converted to UTF-16 code units on that line of `source`.
fn utf16_column(source: Option<&str>, at: LineCol) -> usize {
    let Some(line) = source.and_then(|s| s.lines().nth(at.line.saturating_sub(1))) else {
        return at.column;
    };
    let units: usize = line
        .chars()
        .take(at.column.saturating_sub(1))
        .map(char::len_utf16)
        .sum();
    // Past the end of the line (a span ending after the last character): count the rest as is.
    let counted = line.chars().count().min(at.column.saturating_sub(1));
    units + (at.column.saturating_sub(1) - counted) + 1
}

fn region(source: Option<&str>, start: LineCol, end: LineCol) -> Value {
    json!({
        "startLine": start.line,
        "startColumn": utf16_column(source, start),
        "endLine": end.line.max(start.line),
        "endColumn": utf16_column(source, end),
    })
}

fn result(d: &Diagnostic, rule_ids: &[&str], report: &CheckReport) -> Value {
    let source = report.sources.get(&d.path).map(|s| &**s);
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<Value> = d
        .notes
        .iter()
        .filter_map(|n| n.span.map(|span| (n, span)))
        .enumerate()
        .map(|(i, (note, span))| {
            let file = note.file(&d.path);
            let source = report.sources.get(file).map(|s| &**s);
            json!({
                "id": i,
                "message": {"text": note.message},
                "physicalLocation": {
                    "artifactLocation": artifact(file),
                    "region": region(source, span.start, span.end),
                },
            })
        })
        .collect();
    for note in d.notes.iter().filter(|n| n.span.is_none()) {
        message.push_str("\nnote: ");
        message.push_str(&note.message);
    }
    let mut out = json!({
        "ruleId": d.rule,
        "level": level(d.severity),
        "message": {"text": message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact(&d.path),
                "region": region(source, d.span.start, d.span.end),
            }
        }],
    });
    if let Some(index) = rule_ids.iter().position(|&id| id == d.rule) {
        out["ruleIndex"] = json!(index);
    }
    if !related.is_empty() {
        out["relatedLocations"] = Value::Array(related);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_become_utf16_code_units() {
        let source = "let s = \"😀\"; f();\n";
        // `f` is the 14th character and the 15th UTF-16 unit (the emoji takes two).
        assert_eq!(
            utf16_column(
                Some(source),
                LineCol {
                    line: 1,
                    column: 14
                }
            ),
            15
        );
        assert_eq!(
            utf16_column(
                None,
                LineCol {
                    line: 1,
                    column: 14
                }
            ),
            14
        );
        // One past the end of the line.
        assert_eq!(
            utf16_column(Some("ab\n"), LineCol { line: 1, column: 3 }),
            3
        );
    }

    #[test]
    fn uris_are_relative_and_escaped() {
        assert_eq!(
            artifact(std::path::Path::new("src/my file.rs")),
            json!({"uri": "src/my%20file.rs", "uriBaseId": "%SRCROOT%"})
        );
    }
}
