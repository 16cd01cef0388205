//! `ingest-tools stats|compact|ls DIR`: offline maintenance, no runtime at all.

use std::path::PathBuf;
use std::process::ExitCode;

use ingest_core::index::{self, Index};
use ingest_core::segment::list_segments;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(cmd), Some(dir)) = (args.next(), args.next().map(PathBuf::from)) else {
        eprintln!("usage: ingest-tools stats|compact|ls DIR");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "stats" => Index::load(&dir).map(|idx| println!("{} keys", idx.len())), // @helper
        "compact" => index::compact(&dir).map(|n| println!("merged {n} segments")), // @helper
        "ls" => list_segments(&dir).map(|segs| { // @helper
            for seg in segs {
                println!("{}", seg.display());
            }
        }),
        other => {
            eprintln!("unknown command {other}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
