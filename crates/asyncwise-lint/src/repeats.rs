//! One finding per fix: a rule's findings repeated in one function, when the rule says they are
//! one fix ([`Repeats::OnePerFunction`]), become one finding with a note at each repeat.
//!
//! A start-up migration making forty synchronous database calls is one change (move its body
//! into `spawn_blocking`), and forty findings of one change read as noise. Each finding records
//! the function around it ([`Diagnostic::function`], set where findings are made: by the file's
//! model for per-file findings, by the crate index for crate-level ones), so grouping never
//! guesses from lines.
//!
//! A sync helper of the crate that blocks, called from async code of several functions, is one
//! fix too (give the helper an async form, or move its blocking work off the executor once), so
//! findings reported through it ([`Diagnostic::through`]) are grouped by the helper, across
//! functions and files, with a note at each other call naming its caller. A helper only one
//! function calls leaves its findings to that function's group. Only the findings of one form
//! and level are grouped together.
//!
//! Grouping is the last step, after suppressions, levels and (in the command line) the
//! baseline: a suppressed, allowed or recorded occurrence is simply gone, and only what is left
//! is grouped. So suppressing the first occurrence reports the second alone, and a baseline,
//! which records every occurrence, reports a new one in a recorded function on its own.
//! [`check_paths`](crate::check_paths) returns every occurrence; the command line groups
//! before it prints, the language server does not (an editor underlines each place and offers
//! each occurrence's quick fix there).
//!
//! ```
//! let src = "async fn migrate() {\n    std::thread::sleep(d);\n    std::thread::sleep(d);\n}\n";
//! let found = asyncwise_lint::check_source("m.rs", src).unwrap();
//! assert_eq!(found.len(), 2);
//! let grouped = asyncwise_lint::repeats::group(found);
//! assert_eq!(grouped.len(), 1);
//! assert!(grouped[0].message.ends_with("(and 1 more blocking call in `migrate`)"));
//! assert_eq!(grouped[0].notes.last().unwrap().span.unwrap().start.line, 3);
//! ```

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, Enclosing, Note, Severity, Through};
use crate::levels::Form;
use crate::model::FileModel;
use crate::rules::Repeats;

/// Groups repeated findings (see the [module docs](self)): by function, or, for the calls of a
/// blocking helper from several functions, by helper. The first finding of a group, in the
/// order given, stands for it: it keeps its place and gets a note per repeat, carrying the
/// repeat's message and span, the edits of every repeat's fix, and, once each, the advice of
/// repeats whose help differs from its own (a note without a place, `also: …`). Findings without a function,
/// and those of rules whose repeats are each a change of their own, are left as they are.
pub fn group(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let one_fix = |d: &Diagnostic| {
        crate::rules::find(d.rule)
            .is_some_and(|r| matches!(r.repeats, Repeats::OnePerFunction { .. }))
    };
    // Helpers that async code of several functions calls: their calls are grouped by helper.
    let mut callers: HashMap<HelperKey, HashSet<&Enclosing>> = HashMap::new();
    for d in &diagnostics {
        if let (Some(through), Some(function), true) = (&d.through, &d.function, one_fix(d)) {
            callers
                .entry(helper_key(d, through))
                .or_default()
                .insert(function);
        }
    }
    let shared: HashSet<HelperKey> = callers
        .into_iter()
        .filter(|(_, functions)| functions.len() > 1)
        .map(|(key, _)| key)
        .collect();
    let mut out: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    // Where each group's first finding is, and how many repeats it took in.
    let mut first: HashMap<Key, usize> = HashMap::new();
    let mut repeats: HashMap<usize, usize> = HashMap::new();
    // The groups (by their first finding) of a helper's calls.
    let mut helper_groups: HashSet<usize> = HashSet::new();
    for d in diagnostics {
        let key = match (&d.through, &d.function, one_fix(&d)) {
            (Some(through), _, true) if shared.contains(&helper_key(&d, through)) => {
                Some(Key::Helper(helper_key(&d, through)))
            }
            (_, Some(function), true) => Some(Key::Function(
                d.path.clone(),
                d.rule,
                d.form,
                d.severity,
                function.clone(),
            )),
            _ => None,
        };
        let Some(key) = key else {
            out.push(d);
            continue;
        };
        match first.get(&key) {
            Some(&at) => {
                let mut d = d;
                if let (Key::Helper(_), Some(through)) = (&key, &d.through) {
                    // The message would repeat the helper's chain: say which function calls it.
                    let helper = crate::summary::FnId(through.helper.clone())
                        .short()
                        .to_string();
                    let caller = d
                        .function
                        .as_ref()
                        .map(Enclosing::short)
                        .unwrap_or_default();
                    d.message = format!("`{caller}` calls `{helper}` from async code too");
                }
                absorb(&mut out[at], d);
                *repeats.entry(at).or_default() += 1;
            }
            None => {
                if matches!(key, Key::Helper(_)) {
                    helper_groups.insert(out.len());
                }
                first.insert(key, out.len());
                out.push(d);
            }
        }
    }
    for (at, more) in repeats {
        let d = &mut out[at];
        let plural = if more == 1 { "" } else { "s" };
        if let Some(through) = d.through.as_ref().filter(|_| helper_groups.contains(&at)) {
            let helper = crate::summary::FnId(through.helper.clone())
                .short()
                .to_string();
            d.message = format!(
                "{} (and {more} more call{plural} of `{helper}` from async code)",
                d.message
            );
            continue;
        }
        let noun = match crate::rules::find(d.rule).map(|r| r.repeats) {
            Some(Repeats::OnePerFunction { noun, .. }) => noun,
            _ => "finding",
        };
        let function = d
            .function
            .as_ref()
            .map(Enclosing::short)
            .unwrap_or_default();
        d.message = format!(
            "{} (and {more} more {noun}{plural} in `{function}`)",
            d.message
        );
    }
    out
}

/// A sync helper of the crate, with the rule, form and level of the findings made through it.
type HelperKey = (String, PathBuf, &'static str, Form, Severity);

/// What findings are grouped by.
#[derive(PartialEq, Eq, Hash)]
enum Key {
    /// Their function (the file, rule, form and level too).
    Function(PathBuf, &'static str, Form, Severity, Enclosing),
    /// The helper they call, when async code of several functions calls it.
    Helper(HelperKey),
}

fn helper_key(d: &Diagnostic, through: &Through) -> HelperKey {
    (
        through.helper.clone(),
        through.helper_path.clone(),
        d.rule,
        d.form,
        d.severity,
    )
}

/// Takes `repeat` into the group whose first finding is `into`.
fn absorb(into: &mut Diagnostic, repeat: Diagnostic) {
    if let Some(fix) = repeat.fix {
        match &mut into.fix {
            Some(taken) => taken.edits.extend(fix.edits),
            None => into.fix = Some(fix),
        }
    }
    // A repeat of another kind (a sleep among socket calls) has advice of its own: kept once,
    // as a note without a place.
    if let Some(help) = repeat.help.filter(|h| Some(h) != into.help.as_ref()) {
        let also = format!("also: {help}");
        if !into
            .notes
            .iter()
            .any(|n| n.span.is_none() && n.message == also)
        {
            into.notes.push(Note::text(also));
        }
    }
    into.notes.push(if repeat.path == into.path {
        Note::here(repeat.span, repeat.message)
    } else {
        Note::in_file(&repeat.path, repeat.span, repeat.message)
    });
}

/// Records in each finding the innermost function of the file whose body holds its start
/// (functions nested in functions count on their own; closures and async blocks belong to
/// their function). Findings that already name a function keep it.
pub(crate) fn place_in_functions<'a>(
    model: &FileModel<'_>,
    findings: impl Iterator<Item = &'a mut Diagnostic>,
) {
    let mut bodies: Option<Vec<(usize, usize, &str)>> = None;
    for d in findings {
        if d.function.is_some() {
            continue;
        }
        let bodies = bodies.get_or_insert_with(|| {
            model
                .fn_items
                .iter()
                .map(|f| {
                    let body = model.span(f.body);
                    (body.byte_start, body.byte_end, f.path.as_str())
                })
                .collect()
        });
        let at = d.span.byte_start;
        d.function = bodies
            .iter()
            .filter(|(start, end, _)| *start <= at && at < *end)
            .min_by_key(|(start, end, _)| end - start)
            .map(|(start, _, id)| Enclosing {
                id: (*id).to_owned(),
                body_start: *start,
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(src: &str) -> Vec<Diagnostic> {
        crate::check_source("src/lib.rs", src).expect("parses")
    }

    #[test]
    fn three_occurrences_in_two_functions_become_two_findings() {
        let src = "async fn a() {\n    std::thread::sleep(d);\n    std::thread::sleep(d);\n}\n\
                   async fn b() {\n    std::thread::sleep(d);\n}\n";
        let grouped = group(found(src));
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].span.start.line, 2);
        assert!(
            grouped[0]
                .message
                .ends_with("(and 1 more blocking call in `a`)"),
            "{}",
            grouped[0].message
        );
        assert_eq!(grouped[0].notes.len(), 1);
        assert_eq!(grouped[0].notes[0].span.map(|s| s.start.line), Some(3));
        assert_eq!(grouped[1].span.start.line, 6);
        assert!(grouped[1].notes.is_empty());
        assert!(!grouped[1].message.contains("more"));
    }

    #[test]
    fn the_count_is_plural_past_one() {
        let src = "async fn a() {\n    std::thread::sleep(d);\n    std::thread::sleep(d);\n    std::thread::sleep(d);\n}\n";
        let grouped = group(found(src));
        assert_eq!(grouped.len(), 1);
        assert!(
            grouped[0]
                .message
                .ends_with("(and 2 more blocking calls in `a`)")
        );
        assert_eq!(grouped[0].notes.len(), 2);
    }

    #[test]
    fn a_repeat_with_other_advice_keeps_it_once() {
        let src = "async fn a() {\n    std::net::TcpStream::connect(x);\n    std::thread::sleep(d);\n    \
                   std::thread::sleep(d);\n    std::net::TcpStream::connect(x);\n}\n";
        let grouped = group(found(src));
        assert_eq!(grouped.len(), 1);
        let placeless: Vec<&str> = grouped[0]
            .notes
            .iter()
            .filter(|n| n.span.is_none())
            .map(|n| n.message.as_str())
            .collect();
        assert_eq!(placeless.len(), 1, "{placeless:?}");
        assert!(placeless[0].starts_with("also: ") && placeless[0].contains("sleep"));
        let placed = grouped[0].notes.iter().filter(|n| n.span.is_some()).count();
        assert_eq!(placed, 3);
    }

    #[test]
    fn a_helper_that_blocks_groups_with_direct_calls_of_its_caller() {
        // The crate pass's finding (through `util::nap`) and the file's own finding name the
        // same function, so they are one group.
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
            std::fs::write(path, text).expect("write");
        };
        write(
            "Cargo.toml",
            "[package]\nname = \"h\"\nversion = \"0.1.0\"\n",
        );
        write(
            "src/lib.rs",
            "mod util;\npub async fn handler() {\n    std::thread::sleep(d);\n    util::nap();\n}\n",
        );
        write("src/util.rs", "pub fn nap() { std::thread::sleep(d); }\n");
        let report = crate::check_paths(&[dir.path().to_path_buf()], &Default::default());
        assert_eq!(report.diagnostics.len(), 2, "{:?}", report.diagnostics);
        let grouped = group(report.diagnostics);
        assert_eq!(grouped.len(), 1, "{grouped:?}");
        assert_eq!(grouped[0].span.start.line, 3);
        assert_eq!(
            grouped[0]
                .notes
                .last()
                .and_then(|n| n.span)
                .map(|s| s.start.line),
            Some(4)
        );
    }

    #[test]
    fn block_on_repeats_are_one_fix_too() {
        let src = "async fn a() {\n    futures::executor::block_on(f());\n    \
                   futures::executor::block_on(g());\n    futures::executor::block_on(h());\n}\n";
        let found = found(src);
        assert_eq!(
            found
                .iter()
                .filter(|d| d.rule == "block_on_in_async")
                .count(),
            3
        );
        let grouped: Vec<Diagnostic> = group(found)
            .into_iter()
            .filter(|d| d.rule == "block_on_in_async")
            .collect();
        assert_eq!(grouped.len(), 1);
        assert!(
            grouped[0]
                .message
                .ends_with("(and 2 more `block_on` calls in `a`)"),
            "{}",
            grouped[0].message
        );
    }

    #[test]
    fn rules_whose_repeats_are_each_a_fix_are_not_grouped() {
        let src = "async fn a() {\n    let (t1, _r1) = tokio::sync::mpsc::unbounded_channel::<u8>();\n    \
                   let (t2, _r2) = tokio::sync::mpsc::unbounded_channel::<u8>();\n    \
                   tokio::spawn(async move { t1.send(1)?; Ok::<_, E>(()) });\n    \
                   tokio::spawn(async move { t2.send(1)?; Ok::<_, E>(()) });\n}\n";
        let before = found(src);
        assert!(
            before
                .iter()
                .filter(|d| d.rule == "unbounded_channel")
                .count()
                >= 2
        );
        assert!(before.iter().filter(|d| d.rule == "detached_task").count() >= 2);
        assert_eq!(group(before.clone()), before);
    }

    #[test]
    fn methods_and_nested_functions_are_functions_of_their_own() {
        let src = "struct S;\nimpl S {\n    async fn run(&self) {\n        std::thread::sleep(d);\n        \
                   fn inner() {}\n        let f = async { std::thread::sleep(d) };\n    }\n}\n\
                   async fn outer() {\n    async fn nested() { std::thread::sleep(d); }\n    std::thread::sleep(d);\n}\n";
        let found = found(src);
        let names: Vec<String> = found
            .iter()
            .map(|d| {
                d.function
                    .as_ref()
                    .map(Enclosing::short)
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(names, ["S::run", "S::run", "nested", "outer"]);
        assert_eq!(group(found).len(), 3);
    }

    #[test]
    fn forms_and_levels_are_grouped_apart() {
        let src = "async fn a() {\n    std::thread::sleep(d);\n    std::thread::sleep(d);\n}\n";
        let mut found = found(src);
        found[1].form = Form::Pedantic;
        assert_eq!(group(found.clone()).len(), 2);
        found[1].form = found[0].form;
        found[1].severity = Severity::Error;
        assert_eq!(group(found).len(), 2);
    }

    #[test]
    fn the_fixes_of_every_repeat_are_kept() {
        use crate::diagnostic::{Edit, Fix};
        let src =
            "async fn a() {\n    std::thread::sleep(d);\n    x();\n    std::thread::sleep(d);\n}\n";
        let mut found = found(src);
        assert_eq!(found.len(), 2);
        // The second repeat's fix joins the first's, and a group whose first finding has no
        // fix takes a repeat's.
        for (i, d) in found.iter_mut().enumerate() {
            d.fix = Some(Fix {
                message: format!("fix {i}"),
                edits: vec![Edit {
                    byte_start: d.span.byte_start,
                    byte_end: d.span.byte_start,
                    replacement: String::new(),
                }],
            });
        }
        let grouped = group(found.clone());
        let fix = grouped[0].fix.as_ref().expect("a fix");
        assert_eq!(fix.message, "fix 0");
        assert_eq!(fix.edits.len(), 2);
        found[0].fix = None;
        let grouped = group(found);
        let fix = grouped[0].fix.as_ref().expect("a fix");
        assert_eq!(fix.message, "fix 1");
        assert_eq!(fix.edits.len(), 1);
    }
}
