//! The per-file model rules query. (Being built.)

use std::path::Path;

/// Everything rules need to know about one file.
pub struct FileModel<'ast> {
    /// The file's path.
    pub path: &'ast Path,
    /// The file's text.
    pub source: &'ast str,
    /// The parsed file.
    pub ast: &'ast syn::File,
}

impl<'ast> FileModel<'ast> {
    /// Builds the model of one parsed file.
    pub fn build(path: &'ast Path, source: &'ast str, ast: &'ast syn::File) -> Self {
        FileModel { path, source, ast }
    }

    /// The file's contribution to the crate pass.
    pub fn summary(&self) -> crate::facts::FileSummary {
        crate::facts::FileSummary::default()
    }
}
