use crate::facts::{Deferred, Requirement, Sink};
use crate::levels::{Group, Level};
use crate::model::FileModel;
use crate::summary::LockId;

crate::declare_rule! {
    /// ## What it does
    /// Finds guards of synchronous locks (`std::sync::Mutex`/`RwLock`, `parking_lot` locks,
    /// `RefCell` borrows, `tokio::sync::watch` `Ref`s from `borrow()`, `dashmap` references from
    /// `get`/`get_mut`/`entry`) that are still alive at an `.await` of the same async body.
    /// Reported where the guard is acquired (the lock call), with a note at the first `.await` it
    /// is held across.
    ///
    /// ## Why is this bad
    /// While the task is suspended at the `.await` it keeps the lock. Any other task that then
    /// locks it blocks its worker thread; if that task runs on the same worker as the holder,
    /// the holder can never resume and release it: a deadlock. The future also stops being
    /// `Send`, so `tokio::spawn` rejects it.
    ///
    /// Guards that die first are fine: temporaries that end with their statement
    /// (`*m.lock().unwrap() += 1;`), guards dropped with `drop(guard)` or at the end of an
    /// inner block. `tokio::sync::Mutex` guards are meant to be held across awaits. Each
    /// operand of `&&`/`||` is a temporary scope of its own (every edition, Rust 1.68 on): in
    /// `cache.lock().unwrap().is_empty() || refresh().await` the guard is dropped before the
    /// second operand runs. A `select!` handler is a `match` arm body in the expansion: its
    /// temporaries (`show(*rx.borrow_and_update())`) end with the handler, and the wait of the
    /// `select!` comes before any handler runs.
    ///
    /// A guard call that may hand out no guard (`map.get(k)`, dashmap's `try_get`, std's
    /// `try_lock`) holds nothing in a `match` arm on a variant without one (`None`,
    /// `TryResult::Absent`/`Locked`, `Err(TryLockError::WouldBlock)`): a retry that sleeps
    /// while the shard is locked is fine. On ten labelled field sets these were the rule's two
    /// default findings labelled wrong (a group map read with `try_get`, sleeping in the
    /// `Locked` arm).
    ///
    /// An await of an `async fn` of the crate that has no await point of its own (and calls
    /// no macro that may hide one) is no suspension: the callee runs to its end at once, as a
    /// plain call does. When every await a guard is alive across is such a call (found by
    /// name in every file of the crate, a method also by its number of arguments), the finding
    /// is the pedantic form: no suspension today, but one `.await` added to the callee makes
    /// one, and a sketch's stand-in for I/O looks the same (on ten labelled field sets: a
    /// DashMap reference alive across
    /// `send_message(..).await`, whose body is a synchronous actor `do_send`, labelled noise).
    /// This holds also for a guard of a lock whose type another file declares (`st.limits` of a
    /// state struct in `state.rs`): the lock's type and the callee are settled together.
    /// Two readings keep the finding: a callee whose body mentions none of its inputs is a
    /// placeholder (`async fn save(&self, _doc: &Doc) {}` standing for I/O in a sketch or a
    /// test double) and may suspend; and a method on a value of unknown type whose name
    /// libraries' futures share (`send`, `flush`, `lock`, ...:
    /// `knowledge::awaits::LIBRARY_AWAIT_NAMES`) may be the library's future.
    ///
    /// A guard nobody else can contend for is the pedantic form as well: nobody waits for it,
    /// though the future still is not `Send` and a later change makes a contender. Two shapes,
    /// settled over every file of the crate:
    /// * a *read* guard (`RwLock::read`, a `dashmap` read reference from `get` or `iter`) of a
    ///   private or crate-visible field that no code of the crate writes or hands out after the
    ///   value is built: only a writer waits for a read guard. Built once from a list
    ///   (`DashMap::from_iter`, `collect`, a local filled before the struct literal) and then
    ///   only read with `get`/`iter`/`len`/`contains_key` is unwritten; one `insert`,
    ///   `remove`, `entry`, `get_mut`, `retain`, `clear`, `write()`, a clone of its `Arc`, a
    ///   `&map` handed to a call or bound and used so, or a use inside a macro keeps the
    ///   default form. A use on a value whose struct is not told counts when it could be this
    ///   lock's (a lock method, not `rt.sinks.start(..)`), and a private field is written only
    ///   from its own module. On fifteen labelled field sets: seven read guards of maps built
    ///   once and never written, labelled noise; a flusher reading a map that another method
    ///   inserts into stays reported (labelled act);
    /// * any guard on `self.field` in a method taking `&mut self`, the field stored directly in
    ///   the struct (not behind `Arc`/`Rc`/a reference, whose other copies may be elsewhere):
    ///   while the method holds `self` exclusively no other code reaches the lock. (The
    ///   method's own awaited calls still can, through `&self`: a callee that writes the same
    ///   map deadlocks on itself; the pedantic form still shows it.)
    ///
    /// A guard taken in an async block that sync code hands straight to `block_on`
    /// (`rt().block_on(async { let t = self.table.lock().unwrap(); t.load().await })` in a
    /// language binding's method, a sync API over an async one; not in a `main`, nor on a
    /// runtime held in a local (`rt.block_on(..)`, perhaps built right there to run a
    /// program), nor in a block that spawns tasks, whose tasks run beside it and may lock the
    /// same lock) is the pedantic form too: the
    /// calling thread polls the future and waits for it, so no runtime worker is held, the
    /// future is never spawned (so it need not be `Send`), and another caller of the same
    /// method waits for the lock on its own thread, which is what such a lock is for. A task
    /// on a runtime worker that locks the same lock would still block its worker while the
    /// holder waits; the pedantic form still shows the guard. On sixteen labelled field sets:
    /// eight guards of a Python binding's table lock held across awaits under `block_on`,
    /// labelled noise.
    ///
    /// A field typed by a bare `DashMap` that no import of its file explains (brought in by a
    /// macro's expansion) is taken for `dashmap`'s, the only lock type of that name.
    /// A watch channel's `Ref` holds the channel's read lock: the sender's next `send` blocks
    /// its thread until the `Ref` is gone. A `dashmap` reference holds a shard's lock: another
    /// task touching that shard blocks its thread, and on the same thread it deadlocks.
    ///
    /// ## Pedantic form
    /// Guards held only across awaits of crate `async fn`s that never suspend; guards nobody
    /// else can contend for (a read guard of a field no code writes after it is built, a guard
    /// on a field stored in `self` in a `&mut self` method); guards in an async block that sync
    /// code other than `main` hands straight to `block_on` (not on a runtime in a local, not a
    /// block that spawns tasks), polled on the calling thread.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn bump(state: &std::sync::Mutex<State>, db: &Db) {
    ///     let mut s = state.lock().unwrap();
    ///     s.hits += 1;
    ///     db.save(&s).await;
    /// }
    /// ```
    ///
    /// Pedantic form: the map is built once and only read, so the shard read guard held across
    /// `run` blocks nobody.
    /// ```rust,ignore
    /// struct Pool { workers: DashMap<String, Worker> }
    /// impl Pool {
    ///     fn new(names: Vec<String>) -> Self {
    ///         Pool { workers: names.into_iter().map(|n| (n, Worker::new())).collect() }
    ///     }
    ///     async fn dispatch(&self, name: &str, job: Job) {
    ///         if let Some(w) = self.workers.get(name) {
    ///             w.run(job).await;
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn bump(state: &std::sync::Mutex<State>, db: &Db) {
    ///     let snapshot = {
    ///         let mut s = state.lock().unwrap();
    ///         s.hits += 1;
    ///         s.clone()
    ///     }; // guard dropped here
    ///     db.save(&snapshot).await;
    /// }
    /// ```
    ///
    /// For a map read while another task writes it, clone what the await needs out of the
    /// reference first (`let w = self.workers.get(name).map(|r| r.clone());`), or collect the
    /// entries into a `Vec` before a loop that awaits. A map nobody writes after start-up needs
    /// no lock at all: a plain `HashMap` (behind an `Arc`) says so.
    pub LOCK_ACROSS_AWAIT, "lock_across_await", Group::Suspicious, Level::Warn, check,
    repeats: crate::rules::Repeats::Each { reason: "each guard is dropped before its await, or its lock replaced, separately: two guards in one function are two places to change" }
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    for held in &model.held_guards {
        let mut d = super::diagnostic(
            &LOCK_ACROSS_AWAIT,
            model,
            held.acquired,
            format!("{} is held across an `.await`", held.describe),
            "drop the guard before awaiting (end its block, call `drop(guard)`, or clone the value out), or use `tokio::sync::Mutex` if a lock must stay held",
        );
        d.notes.push(super::note(
            model,
            held.await_loc,
            "the task can be suspended here while the lock is held",
        ));
        if held.on_caller_thread {
            d.form = crate::levels::Form::Pedantic;
            d.notes.push(crate::diagnostic::Note::text(
                "pedantic form: this async block is handed straight to `block_on` by sync code, so it is polled on the calling thread, which waits for it: no runtime worker holds the lock, and another caller waits on its own thread (a task on a worker that locks the same lock would still block that worker)",
            ));
        }
        // Awaits that may all be of crate fns that never suspend, and a field lock nobody else
        // may contend for: the crate pass decides both (they choose the form), also for a
        // guard whose lock's type another file declares (which must hold for any finding).
        let suspension = super::suspension(model, &held.awaits);
        let contention = match &held.lock {
            Some(LockId::Field { owner, field }) if held.shared || held.exclusive_self => {
                Some(Requirement::Contended {
                    owner: owner.clone(),
                    field: field.clone(),
                    shared: held.shared,
                    exclusive_self: held.exclusive_self,
                })
            }
            _ => None,
        };
        let requires = match held.requires.clone() {
            // Settled by the crate index alone: the form stays the default one.
            Some(typed @ (Requirement::ReceiverType { .. } | Requirement::AllOf(_))) => Some(typed),
            typed => {
                let mut all: Vec<Requirement> = typed
                    .into_iter()
                    .chain(suspension)
                    .chain(contention)
                    .collect();
                match all.len() {
                    0 => None,
                    1 => all.pop(),
                    _ => Some(Requirement::AllOf(all)),
                }
            }
        };
        match requires {
            None => sink.diagnostics.push(d),
            Some(requires) => sink.deferred.push(Deferred {
                diagnostic: d,
                requires,
            }),
        }
    }
}
