//! Calls that enter a state and the calls that leave it again (a counter raised and lowered, a
//! flag set and cleared): when the leaving call is an ordinary statement after an `.await`, a
//! cancelled future never makes it, and the state stays entered for good.
//!
//! Rows are method names, matched on the same receiver place (`self.active.fetch_add(..)` then
//! `self.active.fetch_sub(..)`); the receiver's type is not needed, since the pairing itself is
//! the evidence.

/// What the arguments of a pair's calls must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairArguments {
    /// Any arguments (`fetch_add(1, ..)` / `fetch_sub(1, ..)`).
    Any,
    /// The first argument is this literal on entering and that one on leaving
    /// (`set(true)` / `set(false)`).
    Literal {
        /// The entering call's first argument, as written.
        enter: &'static str,
        /// The leaving call's first argument, as written.
        exit: &'static str,
    },
}

/// An entering method and its leaving counterpart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupPair {
    /// The method that enters the state.
    pub enter: &'static str,
    /// The method that leaves it.
    pub exit: &'static str,
    /// What their arguments must be.
    pub arguments: PairArguments,
    /// What the pair does, for messages.
    pub what: &'static str,
}

const fn any(enter: &'static str, exit: &'static str, what: &'static str) -> CleanupPair {
    CleanupPair {
        enter,
        exit,
        arguments: PairArguments::Any,
        what,
    }
}

const fn flag(method: &'static str, what: &'static str) -> CleanupPair {
    CleanupPair {
        enter: method,
        exit: method,
        arguments: PairArguments::Literal {
            enter: "true",
            exit: "false",
        },
        what,
    }
}

/// The built-in pairs.
pub const CLEANUP_PAIRS: &[CleanupPair] = &[
    // std and portable atomics
    any("fetch_add", "fetch_sub", "counter"),
    // `metrics` gauges (`gauge!("x").increment(1.0)`)
    any("increment", "decrement", "gauge"),
    // `prometheus` / `prometheus-client` gauges
    any("inc", "dec", "gauge"),
    any("inc_by", "dec_by", "gauge"),
    // flags: `Cell<bool>`, `watch::Sender<bool>::send_replace`, atomics
    flag("set", "flag"),
    flag("store", "flag"),
    flag("send_replace", "flag"),
];

/// Words of a receiver named for a progress display (`pb`, `self.progress`,
/// `task_progress`, `spinner`): a progress bar's or a task-progress reporter's counters are what
/// a person watches while a command runs, not state the program reads back. When the future
/// around them is dropped the command is failing or being torn down and the display goes with
/// it, so their enter/leave calls are no pair to guard. A segment containing `progress` counts
/// (`task_progress`, `progressbar`); the other words must be whole `_`-separated words, so that
/// `barrier` or `rebar` is no bar.
pub const PROGRESS_DISPLAY_WORDS: &[&str] = &["pb", "pbar", "bar", "bars", "spinner"];

/// Is `receiver` (a place as written, `self.progress`) named for a progress display (see
/// [`PROGRESS_DISPLAY_WORDS`])? Only its last segment is read.
///
/// ```
/// use asyncwise_lint::knowledge::cleanup_pairs::names_progress_display;
/// assert!(names_progress_display("pb"));
/// assert!(names_progress_display("self.task_progress"));
/// assert!(names_progress_display("self.download_bar"));
/// assert!(!names_progress_display("self.in_flight"));
/// assert!(!names_progress_display("barrier_count"));
/// assert!(!names_progress_display("progress.active"));
/// ```
pub fn names_progress_display(receiver: &str) -> bool {
    let last = receiver.rsplit('.').next().unwrap_or(receiver);
    let lower = last.to_ascii_lowercase();
    lower.contains("progress")
        || lower
            .split('_')
            .any(|word| PROGRESS_DISPLAY_WORDS.contains(&word))
}

/// Where a helper's name carries its pair's word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affix {
    /// At the start: `inc_requests_inflight` / `dec_requests_inflight`.
    Prefix,
    /// At the end: `request_start` / `request_end`.
    Suffix,
}

/// A naming convention of a crate's own helpers that enter and leave a state (a metrics module's
/// `inc_connections()` / `dec_connections()`): the two names differ only in these words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelperPair {
    /// The entering helper's word.
    pub enter: &'static str,
    /// The leaving helper's word.
    pub exit: &'static str,
    /// Where the words sit.
    pub affix: Affix,
}

const fn prefix(enter: &'static str, exit: &'static str) -> HelperPair {
    HelperPair {
        enter,
        exit,
        affix: Affix::Prefix,
    }
}

const fn suffix(enter: &'static str, exit: &'static str) -> HelperPair {
    HelperPair {
        enter,
        exit,
        affix: Affix::Suffix,
    }
}

/// The built-in helper naming conventions.
pub const HELPER_PAIRS: &[HelperPair] = &[
    prefix("inc_", "dec_"),
    prefix("incr_", "decr_"),
    prefix("increment_", "decrement_"),
    prefix("enter_", "leave_"),
    prefix("enter_", "exit_"),
    suffix("_start", "_end"),
    suffix("_begin", "_end"),
    suffix("_started", "_finished"),
];

impl HelperPair {
    /// The entering helper's name for a leaving helper's `name`, if `name` has this pair's
    /// leaving word.
    ///
    /// ```
    /// use asyncwise_lint::knowledge::cleanup_pairs::HELPER_PAIRS;
    /// let names: Vec<_> = HELPER_PAIRS.iter().filter_map(|p| p.entering_name("request_end")).collect();
    /// assert_eq!(names, ["request_start", "request_begin"]);
    /// ```
    pub fn entering_name(&self, name: &str) -> Option<String> {
        match self.affix {
            Affix::Prefix => {
                let stem = name.strip_prefix(self.exit).filter(|s| !s.is_empty())?;
                Some(format!("{}{stem}", self.enter))
            }
            Affix::Suffix => {
                let stem = name.strip_suffix(self.exit).filter(|s| !s.is_empty())?;
                Some(format!("{stem}{}", self.enter))
            }
        }
    }

    /// Does `name` carry one of this pair's words?
    pub fn names(&self, name: &str) -> bool {
        match self.affix {
            Affix::Prefix => name.starts_with(self.enter) || name.starts_with(self.exit),
            Affix::Suffix => name.ends_with(self.enter) || name.ends_with(self.exit),
        }
    }
}

/// Do a counter's entering and leaving calls move it by the same amount, as written
/// (whitespace removed; a trailing `as` cast and a leading `&` ignored)? `fetch_add(1, ..)` /
/// `fetch_sub(1, ..)` and `inc()` / `dec()` do; `fetch_add(diff, ..)` / `fetch_sub(total, ..)`
/// is an account of quantities (bytes buffered, then all of them released when the buffer is
/// flushed), not a state entered and left by one scope.
///
/// ```
/// use asyncwise_lint::knowledge::cleanup_pairs::same_amount;
/// assert!(same_amount(Some("1"), Some("1")));
/// assert!(same_amount(None, None));
/// assert!(same_amount(Some("len"), Some("lenasu64")));
/// assert!(same_amount(Some("&n"), Some("n")));
/// assert!(same_amount(Some("1"), Some("1usize")));
/// assert!(same_amount(Some("1_usize"), Some("1")));
/// assert!(same_amount(Some("n"), Some("nas_")));
/// assert!(same_amount(Some("(buf.len())asu64"), Some("buf.len()asu64")));
/// assert!(!same_amount(Some("memory_diff"), Some("self.memory_usage")));
/// ```
pub fn same_amount(enter: Option<&str>, exit: Option<&str>) -> bool {
    match (enter, exit) {
        (Some(a), Some(b)) => bare_amount(a) == bare_amount(b),
        (a, b) => a == b,
    }
}

/// An amount as written (whitespace already removed), without what does not change its
/// value: a leading `&`, outer parentheses, a trailing cast (`as u64`, `as _`), a numeric
/// literal's suffix and its `_` separators (`1_usize` is `1`).
fn bare_amount(arg: &str) -> String {
    // `len as u64` is `lenasu64` once whitespace is gone.
    const CASTS: &[&str] = &[
        "_", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128",
        "isize", "f32", "f64",
    ];
    let mut arg = arg.trim_start_matches('&');
    loop {
        let before = arg;
        if let Some(cast) = CASTS
            .iter()
            .find_map(|ty| arg.strip_suffix(ty)?.strip_suffix("as"))
            .filter(|rest| !rest.is_empty())
        {
            arg = cast;
        }
        if let Some(inner) = arg.strip_prefix('(').and_then(|a| a.strip_suffix(')')) {
            arg = inner;
        }
        if arg == before {
            break;
        }
    }
    // A numeric literal: digits, `_` and a type suffix.
    if arg.starts_with(|c: char| c.is_ascii_digit()) {
        let digits: String = arg
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '_')
            .filter(|c| *c != '_')
            .collect();
        let suffix = &arg[arg
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || *c == '_'))
            .map_or(arg.len(), |(i, _)| i)..];
        if suffix.is_empty() || CASTS.contains(&suffix) {
            return digits;
        }
    }
    arg.to_string()
}

/// Does a call's first argument, as written, fit `expected`?
///
/// ```
/// use asyncwise_lint::knowledge::cleanup_pairs::{PairArguments, argument_fits};
/// let flag = PairArguments::Literal { enter: "true", exit: "false" };
/// assert!(argument_fits(flag, true, Some("true")));
/// assert!(!argument_fits(flag, false, Some("true")));
/// assert!(argument_fits(PairArguments::Any, false, None));
/// ```
pub fn argument_fits(expected: PairArguments, entering: bool, first_arg: Option<&str>) -> bool {
    match expected {
        PairArguments::Any => true,
        PairArguments::Literal { enter, exit } => {
            first_arg == Some(if entering { enter } else { exit })
        }
    }
}
