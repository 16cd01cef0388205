//! The parse-only floor as a whole process: the same discovery, reading, nesting guard and
//! `syn::parse_file` as `asyncwise check`, on the same number of threads, and nothing else.
//! `scripts/bench-process.sh` times it next to `asyncwise check`.
//!
//! Usage: `parse_only [--threads N] PATH...`

use std::path::PathBuf;

use asyncwise_lint::engine::{CheckOptions, parse_only};

fn main() {
    let mut options = CheckOptions::default();
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--threads" {
            match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => options.threads = n,
                None => {
                    eprintln!("--threads needs a number");
                    std::process::exit(2);
                }
            }
        } else {
            paths.push(PathBuf::from(arg));
        }
    }
    let report = parse_only(&paths, &options);
    println!(
        "{} files parsed, {} errors",
        report.files_checked,
        report.errors.len()
    );
}
