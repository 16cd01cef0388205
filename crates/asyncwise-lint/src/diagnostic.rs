//! What the analyzer reports: rule findings with their locations, independent of any output
//! format. Renderers (human, JSON, later SARIF) read these and nothing else.

use std::path::PathBuf;

/// How serious a finding is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Likely a bug or a performance cliff; CI should fail on it.
    Warning,
    /// Almost certainly wrong.
    Error,
}

impl Severity {
    /// The lowercase name used in every output format.
    ///
    /// ```
    /// assert_eq!(asyncwise_lint::Severity::Warning.as_str(), "warning");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A 1-based line and column (columns count characters, as rustc does).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl LineCol {
    /// The line and character column of a byte offset of `text` (an offset past the end or
    /// inside a character counts as the end).
    ///
    /// ```
    /// use asyncwise_lint::LineCol;
    /// assert_eq!(LineCol::at_byte("ab\néz", 5), LineCol { line: 2, column: 2 });
    /// ```
    pub fn at_byte(text: &str, byte: usize) -> LineCol {
        let before = text.get(..byte).unwrap_or(text);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        LineCol {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// A region of one source file: line/column for people, byte offsets for tools (fixes, snippets).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Span {
    /// First character.
    pub start: LineCol,
    /// One past the last character.
    pub end: LineCol,
    /// Byte offset of `start` in the file.
    pub byte_start: usize,
    /// Byte offset of `end` in the file.
    pub byte_end: usize,
}

/// A secondary message attached to a finding, optionally pointing at code: in the finding's own
/// file, or (for crate-level findings: a helper's blocking call, a lock's other sites) in another
/// file of the crate.
///
/// ```
/// use std::path::Path;
/// use asyncwise_lint::diagnostic::{LineCol, Note, Span};
///
/// let span = Span { start: LineCol { line: 3, column: 5 }, end: LineCol { line: 3, column: 9 },
///                   byte_start: 20, byte_end: 24 };
/// assert_eq!(Note::text("pedantic: runs once").span, None);
/// assert_eq!(Note::here(span, "locked here").path, None);
/// let elsewhere = Note::in_file(Path::new("src/db.rs"), span, "blocks here");
/// assert_eq!(elsewhere.path.as_deref(), Some(Path::new("src/db.rs")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Note {
    /// What the note says.
    pub message: String,
    /// Where it points: in the finding's file, or in [`path`](Self::path) when that is set.
    pub span: Option<Span>,
    /// The file `span` is in when it is not the finding's own file (then the span's byte
    /// offsets are offsets into that file). Always serialized: the cache's format (postcard)
    /// is not self-describing, so a field cannot be left out.
    #[serde(default)]
    pub path: Option<std::path::PathBuf>,
}

impl Note {
    /// A note that points at no code.
    pub fn text(message: impl Into<String>) -> Self {
        Note {
            message: message.into(),
            span: None,
            path: None,
        }
    }

    /// A note pointing at `span` in the finding's own file.
    pub fn here(span: Span, message: impl Into<String>) -> Self {
        Note {
            message: message.into(),
            span: Some(span),
            path: None,
        }
    }

    /// A note pointing at `span` in `path`, another file of the crate.
    pub fn in_file(path: &std::path::Path, span: Span, message: impl Into<String>) -> Self {
        Note {
            message: message.into(),
            span: Some(span),
            path: Some(path.to_path_buf()),
        }
    }

    /// The file the note points into: its own [`path`](Self::path), else `finding_path`.
    pub fn file<'a>(&'a self, finding_path: &'a std::path::Path) -> &'a std::path::Path {
        self.path.as_deref().unwrap_or(finding_path)
    }
}

/// A rule's name as the registry holds it. (Named so that serde does not take the field for
/// text borrowed from the input: cached findings are read back through
/// [`cache`](crate::cache), which maps the name to the registry's own string.)
pub type RuleName = &'static str;

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The rule's name, e.g. `blocking_in_async`.
    #[serde(deserialize_with = "crate::cache::interned")]
    pub rule: RuleName,
    /// Severity: `Error` for deny-level findings, `Warning` otherwise (set by the run's
    /// [`Levels`](crate::levels::Levels)).
    pub severity: Severity,
    /// The rule's default form, or its pedantic form.
    pub form: crate::levels::Form,
    /// The file, as given by the discovery step.
    pub path: PathBuf,
    /// The primary location.
    pub span: Span,
    /// The main message.
    pub message: String,
    /// What to do instead.
    pub help: Option<String>,
    /// Secondary locations and explanations.
    pub notes: Vec<Note>,
    /// A rewrite that is certain to be right, applied by `--fix`.
    pub fix: Option<Fix>,
    /// The function whose body holds the finding, when there is one: what
    /// [`repeats`](crate::repeats) groups a rule's repeated findings by.
    #[serde(default)]
    pub function: Option<Enclosing>,
    /// For a finding reported where async code calls a sync function of the crate that blocks
    /// (through zero or more other helpers): that function and the way down to the blocking
    /// call. [`repeats`](crate::repeats) groups the calls of one helper from several
    /// functions, and a suppression at any step of the way covers the finding.
    #[serde(default)]
    pub through: Option<Through>,
    /// What the rule learnt about the finding that a later step of the run reads to settle its
    /// form (never printed).
    #[serde(default)]
    pub marks: Marks,
}

/// Facts about a finding that later steps of a run read ([`Diagnostic::marks`]), kept as
/// fields rather than recognised in the text of its notes.
///
/// ```
/// use asyncwise_lint::diagnostic::Marks;
///
/// let marks = Marks { on_request_path: true, ..Marks::default() };
/// assert!(!marks.flag_state);
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Marks {
    /// The finding is on a per-event path that a request handler starts (its notes say which):
    /// served work, which the serial-module approximation of `blocking_in_async`'s pedantic
    /// form does not cover.
    #[serde(default)]
    pub on_request_path: bool,
    /// A `cleanup_after_await` finding about a flag (`set(true)` … `set(false)`): one state a
    /// cancelled future leaves, not a drifting count, so it stays in the pedantic form whatever
    /// the crate pass learns about cancellation.
    #[serde(default)]
    pub flag_state: bool,
    /// A `cleanup_after_await` finding in the default form only because its fn is declared
    /// `pub` (the file cannot tell a library from a binary): the crate pass moves it to the
    /// pedantic form when the fn is a binary's and no caller can drop it.
    #[serde(default)]
    pub public_only: bool,
}

/// The sync helper a finding is reported through, and each step from it down to the blocking
/// call ([`Diagnostic::through`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Through {
    /// The helper async code calls, by its crate path (`crate::cmd::Runner::execute`).
    pub helper: String,
    /// The file that declares it.
    pub helper_path: PathBuf,
    /// Where each function on the way (the helper first) makes its next call, down to the
    /// blocking call: the file and the line.
    pub steps: Vec<(PathBuf, usize)>,
}

/// The function around a finding, as the crate index names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Enclosing {
    /// Its crate path (`crate::db::Store::migrate`), the crate index's `FnId`.
    pub id: String,
    /// The byte offset where its body starts: tells apart two functions of one path (`cfg`
    /// alternatives defined twice in a file).
    pub body_start: usize,
}

impl Enclosing {
    /// The name people read: the function's name, with its type for methods.
    ///
    /// ```
    /// use asyncwise_lint::diagnostic::Enclosing;
    /// let f = Enclosing { id: "crate::db::Store::migrate".into(), body_start: 0 };
    /// assert_eq!(f.short(), "Store::migrate");
    /// ```
    pub fn short(&self) -> String {
        crate::summary::FnId(self.id.clone()).short().to_string()
    }
}

/// A machine-applicable rewrite of a finding: edits of the finding's file that keep it valid
/// Rust and remove the finding. Offered only where the rewrite is certain (see [`crate::fix`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    /// What the fix does, for people (`replace with `tokio::time::sleep(..).await``).
    pub message: String,
    /// The edits, not overlapping, in any order.
    pub edits: Vec<Edit>,
}

/// Replaces a byte range of a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    /// Start of the replaced range (byte offset).
    pub byte_start: usize,
    /// End of the replaced range (byte offset, exclusive); equal to `byte_start` to insert.
    pub byte_end: usize,
    /// The new text.
    pub replacement: String,
}

/// A file that could not be checked, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", self.place())]
pub struct FileError {
    /// The file or path that failed.
    pub path: PathBuf,
    /// A human-readable reason.
    pub message: String,
    /// Where in the file the problem is, when known (a syntax error, a bad configuration key).
    pub location: Option<LineCol>,
}

impl FileError {
    /// An error about a whole file or path.
    ///
    /// ```
    /// let e = asyncwise_lint::FileError::new("a.rs", "could not read");
    /// assert_eq!(e.to_string(), "a.rs: could not read");
    /// ```
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        FileError {
            path: path.into(),
            message: message.into(),
            location: None,
        }
    }

    /// The same error, pointing at a line and column.
    ///
    /// ```
    /// use asyncwise_lint::{FileError, LineCol};
    /// let e = FileError::new("a.rs", "expected `;`").at(LineCol { line: 3, column: 7 });
    /// assert_eq!(e.to_string(), "a.rs:3:7: expected `;`");
    /// ```
    pub fn at(mut self, location: LineCol) -> Self {
        self.location = Some(location);
        self
    }

    /// `path`, or `path:line:col` when the location is known: clickable in terminals and editors.
    ///
    /// ```
    /// use asyncwise_lint::{FileError, LineCol};
    /// assert_eq!(FileError::new("a.rs", "x").place(), "a.rs");
    /// ```
    pub fn place(&self) -> String {
        match self.location {
            Some(at) => format!("{}:{}:{}", self.path.display(), at.line, at.column),
            None => self.path.display().to_string(),
        }
    }
}
