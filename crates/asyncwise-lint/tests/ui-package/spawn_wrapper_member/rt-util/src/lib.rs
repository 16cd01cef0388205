// A runtime shim: `spawn` hands the future it is given to tokio through a macro that picks
// the spawner per target, and returns a handle of its own; `spawn_logged` logs the task's
// error itself; `spawn_later` only stores the future.
pub mod runtime;
