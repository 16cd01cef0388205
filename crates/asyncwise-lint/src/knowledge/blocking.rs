//! Calls that block the calling thread, with the async replacement to suggest.

/// A free function or associated function that blocks.
#[derive(Debug, Clone, Copy)]
pub struct BlockingFn {
    /// Canonical path; a path ending in `::*` matches everything in that module.
    pub path: &'static str,
    /// What to use instead.
    pub hint: &'static str,
    /// What kind of cost it has.
    pub cost: Cost,
}

/// A method that blocks when called on a receiver of a given type.
#[derive(Debug, Clone, Copy)]
pub struct BlockingMethod {
    /// Canonical type path of the receiver; ending in `::*` matches every type of a module.
    pub receiver: &'static str,
    /// Method names.
    pub methods: &'static [&'static str],
    /// What to use instead.
    pub hint: &'static str,
    /// What kind of cost it has.
    pub cost: Cost,
}

/// What a blocking call costs the worker thread it runs on, which decides where it is worth
/// reporting by default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Cost {
    /// Local filesystem work (`std::fs`, `fs_err`, a std `File`'s reads and writes, `Path`
    /// methods that ask the filesystem): microseconds to milliseconds on a local disk, so it
    /// matters where it runs once per request, connection or other event, not where it runs
    /// once in a while.
    Filesystem,
    /// CPU work proportional to the size of its input, which the code does not show: decoding,
    /// encoding or resizing an image. A cover decoded per track change costs milliseconds; an
    /// upload or a proxied image decoded per request costs tens to hundreds of milliseconds of
    /// a worker, times the requests. Like [`Cost::Filesystem`], it matters where it runs once
    /// per request, connection or other event.
    Cpu,
    /// Waiting for a child process to finish (`Command::output`/`status`, `Child::wait`): as
    /// long as the program runs, but the program is a build tool, a package manager, a version
    /// check or an installer far more often than anything a server runs per request. Where it
    /// runs once per request, connection or event it stalls a worker per event, as any wait
    /// does; elsewhere it is a step of a command, an install or a start-up, which the user
    /// waits for anyway. On field sets 1–14, 1 of 22 labelled default findings of this kind
    /// off every per-event path was worth acting on (0 of 18 on the held-out sets). Reading a
    /// child's pipe is not this class: a read per line of a long-running child is a wait. A
    /// runner's channel receive or thread join is ([`THREAD_RESULT_WAITS`]): a function that
    /// waits for a child it started and for the threads carrying the child's output and exit
    /// waits for the child.
    ChildProcess,
    /// A wait with no bound the program controls (a sleep, a socket, DNS, standard input, a
    /// child process, a channel, a thread join, a lock or condition variable, a blocking HTTP or
    /// database client) or deliberately heavy CPU work (password hashing): harmful wherever it
    /// runs beside other tasks.
    #[default]
    Wait,
}

impl Cost {
    /// Is a call of this cost worth reporting by default only where it runs once per event (a
    /// request handler, a per-connection task; `blocking_in_async`'s per-event paths)?
    ///
    /// ```
    /// use asyncwise_lint::knowledge::blocking::Cost;
    /// assert!(Cost::Filesystem.per_event_only());
    /// assert!(Cost::Cpu.per_event_only());
    /// assert!(Cost::ChildProcess.per_event_only());
    /// assert!(!Cost::Wait.per_event_only());
    /// ```
    pub fn per_event_only(self) -> bool {
        matches!(self, Cost::Filesystem | Cost::Cpu | Cost::ChildProcess)
    }
}

pub(crate) const SLEEP_HINT: &str = "use `tokio::time::sleep(duration).await`";
pub(crate) const LOOKUP_HINT: &str = "use `tokio::net::lookup_host(..).await`";
pub(crate) const FS_HINT: &str =
    "use the `tokio::fs` equivalent, or run it in `tokio::task::spawn_blocking`";
pub(crate) const NET_HINT: &str =
    "use `tokio::net`, whose sockets yield to the runtime while they wait";
pub(crate) const PROCESS_HINT: &str =
    "use `tokio::process::Command`, or run it in `tokio::task::spawn_blocking`";
pub(crate) const MPSC_HINT: &str =
    "use `tokio::sync::mpsc` and `recv().await`, or receive in `tokio::task::spawn_blocking`";
const STDIN_READS: &[&str] = &[
    "read_line",
    "lines",
    "read_to_string",
    "read_to_end",
    "read",
    "read_exact",
    "bytes",
];
pub(crate) const STDIN_HINT: &str =
    "use `tokio::io::stdin()` with `AsyncBufReadExt`, or read in `tokio::task::spawn_blocking`";
pub(crate) const HASH_HINT: &str =
    "password hashing is deliberately slow CPU work: run it in `tokio::task::spawn_blocking`";
pub(crate) const DB_HINT: &str = "this client blocks on every query: use its async counterpart (`tokio-postgres`, `diesel-async`, `redis` with `query_async`, `tokio-rusqlite`) or run it in `tokio::task::spawn_blocking`";
pub(crate) const EMBEDDED_DB_HINT: &str = "a write transaction of an embedded database waits for the one writer at a time and syncs the file when it commits: run the transaction in `tokio::task::spawn_blocking`";
pub(crate) const TOKIO_BLOCKING_HINT: &str = "this panics when called from async code (it blocks the runtime's thread): `.await` the async form (`lock().await`, `recv().await`, `send(..).await`, `read().await`, `write().await`)";
const FILE_IO: &[&str] = &[
    "read",
    "read_to_string",
    "read_to_end",
    "read_exact",
    "write",
    "write_all",
    "write_fmt",
    "sync_all",
    "sync_data",
    "set_len",
    "metadata",
    "lines",
];
const PATH_FS: &[&str] = &[
    "exists",
    "try_exists",
    "is_file",
    "is_dir",
    "is_symlink",
    "metadata",
    "symlink_metadata",
    "canonicalize",
    "read_dir",
    "read_link",
];
pub(crate) const DECODE_HINT: &str = "decoding, encoding or resizing an image is CPU work proportional to its size: run it in `tokio::task::spawn_blocking`";
pub(crate) const HTTP_HINT: &str = "use an async client (e.g. `reqwest::Client` with `.await`), or run it in `tokio::task::spawn_blocking`";
pub(crate) const ARCHIVE_HINT: &str = "reading a whole archive or compressed stream is blocking I/O and CPU work proportional to its size: run it in `tokio::task::spawn_blocking` (or use `async-compression`/`tokio-tar`)";
pub(crate) const GIT_HINT: &str = "libgit2 does its network and disk work on the calling thread: run it in `tokio::task::spawn_blocking`";
pub(crate) const SMTP_HINT: &str = "`SmtpTransport` talks SMTP synchronously: use `AsyncSmtpTransport` with `send(..).await`, or run it in `tokio::task::spawn_blocking`";
pub(crate) const SOCKET2_HINT: &str = "a socket2 socket in blocking mode waits for the peer on this thread (up to the kernel's connect timeout): connect through `tokio::net::TcpSocket::from_std_stream(socket.into())`, or call `set_nonblocking(true)` first and wait for readiness with tokio";
pub(crate) const RAYON_HINT: &str = "the calling thread waits until the whole parallel job is done: hand it to rayon without waiting (`rayon::spawn`, `pool.spawn`) and `.await` its result over a `tokio::sync::oneshot` channel, or run the call in `tokio::task::spawn_blocking`";
pub(crate) const SCOPED_HINT: &str = "`scope_and_block` blocks the thread until every future of the scope is done: `.await` `scope_and_collect` instead, or use a `tokio::task::JoinSet`";
pub(crate) const ELECTRUM_HINT: &str = "the Electrum client and bdk's blocking blockchain backends make their RPC round trips on the calling thread (a wallet sync makes many): run the call in `tokio::task::spawn_blocking`, or use bdk's async backends (`esplora` with `async`)";
pub(crate) const SSH_HINT: &str = "`ssh2` blocks on its socket by default: run the session in `tokio::task::spawn_blocking` (or use an async SSH client such as `russh`)";

/// Blocking free functions.
pub const BLOCKING_FNS: &[BlockingFn] = &[
    BlockingFn {
        path: "std::thread::sleep",
        hint: SLEEP_HINT,
        cost: Cost::Wait,
    },
    // rayon's scope and join run their closures on the pool (offloaded, see `offload.rs`), and
    // return only when every job of the scope is done: the caller's thread waits for the whole
    // job (docs.rs/rayon: `scope` "returns once all spawned jobs have completed").
    BlockingFn {
        path: "rayon::scope",
        hint: RAYON_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "rayon::scope_fifo",
        hint: RAYON_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "rayon::in_place_scope",
        hint: RAYON_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "rayon::join",
        hint: RAYON_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "rayon::broadcast",
        hint: RAYON_HINT,
        cost: Cost::Wait,
    },
    // async-scoped's `scope_and_block` is `block_in_place` around a `block_on` of the scope
    // (docs.rs/async-scoped).
    BlockingFn {
        path: "async_scoped::TokioScope::scope_and_block",
        hint: SCOPED_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "async_scoped::Scope::scope_and_block",
        hint: SCOPED_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "std::fs::*",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "std::fs::File::open",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "std::fs::File::create",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "std::fs::File::create_new",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "std::net::TcpStream::connect",
        hint: NET_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "std::net::TcpStream::connect_timeout",
        hint: NET_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "std::net::ToSocketAddrs::to_socket_addrs",
        hint: LOOKUP_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "fs_err::*",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    // fs_extra's functions copy, move, remove, list and measure whole directory trees with
    // `std::fs` ("Copies the directory contents from one place to another recursively",
    // `dir::get_size`: "Returns the size of the file or directory ... recursively",
    // docs.rs/fs_extra).
    BlockingFn {
        path: "fs_extra::*",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "fs_extra::dir::*",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "fs_extra::file::*",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "fs_err::File::open",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "fs_err::File::create",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "bcrypt::*",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "rcrypt::*",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "scrypt::scrypt",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "pbkdf2::*",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "argon2::hash_encoded",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "argon2::hash_raw",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "argon2::verify_encoded",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    // Password hashing and key derivation beyond the crates above. Sources: the crates' docs
    // and sources. rust-argon2's `verify_raw` re-derives the hash (docs.rs/rust-argon2,
    // `argon2::verify_raw`); argon2-creds' `Config::verify` runs rust-argon2's `verify_encoded`
    // (github.com/realaravinth/argon2-creds, src/config.rs; the crate re-exports `Config` at its
    // root); scram's `hash_password` is PBKDF2-SHA256 over the given iterations
    // (docs.rs/scram, "should be used by AuthenticationProvider implementors to hash any
    // passwords"); ring's `pbkdf2::derive`/`verify` (docs.rs/ring, module `pbkdf2`);
    // password-auth's two functions hash with Argon2 by default (docs.rs/password-auth);
    // orion's `pwhash` hashes with Argon2i (docs.rs/orion, `pwhash::hash_password_verify`).
    BlockingFn {
        path: "argon2::verify_raw",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "argon2_creds::Config::verify",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "argon2_creds::config::Config::verify",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "scram::hash_password",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "ring::pbkdf2::derive",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "ring::pbkdf2::verify",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "password_auth::generate_hash",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "password_auth::verify_password",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "orion::pwhash::hash_password",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "orion::pwhash::hash_password_verify",
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    // Decoding an image: CPU work proportional to its size ([`Cost::Cpu`]). The image crate's
    // free functions "create a new image from a byte slice" (`load_from_memory`), "from a
    // Reader" (`load`) or open and decode a file (`open`) (docs.rs/image, crate root).
    BlockingFn {
        path: "image::load_from_memory",
        hint: DECODE_HINT,
        cost: Cost::Cpu,
    },
    BlockingFn {
        path: "image::load_from_memory_with_format",
        hint: DECODE_HINT,
        cost: Cost::Cpu,
    },
    BlockingFn {
        path: "image::load",
        hint: DECODE_HINT,
        cost: Cost::Cpu,
    },
    BlockingFn {
        path: "image::open",
        hint: DECODE_HINT,
        cost: Cost::Cpu,
    },
    BlockingFn {
        path: "rusqlite::Connection::open",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "rusqlite::Connection::open_with_flags",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "postgres::Client::connect",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "postgres::Config::connect",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "diesel::Connection::establish",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "diesel::pg::PgConnection::establish",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "diesel::PgConnection::establish",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "diesel::mysql::MysqlConnection::establish",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "diesel::MysqlConnection::establish",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "diesel::sqlite::SqliteConnection::establish",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "diesel::SqliteConnection::establish",
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "reqwest::blocking::*",
        hint: HTTP_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "ureq::*",
        hint: HTTP_HINT,
        cost: Cost::Wait,
    },
    // Registry crates that do their work on the calling thread. zstd's `decode_all` and
    // `encode_all` run a whole stream ("Decompress from the given source as if using a
    // Decoder", docs.rs/zstd); `bulk` compresses whole buffers.
    BlockingFn {
        path: "zstd::decode_all",
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "zstd::encode_all",
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "zstd::stream::*",
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "zstd::bulk::*",
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    // Not here: tempfile's `tempfile()`/`tempdir()`/`NamedTempFile::new` (one create-and-open,
    // like `create_dir`; a handler's temp file per upload was labelled noise on set 6, and the
    // test corpus's temp directories are not findings).
    // git2 is libgit2's binding: every operation runs synchronously on the caller's thread
    // (clone and fetch over the network, open and discover on disk; docs.rs/git2).
    BlockingFn {
        path: "git2::Repository::clone",
        hint: GIT_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "git2::Repository::clone_recurse",
        hint: GIT_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "git2::Repository::open",
        hint: GIT_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "git2::Repository::discover",
        hint: GIT_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "git2::Repository::init",
        hint: GIT_HINT,
        cost: Cost::Filesystem,
    },
    // The ffprobe crate is a "wrapper for the ffprobe CLI utility": `ffprobe` "execute[s]
    // ffprobe with default settings and return[s] the extracted data", `ffprobe_config` with a
    // custom config (docs.rs/ffprobe); both run the program with std's `Command::output`.
    BlockingFn {
        path: "ffprobe::ffprobe",
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "ffprobe::ffprobe_config",
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
    // The glob crate's `glob` and `glob_with` "allow querying the filesystem for all files
    // that match a particular pattern" (docs.rs/glob, crate docs): a directory listing, like
    // `std::fs::read_dir`, made as the returned iterator is read.
    BlockingFn {
        path: "glob::glob",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "glob::glob_with",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    // Directory-tree walkers read the filesystem as they are iterated or run: walkdir's
    // `WalkDir` is "a builder to create an iterator for recursively walking a directory"
    // (docs.rs/walkdir), the ignore crate's `Walk`/`WalkBuilder` walk "a directory
    // recursively" and `WalkParallel::run` blocks until the whole walk is done
    // (docs.rs/ignore), jwalk walks in parallel with rayon and yields as it goes.
    BlockingFn {
        path: "walkdir::WalkDir::new",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "ignore::Walk::new",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "ignore::WalkBuilder::new",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingFn {
        path: "jwalk::WalkDir::new",
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    // cargo's library API runs cargo's commands on the calling thread: `ops::doc` is the "main
    // method for `cargo doc`" (docs.rs/cargo, `ops::doc`), which resolves and downloads the
    // dependencies and runs rustdoc as child processes until the build ends; `compile`,
    // `package`, `publish`, `install` and `fetch` are the other commands' (module `ops`).
    BlockingFn {
        path: "cargo::ops::doc",
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "cargo::ops::compile",
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "cargo::ops::package",
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "cargo::ops::publish",
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "cargo::ops::install",
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
    BlockingFn {
        path: "cargo::ops::fetch",
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
];

/// Blocking methods, by receiver type.
pub const BLOCKING_METHODS: &[BlockingMethod] = &[
    BlockingMethod {
        receiver: "std::fs::OpenOptions",
        methods: &["open"],
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "std::io::Stdin",
        methods: STDIN_READS,
        hint: STDIN_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::io::StdinLock",
        methods: STDIN_READS,
        hint: STDIN_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::net::TcpListener",
        methods: &["accept", "incoming"],
        hint: NET_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::net::UdpSocket",
        methods: &["recv", "recv_from", "peek", "peek_from"],
        hint: NET_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::process::Command",
        methods: &["output", "status"],
        hint: PROCESS_HINT,
        cost: Cost::ChildProcess,
    },
    BlockingMethod {
        receiver: "std::process::Child",
        methods: &["wait", "wait_with_output"],
        hint: PROCESS_HINT,
        cost: Cost::ChildProcess,
    },
    // A child's pipes (`Stdio::piped()`): a read waits for the child to write.
    BlockingMethod {
        receiver: "std::process::ChildStdout",
        methods: STDIN_READS,
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::process::ChildStderr",
        methods: STDIN_READS,
        hint: PROCESS_HINT,
        cost: Cost::Wait,
    },
    // A pool's `install`, `scope` and `join` wait for the job they run on the pool, as rayon's
    // free functions do (docs.rs/rayon: `ThreadPool::install` "blocks the current thread").
    BlockingMethod {
        receiver: "rayon::ThreadPool",
        methods: &[
            "install",
            "scope",
            "scope_fifo",
            "in_place_scope",
            "join",
            "broadcast",
        ],
        hint: RAYON_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::sync::mpsc::Receiver",
        methods: &["recv", "recv_timeout", "iter", "into_iter"],
        hint: MPSC_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "crossbeam_channel::Receiver",
        methods: &["recv", "recv_timeout", "iter", "into_iter"],
        hint: MPSC_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::sync::Condvar",
        methods: &[
            "wait",
            "wait_while",
            "wait_timeout",
            "wait_timeout_while",
            "wait_timeout_ms",
        ],
        hint: "use `tokio::sync::Notify` (or a `tokio::sync::watch` channel) and `.await` it",
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::sync::Barrier",
        methods: &["wait"],
        hint: "use `tokio::sync::Barrier` and `.await` it",
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::thread::JoinHandle",
        methods: &["join"],
        hint: "await a `tokio::task::spawn_blocking` handle instead of joining a thread",
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "std::fs::File",
        methods: FILE_IO,
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "fs_err::File",
        methods: FILE_IO,
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "fs_err::OpenOptions",
        methods: &["open"],
        hint: FS_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "std::path::Path",
        methods: PATH_FS,
        hint: "these ask the filesystem: use `tokio::fs::metadata`/`try_exists`/`canonicalize`/`read_dir`/`read_link`, or run it in `tokio::task::spawn_blocking`",
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "std::path::PathBuf",
        methods: PATH_FS,
        hint: "these ask the filesystem: use `tokio::fs::metadata`/`try_exists`/`canonicalize`/`read_dir`/`read_link`, or run it in `tokio::task::spawn_blocking`",
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "argon2::Argon2",
        methods: &["hash_password", "hash_password_into", "verify_password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "scrypt::Scrypt",
        methods: &["hash_password", "verify_password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "pbkdf2::Pbkdf2",
        methods: &["hash_password", "verify_password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    // argon2-creds' `Config::password` hashes with rust-argon2's `hash_encoded`
    // (github.com/realaravinth/argon2-creds, src/config.rs).
    BlockingMethod {
        receiver: "argon2_creds::Config",
        methods: &["password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "argon2_creds::config::Config",
        methods: &["password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    // The password-hash crate's `PasswordHash::verify_password` runs each given hasher
    // (`&[&Argon2::default()]`) over the password (docs.rs/password-hash, trait
    // `PasswordVerifier`: "One such abstraction is provided by the PasswordHash::verify_password
    // method"); the hashing crates re-export the type.
    BlockingMethod {
        receiver: "password_hash::PasswordHash",
        methods: &["verify_password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "password_hash::phc::PasswordHash",
        methods: &["verify_password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "argon2::PasswordHash",
        methods: &["verify_password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "argon2::password_hash::PasswordHash",
        methods: &["verify_password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "pbkdf2::password_hash::PasswordHash",
        methods: &["verify_password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "scrypt::password_hash::PasswordHash",
        methods: &["verify_password"],
        hint: HASH_HINT,
        cost: Cost::Wait,
    },
    // The image crate's `ImageReader` (`image::io::Reader` before 0.25) "wraps an input reader
    // to facilitate automatic detection of an image's format, appropriate decoding method, and
    // dispatches into the set of supported ImageDecoder implementations": `decode` decodes the
    // whole image (docs.rs/image, struct `ImageReader`). `DynamicImage`'s `resize`/`thumbnail`/
    // `blur` touch every pixel, and `write_to`/`save`/`save_with_format` encode the image
    // ("Encode this image and write it to w", docs.rs/image, struct `DynamicImage`).
    BlockingMethod {
        receiver: "image::ImageReader",
        methods: &["decode"],
        hint: DECODE_HINT,
        cost: Cost::Cpu,
    },
    BlockingMethod {
        receiver: "image::io::Reader",
        methods: &["decode"],
        hint: DECODE_HINT,
        cost: Cost::Cpu,
    },
    BlockingMethod {
        receiver: "image::DynamicImage",
        methods: &[
            "resize",
            "resize_exact",
            "resize_to_fill",
            "thumbnail",
            "blur",
            "write_to",
            "save",
            "save_with_format",
        ],
        hint: DECODE_HINT,
        cost: Cost::Cpu,
    },
    // The webp crate's `Encoder` "encode[s] the image with the given quality" with libwebp on
    // the calling thread (docs.rs/webp, struct `Encoder`: `encode`, `encode_lossless`,
    // `encode_advanced`).
    BlockingMethod {
        receiver: "webp::Encoder",
        methods: &[
            "encode",
            "encode_lossless",
            "encode_advanced",
            "encode_simple",
        ],
        hint: DECODE_HINT,
        cost: Cost::Cpu,
    },
    BlockingMethod {
        receiver: "notify_rust::Notification",
        methods: &["show"],
        hint: "`Notification::show` makes a synchronous D-Bus call to the notification server: use `show_async` (notify-rust's `zbus` backend) or run it in `tokio::task::spawn_blocking`",
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "rusqlite::Connection",
        methods: &[
            "execute",
            "execute_batch",
            "query_row",
            "query_row_and_then",
            "prepare",
            "prepare_cached",
            "transaction",
            "backup",
        ],
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "rusqlite::Statement",
        methods: &[
            "query",
            "query_map",
            "query_row",
            "query_and_then",
            "execute",
            "exists",
            "insert",
        ],
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    // Embedded key-value stores with a single writer: beginning a write transaction waits
    // while another one is in progress (docs.rs/redb `Database`: "Only a single write may be
    // in progress at a time"; LMDB serialises writers with a mutex), and a commit writes and
    // syncs the file. Local storage work, as `std::fs` is: default on a per-event path (a
    // write transaction per request), the pedantic form elsewhere (on field sets 1-15 a client
    // wallet's store written once per user action made 28 findings of the default form when
    // these were waits of the default class).
    BlockingMethod {
        receiver: "heed::Env",
        methods: &["write_txn"],
        hint: EMBEDDED_DB_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "heed::RwTxn",
        methods: &["commit"],
        hint: EMBEDDED_DB_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "redb::Database",
        methods: &["begin_write"],
        hint: EMBEDDED_DB_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "redb::WriteTransaction",
        methods: &["commit"],
        hint: EMBEDDED_DB_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "lmdb::Environment",
        methods: &["begin_rw_txn"],
        hint: EMBEDDED_DB_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "lmdb::RwTransaction",
        methods: &["commit"],
        hint: EMBEDDED_DB_HINT,
        cost: Cost::Filesystem,
    },
    BlockingMethod {
        receiver: "postgres::Client",
        methods: &[
            "query",
            "query_one",
            "query_opt",
            "query_raw",
            "execute",
            "batch_execute",
            "simple_query",
            "prepare",
            "transaction",
            "copy_in",
            "copy_out",
        ],
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "redis::Client",
        methods: &["get_connection", "get_connection_with_timeout"],
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    // electrum-client's `Client` speaks JSON-RPC over a std TCP/TLS socket ("a synchronous
    // client", docs.rs/electrum-client): every `ElectrumApi` call is a round trip on this
    // thread. bdk (0.x) re-exports it and builds its `ElectrumBlockchain` and a wallet's
    // `sync` on it.
    BlockingMethod {
        receiver: "electrum_client::Client",
        methods: ELECTRUM_API,
        hint: ELECTRUM_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "bdk::electrum_client::Client",
        methods: ELECTRUM_API,
        hint: ELECTRUM_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "bdk::blockchain::ElectrumBlockchain",
        methods: &[
            "get_tx",
            "broadcast",
            "estimate_fee",
            "get_height",
            "get_block_hash",
            "wallet_setup",
        ],
        hint: ELECTRUM_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "bdk::Wallet",
        methods: &["sync"],
        hint: ELECTRUM_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "redis::Connection",
        methods: &[
            "get",
            "set",
            "set_ex",
            "set_nx",
            "del",
            "exists",
            "expire",
            "incr",
            "decr",
            "mget",
            "mset",
            "hget",
            "hset",
            "hgetall",
            "hdel",
            "lpush",
            "rpush",
            "lpop",
            "rpop",
            "lrange",
            "sadd",
            "smembers",
            "zadd",
            "zrange",
            "publish",
            "keys",
            "req_command",
            "query",
        ],
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "redis::Cmd",
        methods: &["query", "execute"],
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "redis::Pipeline",
        methods: &["query", "execute"],
        hint: DB_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "r2d2::Pool",
        methods: &["get"],
        hint: "`r2d2::Pool::get` blocks until a connection is free: use an async pool (`deadpool`, `bb8`), or take it in `tokio::task::spawn_blocking`",
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "reqwest::blocking::*",
        methods: &["send", "text", "json", "bytes", "execute", "copy_to"],
        hint: HTTP_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "ureq::*",
        methods: &[
            "call",
            "send",
            "send_string",
            "send_json",
            "send_bytes",
            "send_form",
            "into_string",
            "into_json",
            "read_to_string",
        ],
        hint: HTTP_HINT,
        cost: Cost::Wait,
    },
    // tar reads entries from its reader and writes files with std::fs ("Unpacks the contents
    // tarball into the specified dst", docs.rs/tar): over a decompressor, the whole stream is
    // decompressed on this thread.
    BlockingMethod {
        receiver: "tar::Archive",
        methods: &["unpack", "entries"],
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "tar::Entry",
        methods: &["unpack", "unpack_in"],
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        // Only the methods that read files: a builder over a `Vec` finishes in memory.
        receiver: "tar::Builder",
        methods: &[
            "append_dir_all",
            "append_path",
            "append_path_with_name",
            "append_file",
        ],
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    // The std `Read`/`Write` adapters of the compression crates (flate2, xz2, zstd, bzip2)
    // compress or decompress as they are read or written: reading a whole stream to its end or
    // finishing an encoder is CPU work proportional to its size, on this thread.
    BlockingMethod {
        receiver: "flate2::read::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "flate2::write::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "flate2::bufread::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "xz2::read::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "xz2::write::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "xz2::bufread::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "zstd::stream::read::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "zstd::stream::write::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "zstd::stream::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "bzip2::read::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "bzip2::write::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "bzip2::bufread::*",
        methods: WHOLE_STREAM,
        hint: ARCHIVE_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "git2::Remote",
        methods: &["fetch", "push", "connect", "download", "connect_auth"],
        hint: GIT_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "git2::build::RepoBuilder",
        methods: &["clone"],
        hint: GIT_HINT,
        cost: Cost::Wait,
    },
    // socket2's `Socket` is in blocking mode until `set_nonblocking(true)`: `connect` and
    // `accept` wait for the peer (see [`MODE_DEPENDENT_SOCKET_METHODS`]), and `connect_timeout`
    // "waits for the connection to complete with poll(2)" in any mode (docs.rs/socket2).
    BlockingMethod {
        receiver: SOCKET2,
        methods: &["connect", "connect_timeout", "accept"],
        hint: SOCKET2_HINT,
        cost: Cost::Wait,
    },
    // lettre's `SmtpTransport` is its blocking transport ("Synchronously send an email",
    // docs.rs/lettre); `AsyncSmtpTransport` is the async one.
    BlockingMethod {
        receiver: "lettre::SmtpTransport",
        methods: &["send", "send_raw", "test_connection"],
        hint: SMTP_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "lettre::transport::smtp::SmtpTransport",
        methods: &["send", "send_raw", "test_connection"],
        hint: SMTP_HINT,
        cost: Cost::Wait,
    },
    // ssh2 sessions are blocking unless set non-blocking ("By default, all I/O is blocking",
    // docs.rs/ssh2 `Session::set_blocking`).
    BlockingMethod {
        receiver: "ssh2::Session",
        methods: &[
            "handshake",
            "userauth_password",
            "userauth_pubkey_file",
            "userauth_agent",
            "channel_session",
            "scp_recv",
            "scp_send",
            "sftp",
        ],
        hint: SSH_HINT,
        cost: Cost::Wait,
    },
    BlockingMethod {
        receiver: "ssh2::Channel",
        methods: &[
            "exec",
            "read_to_string",
            "read_to_end",
            "wait_close",
            "write_all",
        ],
        hint: SSH_HINT,
        cost: Cost::Wait,
    },
];

/// Methods of a compression crate's reader or writer that run a whole stream through it.
const WHOLE_STREAM: &[&str] = &["read_to_end", "read_to_string", "finish", "try_finish"];

/// A method that blocks whatever the receiver's type, when that type is not known to be
/// something else: the names are distinctive.
#[derive(Debug, Clone, Copy)]
pub struct BlockingMethodName {
    /// Method names.
    pub methods: &'static [&'static str],
    /// Receiver types (or `module::*`) the method is reported on when the type is known; an
    /// unknown receiver is always reported.
    pub receivers: &'static [&'static str],
    /// What to use instead.
    pub hint: &'static str,
    /// Receiver types the method never blocks on, although the name matches.
    pub never_on: &'static [&'static str],
}

/// Receivers whose `to_socket_addrs` builds the address without asking the resolver. std's docs
/// (`std::net::ToSocketAddrs`): for `SocketAddr` it "is the identity function"; for
/// `SocketAddrV4`, `SocketAddrV6` and `(IpAddr, u16)` (also `Ipv4Addr`/`Ipv6Addr`) it
/// "constructs a `SocketAddr` trivially". A string is first parsed as a numeric address and
/// only a host name goes to getaddrinfo, so the walker reads a literal that parses as one
/// (`"127.0.0.1:80"`, `("10.0.0.1", 80)`) as a `SocketAddr` too.
pub const NUMERIC_ADDRESS_TYPES: &[&str] = &[
    "std::net::SocketAddr",
    "std::net::SocketAddrV4",
    "std::net::SocketAddrV6",
];

/// IP address types: a `(ip, port)` pair of one of them is a numeric address.
pub const IP_ADDRESS_TYPES: &[&str] = &[
    "std::net::IpAddr",
    "std::net::Ipv4Addr",
    "std::net::Ipv6Addr",
];

/// Methods reported by name.
pub const BLOCKING_METHOD_NAMES: &[BlockingMethodName] = &[
    BlockingMethodName {
        methods: &["to_socket_addrs"],
        receivers: &["*"],
        hint: "`to_socket_addrs` resolves the name with a blocking DNS lookup: use `tokio::net::lookup_host(..).await`",
        never_on: NUMERIC_ADDRESS_TYPES,
    },
    BlockingMethodName {
        methods: PANICS_IN_ASYNC,
        receivers: &[
            "tokio::sync::*",
            "tokio::sync::mpsc::*",
            "tokio::sync::oneshot::*",
        ],
        hint: TOKIO_BLOCKING_HINT,
        never_on: &[],
    },
];

/// tokio's `blocking_*` methods of its sync primitives. Each "panics if called within an
/// asynchronous execution context" (tokio's docs of `Mutex::blocking_lock`,
/// `mpsc::Receiver::blocking_recv`, `Sender::blocking_send`, `RwLock::blocking_read`, ...): in
/// async code they are a crash, not a stall, so `blocking_in_async` reports them in the default
/// form wherever async code calls them, directly or through a sync helper.
pub const PANICS_IN_ASYNC: &[&str] = &[
    "blocking_lock",
    "blocking_lock_owned",
    "blocking_recv",
    "blocking_recv_many",
    "blocking_send",
    "blocking_read",
    "blocking_write",
];

/// Does the blocking table's advice `hint` (a finding's help) belong to one of the
/// [`PANICS_IN_ASYNC`] methods?
///
/// ```
/// use asyncwise_lint::knowledge::blocking::{blocking_method_name, panics_in_async};
/// let row = blocking_method_name("blocking_recv", Some("tokio::sync::mpsc::Receiver")).unwrap();
/// assert!(panics_in_async(row.hint));
/// assert!(!panics_in_async(blocking_method_name("to_socket_addrs", None).unwrap().hint));
/// ```
pub fn panics_in_async(hint: &str) -> bool {
    hint.contains(TOKIO_BLOCKING_HINT)
}

/// Functions that read from (or write to) the reader or writer given as their first argument:
/// blocking when that is a std `File` or standard input.
pub const READER_FNS: &[&str] = &[
    "serde_json::from_reader",
    "serde_json::to_writer",
    "serde_json::to_writer_pretty",
    "serde_yaml::from_reader",
    "serde_yaml::to_writer",
    "serde_cbor::from_reader",
    "ciborium::from_reader",
    "ciborium::into_writer",
    "ciborium::de::from_reader",
    "rmp_serde::from_read",
    "bincode::deserialize_from",
    "bincode::serialize_into",
    "csv::Reader::from_reader",
    "std::io::copy",
    "std::io::read_to_string",
];

/// Types that block when read or written: arguments that make a [`READER_FNS`] call blocking,
/// and receivers of `write!`/`writeln!`.
pub const BLOCKING_IO_TYPES: &[&str] = &[
    "std::fs::File",
    "fs_err::File",
    "std::io::Stdin",
    "std::io::StdinLock",
    "std::process::ChildStdout",
    "std::process::ChildStderr",
];

/// The cost of reading or writing a value of blocking I/O type `io` (one of
/// [`BLOCKING_IO_TYPES`]): a std `File` is filesystem work, standard input a wait on the user.
///
/// ```
/// use asyncwise_lint::knowledge::blocking::{Cost, io_cost};
/// assert_eq!(io_cost("std::fs::File"), Cost::Filesystem);
/// assert_eq!(io_cost("std::io::Stdin"), Cost::Wait);
/// ```
pub fn io_cost(io: &str) -> Cost {
    if matches!(io, "std::fs::File" | "fs_err::File") {
        Cost::Filesystem
    } else {
        Cost::Wait
    }
}

/// Receivers whose blocking calls wait for threads the caller started: a std or crossbeam
/// channel's receive, a thread's join. A sync function that also waits for a child process is
/// a runner (it hands the child's pipes and its exit to threads and waits on their channel or
/// joins them until the child is done): such a wait is the child's, of class
/// [`Cost::ChildProcess`], as `Command::output` is. Elsewhere it stays a [`Cost::Wait`].
pub const THREAD_RESULT_WAITS: &[&str] = &[
    "std::sync::mpsc::Receiver",
    "crossbeam_channel::Receiver",
    "std::thread::JoinHandle",
];

/// Does a blocking call on a receiver of type `receiver` wait for threads the caller started
/// ([`THREAD_RESULT_WAITS`])?
///
/// ```
/// use asyncwise_lint::knowledge::blocking::waits_for_threads;
/// assert!(waits_for_threads("std::sync::mpsc::Receiver"));
/// assert!(waits_for_threads("std::thread::JoinHandle"));
/// assert!(!waits_for_threads("std::fs::File"));
/// ```
pub fn waits_for_threads(receiver: &str) -> bool {
    THREAD_RESULT_WAITS.contains(&receiver)
}

/// The name-matched blocking method `method`, reported on a receiver of type `receiver`
/// (`None`: not known).
///
/// ```
/// use asyncwise_lint::knowledge::blocking::blocking_method_name;
/// assert!(blocking_method_name("to_socket_addrs", None).is_some());
/// assert!(blocking_method_name("blocking_lock", Some("tokio::sync::Mutex")).is_some());
/// assert!(blocking_method_name("blocking_lock", Some("my::Lock")).is_none());
/// // a numeric address is not looked up
/// assert!(blocking_method_name("to_socket_addrs", Some("std::net::SocketAddr")).is_none());
/// ```
pub fn blocking_method_name(
    method: &str,
    receiver: Option<&str>,
) -> Option<&'static BlockingMethodName> {
    BLOCKING_METHOD_NAMES.iter().find(|b| {
        b.methods.contains(&method)
            && receiver.is_none_or(|r| {
                b.receivers.iter().any(|p| *p == "*" || path_matches(p, r))
                    && !b.never_on.contains(&r)
            })
    })
}

/// Names of async functions that run once while a program or a component starts: blocking
/// calls directly in their bodies (outside loops) are the pedantic form of
/// `blocking_in_async`. On real repositories these were creating a data directory, reading a
/// certificate or checking a configured path.
pub const SETUP_FNS: &[&str] = &[
    "main",
    "new",
    "open",
    "init",
    "initialize",
    "prepare",
    "setup",
    "set_up",
    "bootstrap",
    "from_config",
    "create",
];

/// Prefixes of set-up functions' names (`init_logging`, `setup_sink_consumers`,
/// `bootstrap_cluster`): like [`SETUP_FNS`], their bodies run once when a program or component
/// starts. On the field sets (1-18) none of the 23 findings in such functions outside tests
/// was worth changing (a listener's certificate, a connector's schema file, an endpoint's bind
/// address). `start_` and `build_` are left out: `start_server` served per-connection work,
/// and `build_response` runs per request.
pub const SETUP_FN_PREFIXES: &[&str] = &["init_", "initialize_", "setup_", "set_up_", "bootstrap_"];

/// Crates whose `#[CRATE::main]` attribute makes an async fn a program's entry point.
pub const RUNTIME_ENTRY_CRATES: &[&str] = &["tokio", "actix_web", "actix_rt", "async_std", "ntex"];

/// Blocking calls that only touch file metadata (a `stat`, a `chmod`, creating or removing one
/// entry): microseconds on a local disk. On 18 real repositories none of 37 such findings was
/// worth changing, so they are the pedantic form of `blocking_in_async`; reading or writing
/// contents, listing directories and DNS stay in the default form.
pub const METADATA_ONLY_FNS: &[&str] = &[
    "metadata",
    "symlink_metadata",
    "set_permissions",
    "remove_file",
    "remove_dir",
    "create_dir",
    "create_dir_all",
    "rename",
    "canonicalize",
    "hard_link",
    "soft_link",
    "exists",
    "try_exists",
    "read_link",
];

/// `Path`/`PathBuf` methods that only touch metadata (see [`METADATA_ONLY_FNS`]).
pub const METADATA_ONLY_METHODS: &[&str] = &[
    "exists",
    "try_exists",
    "is_file",
    "is_dir",
    "is_symlink",
    "metadata",
    "symlink_metadata",
    "canonicalize",
    "read_link",
];

/// Is a call of `path` (a free function) or of method `method` on `receiver` metadata-only?
///
/// ```
/// use asyncwise_lint::knowledge::blocking::metadata_only;
/// assert!(metadata_only(Some("std::fs::create_dir_all"), None));
/// assert!(metadata_only(None, Some(("std::path::PathBuf", "exists"))));
/// assert!(!metadata_only(Some("std::fs::read"), None));
/// ```
pub fn metadata_only(path: Option<&str>, method: Option<(&str, &str)>) -> bool {
    let fs_fn = |p: &str| {
        ["std::fs::", "fs_err::"].iter().any(|m| {
            p.strip_prefix(m)
                .is_some_and(|name| METADATA_ONLY_FNS.contains(&name))
        })
    };
    let path_method = |(receiver, name): (&str, &str)| {
        matches!(receiver, "std::path::Path" | "std::path::PathBuf")
            && METADATA_ONLY_METHODS.contains(&name)
    };
    path.is_some_and(fs_fn) || method.is_some_and(path_method)
}

/// Methods of [`SOCKET2`]'s `Socket` that wait only in blocking mode: socket2's `connect`
/// "directly corresponds to the `connect(2)` function" (docs.rs/socket2, `Socket::connect`),
/// which blocks until the connection is made unless the socket is non-blocking, and makes no
/// connection on a datagram socket (POSIX `connect()`); `accept` waits for a connection the same
/// way. After `set_nonblocking(true)` on the same socket, or on a socket created with
/// `Type::DGRAM`, they return at once.
pub const MODE_DEPENDENT_SOCKET_METHODS: &[&str] = &["connect", "accept"];

/// The socket2 crate's socket type.
pub const SOCKET2: &str = "socket2::Socket";

/// socket2's constructors (`Socket::new(domain, ty, protocol)`, `Socket::new_raw` with the
/// same arguments), whose type argument [`DATAGRAM_SOCKET_TYPE`] makes a datagram socket and a
/// type made with [`NON_BLOCKING_TYPE_METHOD`] or [`NON_BLOCKING_SOCKET_FLAG`] a non-blocking
/// one.
pub const SOCKET2_CONSTRUCTORS: &[&str] = &["socket2::Socket::new", "socket2::Socket::new_raw"];

/// socket2's `Type::nonblocking` (`Type::STREAM.nonblocking()`): "Set `SOCK_NONBLOCK` on the
/// `Type`" (docs.rs/socket2, Linux, Android and the BSDs), so the socket is created in
/// non-blocking mode and its `connect` returns at once.
pub const NON_BLOCKING_TYPE_METHOD: &str = "nonblocking";

/// The `socket(2)` type flag that creates a socket in non-blocking mode (`SOCK_NONBLOCK`,
/// from `libc` or `nix`), when a socket's type is built from raw flags.
pub const NON_BLOCKING_SOCKET_FLAG: &str = "SOCK_NONBLOCK";

/// A socket's `connect` and the error by which connect(2) on a *non-blocking* socket says the
/// connection is under way (`EINPROGRESS`, from `libc` or `nix`): a caller that handles it on
/// the spot made its socket non-blocking (read by `model::analysis::in_progress`).
pub const CONNECT_METHOD: &str = "connect";
/// See [`CONNECT_METHOD`].
pub const IN_PROGRESS_ERRNO: &str = "EINPROGRESS";

/// The last segment of socket2's datagram socket type (`Type::DGRAM`).
pub const DATAGRAM_SOCKET_TYPE: &str = "DGRAM";

/// The round trips of electrum-client's `ElectrumApi` (docs.rs/electrum-client).
const ELECTRUM_API: &[&str] = &[
    "raw_call",
    "batch_call",
    "block_headers_subscribe",
    "block_headers_subscribe_raw",
    "block_headers_pop",
    "block_header",
    "block_header_raw",
    "block_headers",
    "batch_block_header",
    "estimate_fee",
    "batch_estimate_fee",
    "relay_fee",
    "script_subscribe",
    "script_unsubscribe",
    "script_pop",
    "script_get_balance",
    "batch_script_get_balance",
    "script_get_history",
    "batch_script_get_history",
    "script_list_unspent",
    "batch_script_list_unspent",
    "transaction_get",
    "transaction_get_raw",
    "batch_transaction_get",
    "batch_transaction_get_raw",
    "transaction_broadcast",
    "transaction_broadcast_raw",
    "transaction_get_merkle",
    "server_features",
    "ping",
];

/// The method that puts a socket in non-blocking mode when called with `true`
/// (`sock.set_nonblocking(true)`, std's and socket2's sockets).
pub const NON_BLOCKING_SETTER: &str = "set_nonblocking";

/// Roots of kernel virtual filesystems answered from kernel memory. procfs "is a
/// pseudo-filesystem which provides an interface to kernel data structures" (proc(5)), and the
/// cgroup hierarchy under `/sys/fs/cgroup` exports the kernel's own accounting: a file there
/// never waits for a disk, so `std::fs` calls on a literal path under them are not blocking
/// calls. Not the rest of sysfs: its device attributes are read through the driver's `show`
/// callback, which may talk to the hardware (a hwmon or thermal sensor behind I2C or ACPI takes
/// milliseconds). Not `/proc` itself: listing it enumerates every process of the machine, and
/// a scan that then reads each one's files is work proportional to the process count (as
/// sysinfo's refresh of all processes is).
pub const KERNEL_FS_ROOTS: &[&str] = &["/proc", "/sys/fs/cgroup"];

/// Is `path` (a literal path) under one of [`KERNEL_FS_ROOTS`], other than the process list
/// `/proc` itself?
///
/// ```
/// use asyncwise_lint::knowledge::blocking::under_kernel_fs;
/// assert!(under_kernel_fs("/proc/meminfo"));
/// assert!(under_kernel_fs("/proc/{pid}/stat"));
/// assert!(under_kernel_fs("/sys/fs/cgroup/cpu.max"));
/// assert!(!under_kernel_fs("/proc"));
/// assert!(!under_kernel_fs("/sys/class/thermal/thermal_zone0/temp"));
/// assert!(!under_kernel_fs("/processes/list"));
/// assert!(!under_kernel_fs("proc/self"));
/// ```
pub fn under_kernel_fs(path: &str) -> bool {
    KERNEL_FS_ROOTS.iter().any(|root| {
        path.strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('/') && rest != "/")
    })
}

/// Is `hint` (a finding's help) the advice every image-work row ([`Cost::Cpu`]) gives?
///
/// ```
/// use asyncwise_lint::knowledge::blocking::{blocking_fn, is_image_work_hint};
/// assert!(is_image_work_hint(blocking_fn("image::load_from_memory").unwrap().hint));
/// assert!(!is_image_work_hint(blocking_fn("std::fs::read").unwrap().hint));
/// ```
pub fn is_image_work_hint(hint: &str) -> bool {
    hint == DECODE_HINT
}

/// Blocking work that is brief in the cases seen on real code: showing a desktop notification
/// (notify-rust's `Notification::show`, a synchronous D-Bus round trip; docs.rs/notify-rust) and
/// running a whole in-memory stream through a compression crate. Both are the pedantic form of
/// `blocking_in_async`: on the five labelled sets the only notifications (one per track change)
/// were noise. Image work is not here: it is [`Cost::Cpu`], default on a per-event path (an
/// upload or a proxied image decoded per request; eighth set), pedantic elsewhere (a cover
/// decoded once per track change; fifth set).
pub const BRIEF_WORK: &[&str] = &["notify_rust::Notification::show"];

/// Is a call of `path` (a free function) or of method `method` on `receiver` brief work (see
/// [`BRIEF_WORK`])? A short name as blocking chains show it (`Notification::show`) counts too.
///
/// ```
/// use asyncwise_lint::knowledge::blocking::brief_work;
/// assert!(brief_work(None, Some(("notify_rust::Notification", "show"))));
/// // image work is CPU work default on per-event paths, not brief work
/// assert!(!brief_work(Some("image::load_from_memory"), None));
/// assert!(brief_work(Some("Notification::show"), None));
/// assert!(!brief_work(Some("std::fs::read"), None));
/// ```
pub fn brief_work(path: Option<&str>, method: Option<(&str, &str)>) -> bool {
    let listed = |p: &str| names_a_row(BRIEF_WORK, p);
    // A helper's hop names the type by its last segment (`ZlibDecoder::read_to_end`).
    let stream = |p: &str| {
        COMPRESSION_CRATES.iter().any(|c| p.starts_with(c))
            || p.split_once("::").is_some_and(|(ty, m)| {
                COMPRESSION_TYPE_NAMES.contains(&ty) && WHOLE_STREAM.contains(&m)
            })
    };
    path.is_some_and(|p| listed(p) || stream(p))
        || method.is_some_and(|(r, m)| listed(&format!("{r}::{m}")) || stream(r))
}

/// Derivations of a *new* password hash: hashing a password to store it (bcrypt's `hash`,
/// the password-hash crates' `PasswordHasher::hash_password` on `Argon2`/`Scrypt`/`Pbkdf2`,
/// rust-argon2's `hash_encoded`/`hash_raw`, argon2-creds' `Config::password`, ring's
/// `pbkdf2::derive`, password-auth's `generate_hash`, orion's `pwhash::hash_password`; each
/// crate's docs name these as the hashing side, beside a separate verifying function). They
/// run when an account's password is set — a sign-up, a password change, an administrator
/// creating a user or a protected share — which is rare next to the logins that *verify* a
/// password, once per attempt from any client. On the nine labelled field sets, new-hash
/// findings were worth acting on 4 times in 16 (the rest: user creation in admin handlers,
/// password changes, shares; one ran on a crypto pool already), verifications 19 times in 22;
/// so a new hash is the pedantic form of `blocking_in_async` and verification stays default.
/// Known limit: code that verifies by re-hashing with the stored salt and comparing is read as
/// setting a password.
pub const PASSWORD_DERIVATION: &[&str] = &[
    "bcrypt::hash",
    "bcrypt::hash_with_result",
    "bcrypt::hash_with_salt",
    "bcrypt::non_truncating_hash",
    "bcrypt::non_truncating_hash_with_result",
    "bcrypt::non_truncating_hash_with_salt",
    "rcrypt::hash",
    "rcrypt::hash_with_salt",
    "argon2::hash_encoded",
    "argon2::hash_raw",
    "argon2::Argon2::hash_password",
    "scrypt::Scrypt::hash_password",
    "pbkdf2::Pbkdf2::hash_password",
    "argon2_creds::Config::password",
    "argon2_creds::config::Config::password",
    "ring::pbkdf2::derive",
    "password_auth::generate_hash",
    "orion::pwhash::hash_password",
];

/// Does a call of `path` (a free function) or of method `method` on `receiver` derive a new
/// password hash (see [`PASSWORD_DERIVATION`])? A short name as blocking chains show it
/// (`Argon2::hash_password`) counts too.
///
/// ```
/// use asyncwise_lint::knowledge::blocking::derives_new_password_hash;
/// assert!(derives_new_password_hash(Some("bcrypt::hash"), None));
/// assert!(derives_new_password_hash(None, Some(("argon2::Argon2", "hash_password"))));
/// assert!(derives_new_password_hash(Some("Argon2::hash_password"), None));
/// assert!(!derives_new_password_hash(Some("bcrypt::verify"), None));
/// assert!(!derives_new_password_hash(None, Some(("argon2::Argon2", "verify_password"))));
/// ```
pub fn derives_new_password_hash(path: Option<&str>, method: Option<(&str, &str)>) -> bool {
    let listed = |p: &str| names_a_row(PASSWORD_DERIVATION, p);
    path.is_some_and(listed) || method.is_some_and(|(r, m)| listed(&format!("{r}::{m}")))
}

/// Is a call of `path` (a free function, or a blocking chain's hop as it names the call) or of
/// method `method` on `receiver` of a kind that is the pedantic form of `blocking_in_async`
/// wherever it runs: metadata only ([`metadata_only`]), brief work ([`brief_work`]) or a new
/// password hash ([`derives_new_password_hash`])?
///
/// ```
/// use asyncwise_lint::knowledge::blocking::pedantic_kind;
/// assert!(pedantic_kind(Some("std::fs::create_dir_all"), None));
/// assert!(pedantic_kind(Some("PathBuf::exists"), None));
/// assert!(pedantic_kind(None, Some(("argon2::Argon2", "hash_password"))));
/// assert!(!pedantic_kind(Some("std::fs::read"), None));
/// ```
pub fn pedantic_kind(path: Option<&str>, method: Option<(&str, &str)>) -> bool {
    // A hop names a `Path`/`PathBuf` method by the type's last segment.
    let path_method = path.and_then(|p| match p.rsplit_once("::") {
        Some((ty @ ("Path" | "PathBuf"), name)) => Some((ty, name)),
        _ => None,
    });
    metadata_only(path, method)
        || brief_work(path, method)
        || derives_new_password_hash(path, method)
        || path_method.is_some_and(|(ty, name)| {
            metadata_only(None, Some((&format!("std::path::{ty}"), name)))
        })
}

/// Does `p` name a row of `table`: the full path, or its tail as a blocking chain shows it
/// (`Notification::show` for `notify_rust::Notification::show`)?
fn names_a_row(table: &[&str], p: &str) -> bool {
    table
        .iter()
        .any(|row| *row == p || p.contains("::") && row.ends_with(&format!("::{p}")))
}

/// Compression crates whose whole-stream calls (a std reader read to its end, an encoder
/// finished, zstd's `decode_all`/`encode_all`/`bulk`) are brief work like [`BRIEF_WORK`]: on
/// the seven labelled sets, 13 such calls on in-memory buffers (an SST block, a gateway
/// message, a snapshot, a fetched configuration) appeared and none was labelled worth acting
/// on, while the two decompressions worth acting on went through `tar::Archive` (whole crate
/// and toolchain archives), which stays in the default form. The size of a buffer is not
/// visible in the code.
pub const COMPRESSION_CRATES: &[&str] = &["flate2::", "xz2::", "zstd::", "bzip2::"];

/// The light type of a reader or writer of [`COMPRESSION_CRATES`] built over an in-memory
/// buffer (`GzEncoder::new(Vec::new(), level)`, `zstd::stream::Encoder::new(buf, 3)` with
/// `buf` a `Vec`, `GzDecoder::new(&bytes[..])`): finishing or reading it is CPU work on
/// memory, no I/O, so no blocking row names it. One over a file (or a value of a type not
/// known) keeps the crate's type and its rows.
pub const IN_MEMORY_CODER: &str = "asyncwise::InMemoryCompressionStream";

/// Types whose values are bytes in memory, by last segment: std's `Vec`, `VecDeque`,
/// `Cursor`, `String`, and the bytes crate's `Bytes`, `BytesMut`.
pub const MEMORY_BUFFER_TYPES: &[&str] =
    &["Vec", "VecDeque", "Cursor", "String", "Bytes", "BytesMut"];

/// Does a call of `path` build a reader or writer of [`COMPRESSION_CRATES`] around its first
/// argument (`GzEncoder::new(inner, level)`, `zstd::stream::Encoder::new(inner, level)`,
/// `zstd::stream::read::Decoder::with_buffer(inner)`)?
///
/// ```
/// use asyncwise_lint::knowledge::blocking::wraps_first_argument;
/// assert!(wraps_first_argument("flate2::write::GzEncoder::new"));
/// assert!(wraps_first_argument("zstd::stream::Encoder::new"));
/// assert!(wraps_first_argument("zstd::stream::read::Decoder::with_buffer"));
/// assert!(!wraps_first_argument("zstd::encode_all"));
/// assert!(!wraps_first_argument("flate2::Compression::new"));
/// ```
pub fn wraps_first_argument(path: &str) -> bool {
    let Some((owner, assoc)) = path.rsplit_once("::") else {
        return false;
    };
    let ty = crate::path_text::last_segment(owner);
    COMPRESSION_CRATES.iter().any(|c| path.starts_with(c))
        && (ty.ends_with("Encoder") || ty.ends_with("Decoder"))
        && (assoc == "new" || assoc.starts_with("with_") || assoc.starts_with("new_"))
}

/// The reader and writer types of [`COMPRESSION_CRATES`], by name.
pub const COMPRESSION_TYPE_NAMES: &[&str] = &[
    "GzDecoder",
    "GzEncoder",
    "MultiGzDecoder",
    "ZlibDecoder",
    "ZlibEncoder",
    "DeflateDecoder",
    "DeflateEncoder",
    "XzDecoder",
    "XzEncoder",
    "BzDecoder",
    "BzEncoder",
    "MultiBzDecoder",
];

/// Functions that run a future to completion on the current thread (`block_on`).
pub const BLOCK_ON_FNS: &[&str] = &[
    "futures::executor::block_on",
    "futures_executor::block_on",
    "futures_lite::future::block_on",
    "async_std::task::block_on",
    "smol::block_on",
    "smol::future::block_on",
    "async_global_executor::block_on",
    "pollster::block_on",
    "async_io::block_on",
    "tokio::runtime::Runtime::block_on",
    "tokio::runtime::Handle::block_on",
];

/// Method names that run a future to completion on the current thread: `Runtime::block_on`,
/// `Handle::block_on`, `pollster::FutureExt::block_on`. Reported when the receiver's type is
/// unknown or one of [`BLOCK_ON_RECEIVERS`]; a receiver of another known type is left alone.
pub const BLOCK_ON_METHODS: &[&str] = &["block_on"];

/// Receiver types whose `block_on` method blocks the thread.
pub const BLOCK_ON_RECEIVERS: &[&str] = &[
    "tokio::runtime::Runtime",
    "tokio::runtime::Handle",
    "futures::executor::LocalPool",
    "Runtime",
    "Handle",
];

/// Does `pattern` (a table path, possibly ending in `::*`) match the canonical `path`?
///
/// `module::*` matches the module's own items only (`std::fs::read`), not paths into its types
/// (`std::fs::DirBuilder::new`).
///
/// ```
/// use asyncwise_lint::knowledge::blocking::path_matches;
/// assert!(path_matches("std::fs::*", "std::fs::read"));
/// assert!(!path_matches("std::fs::*", "tokio::fs::read"));
/// assert!(!path_matches("std::fs::*", "std::fs::DirBuilder::new"));
/// ```
pub fn path_matches(pattern: &str, path: &str) -> bool {
    // Both forms need the first bytes to agree (a match starts with the pattern's text, or
    // with `::` after an empty prefix): most rows are rejected here, without the suffix test.
    // Every call's callee is tried against every row, so this runs a few million times.
    if pattern.as_bytes().first() != path.as_bytes().first() {
        return false;
    }
    match pattern.strip_suffix("::*") {
        Some(prefix) => path
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix("::"))
            .is_some_and(|item| !item.is_empty() && !item.contains("::")),
        None => pattern == path,
    }
}

/// The blocking free function `path` matches, if any.
pub fn blocking_fn(path: &str) -> Option<&'static BlockingFn> {
    BLOCKING_FNS.iter().find(|b| path_matches(b.path, path))
}

/// The blocking method `method` on `receiver` matches, if any.
pub fn blocking_method(receiver: &str, method: &str) -> Option<&'static BlockingMethod> {
    BLOCKING_METHODS
        .iter()
        .find(|b| path_matches(b.receiver, receiver) && b.methods.contains(&method))
}
