//! The engine against its floor, on a pool of 2 threads:
//!
//! * `engine/*`: `check_paths` (discover, read, parse, model, rules, crate pass) next to
//!   `parse_only` (discover, read, nesting guard, syn parse) on tokio's `src/`;
//!   `scripts/bench-vs-parse.sh` runs it and prints the ratio.
//! * `call_graph/<crate>/*`: `check_paths` with and without the per-file summaries and the crate
//!   index (`CheckOptions::call_graph`), over the `src/` of tokio, hyper, axum and reqwest: what
//!   blocking through helpers costs.
//!
//! Sources are found in the cargo registry (`$CARGO_HOME/registry/src/*/<crate>-<version>/src`,
//! the newest version); `ASYNCWISE_BENCH_DIR` replaces tokio's. Crates that are not there are
//! skipped with a message (fetch them with `cargo fetch` in a scratch crate).

use std::path::PathBuf;

use asyncwise_lint::engine::{CheckOptions, check_paths, parse_only};
use criterion::{Criterion, criterion_group, criterion_main};

const THREADS: usize = 2;

/// The newest `<name>-<major>.*/src` in the cargo registry.
fn registry_sources(prefix: &str) -> Option<PathBuf> {
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
            let Some(version) = name.strip_prefix(prefix) else {
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

fn tokio_sources() -> Option<PathBuf> {
    match std::env::var_os("ASYNCWISE_BENCH_DIR") {
        Some(dir) => Some(dir.into()),
        None => registry_sources("tokio-1."),
    }
}

fn options(call_graph: bool) -> CheckOptions {
    CheckOptions {
        threads: THREADS,
        call_graph,
        ..CheckOptions::default()
    }
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
    let parsed = parse_only(&paths, &options(true));
    let checked = check_paths(&paths, &options(true));
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
    group.bench_function("parse_only", |b| {
        b.iter(|| parse_only(&paths, &options(true)))
    });
    group.bench_function("check_paths", |b| {
        b.iter(|| check_paths(&paths, &options(true)))
    });
    group.finish();
}

fn call_graph(c: &mut Criterion) {
    for (name, prefix) in [
        ("tokio", "tokio-1."),
        ("hyper", "hyper-1."),
        ("axum", "axum-0."),
        ("reqwest", "reqwest-0."),
    ] {
        let Some(dir) = registry_sources(prefix) else {
            eprintln!("call_graph bench: no {prefix}* sources in the cargo registry, skipped");
            continue;
        };
        let paths = vec![dir];
        let mut group = c.benchmark_group(format!("call_graph/{name}"));
        group.sample_size(20);
        group.bench_function("parse_only", |b| {
            b.iter(|| parse_only(&paths, &options(false)))
        });
        group.bench_function("without", |b| {
            b.iter(|| check_paths(&paths, &options(false)))
        });
        group.bench_function("with", |b| b.iter(|| check_paths(&paths, &options(true))));
        group.finish();
    }
}

criterion_group!(benches, engine, call_graph);
criterion_main!(benches);
