//! Applying fixes: `asyncwise check --fix` and `--diff`.
//!
//! A rule attaches a [`Fix`] to a finding only when the rewrite is certain (see
//! `knowledge/rewrites.rs` for what `blocking_in_async` rewrites and when). Applying is
//! conservative in the way ruff's and rustfix's are:
//!
//! * only findings the run reports carry fixes here, so allowed rules, suppressed findings,
//!   baseline entries and test code left out by the targets are never rewritten;
//! * the edits of one file are applied together when they do not overlap; a fix whose edits
//!   overlap one already taken waits for the next round;
//! * a file whose text after the edits does not parse is left as it was and reported;
//! * a file that changed on disk since it was checked is left alone;
//! * [`fix_paths`] checks again after writing and repeats until no fix is left (at most
//!   [`MAX_ROUNDS`] rounds), so running it twice changes nothing the second time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Edit, FileError, Fix};
use crate::engine::{CheckOptions, CheckReport, check_paths};

/// Rounds of check-and-fix before [`fix_paths`] stops (fixes that unlock further fixes are rare;
/// this bounds a rule that would keep offering one).
pub const MAX_ROUNDS: usize = 8;

/// One file's text before and after its fixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The file, as the check reported it.
    pub path: PathBuf,
    /// Its text before any fix.
    pub before: String,
    /// Its text after the fixes.
    pub after: String,
    /// How many findings the fixes resolved.
    pub fixed: usize,
}

/// What [`fix_paths`] did.
#[derive(Debug, Default)]
pub struct FixOutcome {
    /// The files changed (or, without writing, that would change), by path.
    pub changes: Vec<FileChange>,
    /// Files whose fixes were not applied, and why.
    pub errors: Vec<FileError>,
    /// The check of the fixed files: what is left to do by hand.
    pub report: CheckReport,
}

/// Applies the fixes that do not overlap to `source`: the new text and the number of fixes
/// taken (in the order given; a fix overlapping one taken before it is skipped).
///
/// ```
/// use asyncwise_lint::diagnostic::{Edit, Fix};
/// use asyncwise_lint::fix::apply;
/// let fix = Fix {
///     message: "await the async twin".into(),
///     edits: vec![
///         Edit { byte_start: 0, byte_end: 18, replacement: "tokio::time::sleep".into() },
///         Edit { byte_start: 21, byte_end: 21, replacement: ".await".into() },
///     ],
/// };
/// let (text, taken) = apply("std::thread::sleep(d);", &[&fix]);
/// assert_eq!(text, "tokio::time::sleep(d).await;");
/// assert_eq!(taken, 1);
/// ```
pub fn apply(source: &str, fixes: &[&Fix]) -> (String, usize) {
    let mut taken: Vec<&Edit> = Vec::new();
    let mut count = 0;
    for fix in fixes {
        let in_text = |e: &Edit| {
            e.byte_start <= e.byte_end
                && e.byte_end <= source.len()
                && source.is_char_boundary(e.byte_start)
                && source.is_char_boundary(e.byte_end)
        };
        let fits = fix.edits.iter().enumerate().all(|(i, e)| {
            in_text(e)
                && taken.iter().all(|t| disjoint(e, t))
                && fix.edits[i + 1..].iter().all(|o| disjoint(e, o))
        });
        if fits {
            taken.extend(&fix.edits);
            count += 1;
        }
    }
    taken.sort_by_key(|e| (e.byte_start, e.byte_end));
    let mut out = String::with_capacity(source.len() + 64);
    let mut at = 0;
    for edit in taken {
        out.push_str(&source[at..edit.byte_start]);
        out.push_str(&edit.replacement);
        at = edit.byte_end;
    }
    out.push_str(&source[at..]);
    (out, count)
}

/// Whether two edits can both be applied in one pass without their order mattering. Two
/// insertions at one point, or an insertion at the start of a replaced range, are ambiguous.
fn disjoint(a: &Edit, b: &Edit) -> bool {
    match (a.byte_start == a.byte_end, b.byte_start == b.byte_end) {
        (true, true) => a.byte_start != b.byte_start,
        (true, false) => a.byte_start < b.byte_start || a.byte_start >= b.byte_end,
        (false, true) => b.byte_start < a.byte_start || b.byte_start >= a.byte_end,
        (false, false) => a.byte_end <= b.byte_start || b.byte_end <= a.byte_start,
    }
}

/// Checks `paths`, applies every fix of the reported findings and, when `write` is set, writes
/// the files and repeats until nothing is left to fix. Without `write`, one round is computed
/// and nothing is written (`--diff`).
pub fn fix_paths(paths: &[PathBuf], options: &CheckOptions, write: bool) -> FixOutcome {
    let mut changes: BTreeMap<PathBuf, FileChange> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut report = check_paths(paths, options);
    for _ in 0..MAX_ROUNDS {
        let round = fix_round(&report, &mut errors);
        if round.is_empty() {
            break;
        }
        for (path, after, fixed) in round {
            if write && let Err(e) = std::fs::write(&path, &after) {
                errors.push(FileError::new(
                    &path,
                    format!("could not write the fix: {e}"),
                ));
                continue;
            }
            let before = report
                .sources
                .get(&path)
                .map(|s| s.to_string())
                .unwrap_or_default();
            changes
                .entry(path.clone())
                .and_modify(|c| {
                    c.after.clone_from(&after);
                    c.fixed += fixed;
                })
                .or_insert(FileChange {
                    path,
                    before,
                    after,
                    fixed,
                });
        }
        if !write {
            break;
        }
        report = check_paths(paths, options);
    }
    FixOutcome {
        changes: changes
            .into_values()
            .filter(|c| c.before != c.after)
            .collect(),
        errors,
        report,
    }
}

/// The new text of every file with applicable fixes: (path, text, fixes taken).
fn fix_round(report: &CheckReport, errors: &mut Vec<FileError>) -> Vec<(PathBuf, String, usize)> {
    let mut by_file: BTreeMap<&Path, Vec<&Fix>> = BTreeMap::new();
    for d in &report.diagnostics {
        if let Some(fix) = &d.fix {
            by_file.entry(d.path.as_path()).or_default().push(fix);
        }
    }
    let mut out = Vec::new();
    for (path, fixes) in by_file {
        let Some(source) = report.sources.get(path) else {
            continue;
        };
        // The offsets are those of the text the check read.
        if std::fs::read_to_string(path).ok().as_deref() != Some(&**source) {
            errors.push(FileError::new(
                path,
                "not fixed: the file changed while it was being checked",
            ));
            continue;
        }
        let (after, taken) = apply(source, &fixes);
        if taken == 0 {
            continue;
        }
        if let Err(e) = syn::parse_file(&after) {
            errors.push(FileError::new(
                path,
                format!("not fixed: the fixed text would not parse ({e})"),
            ));
            continue;
        }
        out.push((path.to_path_buf(), after, taken));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(byte_start: usize, byte_end: usize, replacement: &str) -> Edit {
        Edit {
            byte_start,
            byte_end,
            replacement: replacement.into(),
        }
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_round() {
        let a = Fix {
            message: "a".into(),
            edits: vec![edit(0, 3, "xyz")],
        };
        let b = Fix {
            message: "b".into(),
            edits: vec![edit(2, 5, "!")],
        };
        let c = Fix {
            message: "c".into(),
            edits: vec![edit(6, 6, "+")],
        };
        let (text, taken) = apply("abcdefg", &[&a, &b, &c]);
        assert_eq!((text.as_str(), taken), ("xyzdef+g", 2));
    }

    #[test]
    fn edits_outside_the_text_or_inside_a_character_are_refused() {
        let out_of_range = Fix {
            message: "x".into(),
            edits: vec![edit(2, 40, "")],
        };
        let mid_char = Fix {
            message: "y".into(),
            edits: vec![edit(1, 2, "")],
        };
        assert_eq!(apply("é!", &[&out_of_range, &mid_char]), ("é!".into(), 0));
    }
}
