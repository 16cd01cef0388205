//! Discovery, parsing and the parallel pipeline. (Being built.)

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, FileError};

/// Options of a check run.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {}

/// The result of checking a set of paths.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// How many files were analysed (including those that failed).
    pub files_checked: usize,
    /// Findings, sorted by path and position.
    pub diagnostics: Vec<Diagnostic>,
    /// Files or paths that could not be checked.
    pub errors: Vec<FileError>,
}

/// Checks every Rust file under `paths`.
pub fn check_paths(paths: &[PathBuf], options: &CheckOptions) -> CheckReport {
    let _ = (paths, options);
    CheckReport::default()
}

/// Checks one file's text as if it were a crate of its own.
pub fn check_source(path: impl AsRef<Path>, source: &str) -> Result<Vec<Diagnostic>, FileError> {
    let path = path.as_ref();
    let ast = syn::parse_file(source).map_err(|e| FileError {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let analysis = crate::analyze_parsed(path, source, &ast);
    Ok(crate::facts::finish_package(vec![analysis]))
}
