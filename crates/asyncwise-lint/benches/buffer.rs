//! What the language server does on every edit after its debounce: `check_source` on one
//! unsaved buffer of about 2,000 lines (corpus files of realistic service code concatenated, in
//! name order, until the buffer has at least 2,000 lines).

use asyncwise_lint::check_source;
use criterion::{Criterion, criterion_group, criterion_main};

/// At least `lines` lines of realistic code with findings.
fn buffer(lines: usize) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the corpus is part of the repository")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut out = String::new();
    for file in files {
        if out.lines().count() >= lines {
            break;
        }
        let text = std::fs::read_to_string(file).expect("corpus files are UTF-8");
        // Inner attributes and doc comments are valid only at the top of a file.
        for line in text.lines() {
            let trimmed = line.trim_start();
            if !trimmed.starts_with("//!") && !trimmed.starts_with("#![") {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let text = buffer(2_000);
    let lines = text.lines().count();
    let findings = match check_source("buffer.rs", &text) {
        Ok(findings) => findings.len(),
        Err(e) => panic!("the benchmark buffer must parse: {e}"),
    };
    assert!(findings > 0, "the buffer has findings to report");
    eprintln!("buffer: {lines} lines, {findings} findings");
    c.bench_function(&format!("check_source/{lines}_lines"), |b| {
        b.iter(|| check_source("buffer.rs", std::hint::black_box(&text)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
