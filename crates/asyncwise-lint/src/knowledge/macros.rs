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

/// Macros of std, `log`, `tracing`, `anyhow`/`eyre` and `serde_json` that expand to no
/// `.await` of their own: in an async fn, one whose arguments hold no `.await` cannot suspend
/// it. Any other macro may (`select!`, `join!`, `pending!`, a crate's own `macro_rules!` that
/// awaits), so an async fn calling one is not taken for one that never suspends.
pub const NON_SUSPENDING_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "matches",
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "vec",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "dbg",
    "concat",
    "stringify",
    "env",
    "option_env",
    "include_str",
    "include_bytes",
    "line",
    "column",
    "file",
    "module_path",
    "cfg",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "span",
    "trace_span",
    "debug_span",
    "info_span",
    "warn_span",
    "error_span",
    "anyhow",
    "bail",
    "ensure",
    "eyre",
    "json",
];

/// Macros that panic: a spawned task calling them can fail.
pub const PANICKING_MACROS: &[&str] = &["panic", "unreachable", "todo", "unimplemented"];

/// Macros that return an error from the enclosing function: anyhow's and eyre's `bail!` and
/// `ensure!`, snafu's `ensure!`, `whatever!` and `ensure_whatever!` (each crate's docs). A body
/// that uses one can end in an error value.
pub const ERROR_RETURNING_MACROS: &[&str] = &["bail", "ensure", "whatever", "ensure_whatever"];

/// Logging macros of `log` and `tracing` (any level) and std's `eprintln!`: an error path that
/// runs one first has told someone why it failed, whatever the caller does with the error.
///
/// ```
/// use asyncwise_lint::knowledge::macros::is_logging_macro;
/// assert!(is_logging_macro("error"));
/// assert!(is_logging_macro("eprintln"));
/// assert!(!is_logging_macro("println"));
/// ```
pub fn is_logging_macro(name: &str) -> bool {
    LOGGING_MACROS.contains(&name)
}

/// See [`is_logging_macro`].
pub const LOGGING_MACROS: &[&str] = &[
    "error", "warn", "info", "debug", "trace", "event", "eprintln",
];

/// Macros that write formatted text into their first argument (`write!(file, ..)`): blocking
/// when that is a std `File`.
pub const WRITE_MACROS: &[&str] = &["write", "writeln"];

/// Does an invocation of macro `name` with a single expression argument (`log_err!(call()?)`,
/// a crate's own error-reporting wrapper) give the light type of that argument? A crate's own
/// wrappers around a `Result` map its error and keep its value, so a method called on the
/// invocation's value (`report!(reader.with_guessed_format())?.decode()`) is typed through it.
/// Not the macros of std and of the logging and error crates ([`NON_SUSPENDING_MACROS`]: they
/// make a new value, `format!`, `vec!`, `anyhow!`, or none), nor those whose bodies are not code
/// ([`OPAQUE_MACROS`]); `dbg!` returns its argument.
///
/// ```
/// use asyncwise_lint::knowledge::macros::passes_value_through;
/// assert!(passes_value_through("report_internal_error"));
/// assert!(passes_value_through("dbg"));
/// assert!(!passes_value_through("vec"));
/// assert!(!passes_value_through("json"));
/// ```
pub fn passes_value_through(name: &str) -> bool {
    name == "dbg" || !NON_SUSPENDING_MACROS.contains(&name) && !OPAQUE_MACROS.contains(&name)
}
