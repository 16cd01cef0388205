//! What the language server does on every edit after its debounce: `check_source` on one
//! unsaved buffer of about 2,000 lines (corpus files of realistic service code concatenated, in
//! name order, until the buffer has at least 2,000 lines); and what it does for a buffer inside a
//! package: `check_paths` on one file of this crate (`src/engine/mod.rs`), edited in an overlay
//! at every iteration, with every target, the configuration and a warm cache — the other files
//! are answered by the cache, the edited one is analysed, then the crate pass runs.

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

    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let edited = crate_dir.join("src/engine/mod.rs");
    let original = std::fs::read_to_string(&edited).expect("the engine is part of the crate");
    let cache = std::env::temp_dir().join(format!("asyncwise-bench-cache-{}", std::process::id()));
    let mut options = asyncwise_lint::CheckOptions {
        targets: asyncwise_lint::engine::targets::Targets::ALL,
        configure: true,
        cache: Some(cache.clone()),
        ..asyncwise_lint::CheckOptions::default()
    };
    let paths = [edited.clone()];
    let mut edit = 0_u64;
    c.bench_function("check_paths/one_edited_overlay_in_asyncwise-lint", |b| {
        b.iter(|| {
            // A different text each time, as a keystroke makes: the edited file misses the
            // cache, the rest of the crate hits it.
            edit += 1;
            let text = format!("{original}// edit {edit}\n");
            options.overlays = std::sync::Arc::new([(edited.clone(), text.into())].into());
            asyncwise_lint::check_paths(&paths, &options)
        })
    });
    let _ = std::fs::remove_dir_all(&cache);
}

criterion_group!(benches, bench);
criterion_main!(benches);
