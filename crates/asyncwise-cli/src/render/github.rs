//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations
//! on the pull request's diff, then the usual summary line.
//!
//! ```text
//! ::warning file=src/main.rs,line=3,col=5,endLine=3,endColumn=47,title=asyncwise%3A%3Ablocking_in_async::`std::thread::sleep` blocks …
//! ::error file=src/bad.rs,line=2,col=13,title=asyncwise::could not parse: expected `;`
//! ```

use std::io::Write;

use asyncwise_lint::{CheckReport, Severity};

/// Writes one command per finding and per file that could not be checked, then the summary.
pub fn write(report: &CheckReport, out: &mut impl Write) -> std::io::Result<()> {
    for d in &report.diagnostics {
        let command = match d.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        let mut message = d.message.clone();
        // Annotations show one place: notes elsewhere in the file go into the text.
        for note in &d.notes {
            message.push_str("\nnote: ");
            message.push_str(&note.message);
            match (note.span, &note.path) {
                (Some(span), Some(elsewhere)) => {
                    message.push_str(&format!(" ({}:{})", elsewhere.display(), span.start.line))
                }
                (Some(span), None) => message.push_str(&format!(" (line {})", span.start.line)),
                (None, _) => {}
            }
        }
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&d.path.display().to_string()),
            d.span.start.line,
            d.span.start.column,
            d.span.end.line.max(d.span.start.line),
            d.span.end.column,
            property(&format!("asyncwise::{}", d.rule)),
            data(&message),
        )?;
    }
    for e in &report.errors {
        let place = match e.location {
            Some(at) => format!(",line={},col={}", at.line, at.column),
            None => String::new(),
        };
        writeln!(
            out,
            "::error file={}{place},title={}::{}",
            property(&e.path.display().to_string()),
            property("asyncwise"),
            data(&e.message),
        )?;
    }
    writeln!(out, "{}", super::human::summary(report))
}

/// Escapes a command's message (`%`, CR, LF).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (also `:` and `,`, which delimit properties).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_delimiters() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
