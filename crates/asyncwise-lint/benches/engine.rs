//! The engine against its floor: `check_paths` (discover, read, parse, model, rules, crate pass)
//! next to `parse_only` (discover, read, nesting guard, syn parse) on tokio's `src/`, both on a
//! pool of 2 threads.
//!
//! The sources are found in the cargo registry (`$CARGO_HOME/registry/src/*/tokio-1.*/src`, the
//! newest version); `ASYNCWISE_BENCH_DIR` names another directory. Without either, the bench
//! prints why and measures nothing. `scripts/bench-vs-parse.sh` runs it and prints the ratio.

use std::path::PathBuf;

use asyncwise_lint::engine::{CheckOptions, check_paths, parse_only};
use criterion::{Criterion, criterion_group, criterion_main};

const THREADS: usize = 2;

/// The newest `tokio-1.*/src` in the cargo registry.
fn tokio_sources() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ASYNCWISE_BENCH_DIR") {
        return Some(dir.into());
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let mut found: Vec<(Vec<u64>, PathBuf)> = Vec::new();
    for index in std::fs::read_dir(cargo_home.join("registry/src"))
        .ok()?
        .flatten()
    {
        for krate in std::fs::read_dir(index.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = krate.file_name().to_string_lossy().into_owned();
            let Some(version) = name.strip_prefix("tokio-1.") else {
                continue;
            };
            let key = version.split('.').map(|n| n.parse().unwrap_or(0)).collect();
            let src = krate.path().join("src");
            if src.is_dir() {
                found.push((key, src));
            }
        }
    }
    found.into_iter().max().map(|(_, src)| src)
}

fn engine(c: &mut Criterion) {
    let Some(dir) = tokio_sources() else {
        eprintln!(
            "engine bench skipped: no tokio-1.* sources in the cargo registry \
             (fetch tokio, or set ASYNCWISE_BENCH_DIR to a directory of Rust sources)"
        );
        return;
    };
    let paths = vec![dir.clone()];
    let options = CheckOptions {
        threads: THREADS,
        ..CheckOptions::default()
    };
    let parsed = parse_only(&paths, &options);
    let checked = check_paths(&paths, &options);
    eprintln!(
        "{}: {} files, {} parse errors, {} check errors, {} findings",
        dir.display(),
        parsed.files_checked,
        parsed.errors.len(),
        checked.errors.len(),
        checked.diagnostics.len()
    );
    let mut group = c.benchmark_group("engine");
    group.sample_size(20);
    group.bench_function("parse_only", |b| b.iter(|| parse_only(&paths, &options)));
    group.bench_function("check_paths", |b| b.iter(|| check_paths(&paths, &options)));
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
