//! Code no served work waits on: what ends the process, what reads an environment variable,
//! and which combinators run their argument only when a value is missing (read by
//! [`model::analysis::quiet_paths`](crate::model::analysis::quiet_paths)).

/// Calls that end the process at once, by their last two path segments so that
/// `process::exit(1)` after `use std::process;` counts (std: `std::process::exit`,
/// `std::process::abort`).
pub const PROCESS_ENDS: &[(&str, &str)] = &[("process", "exit"), ("process", "abort")];

/// Reads of an environment variable, by their last two path segments (std: `std::env::var`,
/// `std::env::var_os`).
pub const ENV_READS: &[(&str, &str)] = &[("env", "var"), ("env", "var_os")];

/// Methods of `Result`/`Option` whose first argument runs only when the value is an `Err` or
/// `None` (std: `or_else`, `unwrap_or_else`, `map_or_else` — its first argument is the
/// default —, `ok_or_else`).
pub const FALLBACK_METHODS: &[&str] = &["or_else", "unwrap_or_else", "map_or_else", "ok_or_else"];
