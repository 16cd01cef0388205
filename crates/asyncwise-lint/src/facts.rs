//! Per-file results that cross threads: findings, deferred findings and the file's summary.
//!
//! The syn tree of a file never leaves the thread that parsed it (proc-macro2 spans are not
//! `Send`), so everything the crate pass needs is copied into these plain-data types.

use crate::diagnostic::Diagnostic;

/// A finding that holds only if a fact about the crate holds; settled by the crate pass.
#[derive(Debug, Clone)]
pub struct Deferred {
    /// The finding to report if the condition holds.
    pub diagnostic: Diagnostic,
    /// The condition.
    pub requires: Requirement,
}

/// Conditions on the crate that deferred findings depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// Some function of the crate with this name is `async` and declared to return a `Result`.
    AsyncFnReturnsResult {
        /// The function's name (last path segment).
        name: String,
        /// The path segment before the name, if the call was qualified (`worker::run`): then
        /// only functions of a module or file of that name match.
        qualifier: Option<String>,
    },
}

/// What one file contributes to the crate pass.
#[derive(Debug, Clone, Default)]
pub struct FileSummary {
    /// Functions declared in the file.
    pub functions: Vec<FnSignature>,
}

/// The signature facts the crate pass uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FnSignature {
    /// The function's name.
    pub name: String,
    /// The module that declares it: the inline module's name, or the file's module name
    /// (`worker` for `worker.rs` or `worker/mod.rs`).
    pub module: String,
    /// Declared `async fn`.
    pub is_async: bool,
    /// The declared return type is a `Result` (or an alias whose name ends in `Result`).
    pub returns_result: bool,
}

/// Where rules put what they find.
#[derive(Debug, Default)]
pub struct Sink {
    /// Findings that hold on their own.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings that depend on the crate.
    pub deferred: Vec<Deferred>,
}

/// Everything one file produced: `Send`, so files can be analysed on any thread.
#[derive(Debug, Clone, Default)]
pub struct FileAnalysis {
    /// Findings that hold on their own.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings that depend on facts from other files.
    pub deferred: Vec<Deferred>,
    /// The file's summary for the crate pass.
    pub summary: FileSummary,
}

/// The crate pass: settles deferred findings against the summaries of every file of one
/// package and returns all findings, sorted by path and position.
///
/// ```
/// use asyncwise_lint::facts::{finish_package, FileAnalysis};
/// assert!(finish_package(vec![FileAnalysis::default()]).is_empty());
/// ```
pub fn finish_package(files: Vec<FileAnalysis>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut deferred = Vec::new();
    let mut functions = Vec::new();
    for file in files {
        out.extend(file.diagnostics);
        deferred.extend(file.deferred);
        functions.extend(file.summary.functions);
    }
    for d in deferred {
        let holds = match &d.requires {
            Requirement::AsyncFnReturnsResult { name, qualifier } => functions.iter().any(|f| {
                &f.name == name
                    && f.is_async
                    && f.returns_result
                    && qualifier
                        .as_ref()
                        .is_none_or(|q| q == "self" || q == "Self" || &f.module == q)
            }),
        };
        if holds {
            out.push(d.diagnostic);
        }
    }
    out.sort_by(|a, b| (&a.path, a.span.start, a.rule).cmp(&(&b.path, b.span.start, b.rule)));
    out.dedup();
    out
}
