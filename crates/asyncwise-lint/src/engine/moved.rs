//! A stored crate-pass result reused after an edit that only moved code in one file.
//!
//! Lines added to or removed from a file move every position after them, so its summary
//! changes and with it the hash the stored crate-pass result is keyed on: the pass ran again
//! from every file's summary (decoding them all and building the index, about half of such a
//! warm run's instructions on tokio). But the pass only copies positions from its inputs into
//! its findings and compares positions of one file with each other (which comes first, which
//! body holds a line, "from the line after"). So when the edited file's inputs are those the
//! stored result was computed from with every line from some line on moved by the same number
//! of lines (and every byte offset from some offset on by the same number of bytes, columns
//! unchanged), the stored result moved the same way is the result.
//!
//! [`Shift::between`] shows that, strictly, on the values the pass reads (the file's summary,
//! and its package's findings as the pass receives them), compared field by field as data:
//! everything but positions of the edited file must be equal. [`Shift::apply`] moves a
//! result, and gives up on anything it cannot move for certain: a position in the stretch
//! where the edit was, or a finding whose text may name a line of the edited file. Giving up
//! is never wrong: the pass then runs as before. The engine tries this only when exactly one
//! file of a group changed and the stored result is shown to be that of the file before the
//! edit (its inputs, with the file's previous cache entry in place of the new one, hash to
//! the stored key).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Span};

/// How positions of one file moved: every line from some line on by the same number, every
/// byte offset from some offset on by the same number.
#[derive(Debug)]
pub(crate) struct Shift {
    /// The edited file, as findings name it.
    path: PathBuf,
    lines: Step,
    bytes: Step,
}

/// One kind of position (lines or byte offsets) before and after the edit: those up to
/// `stays_to` kept their value, those from `moves_from` on moved by `by`; what lies between is
/// where the edit was, and is not known.
#[derive(Debug, Clone, Copy)]
struct Step {
    stays_to: Option<usize>,
    moves_from: Option<usize>,
    by: isize,
}

impl Step {
    /// The step that every (before, after) pair follows, if there is one.
    fn of(pairs: &[(usize, usize)]) -> Option<Step> {
        let mut by = 0isize;
        let mut stays_to: Option<usize> = None;
        let mut moves_from: Option<usize> = None;
        for &(before, after) in pairs {
            let delta = isize::try_from(after).ok()? - isize::try_from(before).ok()?;
            if delta == 0 {
                stays_to = Some(stays_to.map_or(before, |s| s.max(before)));
                continue;
            }
            if by != 0 && delta != by {
                return None;
            }
            by = delta;
            moves_from = Some(moves_from.map_or(before, |m| m.min(before)));
        }
        let step = Step {
            stays_to,
            moves_from,
            by,
        };
        // Positions keep their order: none that moved comes before one that stayed, before or
        // after the edit.
        if let (Some(stays), Some(moves)) = (stays_to, moves_from)
            && (moves <= stays || step.moved(moves)? <= stays)
        {
            return None;
        }
        Some(step)
    }

    fn moved(&self, value: usize) -> Option<usize> {
        value.checked_add_signed(self.by)
    }

    /// Where a position of the file before the edit is after it (none: in the stretch where
    /// the edit was).
    fn apply(&self, value: usize) -> Option<usize> {
        if self.by == 0 || self.stays_to.is_some_and(|s| value <= s) {
            return Some(value);
        }
        match self.moves_from {
            Some(m) if value >= m => self.moved(value),
            _ => None,
        }
    }
}

/// What the crate pass reads of the edited file and its package, before or after the edit.
pub(crate) struct Inputs<'a> {
    /// The file's summary.
    pub(crate) items: &'a crate::summary::FileItems,
    /// The package's findings as the pass receives them.
    pub(crate) findings: &'a [Diagnostic],
    /// The package's deferred findings the pass settles.
    pub(crate) deferred: &'a [crate::facts::Deferred],
}

/// Whether a finding is in the edited file or points into it.
fn touches(d: &Diagnostic, edited: &Path) -> bool {
    d.path == edited
        || d.notes.iter().any(|n| n.path.as_deref() == Some(edited))
        || d.through
            .as_ref()
            .is_some_and(|t| t.steps.iter().any(|(p, _)| p == edited))
}

/// Positions of the edited file seen in the walk, before and after.
#[derive(Default)]
struct Pairs {
    lines: Vec<(usize, usize)>,
    bytes: Vec<(usize, usize)>,
}

/// What kind of position a field of this name holds. A position field not listed here is
/// compared as any other value: if it moved, the result is not reused (never wrong).
fn position_kind(field: &str) -> Option<Kind> {
    match field {
        "line" | "loop_line" | "concurrent_from" | "detaches_from" => Some(Kind::Line),
        "byte_start" | "byte_end" | "body_start" => Some(Kind::Byte),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Line,
    Byte,
}

impl Pairs {
    /// Two numbers (or both absent) at a position field: recorded when they are the edited
    /// file's (`here`), else equal.
    fn position(&mut self, before: &Value, after: &Value, here: bool, kind: Kind) -> bool {
        match (before.as_u64(), after.as_u64()) {
            (Some(b), Some(a)) if here => {
                let (Ok(b), Ok(a)) = (usize::try_from(b), usize::try_from(a)) else {
                    return false;
                };
                match kind {
                    Kind::Line => self.lines.push((b, a)),
                    Kind::Byte => self.bytes.push((b, a)),
                }
                true
            }
            _ => before == after,
        }
    }

    /// Walks two values side by side: equal but for positions of the `edited` file, which are
    /// collected. `here`: positions met are the edited file's (a value with a `path` is placed
    /// in that file; a note without one is in its finding's).
    fn walk(&mut self, before: &Value, after: &Value, here: bool, edited: &str) -> bool {
        match (before, after) {
            (Value::Object(b), Value::Object(a)) => {
                if b.len() != a.len() {
                    return false;
                }
                let here = match (b.get("path"), a.get("path")) {
                    (Some(Value::String(p)), Some(Value::String(q))) => {
                        if p != q {
                            return false;
                        }
                        p == edited
                    }
                    _ => here,
                };
                b.iter().all(|(field, b_value)| {
                    let Some(a_value) = a.get(field) else {
                        return false;
                    };
                    match (position_kind(field), field.as_str()) {
                        (Some(kind), _) => self.position(b_value, a_value, here, kind),
                        // (name, line of its last untyped call)
                        (None, "untyped_method_calls") => {
                            self.pairs_with_line(b_value, a_value, edited, |_| here)
                        }
                        // (file, line) of each step down to a blocking call
                        (None, "steps") => self.pairs_with_line(b_value, a_value, edited, |p| {
                            p.as_str() == Some(edited)
                        }),
                        _ => self.walk(b_value, a_value, here, edited),
                    }
                })
            }
            (Value::Array(b), Value::Array(a)) => {
                b.len() == a.len() && b.iter().zip(a).all(|(b, a)| self.walk(b, a, here, edited))
            }
            _ => before == after,
        }
    }

    /// Two lists side by side: elements that do not `touch` the edited file equal as they are,
    /// the others walked as data.
    fn list<T: serde::Serialize + PartialEq>(
        &mut self,
        before: &[T],
        after: &[T],
        edited: &str,
        touch: impl Fn(&T) -> bool,
    ) -> bool {
        before.len() == after.len()
            && before.iter().zip(after).all(|(b, a)| {
                if !touch(b) && !touch(a) {
                    return b == a;
                }
                match (serde_json::to_value(b), serde_json::to_value(a)) {
                    (Ok(b), Ok(a)) => self.walk(&b, &a, false, edited),
                    _ => false,
                }
            })
    }

    /// A list of `[first, line]` pairs (a name and a line, a file and a line): the firsts
    /// equal, the lines positions of the edited file when `here_for(first)`. Elements of
    /// another shape (a receiver's `steps` are method names) are walked as any value.
    fn pairs_with_line(
        &mut self,
        before: &Value,
        after: &Value,
        edited: &str,
        here_for: impl Fn(&Value) -> bool,
    ) -> bool {
        let (Value::Array(b), Value::Array(a)) = (before, after) else {
            return self.walk(before, after, false, edited);
        };
        b.len() == a.len()
            && b.iter().zip(a).all(|(b, a)| match (b, a) {
                (Value::Array(bp), Value::Array(ap))
                    if bp.len() == 2 && ap.len() == 2 && bp[1].is_u64() =>
                {
                    bp[0] == ap[0] && self.position(&bp[1], &ap[1], here_for(&bp[0]), Kind::Line)
                }
                _ => self.walk(b, a, false, edited),
            })
    }
}

impl Shift {
    /// How the edited file's positions moved between `before` and `after`: the file's summary,
    /// and its package's findings and deferred findings as the crate pass receives them
    /// (whose positions are those of the file each names), if they are equal but for
    /// positions of the file and those moved by one step each (columns unchanged). Findings
    /// that neither name the file nor point into it are compared as they are.
    pub(crate) fn between(edited: &Path, before: Inputs<'_>, after: Inputs<'_>) -> Option<Shift> {
        let name = edited.to_str()?;
        let mut pairs = Pairs::default();
        let items = (
            serde_json::to_value(before.items).ok()?,
            serde_json::to_value(after.items).ok()?,
        );
        let same = pairs.walk(&items.0, &items.1, true, name)
            && pairs.list(before.findings, after.findings, name, |d| {
                touches(d, edited)
            })
            && pairs.list(before.deferred, after.deferred, name, |d| {
                touches(&d.diagnostic, edited)
            });
        if !same {
            return None;
        }
        Some(Shift {
            path: edited.to_path_buf(),
            lines: Step::of(&pairs.lines)?,
            bytes: Step::of(&pairs.bytes)?,
        })
    }

    fn span(&self, span: &mut Span) -> Option<()> {
        span.start.line = self.lines.apply(span.start.line)?;
        span.end.line = self.lines.apply(span.end.line)?;
        span.byte_start = self.bytes.apply(span.byte_start)?;
        span.byte_end = self.bytes.apply(span.byte_end)?;
        Some(())
    }

    /// Moves what `d` says about the edited file; `None` when it cannot be moved for certain.
    pub(crate) fn diagnostic(&self, d: &mut Diagnostic) -> Option<()> {
        let here = d.path == self.path;
        let touches = touches(d, &self.path);
        // Text that may name a line of the edited file (`src/db.rs:12`, `the loop at line 12`)
        // would not move with it.
        let name = self.path.to_string_lossy();
        let texts = || {
            std::iter::once(d.message.as_str())
                .chain(d.help.as_deref())
                .chain(d.notes.iter().map(|n| n.message.as_str()))
                .chain(d.fix.iter().map(|f| f.message.as_str()))
        };
        if texts().any(|t| t.contains(&*name))
            || touches && texts().any(|t| t.bytes().any(|b| b.is_ascii_digit()))
        {
            return None;
        }
        if here {
            self.span(&mut d.span)?;
            if let Some(function) = &mut d.function {
                function.body_start = self.bytes.apply(function.body_start)?;
            }
            if let Some(fix) = &mut d.fix {
                for edit in &mut fix.edits {
                    edit.byte_start = self.bytes.apply(edit.byte_start)?;
                    edit.byte_end = self.bytes.apply(edit.byte_end)?;
                }
            }
        }
        for note in &mut d.notes {
            let note_here = note.path.as_ref().map_or(here, |p| *p == self.path);
            if note_here && let Some(span) = &mut note.span {
                self.span(span)?;
            }
        }
        if let Some(through) = &mut d.through {
            for (path, line) in &mut through.steps {
                if *path == self.path {
                    *line = self.lines.apply(*line)?;
                }
            }
        }
        Some(())
    }

    /// Moves a range of lines of `path` (items only tests use).
    pub(crate) fn lines_of(&self, path: &Path, lines: &mut (usize, usize)) -> Option<()> {
        if path == self.path {
            lines.0 = self.lines.apply(lines.0)?;
            lines.1 = self.lines.apply(lines.1)?;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_found_only_when_every_position_follows_it() {
        let step = Step::of(&[(1, 1), (3, 3), (5, 7), (9, 11)]).expect("one step");
        assert_eq!(
            (step.apply(2), step.apply(5), step.apply(20)),
            (Some(2), Some(7), Some(22))
        );
        assert_eq!(step.apply(4), None, "where the edit was");
        assert!(
            Step::of(&[(1, 1), (5, 7), (9, 12)]).is_none(),
            "two amounts"
        );
        assert!(Step::of(&[(5, 7), (3, 3)]).is_some());
        assert!(
            Step::of(&[(3, 5), (5, 5)]).is_none(),
            "a moved position before a kept one"
        );
        assert!(
            Step::of(&[(3, 3), (6, 3)]).is_none(),
            "moved back onto a kept one"
        );
    }

    fn finding(path: &Path, span: Span, message: &str) -> Diagnostic {
        Diagnostic {
            rule: "blocking_in_async",
            severity: crate::Severity::Warning,
            form: crate::levels::Form::Default,
            path: path.to_path_buf(),
            span,
            message: message.into(),
            help: None,
            notes: Vec::new(),
            fix: None,
            function: None,
            through: None,
            marks: Default::default(),
        }
    }

    fn span(line: usize, byte: usize) -> Span {
        Span {
            start: crate::LineCol { line, column: 5 },
            end: crate::LineCol { line, column: 9 },
            byte_start: byte,
            byte_end: byte + 4,
        }
    }

    /// [`Shift::between`] of findings alone.
    fn between(edited: &Path, before: &[Diagnostic], after: &[Diagnostic]) -> Option<Shift> {
        let items = crate::summary::FileItems::default();
        let inputs = |findings| Inputs {
            items: &items,
            findings,
            deferred: &[],
        };
        Shift::between(edited, inputs(before), inputs(after))
    }

    #[test]
    fn values_equal_but_for_moved_positions_give_the_shift() {
        let edited = Path::new("src/db.rs");
        let before = vec![
            finding(edited, span(3, 30), "m"),
            finding(edited, span(8, 80), "m"),
        ];
        let mut after = before.clone();
        after[1].span = span(10, 100);
        let shift = between(edited, &before, &after).expect("moved");
        let mut d = finding(edited, span(12, 120), "m");
        shift.diagnostic(&mut d).expect("movable");
        assert_eq!((d.span.start.line, d.span.byte_start), (14, 140));
        let mut other = finding(Path::new("src/other.rs"), span(12, 120), "m");
        shift.diagnostic(&mut other).expect("another file");
        assert_eq!(other.span, span(12, 120));
        let mut named = finding(edited, span(12, 120), "the loop at line 12");
        assert!(shift.diagnostic(&mut named).is_none(), "a line in the text");
        // A column that moved, or a finding of another file that moved: not a shift.
        let mut column = before.clone();
        column[1].span.start.column = 6;
        assert!(between(edited, &before, &column).is_none());
        let mut elsewhere = before.clone();
        elsewhere[0].path = PathBuf::from("src/other.rs");
        let mut elsewhere_after = elsewhere.clone();
        elsewhere_after[0].span = span(4, 31);
        assert!(between(edited, &elsewhere, &elsewhere_after).is_none());
        // Another message: not a shift.
        let mut message = before.clone();
        message[0].message = "n".into();
        assert!(between(edited, &before, &message).is_none());
    }
}
