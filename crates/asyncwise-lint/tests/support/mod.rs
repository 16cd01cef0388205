//! Shared helpers for marker-based tests (`tests/ui.rs`, and any test over `tests/corpus/`).
//!
//! A fixture line that ends with `//~ rule_a, rule_b` expects each listed rule to report a
//! finding whose primary location starts on that line. `//~? rule` marks a finding that may or
//! may not be reported (a genuinely ambiguous case); it is neither required nor an error.
//! Every other line must not start a finding. `//~ rule(pedantic)` expects the finding to be
//! the rule's pedantic form (off by default); a plain marker expects the default form.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One `//~` marker: a rule expected on a line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Marker {
    /// 1-based line the marker sits on.
    pub line: usize,
    /// The rule name.
    pub rule: String,
    /// `//~?`: the finding is allowed but not required.
    pub optional: bool,
    /// `rule(pedantic)`: the finding is the rule's pedantic form.
    pub pedantic: bool,
}

/// A finding identity as the harness compares them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    /// The fixture file, as displayed.
    pub path: PathBuf,
    /// 1-based line of the primary location's start.
    pub line: usize,
    /// The rule name.
    pub rule: String,
}

/// Parses every marker of a source file. Malformed markers are errors (`line: message`), so a
/// typo cannot silently turn an expected finding into an expected absence.
pub fn parse_markers(source: &str) -> Result<Vec<Marker>, Vec<String>> {
    let mut markers = Vec::new();
    let mut errors = Vec::new();
    for (index, text) in source.lines().enumerate() {
        let line = index + 1;
        let Some(at) = text.find("//~") else {
            continue;
        };
        let rest = &text[at + 3..];
        let (optional, list) = match rest.strip_prefix('?') {
            Some(list) => (true, list),
            None => (false, rest),
        };
        if !list.starts_with(' ') {
            errors.push(format!(
                "{line}: marker must be `//~ rule` or `//~? rule`, found `{}`",
                &text[at..]
            ));
            continue;
        }
        let mut seen = BTreeSet::new();
        let names: Vec<&str> = list.split(',').map(str::trim).collect();
        if names.iter().all(|n| n.is_empty()) {
            errors.push(format!("{line}: marker names no rule"));
            continue;
        }
        for name in names {
            let (name, pedantic) = match name.strip_suffix("(pedantic)") {
                Some(rule) => (rule, true),
                None => (name, false),
            };
            if !is_rule_name(name) {
                errors.push(format!(
                    "{line}: `{name}` is not a rule name (lowercase snake_case, comma-separated)"
                ));
            } else if !seen.insert(name) {
                errors.push(format!("{line}: rule `{name}` listed twice"));
            } else {
                markers.push(Marker {
                    line,
                    rule: name.to_owned(),
                    optional,
                    pedantic,
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(markers)
    } else {
        Err(errors)
    }
}

fn is_rule_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Every `.rs` file under `dir`, recursively, sorted (deterministic output).
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read directory {}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("cannot read directory {}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The crate's manifest directory (where `tests/` lives).
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `path` relative to the manifest directory, for messages and for `check_source`.
pub fn display_path(path: &Path) -> PathBuf {
    path.strip_prefix(manifest_dir())
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// One fixture file: its source, its markers and what the analyzer reported.
#[derive(Debug)]
pub struct Checked {
    /// Displayed path.
    pub path: PathBuf,
    /// The source text.
    pub source: String,
    /// Expected findings (required markers).
    pub expected: BTreeSet<Finding>,
    /// Findings that are tolerated either way (`//~?`).
    pub optional: BTreeSet<Finding>,
    /// Reported findings, deduplicated by (line, rule).
    pub actual: BTreeSet<Finding>,
    /// Markers that expect the pedantic form.
    pub expected_pedantic: BTreeSet<Finding>,
    /// Reported findings of a pedantic form.
    pub actual_pedantic: BTreeSet<Finding>,
}

impl Checked {
    /// Required findings that were not reported.
    pub fn missing(&self) -> impl Iterator<Item = &Finding> {
        self.expected.difference(&self.actual)
    }

    /// Reported findings with no marker (optional markers excluded).
    pub fn unexpected(&self) -> impl Iterator<Item = &Finding> {
        self.actual
            .iter()
            .filter(|f| !self.expected.contains(f) && !self.optional.contains(f))
    }

    /// Required findings that were reported.
    pub fn matched(&self) -> impl Iterator<Item = &Finding> {
        self.expected.intersection(&self.actual)
    }

    /// Matched findings whose form (default or pedantic) differs from the marker's.
    pub fn wrong_form(&self) -> impl Iterator<Item = &Finding> {
        self.matched()
            .filter(|f| self.expected_pedantic.contains(*f) != self.actual_pedantic.contains(*f))
    }

    /// The source line a finding points at, trimmed.
    pub fn source_line(&self, line: usize) -> &str {
        self.source
            .lines()
            .nth(line.wrapping_sub(1))
            .map(str::trim)
            .unwrap_or("<line out of range>")
    }
}

/// Reads one fixture, parses its markers and runs the analyzer on it.
pub fn check_file(path: &Path) -> Result<Checked, String> {
    let shown = display_path(path);
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", shown.display()))?;
    let markers = parse_markers(&source).map_err(|errors| {
        let mut msg = String::new();
        for e in errors {
            let _ = writeln!(msg, "{}:{e}", shown.display());
        }
        msg
    })?;
    let diagnostics = asyncwise_lint::check_source(&shown, &source)
        .map_err(|e| format!("{}: analyzer error: {}", shown.display(), e.message))?;
    let finding = |line: usize, rule: &str| Finding {
        path: shown.clone(),
        line,
        rule: rule.to_owned(),
    };
    let mut expected = BTreeSet::new();
    let mut optional = BTreeSet::new();
    let mut expected_pedantic = BTreeSet::new();
    for m in markers {
        if m.pedantic {
            expected_pedantic.insert(finding(m.line, &m.rule));
        }
        if m.optional {
            optional.insert(finding(m.line, &m.rule));
        } else {
            expected.insert(finding(m.line, &m.rule));
        }
    }
    let actual = diagnostics
        .iter()
        .map(|d| finding(d.span.start.line, d.rule))
        .collect();
    let actual_pedantic = diagnostics
        .iter()
        .filter(|d| d.form == asyncwise_lint::levels::Form::Pedantic)
        .map(|d| finding(d.span.start.line, d.rule))
        .collect();
    Ok(Checked {
        path: shown,
        source,
        expected,
        optional,
        actual,
        expected_pedantic,
        actual_pedantic,
    })
}

/// `path:line: rule` followed by the source line, for failure reports.
pub fn describe(checked: &Checked, f: &Finding) -> String {
    format!(
        "{}:{}: {}\n        | {}",
        f.path.display(),
        f.line,
        f.rule,
        checked.source_line(f.line)
    )
}

/// Per-rule confusion counts.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Reported and marked.
    pub tp: usize,
    /// Reported, not marked.
    pub fp: usize,
    /// Marked, not reported.
    pub fn_: usize,
}

impl Counts {
    /// tp / (tp + fp); `None` when nothing was reported.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// tp / (tp + fn); `None` when nothing was expected.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    fn add(&mut self, other: Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
    }
}

fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Tallies true/false positives and false negatives per rule over checked files.
pub fn tally(files: &[Checked]) -> (BTreeMap<String, Counts>, Counts) {
    let mut per_rule: BTreeMap<String, Counts> = BTreeMap::new();
    for file in files {
        for f in file.matched() {
            per_rule.entry(f.rule.clone()).or_default().tp += 1;
        }
        for f in file.unexpected() {
            per_rule.entry(f.rule.clone()).or_default().fp += 1;
        }
        for f in file.missing() {
            per_rule.entry(f.rule.clone()).or_default().fn_ += 1;
        }
    }
    let mut total = Counts::default();
    for c in per_rule.values() {
        total.add(*c);
    }
    (per_rule, total)
}

/// A fixed-width table of the tallies.
pub fn format_table(per_rule: &BTreeMap<String, Counts>, total: Counts) -> String {
    fn pct(x: Option<f64>) -> String {
        x.map_or_else(|| "-".to_owned(), |x| format!("{:.3}", x))
    }
    let width = per_rule
        .keys()
        .map(String::len)
        .chain(["rule".len(), "overall".len()])
        .max()
        .unwrap_or(8);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>5}  {:>5}  {:>5}  {:>9}  {:>6}",
        "rule", "tp", "fp", "fn", "precision", "recall"
    );
    let rows = per_rule
        .iter()
        .map(|(rule, c)| (rule.as_str(), *c))
        .chain([("overall", total)]);
    for (rule, c) in rows {
        let _ = writeln!(
            out,
            "{:<width$}  {:>5}  {:>5}  {:>5}  {:>9}  {:>6}",
            rule,
            c.tp,
            c.fp,
            c.fn_,
            pct(c.precision()),
            pct(c.recall())
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        let src = "a();\nb(); //~ rule_a, rule_b\nc(); //~? rule_c\n";
        let m = parse_markers(src).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(
            (m[0].line, m[0].rule.as_str(), m[0].optional),
            (2, "rule_a", false)
        );
        assert_eq!((m[1].line, m[1].rule.as_str()), (2, "rule_b"));
        assert_eq!(
            (m[2].line, m[2].rule.as_str(), m[2].optional),
            (3, "rule_c", true)
        );
        assert!(parse_markers("x(); //~\n").is_err());
        assert!(parse_markers("x(); //~ Rule\n").is_err());
        assert!(parse_markers("x(); //~rule\n").is_err());
        assert!(parse_markers("x(); //~ a, a\n").is_err());
        let p = parse_markers("x(); //~ rule_a(pedantic)\n").unwrap();
        assert!(p[0].pedantic && p[0].rule == "rule_a");
    }

    #[test]
    fn comparison_and_tally() {
        let f = |line: usize, rule: &str| Finding {
            path: PathBuf::from("x.rs"),
            line,
            rule: rule.to_owned(),
        };
        let checked = Checked {
            path: PathBuf::from("x.rs"),
            source: "a\nb\nc\nd\n".to_owned(),
            expected: [f(1, "r"), f(2, "r")].into(),
            optional: [f(3, "r")].into(),
            actual: [f(1, "r"), f(3, "r"), f(4, "s")].into(),
            expected_pedantic: [f(1, "r")].into(),
            actual_pedantic: BTreeSet::new(),
        };
        assert_eq!(
            checked.wrong_form().cloned().collect::<Vec<_>>(),
            vec![f(1, "r")]
        );
        assert_eq!(
            checked.missing().cloned().collect::<Vec<_>>(),
            vec![f(2, "r")]
        );
        assert_eq!(
            checked.unexpected().cloned().collect::<Vec<_>>(),
            vec![f(4, "s")]
        );
        assert_eq!(checked.source_line(4), "d");
        let (per_rule, total) = tally(std::slice::from_ref(&checked));
        assert_eq!(
            (per_rule["r"].tp, per_rule["r"].fp, per_rule["r"].fn_),
            (1, 0, 1)
        );
        assert_eq!(
            (per_rule["s"].tp, per_rule["s"].fp, per_rule["s"].fn_),
            (0, 1, 0)
        );
        assert_eq!((total.tp, total.fp, total.fn_), (1, 1, 1));
        assert_eq!(total.precision(), Some(0.5));
        assert!(format_table(&per_rule, total).contains("overall"));
    }
}
