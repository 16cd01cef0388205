//! Baselines: record today's findings, then report only new ones.
//!
//! A finding's fingerprint hashes what stays put when unrelated code changes: the rule, the
//! file's path, the name of the innermost item around it (`impl Server::handle`), the text of
//! its span with all whitespace removed, and its index among findings that share all of these.
//! Line numbers are not part of it, so lines added above a finding or a reformatting
//! (`cargo fmt`) keep it; editing the flagged expression itself, moving it to another item or
//! renaming the file makes it new.
//!
//! ```
//! use asyncwise_lint::baseline::Baseline;
//! let dir = std::env::temp_dir().join(format!("asyncwise-baseline-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let file = dir.join("lib.rs");
//! std::fs::write(&file, "async fn f() {\n    std::thread::sleep(d);\n}\n").unwrap();
//! let before = asyncwise_lint::check_paths(&[file.clone()], &Default::default());
//! let baseline = Baseline::of(&before);
//! std::fs::write(&file, "// a new comment\n\nasync fn f() {\n    std::thread::sleep( d );\n}\n").unwrap();
//! let mut after = asyncwise_lint::check_paths(&[file.clone()], &Default::default());
//! assert_eq!(baseline.filter(&mut after), 1);
//! assert!(after.diagnostics.is_empty());
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::engine::CheckReport;

/// The format version written in every baseline file.
pub const VERSION: u32 = 1;

/// A recorded set of findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// The recorded findings, sorted by path and position at the time of recording.
    pub findings: Vec<Entry>,
}

/// One recorded finding. Only `fingerprint` is compared; the rest is for people reading the
/// file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The fingerprint (16 hex digits).
    pub fingerprint: String,
    /// The rule.
    pub rule: String,
    /// The file.
    pub path: String,
    /// The innermost item around the finding, if any.
    pub item: Option<String>,
    /// The message when recorded.
    pub message: String,
}

/// Why a baseline file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Not JSON of the expected shape.
    #[error("not a baseline file: {0}")]
    Format(#[from] serde_json::Error),
    /// Written by a newer asyncwise.
    #[error("baseline version {0} is not supported (this asyncwise reads version {VERSION})")]
    Version(u32),
}

impl Baseline {
    /// Records every finding of `report`.
    pub fn of(report: &CheckReport) -> Self {
        let findings = report
            .diagnostics
            .iter()
            .zip(fingerprints(report))
            .map(|(d, (fingerprint, item))| Entry {
                fingerprint,
                rule: d.rule.to_owned(),
                path: d.path.display().to_string(),
                item,
                message: d.message.clone(),
            })
            .collect();
        Baseline {
            version: VERSION,
            findings,
        }
    }

    /// Reads a baseline written by [`Baseline::to_json`].
    ///
    /// ```
    /// use asyncwise_lint::baseline::Baseline;
    /// let empty = Baseline { version: 1, findings: vec![] };
    /// assert_eq!(Baseline::from_json(&empty.to_json()).unwrap(), empty);
    /// assert!(Baseline::from_json("{\"version\":9,\"findings\":[]}").is_err());
    /// ```
    pub fn from_json(text: &str) -> Result<Self, BaselineError> {
        let baseline: Baseline = serde_json::from_str(text)?;
        if baseline.version != VERSION {
            return Err(BaselineError::Version(baseline.version));
        }
        Ok(baseline)
    }

    /// The baseline as pretty JSON, one finding per entry, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Removes the findings of `report` that the baseline records; returns how many.
    pub fn filter(&self, report: &mut CheckReport) -> usize {
        let mut known: HashMap<&str, usize> = HashMap::new();
        for entry in &self.findings {
            *known.entry(entry.fingerprint.as_str()).or_default() += 1;
        }
        let prints = fingerprints(report);
        let before = report.diagnostics.len();
        let mut keep =
            prints.iter().map(
                |(fingerprint, _)| match known.get_mut(fingerprint.as_str()) {
                    Some(count) if *count > 0 => {
                        *count -= 1;
                        false
                    }
                    _ => true,
                },
            );
        report.diagnostics.retain(|_| keep.next().unwrap_or(true));
        before - report.diagnostics.len()
    }
}

/// The fingerprint and enclosing item name of every finding of `report`, in order.
pub fn fingerprints(report: &CheckReport) -> Vec<(String, Option<String>)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    report
        .diagnostics
        .iter()
        .map(|d| {
            let item = report
                .outlines
                .get(&d.path)
                .and_then(|o| o.innermost(d.span.start.line))
                .map(|i| i.name.clone());
            let snippet = snippet(d, report.sources.get(&d.path).map(|s| &**s));
            let key = format!(
                "{}\0{}\0{}\0{}",
                d.rule,
                d.path.display().to_string().replace('\\', "/"),
                item.as_deref().unwrap_or(""),
                snippet
            );
            let index = seen.entry(key.clone()).or_default();
            let print = fnv1a(format!("{key}\0{index}").as_bytes());
            *index += 1;
            (format!("{print:016x}"), item)
        })
        .collect()
}

/// The flagged text without whitespace and trailing commas (what `cargo fmt` adds or removes
/// when it breaks lines); the message when the text is not at hand.
fn snippet(d: &Diagnostic, source: Option<&str>) -> String {
    let compact: String = source
        .and_then(|s| s.get(d.span.byte_start..d.span.byte_end))
        .filter(|text| !text.trim().is_empty())
        .unwrap_or(&d.message)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    compact
        .replace(",)", ")")
        .replace(",]", "]")
        .replace(",}", "}")
}

/// 64-bit FNV-1a: small, and stable across platforms and releases (unlike std's hasher).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
