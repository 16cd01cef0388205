//! Job specs. A spec may `include` other specs, which may include further ones.

use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::fsutil::load_json;

#[derive(Debug, Clone, Deserialize)]
pub struct JobSpec {
    pub name: String,
    #[serde(default)]
    pub steps: Vec<String>,
    #[serde(default)]
    pub include: Vec<PathBuf>,
    #[serde(default)]
    pub artifacts: Vec<String>,
    pub source: PathBuf,
}

/// Loads a spec and everything it includes, depth first.
pub fn load_expanded(path: &Path) -> io::Result<JobSpec> {
    let spec: JobSpec = load_json(path)?;
    expand(spec, path.parent().unwrap_or(Path::new(".")), 0)
}

// `expand` and `expand_include` call each other: includes nest.
fn expand(mut spec: JobSpec, base: &Path, depth: usize) -> io::Result<JobSpec> {
    for include in std::mem::take(&mut spec.include) {
        let child = expand_include(&base.join(include), depth + 1)?;
        let mut steps = child.steps;
        steps.append(&mut spec.steps);
        spec.steps = steps;
    }
    Ok(spec)
}

fn expand_include(path: &Path, depth: usize) -> io::Result<JobSpec> {
    if depth > 8 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "includes nested too deeply"));
    }
    let spec: JobSpec = load_json(path)?;
    expand(spec, path.parent().unwrap_or(Path::new(".")), depth)
}

/// Step names with their position, for logs (mutually recursive, no I/O).
pub fn numbered(steps: &[String]) -> Vec<String> {
    number_from(steps, 1)
}

fn number_from(steps: &[String], n: usize) -> Vec<String> {
    match steps.split_first() {
        Some((first, rest)) => prepend(format!("{n}. {first}"), rest, n),
        None => Vec::new(),
    }
}

fn prepend(line: String, rest: &[String], n: usize) -> Vec<String> {
    let mut out = vec![line];
    out.extend(number_from(rest, n + 1));
    out
}
