//! Which execution context a sync closure's body runs in, decided from where the closure is
//! written. One answer for every site the walker meets, so that a call argument, a `let`-bound
//! closure and a struct field cannot drift apart.
//!
//! The three contexts a sync closure can get (async closures are async bodies of their own):
//!
//! - inline: the closure runs where it is written (an iterator adapter's `|x| ..`, a closure
//!   bound by `let` and called in the same body), so it has its enclosing body's context;
//! - offloaded: it is handed to a function that runs it off the executor (`spawn_blocking`,
//!   `std::thread::spawn`, `block_in_place`), directly, by name from the same block, or (a
//!   `let`-bound closure) called only inside a closure handed to one;
//! - unknown: it is kept or handed on to code that may run it elsewhere, later: a callee whose
//!   future is awaited (`asyncify(move || ..).await`), a callee that stores it
//!   (`Box::new(move || ..)`), a `move` closure or one calling tokio's sync-only `blocking_*`
//!   methods handed to any callee not known to run it at once (a watcher's handler, a pool's
//!   job: not `map`, `get_or_init`, `sort_by_key`, ...), a struct field (`Hooks { on_exit:
//!   move || .. }`), or any other place (a return value, a method receiver).

use super::super::Ctx;

/// Where a sync closure is written, as far as its context goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosureSite {
    /// An argument of a call or method call.
    Argument {
        /// The callee runs its closure off the executor (an offloader).
        offloads: bool,
        /// The callee may run the closure elsewhere or later: its future is awaited, or it
        /// stores the closure.
        deferred: bool,
    },
    /// The initialiser of `let name = || ..;`.
    LetBinding {
        /// The same block hands `name` to an offloader (`spawn_blocking(name)`), or calls it
        /// only inside a closure it hands to one (`spawn_blocking(move || name())`).
        offloaded: bool,
    },
    /// A field of a struct literal: it runs wherever the struct's owner calls it.
    StructField,
    /// Anywhere else.
    Elsewhere,
}

/// The context a sync closure written at `site` runs in, inside a body of context `enclosing`.
///
/// ```
/// use asyncwise_lint::model::Ctx;
/// use asyncwise_lint::model::analysis::contexts::{ClosureSite, closure_context};
/// // `spawn_blocking(move || ..)` inside an async fn
/// let offloaded = ClosureSite::Argument { offloads: true, deferred: false };
/// assert_eq!(closure_context(offloaded, Ctx::Async), Ctx::Offloaded);
/// // `Hooks { on_exit: move || .. }`: run wherever the owner calls it
/// assert_eq!(closure_context(ClosureSite::StructField, Ctx::Async), Ctx::Unknown);
/// ```
pub fn closure_context(site: ClosureSite, enclosing: Ctx) -> Ctx {
    match site {
        ClosureSite::Argument { offloads: true, .. }
        | ClosureSite::LetBinding { offloaded: true } => Ctx::Offloaded,
        ClosureSite::Argument { deferred: true, .. }
        | ClosureSite::StructField
        | ClosureSite::Elsewhere => Ctx::Unknown,
        ClosureSite::Argument { .. } | ClosureSite::LetBinding { .. } => enclosing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INLINE_ARG: ClosureSite = ClosureSite::Argument {
        offloads: false,
        deferred: false,
    };

    #[test]
    fn an_inline_argument_or_binding_takes_the_enclosing_context() {
        for enclosing in [Ctx::Async, Ctx::Sync, Ctx::Offloaded, Ctx::Unknown] {
            assert_eq!(closure_context(INLINE_ARG, enclosing), enclosing);
            let bound = ClosureSite::LetBinding { offloaded: false };
            assert_eq!(closure_context(bound, enclosing), enclosing);
        }
    }

    #[test]
    fn an_offloader_wins_over_a_deferred_call() {
        let site = ClosureSite::Argument {
            offloads: true,
            deferred: true,
        };
        assert_eq!(closure_context(site, Ctx::Async), Ctx::Offloaded);
        let bound = ClosureSite::LetBinding { offloaded: true };
        assert_eq!(closure_context(bound, Ctx::Async), Ctx::Offloaded);
    }

    #[test]
    fn kept_or_handed_on_closures_are_unknown_even_in_async_code() {
        let deferred = ClosureSite::Argument {
            offloads: false,
            deferred: true,
        };
        for site in [deferred, ClosureSite::StructField, ClosureSite::Elsewhere] {
            assert_eq!(closure_context(site, Ctx::Async), Ctx::Unknown);
            assert_eq!(closure_context(site, Ctx::Sync), Ctx::Unknown);
        }
    }

    /// The walker asks this function at each site: the contexts recorded on calls agree.
    #[test]
    fn the_walker_records_each_sites_context_on_its_calls() {
        let src = r#"
            async fn f(p: String) {
                let _ = std::iter::once(1).map(|x| std::fs::read("a")).count();
                tokio::task::spawn_blocking(move || std::fs::read("b"));
                let load = || std::fs::read("c");
                tokio::task::spawn_blocking(load);
                let keep = || std::fs::read("d");
                keep();
                let _h = Hooks { on_exit: move || std::fs::read("e") };
                asyncify(move || std::fs::read("f")).await;
                let _b = Box::new(move || std::fs::read("g"));
            }
        "#;
        let ast = syn::parse_file(src).expect("test source parses");
        let m = crate::model::FileModel::build(std::path::Path::new("t.rs"), src, &ast);
        let ctx_of = |line: usize| {
            m.calls
                .iter()
                .find(|c| {
                    c.loc.start.0 == line && matches!(&c.callee, crate::model::Callee::Path(p) if p == "std::fs::read")
                })
                .map(|c| c.ctx)
        };
        assert_eq!(ctx_of(3), Some(Ctx::Async), "iterator adapter: inline");
        assert_eq!(ctx_of(4), Some(Ctx::Offloaded), "offloader argument");
        assert_eq!(ctx_of(5), Some(Ctx::Offloaded), "bound, then offloaded");
        assert_eq!(ctx_of(7), Some(Ctx::Async), "bound, called inline");
        assert_eq!(ctx_of(9), Some(Ctx::Unknown), "struct field");
        assert_eq!(ctx_of(10), Some(Ctx::Unknown), "awaited callee");
        assert_eq!(ctx_of(11), Some(Ctx::Unknown), "stored by Box::new");
    }
}
