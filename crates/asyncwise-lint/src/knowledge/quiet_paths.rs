//! Code no served work waits on: what ends the process, what reads an environment variable,
//! which once-cell methods run their closure once, and which combinators run their argument
//! only when a value is missing (read by
//! [`model::analysis::quiet_paths`](crate::model::analysis::quiet_paths)).

/// Calls that end the process at once, by their last two path segments so that
/// `process::exit(1)` after `use std::process;` counts (std: `std::process::exit`,
/// `std::process::abort`).
pub const PROCESS_ENDS: &[(&str, &str)] = &[("process", "exit"), ("process", "abort")];

/// Calls that panic unconditionally, by their last two path segments (std:
/// `std::panic::resume_unwind`, which re-raises a joined thread's panic, and
/// `std::panic::panic_any`): the task or thread that makes them stops here.
pub const PANICS: &[(&str, &str)] = &[("panic", "resume_unwind"), ("panic", "panic_any")];

/// Reads of an environment variable, by their last two path segments (std: `std::env::var`,
/// `std::env::var_os`).
pub const ENV_READS: &[(&str, &str)] = &[("env", "var"), ("env", "var_os")];

/// Methods of `Result`/`Option` whose first argument runs only when the value is an `Err` or
/// `None` (std: `or_else`, `unwrap_or_else`, `map_or_else` — its first argument is the
/// default —, `ok_or_else`).
pub const FALLBACK_METHODS: &[&str] = &["or_else", "unwrap_or_else", "map_or_else", "ok_or_else"];

/// Methods of once-cells whose closure argument runs at most once per cell: std's
/// `OnceLock::get_or_init`/`get_or_try_init` and `Once::call_once`/`call_once_force`, the same
/// names on once_cell's and tokio's `OnceCell` ("the closure is called at most once", their
/// docs). On a `static` cell the closure runs once per process, however often the code that
/// asks for the value runs.
pub const ONCE_INIT_METHODS: &[&str] = &[
    "get_or_init",
    "get_or_try_init",
    "call_once",
    "call_once_force",
];

/// Functions that wait for a person at the terminal: a password prompt (rpassword's
/// `read_password`, `prompt_password`), a key press (crossterm's `event::read`), an editor the
/// user closes (the `edit` crate). With reads of standard input (`std::io::Stdin` and its lock)
/// and [`USER_PROMPT_METHODS`], they make a function *interactive* (see
/// [`waits_for_user`]).
pub const USER_PROMPT_FNS: &[&str] = &[
    "rpassword::read_password",
    "rpassword::prompt_password",
    "rpassword::prompt_password_stdout",
    "rpassword::read_password_from_tty",
    "crossterm::event::read",
    "edit::edit",
    "edit::edit_bytes",
    "edit::edit_with_builder",
];

/// Prompt methods, by the module or type of their receiver: dialoguer's builders (`Confirm`,
/// `Input`, `Select`, ...) end in `interact*`, inquire's in `prompt*`, console's `Term` reads
/// a line, a character or a key. dialoguer's `interact*` names are its own and count on a
/// receiver of unknown type (a builder chain); the others need the receiver's type.
pub const USER_PROMPT_METHODS: &[(&str, &[&str])] = &[
    (
        "dialoguer::*",
        &[
            "interact",
            "interact_opt",
            "interact_text",
            "interact_on",
            "interact_on_opt",
            "interact_text_on",
        ],
    ),
    ("inquire::*", &["prompt", "prompt_skippable"]),
    (
        "console::Term",
        &[
            "read_line",
            "read_char",
            "read_key",
            "read_secure_line",
            "read_line_initial_text",
        ],
    ),
];

/// Does this call wait for a person at the terminal: a read of standard input, a password or
/// key prompt, an editor, a dialoguer/inquire/console prompt?
///
/// ```
/// use asyncwise_lint::knowledge::quiet_paths::waits_for_user;
/// use asyncwise_lint::model::{Callee, Ty};
/// let read_line = Callee::Method { name: "read_line".into(), receiver: Ty::Named("std::io::Stdin".into()) };
/// assert!(waits_for_user(&read_line));
/// assert!(waits_for_user(&Callee::Path("rpassword::prompt_password".into())));
/// let confirm = Callee::Method { name: "interact".into(), receiver: Ty::Unknown };
/// assert!(waits_for_user(&confirm));
/// let socket = Callee::Method { name: "read_line".into(), receiver: Ty::Named("tokio::io::BufReader".into()) };
/// assert!(!waits_for_user(&socket));
/// ```
pub fn waits_for_user(callee: &crate::model::Callee) -> bool {
    use crate::model::{Callee, Ty};
    match callee {
        Callee::Path(path) => USER_PROMPT_FNS.contains(&path.as_str()),
        Callee::ReadsWrites { io, .. } => is_stdin(io),
        Callee::Method { name, receiver } => {
            let ty = receiver.path();
            if ty.is_some_and(is_stdin) {
                return crate::knowledge::blocking::BLOCKING_METHODS
                    .iter()
                    .any(|row| is_stdin(row.receiver) && row.methods.contains(&name.as_str()));
            }
            USER_PROMPT_METHODS.iter().any(|(owner, methods)| {
                methods.contains(&name.as_str())
                    && match ty {
                        Some(ty) => match owner.strip_suffix('*') {
                            Some(module) => ty.starts_with(module),
                            None => ty == *owner,
                        },
                        None => *owner == "dialoguer::*" && matches!(receiver, Ty::Unknown),
                    }
            })
        }
        Callee::Iterate { receiver } => receiver.path().is_some_and(is_stdin),
    }
}

fn is_stdin(ty: &str) -> bool {
    matches!(ty, "std::io::Stdin" | "std::io::StdinLock")
}

/// Functions that take a std `File` and read or serve it asynchronously from then on, by their
/// last two path segments: tokio's and async-std's `File::from_std`/`File::from` adopt the
/// handle (their reads run off the executor), actix-files' `NamedFile::from_file` streams it.
/// A `let` that opens the file and a later call of one of these in the same block leave one
/// open syscall on the executor.
pub const ASYNC_FILE_ADOPTERS: &[(&str, &str)] =
    &[("File", "from_std"), ("NamedFile", "from_file")];
