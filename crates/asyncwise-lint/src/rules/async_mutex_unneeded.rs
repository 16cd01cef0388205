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
    /// Reported at the lock's declaration: the field, the static, or the `Mutex::new` call of a
    /// local.
    ///
    /// ## Why is this bad
    /// An async mutex is several times slower than `std::sync::Mutex` or `parking_lot::Mutex`
    /// to lock and unlock, and every `lock().await` is a point where the task may be suspended.
    /// Tokio's documentation says so: the async mutex is for guards that must be held across
    /// an `.await` (a connection used for a whole exchange); for data that is only read or
    /// updated between awaits, a blocking mutex is the right choice. A synchronous guard kept
    /// inside a block without awaits cannot be held across one by accident, and
    /// `lock_across_await` checks that it stays so. The cost matters where the lock is taken
    /// often and is the main cost of its path (per published message, per piece, per query;
    /// a map or a setting read on a hot path), and where the async lock forces a sync function
    /// to spawn a task just to take it.
    ///
    /// The verdict is crate-wide: every lock call of the lock, in every file, is looked at.
    /// When any of them cannot be told apart (the lock is handed to other code, returned by
    /// reference, `pub` in a library, locked through a parameter or a binding whose lock is not
    /// known, or its guard is returned, stored, moved into a closure, or an owned guard from
    /// `lock_owned`), nothing is reported. Nor is a lock that a `macro_rules!` body locks (by
    /// its name, or any lock of that file when the body locks a metavariable): the expansion
    /// decides what follows the lock, and the macro body is not followed as code.
    ///
    /// A lock call through a local copy of a field's lock (`let m = Arc::clone(&self.m);`,
    /// then `m.lock().await` in a task) is a lock call of the field when its guard is dropped
    /// before the next await; a held or lent one stays a lock that cannot be named.
    ///
    /// A guard handed on by a future combinator (`m.lock().then(|g| async move { .. })`, also
    /// built in a plain function returning the future) is held when the closure awaits, and a
    /// guard bound through a reference (`let out = &mut m.lock().await;`) lives to the end of
    /// its block like any other binding.
    ///
    /// One lock stored in several structs is one finding. An `Arc`-shared lock copied into
    /// other structs (a plugin's `cfg` handed to its handler as `cfg: self.cfg.clone()` or
    /// through `Handler::new(cfg.clone())`) is declared once per struct; declarations of one
    /// package behind `Arc` with the same declared type and the same field name are taken for
    /// one lock. Its lock calls are the union of theirs (a guard held across an await at any of
    /// them means no finding), and it is reported once, with notes at the other declarations:
    /// at the first declaration locked outside set-up and configuration functions, else at the
    /// first. A copy made by a struct literal is followed; one made through a constructor's
    /// parameter (`Handler::new(cfg.clone())` storing `Self { cfg }`) is not, so the same type
    /// and name stand in for it, and unrelated locks of one type and field name in one package
    /// are reported as one (on ten held-out repositories: three test clients' `suback_waiters`,
    /// one finding with the other two as notes).
    ///
    /// ## Pedantic form
    /// Locks of an `Option` (`RwLock<Option<T>>`, `Mutex<Option<T>>`), locks locked only in
    /// functions named for set-up, shutdown or configuration (`init`, `start`, `get_config`,
    /// `load_config`, ...), and locks none of whose lock calls is on a per-event path: all cost
    /// little because they are seldom locked. Locks every lock call of which sits beside a
    /// network or database round trip: they cost little next to what the same function waits
    /// for.
    ///
    /// *Per-event path*, as `blocking_in_async` reads it: a request handler or a function one
    /// reaches, the body of a loop whose iteration awaits the next connection or message
    /// (`accept()`, `next()`, `recv_from()`) and the tasks spawned there. A lock locked on such
    /// a path is locked once per request or message, where the async lock's cost per
    /// acquisition adds up; elsewhere (start-up, a command, a periodic job, a library's function
    /// that nothing in the crate calls per event) it does not. On the ten labelled field sets
    /// this moved 8 findings worth acting on and 13 not to the pedantic form (default 25 worth
    /// acting on and 21 not, before; 17 and 8 after). The four sets labelled blind before the
    /// rule was tuned on them (6, 8, 9 and 10) had 4 default findings worth acting on in 24;
    /// they have 3 in 11. Known limit: a library's lock locked per call of its public API (an
    /// in-memory store a bot framework locks per update) is not seen to be per event: its
    /// callers are other crates.
    ///
    /// Most locks of an `Option` are late-initialised values, set once and then read, where the
    /// lock costs little per read and the better fix is a `OnceLock`, not a synchronous lock.
    /// (How often it is written is not checked.)
    ///
    /// Locks taken only in rarely run functions: the harm of an async lock is its cost per
    /// acquisition, which matters on a path taken per message or request, not for a
    /// configuration read when a plugin starts. When every lock call (of every copy) is in a
    /// function named for set-up or shutdown (`new`,
    /// `init`, `start`, `stop`, `shutdown`, ...) or for configuration (`get_config`,
    /// `load_config`, `reload*`, `*settings*`) and is not on a per-event path (a request
    /// handler or a function one reaches), the finding is pedantic. On ten held-out
    /// repositories (set 4), with the copies above, the default findings went from 26 (5 worth
    /// acting on, 21 not) to 6 (5 and 1): plugin configuration read at start and by admin
    /// endpoints became 9 pedantic findings, three copies became notes of the findings of
    /// their lock, and the 5 worth acting on (a topic tree and a configuration locked per
    /// message, an output buffer per outbound message) stayed. Names are a convention, not
    /// proof: a hot function named `start_request` is not taken for set-up (only whole names
    /// count), and a configuration read on every message through a getter named `config` is
    /// taken for a rare one unless a request handler is seen to reach it.
    ///
    /// A crate where a guard of a lock that cannot be named (locked through a parameter or a
    /// binding) is held across an await gives no default finding: that guard may be any lock's.
    /// A private static never lent to other code is reached by its name only, so it is still
    /// judged there, in the pedantic form: on five labelled sets the three statics found this
    /// way (a push-token cache, a webhook's scan times and a review-body cache, each locked
    /// once per event with a tiny critical section) were all noise, while the static worth
    /// acting on (a hole-punch queue locked per request) is in a crate without such a guard and
    /// stays in the default form.
    ///
    /// Locks beside round trips: a lock every lock call of which (of every copy) sits in a
    /// function that waits for a network or database round trip is the pedantic form. The lock
    /// costs microseconds where the request costs milliseconds: a cache looked up before an
    /// HTTP fetch and filled after it, a page cache around gRPC calls. A function waits for
    /// one when its async code calls a client of the knowledge tables
    /// ([`knowledge::round_trips`](crate::knowledge::round_trips): reqwest, hyper, tonic
    /// channels and the clients tonic-build generates, sqlx, tokio-postgres, redis, mongodb,
    /// kube, ...), or awaits a function of the crate that does (the crate index follows the
    /// calls, and a client field of a struct declared in another file). A crate's own store, an
    /// actor behind a channel or a file read is not a round trip: a zone cache looked up per
    /// DNS query beside a local store read stays in the default form, as does a lock also taken
    /// in one function that fetches nothing (a handler that only reads the map, a task a sync
    /// fn spawns to take the lock, through a local copy of the field's `Arc`). On the fourteen
    /// labelled sets this moved 7 default findings, all labelled not worth acting on (three
    /// response caches of a GIF search proxy beside its HTTP calls, three page caches of an
    /// admin dashboard beside its gRPC calls, an ack-id map beside a gRPC streaming pull), and
    /// none worth acting on: default 18 worth acting on and 16 not, before, 18 and 9 after; on
    /// the sets labelled blind (6 and 8 to 14), 4 and 15 before, 4 and 8 after.
    ///
    /// Known limits: an earlier reading, any other await in the function, moved findings
    /// worth acting on too (a link set per scanned response, a UDP relay's cache per packet):
    /// only clients known to go over the network count. A lock in a small accessor whose
    /// callers make the round trip (a collection-name cache of a database pool, locked in
    /// `get_id` and `put` that await nothing else) is not seen beside it: following the
    /// callers would also move an HTTP backend's redirect cache, locked in such accessors per
    /// proxied request and labelled worth acting on. Nor is a client the tables do not know
    /// (grpcio's, a crate's own HTTP wrapper over a raw socket); a crate's own type named as
    /// tonic-build names clients (`Client` types in a `*_client` module) is taken for one.
    /// What the rule cannot tell is how often the path runs: a per-announce key map read in a
    /// tracker, or a low-traffic daemon's cache, are labelled not worth a change and stay
    /// default.
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
    ///
    /// A lock around a single `bool` or integer (a flag, a counter) needs no lock at all: the
    /// help names the std atomic (`AtomicBool`, `AtomicU64`, ...).
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

/// Is `name` (a function's own name) one of [`RARE_FN_NAMES`](crate::knowledge::locks::RARE_FN_NAMES) (also with leading underscores),
/// or about configuration (`get_config`, `load_config`, `from_config`, `reload_settings`)?
fn is_rare_fn_name(name: &str) -> bool {
    let name = name.trim_start_matches('_');
    crate::knowledge::locks::RARE_FN_NAMES.contains(&name)
        || name.contains("config")
        || name.contains("settings")
        || name.starts_with("reload")
}

/// Is the lock call at `site` in a function that runs rarely: named as set-up, shutdown or a
/// configuration getter or reload ([`is_rare_fn_name`]) and not on a per-event path (a request
/// handler or reached from one)? (`main`, or being called only from it, is not enough: small
/// programs do their whole work there.)
fn in_rare_fn(index: &CrateIndex, path: &Path, site: &AsyncLockSite) -> bool {
    let Some(f) = index.function_at(path, site.span.start.line) else {
        return false;
    };
    // A request handler, or a function it reaches, runs per event whatever its name.
    if index.is_per_event(f) {
        return false;
    }
    let id = index.enclosing(f).id;
    let name = id.rsplit("::").next().unwrap_or(&id);
    is_rare_fn_name(name)
}

/// The declarations of one package that hold the same lock. An `Arc`-shared field copied into
/// other structs is declared once per struct: a struct literal that initialises a lock field
/// from another lock field (`Handler { cfg: self.cfg.clone() }`, `Arc::clone(&self.cfg)`) links
/// the two (`links`, pairs of indices into `decls`), and fields behind `Arc` of one declared type
/// with one field name are taken for the same lock too (the copy may go through a constructor's
/// parameter, which is not followed). Groups are in declaration order (file, then line).
fn lock_groups<'a>(
    decls: &[(&'a Path, &'a AsyncLockDecl)],
    links: &[(usize, usize)],
) -> Vec<Vec<(&'a Path, &'a AsyncLockDecl)>> {
    let mut parent: Vec<usize> = (0..decls.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    fn copy_key(d: &AsyncLockDecl) -> Option<(&str, &str)> {
        match &d.id {
            LockId::Field { field, .. } if d.shared && !d.shape.is_empty() => {
                Some((d.shape.as_str(), field.as_str()))
            }
            _ => None,
        }
    }
    let mut pairs = links.to_vec();
    for i in 0..decls.len() {
        for j in 0..i {
            if copy_key(decls[i].1).is_some() && copy_key(decls[i].1) == copy_key(decls[j].1) {
                pairs.push((j, i));
            }
        }
    }
    for (i, j) in pairs {
        let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
        parent[ri.max(rj)] = ri.min(rj);
    }
    let mut order: Vec<usize> = (0..decls.len()).collect();
    order.sort_by(|&a, &b| {
        (decls[a].0, decls[a].1.span.start.line).cmp(&(decls[b].0, decls[b].1.span.start.line))
    });
    let mut groups: Vec<(usize, Vec<(&Path, &AsyncLockDecl)>)> = Vec::new();
    for i in order {
        let r = root(&mut parent, i);
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, members)) => members.push(decls[i]),
            None => groups.push((r, vec![decls[i]])),
        }
    }
    groups.into_iter().map(|(_, members)| members).collect()
}

/// One declaration of a lock with its lock calls.
struct LockCopy<'a> {
    path: &'a Path,
    decl: &'a AsyncLockDecl,
    calls: Vec<(&'a Path, &'a AsyncLockSite)>,
    /// Every one of `calls` is in a rarely run function ([`in_rare_fn`]).
    rare: bool,
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
        // ..except a private static never lent to other code: it is reached by its name only,
        // so a guard of a lock that cannot be named is not its guard.
        let named_only = |decl: &AsyncLockDecl| {
            matches!(decl.id, LockId::Static { .. })
                && !decl.public
                && !decl.escapes
                && !sites
                    .iter()
                    .any(|(_, s)| s.lent && s.id.as_ref().is_some_and(|id| is_lock(decl, id)))
        };
        if unknown_held && !decls.iter().any(|(_, d)| named_only(d)) {
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
        // A lock field copied into another lock field of the package by a struct literal: the
        // copy is the same lock (its uses are the other field's), not a lock lent to unknown code.
        let copy_of = |s: &AsyncLockSite| -> Option<(usize, usize)> {
            let (from, into) = (s.id.as_ref()?, s.into.as_ref()?);
            if !s.lent || !matches!(from, LockId::Field { .. }) {
                return None;
            }
            let from = decls.iter().position(|(_, d)| is_lock(d, from))?;
            let into = decls.iter().position(|(_, d)| &d.id == into)?;
            (from != into).then_some((from, into))
        };
        let links: Vec<(usize, usize)> = sites.iter().filter_map(|(_, s)| copy_of(s)).collect();
        let held_by = |d: &AsyncLockDecl| {
            sites.iter().any(|(_, s)| {
                s.held && s.id.as_ref().is_some_and(|id| is_lock(d, id)) && copy_of(s).is_none()
            })
        };
        for group in lock_groups(&decls, &links) {
            if unknown_held && !group.iter().all(|(_, d)| named_only(d)) {
                continue;
            }
            // One lock: any copy that escapes or is held anywhere decides for all.
            if group.iter().any(|&(path, decl)| {
                decl.escapes || decl.public && library || held_by(decl) || macro_locked(path, decl)
            }) {
                continue;
            }
            // `Arc`-shared locks of the same declared type may be one lock stored twice.
            let twin_held = group.iter().any(|(_, decl)| {
                decl.shared
                    && !decl.shape.is_empty()
                    && decls.iter().any(|(_, other)| {
                        other.shared
                            && other.shape == decl.shape
                            && !group.iter().any(|(_, g)| g.id == other.id)
                            && held_by(other)
                    })
            });
            if twin_held {
                continue;
            }
            // Each copy with its lock calls, and whether they are all in rarely run functions.
            let members: Vec<LockCopy<'_>> = group
                .iter()
                .map(|&(path, decl)| {
                    let calls: Vec<(&Path, &AsyncLockSite)> = sites
                        .iter()
                        .filter(|(_, s)| {
                            !s.lent && s.id.as_ref().is_some_and(|id| is_lock(decl, id))
                        })
                        .copied()
                        .collect();
                    let rare = calls.iter().all(|(p, s)| in_rare_fn(index, p, s));
                    LockCopy {
                        path,
                        decl,
                        calls,
                        rare,
                    }
                })
                .collect();
            if members.iter().all(|m| m.calls.is_empty()) {
                continue;
            }
            // Reported at the first copy locked on a frequent path, else at the first locked.
            let Some(anchor) = members
                .iter()
                .position(|m| !m.calls.is_empty() && !m.rare)
                .or_else(|| members.iter().position(|m| !m.calls.is_empty()))
            else {
                continue;
            };
            // Judged only because a private static is reached by name alone (another guard of
            // the crate, of a lock that cannot be named, is held across an await): the
            // pedantic form.
            let calls: Vec<(&Path, &AsyncLockSite)> = members
                .iter()
                .flat_map(|m| m.calls.iter().copied())
                .collect();
            // Locked per request or message: in a per-event region of its file, or in a
            // function on a per-event path.
            let per_event = calls.iter().any(|(p, s)| {
                s.per_event
                    || index
                        .function_at(p, s.span.start.line)
                        .is_some_and(|f| index.is_per_event(f))
            });
            let rare = unknown_held || members.iter().all(|m| m.rare);
            // Every lock call sits in a function that waits for a network or database round
            // trip: microseconds of lock beside milliseconds of request.
            let beside_round_trip = calls.iter().all(|(p, s)| {
                index
                    .function_at(p, s.span.start.line)
                    .is_some_and(|f| index.makes_round_trip(f))
            });
            let copies: Vec<(&Path, &AsyncLockDecl)> = members
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != anchor)
                .map(|(_, m)| (m.path, m.decl))
                .collect();
            let (path, decl) = (members[anchor].path, members[anchor].decl);
            out.push(finding(
                path,
                decl,
                &calls,
                &copies,
                Cheap {
                    rare,
                    off_event: !per_event,
                    beside_round_trip,
                },
            ));
        }
    }
}

/// Why a lock's cost is small (each makes the finding pedantic).
struct Cheap {
    /// Locked only in set-up, shutdown or configuration functions, or judged only as a private
    /// static.
    rare: bool,
    /// No lock call on a per-event path.
    off_event: bool,
    /// Every lock call in a function that waits for a network or database round trip.
    beside_round_trip: bool,
}

fn finding(
    path: &Path,
    decl: &AsyncLockDecl,
    calls: &[(&Path, &AsyncLockSite)],
    copies: &[(&Path, &AsyncLockDecl)],
    cheap: Cheap,
) -> Diagnostic {
    let Cheap {
        rare,
        off_event,
        beside_round_trip,
    } = cheap;
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
    let mut notes: Vec<Note> = copies
        .iter()
        .map(|(file, copy)| {
            let message = "the same lock, shared through `Arc`, is also stored";
            if *file == path {
                Note::here(copy.span, format!("{message} here"))
            } else {
                Note::in_file(file, copy.span, message)
            }
        })
        .collect();
    notes.extend(calls.iter().map(|(file, site)| {
        let message = "locked here; the guard is dropped before any other `.await`";
        if *file == path {
            Note::here(site.span, message)
        } else {
            Note::in_file(file, site.span, message)
        }
    }));
    // `Lock<Option<T>>` set once and read after: a `OnceLock` is the fix, and the cost is low.
    let late_initialised = decl.shape.contains(&format!("{kind}<Option<"));
    let pedantic = late_initialised || rare || off_event || beside_round_trip;
    Diagnostic {
        rule: ASYNC_MUTEX_UNNEEDED.name,
        severity: if ASYNC_MUTEX_UNNEEDED.default_level == Level::Deny && !pedantic {
            Severity::Error
        } else {
            Severity::Warning
        },
        form: if pedantic {
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
            let rarely = if rare {
                "; it is only locked in set-up, shutdown or configuration functions, so the cost is small"
            } else if off_event {
                "; no lock call is on a per-event path (a request handler, an event loop's body, or a function they reach), so it is not seen to be locked per request or message"
            } else if beside_round_trip {
                "; every lock call is in a function that waits for a network or database round trip, which costs far more than the lock"
            } else {
                ""
            };
            match atomic_for(&decl.shape, kind) {
                Some(atomic) => format!(
                    "it guards a single `{}`: use `std::sync::atomic::{atomic}` (no lock at all), or `{sync}`{rarely}",
                    scalar_of(&decl.shape, kind).unwrap_or_default()
                ),
                None => format!(
                    "use `{sync}` (or `{fast}`): it is cheaper, and a guard kept inside a block without awaits cannot be held across one by accident{rarely}"
                ),
            }
        }),
        notes,
        fix: None,
        function: None,
        through: None,
        marks: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_rare_fn_name;

    #[test]
    fn set_up_and_configuration_names_are_rare_whole_names_only() {
        for name in [
            "new",
            "init",
            "_start",
            "__start",
            "stop",
            "get_config",
            "load_config",
        ] {
            assert!(is_rare_fn_name(name), "{name}");
        }
        for name in ["reload_tls", "apply_settings", "shutdown"] {
            assert!(is_rare_fn_name(name), "{name}");
        }
        for name in [
            "start_request",
            "push",
            "on_message",
            "set",
            "handle",
            "newline",
        ] {
            assert!(!is_rare_fn_name(name), "{name}");
        }
    }
}

/// The type a lock of kind `kind` (`Mutex`, `RwLock`) guards in a declared type written without
/// spaces (`bool` in `Arc<tokio::sync::Mutex<bool>>`), when it is one plain name.
fn scalar_of<'a>(shape: &'a str, kind: &str) -> Option<&'a str> {
    let open = format!("{kind}<");
    let at = shape.find(&open)? + open.len();
    let inner = &shape[at..];
    let end = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    (inner[end..].starts_with('>')).then_some(&inner[..end])
}

/// The std atomic type that holds what the lock guards, when that is a `bool` or an integer: a
/// flag or a counter behind a lock needs no lock.
fn atomic_for(shape: &str, kind: &str) -> Option<&'static str> {
    Some(match scalar_of(shape, kind)? {
        "bool" => "AtomicBool",
        "u8" => "AtomicU8",
        "u16" => "AtomicU16",
        "u32" => "AtomicU32",
        "u64" => "AtomicU64",
        "usize" => "AtomicUsize",
        "i8" => "AtomicI8",
        "i16" => "AtomicI16",
        "i32" => "AtomicI32",
        "i64" => "AtomicI64",
        "isize" => "AtomicIsize",
        _ => return None,
    })
}

#[cfg(test)]
mod scalar_tests {
    use super::{atomic_for, scalar_of};

    #[test]
    fn a_lock_around_a_flag_or_counter_suggests_an_atomic() {
        assert_eq!(
            atomic_for("Arc<tokio::sync::Mutex<bool>>", "Mutex"),
            Some("AtomicBool")
        );
        assert_eq!(atomic_for("RwLock<u64>", "RwLock"), Some("AtomicU64"));
        assert_eq!(atomic_for("Mutex<ValidationPolicy>", "Mutex"), None);
        assert_eq!(atomic_for("Mutex<Vec<u64>>", "Mutex"), None);
        assert_eq!(atomic_for("Mutex<HashMap<u64,bool>>", "Mutex"), None);
        assert_eq!(scalar_of("Mutex<Instant>", "Mutex"), Some("Instant"));
        assert_eq!(atomic_for("Mutex<f64>", "Mutex"), None);
    }
}
