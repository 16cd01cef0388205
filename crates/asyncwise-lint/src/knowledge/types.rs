//! Light type knowledge: what constructors and methods return, so that `let (tx, rx) =
//! std::sync::mpsc::channel();` makes `rx` a std receiver.

/// The shape of a returned value.
#[derive(Debug, Clone, Copy)]
pub enum Returns {
    /// One value of this canonical type (possibly inside a `Result`; `?`/`unwrap` peel it).
    Type(&'static str),
    /// A pair of these types (channel constructors).
    Pair(&'static str, &'static str),
    /// The receiver's own type (builders).
    SameAsReceiver,
}

/// Functions with a known return type.
pub const CONSTRUCTOR_RETURNS: &[(&str, Returns)] = &[
    (
        "std::sync::mpsc::channel",
        Returns::Pair("std::sync::mpsc::Sender", "std::sync::mpsc::Receiver"),
    ),
    (
        "std::sync::mpsc::sync_channel",
        Returns::Pair("std::sync::mpsc::SyncSender", "std::sync::mpsc::Receiver"),
    ),
    (
        "crossbeam_channel::unbounded",
        Returns::Pair("crossbeam_channel::Sender", "crossbeam_channel::Receiver"),
    ),
    (
        "crossbeam_channel::bounded",
        Returns::Pair("crossbeam_channel::Sender", "crossbeam_channel::Receiver"),
    ),
    (
        "crossbeam::channel::unbounded",
        Returns::Pair("crossbeam_channel::Sender", "crossbeam_channel::Receiver"),
    ),
    (
        "crossbeam::channel::bounded",
        Returns::Pair("crossbeam_channel::Sender", "crossbeam_channel::Receiver"),
    ),
    (
        "tokio::sync::mpsc::channel",
        Returns::Pair("tokio::sync::mpsc::Sender", "tokio::sync::mpsc::Receiver"),
    ),
    (
        "tokio::sync::mpsc::unbounded_channel",
        Returns::Pair(
            "tokio::sync::mpsc::UnboundedSender",
            "tokio::sync::mpsc::UnboundedReceiver",
        ),
    ),
    (
        "std::thread::spawn",
        Returns::Type("std::thread::JoinHandle"),
    ),
    ("std::io::stdin", Returns::Type("std::io::Stdin")),
    (
        "asyncwise::TaskGroup::new",
        Returns::Type(super::spawn::UNBOUNDED_TASK_GROUP),
    ),
    (
        "asyncwise::TaskGroup::default",
        Returns::Type(super::spawn::UNBOUNDED_TASK_GROUP),
    ),
    (
        "tokio::sync::watch::channel",
        Returns::Pair("tokio::sync::watch::Sender", "tokio::sync::watch::Receiver"),
    ),
    ("std::fs::File::open", Returns::Type("std::fs::File")),
    ("std::fs::File::create", Returns::Type("std::fs::File")),
    ("std::fs::File::create_new", Returns::Type("std::fs::File")),
    ("fs_err::File::open", Returns::Type("fs_err::File")),
    ("fs_err::File::create", Returns::Type("fs_err::File")),
    ("std::path::Path::new", Returns::Type("std::path::Path")),
    ("std::env::current_dir", Returns::Type("std::path::PathBuf")),
    ("std::env::current_exe", Returns::Type("std::path::PathBuf")),
    ("std::env::home_dir", Returns::Type("std::path::PathBuf")),
    ("std::fs::read_dir", Returns::Type("std::fs::ReadDir")),
    (
        "image::load_from_memory",
        Returns::Type("image::DynamicImage"),
    ),
    (
        "image::load_from_memory_with_format",
        Returns::Type("image::DynamicImage"),
    ),
    ("image::open", Returns::Type("image::DynamicImage")),
    ("image::load", Returns::Type("image::DynamicImage")),
    // webp's encoder is built from an image or raw pixels (docs.rs/webp, struct `Encoder`).
    ("webp::Encoder::from_image", Returns::Type("webp::Encoder")),
    ("webp::Encoder::from_rgb", Returns::Type("webp::Encoder")),
    ("webp::Encoder::from_rgba", Returns::Type("webp::Encoder")),
    ("std::fs::canonicalize", Returns::Type("std::path::PathBuf")),
    // The `dirs` crate's directories are `Option<PathBuf>` (docs.rs/dirs); `?`, `unwrap` and
    // `Some(..)` patterns peel the option as they peel a `Result`.
    ("dirs::home_dir", Returns::Type("std::path::PathBuf")),
    ("dirs::cache_dir", Returns::Type("std::path::PathBuf")),
    ("dirs::config_dir", Returns::Type("std::path::PathBuf")),
    (
        "dirs::config_local_dir",
        Returns::Type("std::path::PathBuf"),
    ),
    ("dirs::data_dir", Returns::Type("std::path::PathBuf")),
    ("dirs::data_local_dir", Returns::Type("std::path::PathBuf")),
    ("dirs::runtime_dir", Returns::Type("std::path::PathBuf")),
    ("std::env::temp_dir", Returns::Type("std::path::PathBuf")),
    // redis's command builders, whose `query`/`execute` run on a sync connection
    ("redis::cmd", Returns::Type("redis::Cmd")),
    ("redis::pipe", Returns::Type("redis::Pipeline")),
    ("tokio::spawn", Returns::Type("tokio::task::JoinHandle")),
    (
        "tokio::task::spawn",
        Returns::Type("tokio::task::JoinHandle"),
    ),
];

/// A method with a known return type on a receiver of a known type.
#[derive(Debug, Clone, Copy)]
pub struct MethodReturns {
    /// Canonical receiver type; ending in `::*` matches every type of that module.
    pub receiver: &'static str,
    /// Method name; `*` for any method not listed before it.
    pub method: &'static str,
    /// What it returns.
    pub returns: Returns,
}

/// Methods with a known return type, first match wins.
pub const METHOD_RETURNS: &[MethodReturns] = &[
    MethodReturns {
        receiver: "std::process::Command",
        method: "spawn",
        returns: Returns::Type("std::process::Child"),
    },
    MethodReturns {
        receiver: "std::process::Command",
        method: "output",
        returns: Returns::Type("std::process::Output"),
    },
    MethodReturns {
        receiver: "std::process::Command",
        method: "status",
        returns: Returns::Type("std::process::ExitStatus"),
    },
    MethodReturns {
        receiver: "std::process::Command",
        method: "*",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "std::fs::OpenOptions",
        method: "open",
        returns: Returns::Type("std::fs::File"),
    },
    MethodReturns {
        receiver: "std::fs::OpenOptions",
        method: "*",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "std::io::Stdin",
        method: "lock",
        returns: Returns::Type("std::io::StdinLock"),
    },
    MethodReturns {
        receiver: "std::thread::Builder",
        method: "spawn",
        returns: Returns::Type("std::thread::JoinHandle"),
    },
    MethodReturns {
        receiver: "std::thread::Builder",
        method: "*",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "tokio::runtime::Builder",
        method: "build",
        returns: Returns::Type("tokio::runtime::Runtime"),
    },
    MethodReturns {
        receiver: "tokio::runtime::Builder",
        method: "*",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "tokio::runtime::Runtime",
        method: "handle",
        returns: Returns::Type("tokio::runtime::Handle"),
    },
    MethodReturns {
        receiver: "std::path::Path",
        method: "join",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::Path",
        method: "to_path_buf",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::Path",
        method: "with_extension",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "join",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "as_path",
        returns: Returns::Type("std::path::Path"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "with_extension",
        returns: Returns::Type("std::path::PathBuf"),
    },
    // A directory listing's entries and their paths: `for e in dir.read_dir()? { e?.path() }`.
    MethodReturns {
        receiver: "std::path::Path",
        method: "read_dir",
        returns: Returns::Type("std::fs::ReadDir"),
    },
    MethodReturns {
        receiver: "std::path::Path",
        method: "canonicalize",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::Path",
        method: "read_link",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::Path",
        method: "parent",
        returns: Returns::Type("std::path::Path"),
    },
    MethodReturns {
        receiver: "std::path::Path",
        method: "to_owned",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::Path",
        method: "with_file_name",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::Path",
        method: "strip_prefix",
        returns: Returns::Type("std::path::Path"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "read_dir",
        returns: Returns::Type("std::fs::ReadDir"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "canonicalize",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "read_link",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "parent",
        returns: Returns::Type("std::path::Path"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "to_owned",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "with_file_name",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "strip_prefix",
        returns: Returns::Type("std::path::Path"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "to_path_buf",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::path::PathBuf",
        method: "into_boxed_path",
        returns: Returns::Type("std::path::Path"),
    },
    MethodReturns {
        receiver: "std::fs::DirEntry",
        method: "path",
        returns: Returns::Type("std::path::PathBuf"),
    },
    MethodReturns {
        receiver: "std::fs::ReadDir",
        method: "next",
        returns: Returns::Type("std::fs::DirEntry"),
    },
    // notify-rust's builder methods return the notification (`&mut Self`); `show` does not.
    MethodReturns {
        receiver: "notify_rust::Notification",
        method: "show",
        returns: Returns::Type("notify_rust::NotificationHandle"),
    },
    MethodReturns {
        receiver: "notify_rust::Notification",
        method: "*",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "redis::Client",
        method: "get_connection",
        returns: Returns::Type("redis::Connection"),
    },
    MethodReturns {
        receiver: "rusqlite::Connection",
        method: "prepare",
        returns: Returns::Type("rusqlite::Statement"),
    },
    MethodReturns {
        receiver: "rusqlite::Connection",
        method: "prepare_cached",
        returns: Returns::Type("rusqlite::Statement"),
    },
    // write transactions of embedded stores, whose `commit` syncs the file
    MethodReturns {
        receiver: "heed::Env",
        method: "write_txn",
        returns: Returns::Type("heed::RwTxn"),
    },
    MethodReturns {
        receiver: "redb::Database",
        method: "begin_write",
        returns: Returns::Type("redb::WriteTransaction"),
    },
    MethodReturns {
        receiver: "lmdb::Environment",
        method: "begin_rw_txn",
        returns: Returns::Type("lmdb::RwTransaction"),
    },
    MethodReturns {
        receiver: "argon2::Argon2",
        method: "*",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "reqwest::blocking::*",
        method: "*",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "ureq::*",
        method: "*",
        returns: Returns::SameAsReceiver,
    },
    // `ImageReader::new(r).with_guessed_format()?.decode()?`: the image crate's reader builder
    // returns itself until `decode` gives the image (docs.rs/image, struct `ImageReader`;
    // `image::io::Reader` before 0.25); the image's transforms return a new image.
    MethodReturns {
        receiver: "image::ImageReader",
        method: "decode",
        returns: Returns::Type("image::DynamicImage"),
    },
    MethodReturns {
        receiver: "image::ImageReader",
        method: "with_guessed_format",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::ImageReader",
        method: "with_format",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::io::Reader",
        method: "decode",
        returns: Returns::Type("image::DynamicImage"),
    },
    MethodReturns {
        receiver: "image::io::Reader",
        method: "with_guessed_format",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::io::Reader",
        method: "with_format",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::DynamicImage",
        method: "rotate90",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::DynamicImage",
        method: "rotate180",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::DynamicImage",
        method: "rotate270",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::DynamicImage",
        method: "fliph",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::DynamicImage",
        method: "flipv",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::DynamicImage",
        method: "resize",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "image::DynamicImage",
        method: "thumbnail",
        returns: Returns::SameAsReceiver,
    },
    // `redis::cmd("SET").arg(k).arg(v)`: the builder methods return the command itself
    MethodReturns {
        receiver: "redis::Cmd",
        method: "arg",
        returns: Returns::SameAsReceiver,
    },
    MethodReturns {
        receiver: "redis::Pipeline",
        method: "*",
        returns: Returns::SameAsReceiver,
    },
];

/// Associated functions that, called on a type (`T::new(..)`), return that type (possibly in a
/// `Result`): the cheap constructor convention.
pub const SELF_CONSTRUCTORS: &[&str] = &[
    "new",
    "default",
    "with_capacity",
    "bind",
    "connect",
    "open",
    "create",
    "current",
    "try_current",
    "builder",
    "new_current_thread",
    "new_multi_thread",
    "from",
    "new_with",
    // the command-line parsers' derives (clap's `Parser`, structopt's `StructOpt`): a program's
    // `main` starts with `Args::parse()`
    "parse",
    "try_parse",
    "parse_from",
    "from_args",
];

/// Methods that return their receiver's value (possibly unwrapped from a `Result`), so the
/// light type passes through: `x.clone()`, `res.unwrap()`, `res.context(..)`.
pub const VALUE_PASSTHROUGH: &[&str] = &[
    "unwrap",
    "expect",
    "clone",
    "as_ref",
    "unwrap_or_else",
    "unwrap_or_default",
    "context",
    "with_context",
    // eyre's and color-eyre's `WrapErr` (`res.wrap_err_with(|| ..)?`)
    "wrap_err",
    "wrap_err_with",
    "map_err",
    "inspect_err",
    "as_mut",
    // `Result::ok` (light types peel `Result` and `Option` alike)
    "ok",
    // `Option::take` (`child.stdout.take()`); `Read::take` limits a reader that still blocks
    "take",
    // a once-cell's value (`ARGON.get_or_init(init)`); the cell itself is transparent
    "get_or_init",
    "get_or_try_init",
];

/// Wrappers that are transparent for our purposes: `Arc<Mutex<T>>` is a `Mutex` to us.
/// Once-cells and lazies (`OnceLock<Argon2>`, `LazyLock<Mutex<T>>`) hold or deref to their value.
pub const TRANSPARENT_WRAPPERS: &[&str] = &[
    "Arc",
    "Rc",
    "Box",
    "Cow",
    "Pin",
    "ManuallyDrop",
    "OnceLock",
    "LazyLock",
    "OnceCell",
    "Lazy",
];

/// Buffering wrappers: `BufReader::new(file)` reads from `file`, so it blocks when `file` does.
pub const IO_WRAPPERS: &[&str] = &["BufReader", "BufWriter", "LineWriter"];

/// Types whose methods all return a value of the same module (sticky modules), e.g. every
/// method on a `reqwest::blocking` type returns another blocking type.
pub fn returns_for_function(path: &str) -> Option<Returns> {
    CONSTRUCTOR_RETURNS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, r)| *r)
        .or_else(|| returns_for_sticky_module(path))
}

/// Every function of these modules returns a value of the module's client type.
pub(crate) fn returns_for_sticky_module(path: &str) -> Option<Returns> {
    ["reqwest::blocking::", "ureq::"]
        .iter()
        .find(|m| path.starts_with(**m))
        .map(|m| {
            Returns::Type(if m.starts_with("ureq") {
                "ureq::Request"
            } else {
                "reqwest::blocking::Client"
            })
        })
}

/// What `method` returns on a receiver of type `receiver`, if known.
///
/// ```
/// use asyncwise_lint::knowledge::types::{method_returns, Returns};
/// assert!(matches!(method_returns("std::process::Command", "arg"), Some(Returns::SameAsReceiver)));
/// ```
pub fn method_returns(receiver: &str, method: &str) -> Option<Returns> {
    METHOD_RETURNS
        .iter()
        .find(|m| {
            super::blocking::path_matches(m.receiver, receiver)
                && (m.method == method || m.method == "*")
        })
        .map(|m| m.returns)
}

/// What iterating over a value of a known type yields (possibly inside a `Result`, which `?`
/// and `Ok(..)` patterns peel): `for entry in dir.read_dir()? { entry?.path() }`.
pub const ITERATED_ITEMS: &[(&str, &str)] = &[("std::fs::ReadDir", "std::fs::DirEntry")];

/// The type of the items a `for` loop over a value of type `ty` binds, if known.
///
/// ```
/// use asyncwise_lint::knowledge::types::iterated_item;
/// assert_eq!(iterated_item("std::fs::ReadDir"), Some("std::fs::DirEntry"));
/// assert_eq!(iterated_item("std::path::PathBuf"), None);
/// ```
pub fn iterated_item(ty: &str) -> Option<&'static str> {
    ITERATED_ITEMS
        .iter()
        .find(|(container, _)| *container == ty)
        .map(|(_, item)| *item)
}

/// Web frameworks' shared-state handles, by canonical path: each derefs to the application
/// state it wraps (actix-web's `web::Data<T>` is an `Arc<T>` handed to every handler; axum's
/// `State<T>` and `Extension<T>` extractors hold the value as their field), so the light type
/// of `data.db` in a handler taking `data: web::Data<AppState>` is `AppState`'s field `db`.
pub const SHARED_STATE_WRAPPERS: &[&str] = &[
    "actix_web::web::Data",
    "actix_web::Data",
    "axum::extract::State",
    "axum::Extension",
    "axum::extract::Extension",
];

/// Public fields of library types, by (canonical owner, field): `child.stdout` of a std
/// `Child` is its `Option<ChildStdout>` pipe (doc.rust-lang.org, `std::process::Child`).
pub const LIBRARY_FIELDS: &[(&str, &str, &str)] = &[
    ("std::process::Child", "stdout", "std::process::ChildStdout"),
    ("std::process::Child", "stderr", "std::process::ChildStderr"),
    ("std::process::Child", "stdin", "std::process::ChildStdin"),
    ("std::process::Output", "stdout", "std::vec::Vec"),
];

/// The type of public field `field` of the library type `owner`, if known.
///
/// ```
/// use asyncwise_lint::knowledge::types::library_field;
/// assert_eq!(library_field("std::process::Child", "stdout"), Some("std::process::ChildStdout"));
/// assert_eq!(library_field("std::process::Child", "id"), None);
/// ```
pub fn library_field(owner: &str, field: &str) -> Option<&'static str> {
    LIBRARY_FIELDS
        .iter()
        .find(|(o, f, _)| *o == owner && *f == field)
        .map(|(_, _, ty)| *ty)
}
