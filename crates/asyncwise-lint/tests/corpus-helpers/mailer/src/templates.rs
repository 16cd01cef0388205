//! Mail templates: `{{name}}` placeholders in text files.

use std::collections::HashMap;
use std::io;
use std::path::Path;

pub fn render(dir: &Path, name: &str, vars: &HashMap<String, String>) -> io::Result<String> {
    let raw = std::fs::read_to_string(dir.join(format!("{name}.txt")))?;
    Ok(substitute(&raw, vars))
}

pub fn substitute(raw: &str, vars: &HashMap<String, String>) -> String {
    vars.iter().fold(raw.to_owned(), |text, (k, v)| text.replace(&format!("{{{{{k}}}}}"), v))
}
