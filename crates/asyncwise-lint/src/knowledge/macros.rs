//! What macros do, as far as the rules care.

/// Macros whose bodies are never code to analyse.
pub const OPAQUE_MACROS: &[&str] = &[
    "quote",
    "quote_spanned",
    "parse_quote",
    "macro_rules",
    "include_str",
    "include_bytes",
    "concat",
    "stringify",
    "env",
    "option_env",
    "cfg",
    "compile_error",
    "html",
    "view",
    "rsx",
    "sql",
    "query",
    "query_as",
    "json",
];

/// Macros that await their operands: an `.await` point for guard liveness.
pub const AWAITING_MACROS: &[&str] = &["select", "join", "try_join", "select_biased"];

/// Macros that panic: a spawned task calling them can fail.
pub const PANICKING_MACROS: &[&str] = &["panic", "unreachable", "todo", "unimplemented"];

/// Macros that return an error from the enclosing function: anyhow's and eyre's `bail!` and
/// `ensure!`, snafu's `ensure!`, `whatever!` and `ensure_whatever!` (each crate's docs). A body
/// that uses one can end in an error value.
pub const ERROR_RETURNING_MACROS: &[&str] = &["bail", "ensure", "whatever", "ensure_whatever"];

/// Macros that write formatted text into their first argument (`write!(file, ..)`): blocking
/// when that is a std `File`.
pub const WRITE_MACROS: &[&str] = &["write", "writeln"];
