//! Analyses that encode Rust and async-runtime semantics over syntax the walker hands them,
//! each in its own file with its own tests, so that the walker only records facts and the rule
//! files only decide.
//!
//! Why a folder of its own rather than more files beside `walk/`: these modules answer
//! questions about a piece of code ("how can this future fail", "what bounds the tasks this
//! loop spawns") without knowing which rule asks, and they are the part of the model whose
//! semantics deserve fixtures of their own. The walker's bookkeeping (scopes, contexts, frames)
//! stays in `walk/`; name resolution and light types stay in `resolve.rs` and `types.rs`.
//!
//! - [`failure`]: can a spawned body fail (`?`, `return Err`, unwrap-like methods, panicking
//!   macros, how it ends)? Read by `detached_task`.
//! - [`bounds`]: how many times a loop runs and what bounds the tasks it spawns (permits,
//!   bounded spawners, awaits in the iteration, drained collections, accept loops, chunks,
//!   fixed and sized ranges). Read by `unbounded_spawn`.
//! - [`joins`]: spawned tasks whose handles are joined together but whose results are
//!   discarded (`join_all(handles).await;`). Read by `detached_task`.
//! - [`per_event`]: which code runs once per event (handlers by signature, handlers
//!   registered with a router, bodies of loops driven by an event source). Read by
//!   `blocking_in_async` through the crate index.
//! - [`channels`]: does an unbounded channel's queue stay small (request/response, control,
//!   a sender not fed per event), and does a receive poll rather than wait? Read by
//!   `unbounded_channel` and `blocking_in_async`.
//! - [`in_progress`]: `connect` calls whose `EINPROGRESS` result is handled on the spot (a
//!   non-blocking socket). Read by `blocking_in_async`.
//! - [`quiet_paths`]: code no served work waits on (the statement right before a process exit,
//!   a fallback taken only when an environment variable is unset). Read by `blocking_in_async`.
//! - [`startup`]: which fns run once at start-up (a runtime's entry attribute and whether it
//!   polls `main` apart, async constructors). Read by `blocking_in_async` through
//!   `FnItem::setup`, `FnItem::main_apart` and `CallFact::startup`.
//!
//! - [`contexts`]: which context a sync closure runs in (inline, offloaded, or unknown when
//!   it is kept or handed to a callee that may run it elsewhere), from where it is written.
//!   Asked by the walker for every closure; read by every rule through `CallFact::ctx`.
//! - [`guards`]: drop scopes: which sync lock guards (and, for `async_mutex_unneeded`, async
//!   lock guards) are alive at an await of the same body. Read by `lock_across_await` and
//!   `async_mutex_unneeded` through `HeldGuard` and `AsyncLockSiteFact`.
//! - [`outcomes`]: how a block ends after an awaited call returns `Ok` or `Err` (goes round,
//!   leaves, propagates, panics). Driven by the loop scan (`model/loops.rs`) and read by
//!   `retry_without_backoff`, `sequential_await` and the other loop rules through `LoopAwait`.
//! - [`spawn_wrappers`]: functions that hand the future they are given to a spawner (directly
//!   or through a `macro_rules!`). Read by the crate index for `detached_task` and
//!   `unbounded_spawn`.
//! - [`field_writes`]: which struct fields a file may write or hand out (every use but a
//!   read-only method of a concurrent map or read/write lock). Read by `lock_across_await`
//!   through the crate pass: a read guard of a lock nothing writes blocks nobody.

pub mod bounds;
pub mod channels;
pub mod contexts;
pub mod failure;
pub mod field_writes;
pub(crate) mod guards;
pub mod in_progress;
pub mod joins;
pub(crate) mod outcomes;
pub mod per_event;
pub mod quiet_paths;
pub(crate) mod spawn_wrappers;
pub mod startup;
