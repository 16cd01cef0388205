use std::path::Path;

use crate::crate_index::CrateIndex;
use crate::diagnostic::{Diagnostic, Note, Severity};
use crate::levels::{Form, Group, Level};
use crate::summary::{AsyncLockDecl, AsyncLockSite, LockId};

crate::declare_rule! {
    /// ## What it does
    /// Finds async locks (`tokio::sync::Mutex`/`RwLock`, async-std's, `async-lock`'s and
    /// smol's; a struct field, a static or a local, also behind `Arc`) whose guard is never
    /// alive across another `.await` anywhere in the crate, so a synchronous lock would do.
    ///
    /// ## Why is this bad
    /// An async mutex is several times slower than `std::sync::Mutex` or `parking_lot::Mutex`
    /// to lock and unlock, and every `lock().await` is a point where the task may be suspended.
    /// Tokio's documentation says so: the async mutex is for guards that must be held across
    /// an `.await` (a connection used for a whole exchange); for data that is only read or
    /// updated between awaits, a blocking mutex is the right choice. A synchronous guard kept
    /// inside a block without awaits cannot be held across one by accident, and
    /// `lock_across_await` checks that it stays so.
    ///
    /// The verdict is crate-wide: every lock call of the lock, in every file, is looked at.
    /// When any of them cannot be told apart (the lock is handed to other code, returned by
    /// reference, `pub` in a library, locked through a parameter or a binding whose lock is not
    /// known, or its guard is returned, stored, moved into a closure, or an owned guard from
    /// `lock_owned`), nothing is reported. Nor is a lock that a `macro_rules!` body locks (by
    /// its name, or any lock of that file when the body locks a metavariable): the expansion
    /// decides what follows the lock, and the macro body is not followed as code.
    ///
    /// A guard handed on by a future combinator (`m.lock().then(|g| async move { .. })`, also
    /// built in a plain function returning the future) is held when the closure awaits, and a
    /// guard bound through a reference (`let out = &mut m.lock().await;`) lives to the end of
    /// its block like any other binding.
    ///
    /// ## Pedantic form
    /// Locks of an `Option` (`RwLock<Option<T>>`, `Mutex<Option<T>>`): most are late-initialised
    /// values, set once and then read, where the lock costs little per read and the better fix
    /// is a `OnceLock`, not a synchronous lock. (How often it is written is not checked.)
    ///
    /// ## Example
    /// ```rust,ignore
    /// struct Cache { entries: tokio::sync::Mutex<HashMap<Key, Value>> }
    ///
    /// impl Cache {
    ///     async fn get(&self, k: &Key) -> Option<Value> {
    ///         self.entries.lock().await.get(k).cloned()
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// struct Cache { entries: std::sync::Mutex<HashMap<Key, Value>> }
    ///
    /// impl Cache {
    ///     async fn get(&self, k: &Key) -> Option<Value> {
    ///         self.entries.lock().unwrap().get(k).cloned()
    ///     }
    /// }
    /// ```
    pub ASYNC_MUTEX_UNNEEDED, "async_mutex_unneeded", Group::Perf, Level::Warn, check
}

/// Everything is decided by the crate pass ([`check_crate`]).
fn check(_: &crate::model::FileModel<'_>, _: &mut crate::facts::Sink) {}

/// Is `id` (of a lock call) the lock `decl` declares?
fn is_lock(decl: &AsyncLockDecl, id: &LockId) -> bool {
    match (&decl.id, id) {
        (
            LockId::Local { function, name },
            LockId::Local {
                function: f,
                name: n,
            },
        ) => function == f && (name == n || decl.aliases.contains(n)),
        (a, b) => a == b,
    }
}

/// The crate-wide verdict: per package, each declared async lock none of whose lock calls keeps
/// its guard past another await.
pub(super) fn check_crate(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    for package in 0..index.package_count() {
        let files: Vec<_> = index.files_of(package).collect();
        let decls: Vec<(&Path, &AsyncLockDecl)> = files
            .iter()
            .flat_map(|f| f.async_lock_decls.iter().map(move |d| (f.path, d)))
            .collect();
        if decls.is_empty() {
            continue;
        }
        let sites: Vec<(&Path, &AsyncLockSite)> = files
            .iter()
            .flat_map(|f| f.async_lock_sites.iter().map(move |s| (f.path, s)))
            .collect();
        // A held guard of a lock we cannot name may belong to any of them.
        let unknown_held = sites.iter().any(|(_, s)| {
            s.held
                && !s.lent
                && s.id
                    .as_ref()
                    .is_none_or(|id| !decls.iter().any(|(_, d)| is_lock(d, id)))
        });
        if unknown_held {
            continue;
        }
        // Locks a `macro_rules!` body locks: its guards cannot be followed, so these may be
        // held across an await in the expansion.
        let macro_locked = |path: &Path, decl: &AsyncLockDecl| {
            let name = match &decl.id {
                LockId::Field { field, .. } => field,
                LockId::Static { name } | LockId::Local { name, .. } => name,
            };
            files.iter().any(|f| {
                f.macro_locks.names.iter().any(|n| n == name) || f.macro_locks.any && f.path == path
            })
        };
        let library = index.has_library(package);
        let held_by = |d: &AsyncLockDecl| {
            sites
                .iter()
                .any(|(_, s)| s.held && s.id.as_ref().is_some_and(|id| is_lock(d, id)))
        };
        for &(path, decl) in &decls {
            if decl.escapes || decl.public && library || held_by(decl) || macro_locked(path, decl) {
                continue;
            }
            let calls: Vec<(&Path, &AsyncLockSite)> = sites
                .iter()
                .filter(|(_, s)| !s.lent && s.id.as_ref().is_some_and(|id| is_lock(decl, id)))
                .copied()
                .collect();
            if calls.is_empty() {
                continue;
            }
            // `Arc`-shared locks of the same declared type may be one lock stored twice.
            let twin_held = decl.shared
                && !decl.shape.is_empty()
                && decls.iter().any(|(_, other)| {
                    other.shared
                        && other.shape == decl.shape
                        && other.id != decl.id
                        && held_by(other)
                });
            if twin_held {
                continue;
            }
            out.push(finding(path, decl, &calls));
        }
    }
}

fn finding(path: &Path, decl: &AsyncLockDecl, calls: &[(&Path, &AsyncLockSite)]) -> Diagnostic {
    let kind = decl.ty.rsplit("::").next().unwrap_or("Mutex");
    let (sync, fast) = if kind == "RwLock" {
        ("std::sync::RwLock", "parking_lot::RwLock")
    } else {
        ("std::sync::Mutex", "parking_lot::Mutex")
    };
    let what = match &decl.id {
        LockId::Field { owner, field } => format!("`{owner}.{field}`"),
        LockId::Static { name } => format!("`{name}`"),
        LockId::Local { name, .. } => format!("`{name}`"),
    };
    let notes = calls
        .iter()
        .map(|(file, site)| {
            if *file == path {
                Note {
                    message: "locked here; the guard is dropped before any other `.await`".into(),
                    span: Some(site.span),
                }
            } else {
                Note {
                    message: format!(
                        "locked at {}:{}:{}; the guard is dropped before any other `.await`",
                        file.display(),
                        site.span.start.line,
                        site.span.start.column
                    ),
                    span: None,
                }
            }
        })
        .collect();
    // `Lock<Option<T>>` set once and read after: a `OnceLock` is the fix, and the cost is low.
    let late_initialised = decl.shape.contains(&format!("{kind}<Option<"));
    Diagnostic {
        rule: ASYNC_MUTEX_UNNEEDED.name,
        severity: if ASYNC_MUTEX_UNNEEDED.default_level == Level::Deny && !late_initialised {
            Severity::Error
        } else {
            Severity::Warning
        },
        form: if late_initialised {
            Form::Pedantic
        } else {
            Form::Default
        },
        path: path.to_path_buf(),
        span: decl.span,
        message: format!(
            "{what} is a `{}` whose guard is never held across an `.await`",
            decl.ty
        ),
        help: Some(if late_initialised {
            format!(
                "if it is set once and then only read, use a `std::sync::OnceLock`; otherwise `{sync}` (or `{fast}`)"
            )
        } else {
            format!(
                "use `{sync}` (or `{fast}`): it is cheaper, and a guard kept inside a block without awaits cannot be held across one by accident"
            )
        }),
        notes,
        fix: None,
        function: None,
    }
}
