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
