//! The per-file model that rules query, built in one traversal (`walk.rs`).
//!
//! Rules never walk syn trees: they read the facts collected here — calls with canonical paths
//! and receiver types, the context each runs in, spawns with their loop and handle, and the
//! lock guards that are alive at an `.await` (`guards.rs`). Facts hold [`Loc`]s (cheap line and
//! column pairs) and are turned into full [`Span`]s only for findings.

pub(crate) mod guards;
pub(crate) mod macros;
pub(crate) mod resolve;
pub mod test_code;
pub(crate) mod tokens;
pub(crate) mod types;
pub(crate) mod walk;

use std::path::Path;

use crate::diagnostic::{LineCol, Span};
use crate::facts::{FileSummary, FnSignature};
pub use test_code::TestCode;
pub use types::{Loc, Ty};

/// Where code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    /// On an async executor: `async fn`, `async` blocks and closures, and sync closures that
    /// run inline inside them.
    Async,
    /// Ordinary synchronous code (`fn` items, also when nested in async fns).
    Sync,
    /// A closure handed to an offloading function (`spawn_blocking`, `std::thread::spawn`, ...).
    Offloaded,
    /// Not known (e.g. a closure stored in a variable and run who knows where).
    Unknown,
}

/// What a call calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callee {
    /// A function or associated function, by canonical path.
    Path(String),
    /// A method, with the light type of its receiver.
    Method {
        /// The method's name.
        name: String,
        /// The receiver's light type.
        receiver: Ty,
    },
    /// The iterator of a `for` loop (`for msg in rx`).
    Iterate {
        /// The iterated value's light type.
        receiver: Ty,
    },
    /// A function or macro that reads or writes the value it is given
    /// (`serde_json::from_reader(file)`, `write!(file, ..)`), with that value's known type.
    ReadsWrites {
        /// The function's canonical path, or the macro's name with its `!`.
        via: String,
        /// The canonical type of the reader or writer.
        io: String,
    },
}

/// One call site.
#[derive(Debug, Clone)]
pub struct CallFact {
    /// What is called.
    pub callee: Callee,
    /// The whole call expression.
    pub loc: Loc,
    /// The context it runs in.
    pub ctx: Ctx,
    /// The call is the operand of an `.await`.
    pub awaited: bool,
    /// Made directly in the body of `async fn main` or a set-up function (`new`, `open`,
    /// `init`, ...), outside loops, closures and async blocks: it runs once, at start-up.
    pub startup: bool,
}

/// How many tasks a spawn in a loop can create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopBound {
    /// Not inside a loop or iterator closure of its own body.
    NotInLoop,
    /// Inside a loop, with a visible bound.
    Bounded,
    /// Inside a loop with no visible bound.
    Unbounded {
        /// The loop.
        loop_loc: Loc,
        /// `for` loop, `while` loop, `loop`, iterator closure.
        kind: &'static str,
        /// Why the finding is only the pedantic form, if it is (a pool sized before the loop,
        /// a fan-out joined right after it).
        pedantic: Option<&'static str>,
    },
}

/// Whether a spawned task can fail (return an error or panic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Its body handles its own errors, or nothing is known.
    Cannot,
    /// It can fail, for this reason.
    Can {
        /// Why, e.g. "uses `?`".
        reason: String,
        /// Where.
        loc: Loc,
        /// It has no error path and can only panic where a panic cannot happen once it runs:
        /// `unreachable!()`, or `expect`/`unwrap` on setting up a signal handler.
        panics_only: bool,
    },
    /// It can fail if the crate's async fn it calls returns a `Result`.
    IfAsyncFnReturnsResult(crate::facts::FnRef),
}

/// One task spawn.
#[derive(Debug, Clone)]
pub struct SpawnFact {
    /// The spawn call.
    pub loc: Loc,
    /// The spawning function or method, canonical (`tokio::spawn`, `tokio::task::JoinSet::spawn`).
    pub via: String,
    /// Context of the spawn call.
    pub ctx: Ctx,
    /// Loop verdict.
    pub bound: LoopBound,
    /// The `JoinHandle` is discarded (expression statement, `let _ =`, `drop(..)`).
    pub discarded: bool,
    /// The task is owned by a collection (`JoinSet::spawn`).
    pub owned: bool,
    /// Whether the task can fail.
    pub failure: Failure,
}

/// A synchronous lock guard alive at an `.await` of the same body.
#[derive(Debug, Clone)]
pub struct HeldGuard {
    /// Where the guard is acquired.
    pub acquired: Loc,
    /// The first `.await` reached while it is held.
    pub await_loc: Loc,
    /// "`std::sync::Mutex` guard", ...
    pub describe: &'static str,
    /// Set when the lock's type is a field of a struct declared in another file: the finding
    /// holds if the crate pass finds that field to be one of these lock types.
    pub requires: Option<crate::facts::Requirement>,
}

/// Everything rules need to know about one file.
#[derive(Debug)]
pub struct FileModel<'a> {
    /// The file's path.
    pub path: &'a Path,
    /// The file's text.
    pub source: &'a str,
    /// Every call.
    pub calls: Vec<CallFact>,
    /// Every task spawn.
    pub spawns: Vec<SpawnFact>,
    /// Guards held across awaits.
    pub held_guards: Vec<HeldGuard>,
    /// Function signatures declared in the file.
    pub functions: Vec<FnSignature>,
    /// Struct fields with named types declared in the file.
    pub fields: Vec<crate::facts::FieldFact>,
    /// Unbounded channel constructors whose sender is visibly not fed without limit (the
    /// pedantic form of `unbounded_channel`), with why.
    pub low_volume_channels: Vec<(Loc, &'static str)>,
    line_starts: Vec<usize>,
}

impl<'a> FileModel<'a> {
    /// Builds the model of one parsed file.
    ///
    /// ```
    /// use asyncwise_lint::model::{Callee, Ctx, FileModel};
    /// let src = "use std::thread::sleep as nap; async fn f() { nap(d); }";
    /// let ast = syn::parse_file(src).unwrap();
    /// let m = FileModel::build(std::path::Path::new("f.rs"), src, &ast);
    /// assert_eq!(m.calls[0].callee, Callee::Path("std::thread::sleep".into()));
    /// assert_eq!(m.calls[0].ctx, Ctx::Async);
    /// ```
    pub fn build(path: &'a Path, source: &'a str, ast: &syn::File) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        let facts = walk::walk_file(ast, &file_module(path));
        FileModel {
            path,
            source,
            calls: facts.calls,
            spawns: facts.spawns,
            held_guards: facts.held_guards,
            functions: facts.functions,
            fields: facts.fields,
            low_volume_channels: facts.low_volume_channels,
            line_starts,
        }
    }

    /// The file's contribution to the crate pass.
    pub fn summary(&self) -> FileSummary {
        FileSummary {
            functions: self.functions.clone(),
            fields: self.fields.clone(),
            target: crate::facts::Target::of(self.path),
        }
    }

    /// Converts a location to a full span with 1-based columns and byte offsets.
    pub fn span(&self, loc: Loc) -> Span {
        let (start, byte_start) = self.point(loc.start);
        let (end, byte_end) = self.point(loc.end);
        Span {
            start,
            end,
            byte_start,
            byte_end,
        }
    }

    fn point(&self, (line, column): (usize, usize)) -> (LineCol, usize) {
        let line = line.max(1);
        let Some(&line_start) = self.line_starts.get(line - 1) else {
            return (
                LineCol {
                    line,
                    column: column + 1,
                },
                self.source.len(),
            );
        };
        let rest = &self.source[line_start..];
        let byte = rest
            .char_indices()
            .nth(column)
            .map_or_else(|| rest.find('\n').unwrap_or(rest.len()), |(i, _)| i);
        (
            LineCol {
                line,
                column: column + 1,
            },
            line_start + byte,
        )
    }
}

/// The module name a file declares: `worker` for `worker.rs` and `worker/mod.rs`.
fn file_module(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("crate");
    match stem {
        "mod" => path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            .unwrap_or("crate")
            .to_string(),
        "lib" | "main" => "crate".to_string(),
        other => other.to_string(),
    }
}
