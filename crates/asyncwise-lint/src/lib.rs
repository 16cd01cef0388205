//! The asyncwise analysis engine: finds async Rust pitfalls in source code.
//!
//! Data flows one way:
//!
//! ```text
//! paths ─► engine::discover ─► engine::parse ─► model::FileModel ─► rules ─► summary::FileItems
//!                                                                    │               │
//!          per package: facts::finish_package (deferred findings)   ◄┘   crate_index::CrateIndex
//!          per run:     rules::check_crate (blocking through helpers) ◄──────────────┘
//! ```
//!
//! * [`engine`] finds files (honouring `.gitignore`), reads each package's `Cargo.toml`
//!   (`engine::manifest`), gives each file its module path (`engine::layout`), parses files on
//!   worker threads with a guard against pathological nesting, and groups them by package.
//! * [`model`] builds, in one traversal per file, what rules query: resolved call paths with
//!   their callers, async/sync/offloaded contexts, loops, light types of bindings.
//! * [`knowledge`] holds the tables (blocking functions, offloaders, spawners, channel
//!   constructors, lock types) as data, gathered in one [`knowledge::Knowledge`] value per run.
//! * [`rules`] are pure functions from a file model to findings; findings that depend on other
//!   files are settled by [`facts::finish_package`], and checks over the whole crate (blocking
//!   through helper functions) read the [`crate_index::CrateIndex`], built only from the
//!   plain-data, serializable per-file summaries of [`summary`].
//!
//! ```
//! let src = "async fn f() { std::thread::sleep(std::time::Duration::from_secs(1)); }";
//! let found = asyncwise_lint::check_source("demo.rs", src).unwrap();
//! assert_eq!(found[0].rule, "blocking_in_async");
//! ```

#![deny(missing_docs)]

pub mod baseline;
pub mod cache;
pub mod config;
pub mod crate_index;
pub mod diagnostic;
pub mod engine;
pub mod facts;
pub mod fix;
pub mod items;
pub mod knowledge;
pub mod levels;
pub mod model;
mod path_text;
pub mod repeats;
pub mod rules;
pub mod suggest;
pub mod summary;
pub mod suppress;
pub mod timing;

pub use diagnostic::{Diagnostic, FileError, LineCol, Note, Severity, Span};
pub use engine::{CheckOptions, CheckReport, Skipped, check_paths, check_source};

/// Runs the model and every rule over one parsed file.
///
/// Must run on the thread that parsed `ast` (syn trees are not `Send`). The result is.
///
/// ```
/// let ast = syn::parse_file("fn main() {}").unwrap();
/// let out = asyncwise_lint::analyze_parsed(std::path::Path::new("m.rs"), "fn main() {}", &ast);
/// assert!(out.diagnostics.is_empty());
/// ```
pub fn analyze_parsed(
    path: &std::path::Path,
    source: &str,
    ast: &syn::File,
) -> facts::FileAnalysis {
    analyze_parsed_in(path, source, ast, &model::FileContext::default())
}

/// [`analyze_parsed`] for a file at a place in its crate (`crate::db` for `src/db.rs`, see
/// [`engine::layout`]) and of its package's edition.
///
/// ```
/// use asyncwise_lint::model::FileContext;
/// let src = "pub fn load() { std::fs::read(\"x\").ok(); }";
/// let ast = syn::parse_file(src).unwrap();
/// let cx = FileContext { module: "crate::db".into(), ..Default::default() };
/// let out = asyncwise_lint::analyze_parsed_in(std::path::Path::new("src/db.rs"), src, &ast, &cx);
/// assert_eq!(out.summary.items.functions[0].id.0, "crate::db::load");
/// ```
pub fn analyze_parsed_in(
    path: &std::path::Path,
    source: &str,
    ast: &syn::File,
    cx: &model::FileContext,
) -> facts::FileAnalysis {
    let model = model::FileModel::build_in(path, source, ast, cx);
    let test_code = model::TestCode::of(ast);
    let mut summary = model.summary();
    // Whether a concurrency marker occurs: known from the offsets when they are computed, so
    // the text is scanned once.
    let mut has_marker = None;
    if cx.call_graph {
        let (offsets, markers_found) = concurrency_marker_offsets(source);
        has_marker = Some(markers_found);
        summary.items = summary::summarize(&model);
        summary::mark_trait_impls(&mut summary.items, ast);
        // Tests may use another runtime than the code they test.
        summary.items.runtime_calls =
            summary::runtime_calls(&model, |line| !test_code.contains_line(line));
        summary::mark_execution(
            &mut summary.items,
            &model,
            |line| test_code.contains_line(line),
            &offsets,
        );
    }
    let mut sink = facts::Sink::default();
    for rule in rules::RULES {
        (rule.check)(&model, &mut sink);
    }
    repeats::place_in_functions(
        &model,
        sink.diagnostics
            .iter_mut()
            .chain(sink.deferred.iter_mut().map(|d| &mut d.diagnostic)),
    );
    facts::FileAnalysis {
        diagnostics: sink.diagnostics,
        deferred: sink.deferred,
        summary,
        test_code,
        concurrent: !model.spawns.is_empty()
            || has_marker.unwrap_or_else(|| has_concurrency_marker(source)),
    }
}

/// The byte offsets, in order, where [`knowledge::spawn::CONCURRENCY_MARKERS`] occur, and
/// where a method named `spawn` is handed something (`executor.spawn(task)`,
/// `handle.spawn(async { .. })`, `thread::Builder::new().spawn(..)`): a task or thread of
/// an executor the model does not know. `child.spawn()` with nothing to run is a process.
///
/// Also says whether any of the markers occurs (the spawn calls aside): what
/// [`has_concurrency_marker`] answers.
fn concurrency_marker_offsets(source: &str) -> (Vec<usize>, bool) {
    let mut offsets: Vec<usize> = match &*MARKERS {
        Some(markers) => markers.find_iter(source).map(|m| m.start()).collect(),
        None => Vec::new(),
    };
    let before = offsets.len();
    let markers_found = match &*MARKERS {
        Some(_) => before > 0,
        None => has_concurrency_marker(source),
    };
    const SPAWN_CALL: &str = ".spawn(";
    // memchr's vectorised substring search (`match_indices` scans slower), set up once.
    static SPAWN_CALLS: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(SPAWN_CALL));
    offsets.extend(SPAWN_CALLS.find_iter(source.as_bytes()).filter(|&at| {
        source[at + SPAWN_CALL.len()..]
            .trim_start()
            .chars()
            .next()
            .is_some_and(|c| c != ')')
    }));
    if offsets.len() > before {
        offsets.sort_unstable();
    }
    (offsets, markers_found)
}

static MARKERS: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
    std::sync::LazyLock::new(|| {
        // Leftmost-first matching lets the automaton use its SIMD prefilter (Teddy) over the
        // text; whether a marker occurs, and where each run of markers starts, is the same under
        // every match kind. The prefilter finds the candidates; a contiguous NFA confirms
        // them about as fast as a DFA and is built in a fifth of the time (a warm run after an
        // edit builds it for one file).
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(knowledge::spawn::CONCURRENCY_MARKERS)
            .ok()
    });

/// Whether the source contains any of [`knowledge::spawn::CONCURRENCY_MARKERS`]: one pass over
/// the text with an automaton of all markers, rather than one substring search per marker.
fn has_concurrency_marker(source: &str) -> bool {
    match &*MARKERS {
        Some(markers) => markers.is_match(source),
        None => knowledge::spawn::CONCURRENCY_MARKERS
            .iter()
            .any(|m| source.contains(m)),
    }
}

#[cfg(test)]
mod tests {
    use super::{has_concurrency_marker, knowledge::spawn::CONCURRENCY_MARKERS};

    #[test]
    fn concurrency_markers_are_found_as_by_substring_search() {
        let texts = [
            "fn main() { run(); }",
            "let set = JoinSet::new();",
            "tokio::select! { _ = a => {} }",
            "app.route(\"/\", get(h))",
            "spawn_child(); process::spawn()",
            "",
        ];
        for text in texts {
            let by_search = CONCURRENCY_MARKERS.iter().any(|m| text.contains(m));
            assert_eq!(has_concurrency_marker(text), by_search, "{text}");
        }
        assert!(!has_concurrency_marker("fn main() { run(); }"));
        assert!(has_concurrency_marker("let set = JoinSet::new();"));
    }
}
