//! The engine as a bare process, for timing from outside:
//!
//! * `--mode parse` (default): the parse-only floor — the same discovery, reading, nesting
//!   guard and `syn::parse_file` as `asyncwise check`, on the same number of threads, nothing
//!   else;
//! * `--mode check`: `check_paths` with everything (no rendering);
//! * `--mode check-without-call-graph`: `check_paths` without per-file summaries and the crate
//!   index, to measure what blocking through helpers costs.
//!
//! `scripts/bench-process.sh` times it next to `asyncwise check`.
//!
//! Usage: `probe [--threads N] [--mode MODE] PATH...`

use std::path::PathBuf;

/// The allocator of the `asyncwise` binary, so that the floor is measured like for like.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use asyncwise_lint::engine::{CheckOptions, check_paths, parse_only};

fn main() {
    let mut options = CheckOptions::default();
    let mut mode = String::from("parse");
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => options.threads = n,
                None => usage("--threads needs a number"),
            },
            "--mode" => match args.next() {
                Some(m) => mode = m,
                None => usage("--mode needs a value"),
            },
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    let report = match mode.as_str() {
        "parse" => parse_only(&paths, &options),
        "check" => check_paths(&paths, &options),
        "check-without-call-graph" => {
            options.call_graph = false;
            check_paths(&paths, &options)
        }
        other => usage(&format!("unknown mode {other}")),
    };
    println!(
        "{} files, {} errors, {} findings",
        report.files_checked,
        report.errors.len(),
        report.diagnostics.len()
    );
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: probe [--threads N] [--mode parse|check|check-without-call-graph] PATH..."
    );
    std::process::exit(2)
}
