use crate::crate_index::CrateIndex;
use crate::diagnostic::{Diagnostic, Edit, Fix, Note};
use crate::facts::{Deferred, Requirement, Sink};
use crate::knowledge::blocking::{self, Cost};
use crate::knowledge::dependencies;
use crate::levels::{Group, Level};
use crate::model::{Callee, Ctx, FileModel, Ty, short_type};

crate::declare_rule! {
    /// ## What it does
    /// Finds calls that block the thread (`std::thread::sleep`, `std::fs` and `fs_err`,
    /// filesystem `Path` methods, blocking sockets and DNS lookups, `std::process::Command::output`,
    /// std channel receives, `Condvar::wait`, thread joins, blocking HTTP and database clients,
    /// password hashing, tokio's `blocking_*` methods) made in async code, directly or through sync
    /// helper functions of the same crate, of a workspace member it depends on by path, or of a
    /// registry dependency whose sources cargo has unpacked (at the version `Cargo.lock` pins).
    /// A socket2 `Socket`'s `connect`/`accept` block only in blocking mode: not on a datagram
    /// socket, one created non-blocking (`Type::STREAM.nonblocking()`, directly or through a
    /// binding, or a type built from flags with `SOCK_NONBLOCK`), or one (a local or a field)
    /// set `set_nonblocking(true)` before the call.
    /// `std::fs` calls on a literal path under `/proc/` or `/sys/fs/cgroup` are not blocking calls:
    /// the kernel answers them from memory. Nor is a compression crate's encoder or decoder
    /// (flate2, xz2, zstd, bzip2) built over bytes in memory (`GzEncoder::new(Vec::new(), ..)`,
    /// `zstd::stream::Encoder::new(buf, 3)` with `buf` a `Vec`, `GzDecoder::new(&bytes[..])`, a
    /// `Cursor`): writing to it, reading it to its end and finishing it is CPU work on memory,
    /// no I/O. One over a `File` or a value of a type the file does not show stays reported (the
    /// pedantic form, as brief work). On eighteen labelled field sets: two default findings
    /// labelled wrong (a table format's metadata and blob compression into a `Vec`, through a
    /// helper); the other in-memory ones were pedantic and unlabelled or labelled noise.
    /// Reported at the call made in async code (for a helper,
    /// the call of the helper), with a note at each step down to the blocking call.
    ///
    /// A helper's blocking call under `#[cfg(P)]` (a statement or block of the helper) is not
    /// reached by a call made under `#[cfg(not(P))]`, or the reverse: the two are never
    /// compiled together (`#[cfg(not(unix))] { sync_dir(d) }` calling a helper whose fsync sits
    /// in a `#[cfg(unix)]` block, a no-op elsewhere). Another blocking call of the helper that
    /// the predicates allow is reported instead. Predicates are compared as written, `P` against
    /// `not(P)`. On eighteen labelled field sets: one default finding labelled wrong (an object
    /// store's directory fsync).
    ///
    /// ## Pedantic form
    /// Filesystem work (`std::fs`, `fs_err`, a std `File`'s reads and writes, `Path` methods that
    /// ask the filesystem, `serde_json::from_reader` on a `File`) that is not on a per-event path
    /// (below): start-up, a command, a reload, a periodic save run as often as the program
    /// chooses. Image work (the image crate's `load_from_memory`, `open`,
    /// `ImageReader::decode`, `DynamicImage::resize`/`thumbnail`/`write_to`, webp's
    /// `Encoder::encode`: CPU work proportional to an image's size, which the code does not show)
    /// where no request handler reaches it: off every per-event path, and on one an event loop
    /// starts. A cover decoded per track change is milliseconds; an upload decoded per request
    /// holds a worker for tens to hundreds of milliseconds per request. Metadata-only calls (`exists`, `metadata`, `create_dir_all`, `remove_file`, ...)
    /// anywhere. Waiting for a child process (`Command::output`/`status`, `Child::wait`/
    /// `wait_with_output`, or a helper that does) that is not on a per-event path: a command's
    /// step, an install, a version check, a hook run at start-up. Brief desktop work anywhere: showing a desktop
    /// notification (notify-rust's `Notification::show`). Deriving a new password hash (bcrypt's
    /// `hash`, `Argon2::hash_password`, ring's `pbkdf2::derive`, ...; verifying one stays default,
    /// below). Any blocking call in the initialiser of a `static` once-cell
    /// (`KEYS.get_or_init(|| ..)`, `INIT.call_once(|| ..)`), which runs once per process. Any
    /// blocking call made once at start-up or set-up (directly, outside loops, in
    /// `async fn main`, a `#[tokio::main]` fn or method, a constructor — an async method
    /// returning `Self` — or a set-up fn such as `new`/`open`/`init` or one named
    /// `init_*`/`setup_*`/`bootstrap_*` (not `start_*`), or in a fn only such code
    /// calls directly; in a library, also in a fn only a set-up fn reaches, directly or through
    /// `for` loops over a range or a collection), and a call of a sync set-up function of the
    /// crate (`new`, `open`, `init`, `create`, ...: `SimpleAllocator::new(..)` probing the GPUs
    /// with a child process) made directly in an async body, outside loops, on no per-event
    /// path (below), which blocks once per value it builds, when a task or component starts;
    /// calls in a binary made while nothing else runs (in a fn reached from
    /// `main` only through such fns, before anything concurrent starts); and calls in a binary
    /// none of whose files spawns, joins, selects or serves, or in a module file of a binary
    /// that itself does none of these (a command's flow), unless a request handler reaches the
    /// call (then it is served work). Any blocking call polled only on
    /// the main thread of a multi-thread `#[tokio::main]`, outside every `join!`/`select!` and
    /// per-event loop of `main`'s own future and in no function a spawned task or handler also
    /// reaches: tokio's `Runtime::block_on` "runs the given future on the current thread" and
    /// spawned tasks run on the worker threads, so only `main`'s own future waits (below). Any
    /// blocking call made where no served work waits (below): the call statement right before
    /// an unconditional `std::process::exit`/`abort`, and a fallback taken only when an
    /// environment variable is unset. A call of a crate helper whose
    /// blocking call is of those kinds, or made in those places, is the pedantic form too.
    /// Never pedantic: tokio's `blocking_lock`, `blocking_recv`, `blocking_send`,
    /// `blocking_read`, `blocking_write` (and `_owned`/`_many` forms), which panic "if called
    /// within an asynchronous execution context" (tokio's docs): at start-up or in a command-line
    /// tool they crash the program, so they are default wherever async code reaches them.
    /// Each pedantic finding carries a note naming which of these made it pedantic, and a
    /// default finding on a per-event path names that path (the handler or event loop, then
    /// the calls), so a reader can check the judgement.
    ///
    /// ## Why is this bad
    /// An async runtime runs many tasks on a few worker threads. A task that blocks its worker
    /// stops every other task scheduled there: timers fire late, connections stall, and with
    /// enough blocked tasks the whole service freezes, although CPU usage stays low.
    ///
    /// Code that runs on another thread is fine: closures handed to
    /// `tokio::task::spawn_blocking`, `block_in_place`, `std::thread::spawn` and similar are
    /// not reported, and neither are plain `fn`s. Closures that are stored rather than run
    /// (`Box::new(move || ..)`, a struct field, `ctrlc::set_handler`) are not async context.
    ///
    /// The default form is where a stalled worker hurts someone: library async functions,
    /// request handlers, anything in a program that spawns tasks or serves. In a command-line
    /// binary that does one thing after another, or in `main` before anything is started, the
    /// blocked thread holds up no other task: the pedantic form.
    ///
    /// Blocking calls come in two cost classes, kept in the blocking table. *Waits and heavy
    /// work* — sleeps, sockets and DNS lookups, standard input, child processes and their pipes,
    /// channel receives, thread joins, `Condvar` and barriers, blocking HTTP and database
    /// clients, password hashing — can hold a worker for as long as the other side likes, or for
    /// deliberately long CPU work: default wherever other tasks run. A wait for a child process
    /// to finish is one too, but its own class: the programs async code runs and waits for are
    /// build tools, package managers, installers and version checks far more often than work a
    /// server does per request, so it is default only on a per-event path, as filesystem work is
    /// (below). On field sets 1–14, 1 of 22 labelled default findings of this kind off every
    /// per-event path was worth acting on (0 of 18 on the held-out sets); the one was a hook
    /// command run per message of a channel-driven task, which this leaves to `--select all`
    /// (a channel's receive loop is not a per-event path). Reading a child's pipe stays a wait
    /// of its own: a read per line of a long-running child. A *runner* — a sync helper that
    /// starts a child, hands its pipes and its exit to threads and receives from their channel
    /// (or joins them) until the child is done — waits for the child: its channel receive or
    /// join is of the child's class too (`knowledge::blocking::THREAD_RESULT_WAITS`), while the
    /// same receive in a helper that waits for no child stays a wait. Password hashing is default
    /// where a password is *verified*, once per login attempt from any client; deriving a *new*
    /// hash runs when an account's password is set (a sign-up, a change, an administrator adding
    /// a user) and is the pedantic form: on the nine labelled field sets new hashes were worth
    /// acting on 4 times in 16, verifications 19 times in 22 (the table:
    /// `knowledge::blocking::PASSWORD_DERIVATION`). A sign-up endpoint that any client may call
    /// in a loop is the case this leaves to `--select all`. *Local filesystem work* costs
    /// microseconds to milliseconds per call: it hurts where it runs once per request,
    /// connection or message, and is default only there, on a *per-event path*:
    ///
    /// * in a request handler: an async fn with a route attribute (`#[get("/")]`, `#[post]`,
    ///   `#[route]`, poem's `#[handler]`), one taking a web framework's extractor (axum's
    ///   `State`, `Json`, `Query`, `Path`, ...; actix's `web::Data`, `web::Json`, `HttpRequest`;
    ///   rocket's `State`; poem's `web::*`; tonic's `Request` and `Streaming`, the parameters of
    ///   a gRPC service method), the `call` method of an `impl Service<..> for ..`,
    ///   or an async fn registered with a router or server (`get(f)`, `post(f)`, `.to(f)`,
    ///   `.service(f)`, `service_fn(f)`, `from_fn(f)`, warp's `.and_then(f)`, rocket's
    ///   `routes![..]`), and in a closure registered that way;
    /// * in a `poll*` method of an `impl Stream for ..` (or `Future`, `Sink`, `AsyncRead`,
    ///   `AsyncWrite`, `AsyncBufRead`, `AsyncSeek`): such a method is not `async`, but the
    ///   executor calls it on a worker thread once per item, read or wake-up, so its body is
    ///   async code and a per-event path (on field set 13 a shuffle reader's `poll_next`
    ///   opening and reading a spill file for every batch it streams to a gRPC client was a
    ///   known miss worth acting on; over sets 1–13 it was the only new default finding);
    /// * in the body of a loop whose iteration awaits the next event of a source — `accept()`,
    ///   `next()`/`try_next()` on a stream, `recv_from()` on a socket, also as a `select!`
    ///   branch — and so in the tasks it spawns, one per connection or message;
    /// * in a function called from any of these, over the crate's call graph (callers on a
    ///   per-event path put their callees on one). A method call on a field whose type names no
    ///   function of the package (`self.store.get(k)` with `store: Arc<dyn Store>`) reaches
    ///   every method of that name no resolved call reaches, except the names of std traits'
    ///   methods (`from`, `default`, `clone`, ...); a method call on a value of unknown type (a
    ///   `Box<dyn Codec>` a function returned) reaches the methods of that name in `impl Trait
    ///   for Type` blocks only, which is all dynamic dispatch can reach: linking inherent methods
    ///   too put start-up, reload and periodic code that shares a common name (`update`,
    ///   `load`) on per-event paths (on the nine labelled field sets, 7 noise and 1 wrong
    ///   default findings against 3 worth acting on, two of which went through a trait's default
    ///   method: a known limit). Test code starts no path.
    ///
    /// A channel's `recv()` does not make a loop per-event: a mailbox receives as often as its
    /// senders send, which is usually a command now and then; nor does a timer (`tick()`), or a
    /// collection. On three labelled field sets (46 repositories) filesystem calls off these
    /// paths were worth changing 1 time in 60.
    ///
    /// *Where no served work waits.* A call statement directly before an unconditional
    /// `std::process::exit(..)` or `std::process::abort()` of the same block (logging macros
    /// between them skipped), such as a pause before a node gives up and exits, stalls tasks the
    /// process is about to tear down; one directly before an unconditional panic (`panic!`,
    /// `unreachable!`, `std::panic::resume_unwind` re-raising a worker thread's panic) is on a
    /// crash path, where a pause to let logs flush harms nobody. A fallback taken only when an environment variable is
    /// unset — the closure of `or_else`/`unwrap_or_else`/`map_or_else`/`ok_or_else` on a value
    /// read by `std::env::var`/`var_os`, the `Err`/`None` arm of a `match` on one, the `else` of
    /// `if let Ok(..) = env::var(..)` or of a `let .. else` — runs where the program is not
    /// configured: a deployed service sets the variable, a developer's machine asks `git
    /// config` or reads a dotfile instead (on the field sets, a token read per webhook whose
    /// `git config` fallback only ran without `GITHUB_TOKEN`). A helper that blocks only
    /// through such calls is the pedantic form where async code calls it. Eager fallbacks
    /// (`unwrap_or(f())`, `or(f())`) run either way and stay default, as does the `Ok` side.
    /// Only these two shapes are read: an exit in another block, a `let` holding the blocking
    /// call, an exit through a helper of the crate or `exit` imported bare are not recognised.
    ///
    /// *Where a person is already waiting.* A blocking call in a function that itself waits for
    /// the user at the terminal — reads standard input, shows a dialoguer, inquire or console
    /// prompt, asks for a password (rpassword), waits for a key (crossterm's `event::read`) or
    /// an editor (the `edit` crate), directly or through the sync helpers it calls — made before
    /// that function starts anything concurrent, is the pedantic form: the flow's next step is
    /// a person's answer anyway (a command-line client's y/N confirmation before it sends a
    /// command, a Ctrl+C menu's pause while the scans it controls are paused, a pause after a
    /// clipboard copy at a prompt; on the field sets, 8 such findings were labelled, all noise).
    /// Only program code counts: a binary's, the library of a package that builds one, or a
    /// library member's function that program code of the workspace calls; a library's public
    /// async fn that reads standard input for callers the index cannot see (other crates'
    /// runtimes may run anything) stays default, and so does any function on a per-event path:
    /// a server that reads standard input somewhere does not wait for a person per request.
    /// The prompt calls are a knowledge table (`knowledge::quiet_paths::USER_PROMPT_FNS`,
    /// `USER_PROMPT_METHODS`). Known limit: a call into a library member whose function has
    /// `cfg` alternatives is not resolved, so that function is not seen as called.
    ///
    /// *An open handed to an async reader.* A `let` that opens a std `File` (or does other
    /// blocking work in its initialiser) whose binding the same block then passes to an async
    /// adopter of the handle — tokio's or async-std's `File::from_std(file)` (also
    /// `file.into()`), actix-files' `NamedFile::from_file(file, ..)` — leaves one open syscall
    /// on the executor: the reads run off it. Like a `stat`, that is the pedantic form even
    /// once per request: on the field sets every labelled open-only call on a per-event path
    /// was noise (5 of 5), and the one such finding worth acting on opened and parsed the file
    /// on the executor. The adopters are a knowledge table
    /// (`knowledge::quiet_paths::ASYNC_FILE_ADOPTERS`). Known limit: a file opened by a helper
    /// and adopted by its caller, or passed to a function of the crate that streams it, is not
    /// followed and stays default.
    ///
    /// A `Path` method that only asks for metadata (`exists`, `is_file`, `is_dir`, `metadata`,
    /// `symlink_metadata`, `canonicalize`, `read_link`, `try_exists`) is one `stat` or
    /// `readlink`: microseconds on a local disk, even once per request. It is the pedantic form
    /// wherever it runs: across the five labelled sets every labelled metadata-only call was
    /// noise, 59 of them (40 outside test code), 26 of those `Path` methods (19 outside test
    /// code: a stat per upload, per track change, per hook run), and none was worth acting on. Listing a directory (`read_dir`) reads as many entries as it holds and
    /// stays with the other filesystem work. The receiver must be known to be a `Path` or
    /// `PathBuf` (a typed parameter or field, `Path::new`, `PathBuf::from`, `join`, `parent`,
    /// `canonicalize`, a directory entry's `path()`, the `dirs` crate's directories, ...).
    ///
    /// Where code runs is judged over the crate's call graph. A function of a binary *runs
    /// alone* when it is `main` (of `src/main.rs`, `src/bin/` or a `[[bin]]` path), or when every call of it (outside test code) is made by a
    /// function that runs alone, before that caller starts anything concurrent: spawns a task,
    /// joins or selects futures, serves, hands a task to a `spawn` method of any executor, or
    /// calls a function of the crate that spawns a task and lets go of it (such a task outlives
    /// the call). A spawn inside a loop starts concurrency at the loop: the next iteration
    /// runs beside the task. An async fn whose future is made but not awaited on the spot
    /// (`let a = listen(); try_join!(a, b)`) runs when it is polled, so it does not run alone
    /// when its caller starts anything concurrent. Calls in the arms of a `match` are
    /// alternatives, so the command a program dispatches to is judged on its own. Calls are
    /// resolved through paths, `self`, fields, constructors (`Cli::parse()`, `T::new()`) and the
    /// variants of enums (`Command::Serve(args) => args.run()`); a method no resolved call
    /// reaches is linked to every call of its name on a value of unknown type. A binary names
    /// its package's library by the package's name (`use taskq::client::handle;`), and those
    /// calls are edges too. The library of a package that also builds a binary is that
    /// program's own (split off to be tested or shared by its binaries): its functions run
    /// alone when every call of them in the workspace does. A package that is only a library
    /// is there for other crates, whose calls the index does not see: its functions never run
    /// alone. Calls from test code, tests, examples and benches are not counted. Likewise an async
    /// set-up fn never called in a loop runs once per value it builds, and so does a function
    /// only such fns call in their own run: directly, or in a `for` loop over a range or a
    /// collection (a retry over `0..10`, the configured peers), which ends before set-up does;
    /// a `loop` or `while` may serve until the end and does not count. In a library-only
    /// package, a blocking call such a function makes in its own run is the pedantic form too
    /// (a plugin's `init` resolving its configured peer addresses, each with a bounded retry);
    /// in a package that builds a binary, `main` says what else runs then (above).
    ///
    /// *Polled on the main thread alone.* `#[tokio::main]` (multi-thread flavour, the default)
    /// builds a runtime and calls `Runtime::block_on` on `main`'s body, which "runs the given
    /// future on the current thread" (tokio's docs,
    /// <https://docs.rs/tokio/1/tokio/runtime/struct.Runtime.html#method.block_on>): the
    /// process's main thread, which is none of the runtime's workers. Spawned tasks run on the
    /// workers. So a blocking call in code polled only as part of `main`'s own future stalls that
    /// future and nothing spawned or served: a start-up migration with synchronous database
    /// calls after the background workers started, a `loop { std::thread::sleep(..) }` parking
    /// the end of `main`. An async fn is on `main`'s tree when every call of it (outside test
    /// code) is made by a function on the tree, awaited on the spot, in the caller's own frame
    /// (not in an async block or closure, which may be spawned or joined), outside the caller's
    /// per-event regions; and it is on no per-event path and no handler. So blocking stays in the
    /// default form where `main`'s own future drives other work at that moment: inside a
    /// `join!`/`select!`/`join_all`/`FuturesUnordered` (a future made and not awaited on the
    /// spot), in an accept/`next()`/`recv_from()` loop run inside `main`'s tree, and in a
    /// function a spawned task or a handler also reaches. With `flavor = "current_thread"`,
    /// `#[tokio::test]`, `#[actix_web::main]`/`#[actix_rt::main]` (actix-rt is "Tokio-based
    /// single-threaded": the spawned tasks share `main`'s thread) or a single-thread runtime
    /// built by hand, the main thread is a worker and none of this applies; the attributes and
    /// their flavours are a knowledge table (`knowledge::runtimes::MAIN_ATTRIBUTES`). A sync
    /// `main` that builds a multi-thread runtime itself (`Builder::new_multi_thread()`,
    /// `Runtime::new()`; `knowledge::runtimes::MULTI_THREAD_RUNTIME_BUILDERS`) and hands a
    /// future to its `block_on` — a call (`rt.block_on(run(args))`, also through `Box::pin`) or
    /// an async block, also from a thread it spawns for a bigger stack — is judged the same way:
    /// that future is polled on the calling thread, the spawned tasks on the workers. Functions
    /// of a library-only workspace member count when a package that builds a binary depends on
    /// it by path.
    ///
    /// Known limits: the frequency of filesystem work is judged from structure, not from sizes
    /// or rates: a small file re-read per connection is default, a whole-file read in a
    /// library's public async fn that nothing in the workspace calls on a per-event path is
    /// pedantic (its callers are other crates, unseen), and a handler reached only through a
    /// router the index cannot read (a macro, a function value stored in a table) is not
    /// recognised. A function also registered as a value (a handler passed to a router) and
    /// called from `main` directly is judged by the calls only; a detached task started through
    /// a call the index cannot resolve is not seen; a spawn starts concurrency at its innermost
    /// loop only; a program's own library that other programs also call is judged by the
    /// workspace's calls alone. `main`'s tree is not followed into a future made before the
    /// `block_on` that hands it over (`let fut = run(); rt.block_on(fut)`), into a runtime
    /// built outside `main`, nor through calls the index cannot resolve (a future stored and
    /// awaited later is not on it). Small rare reads (a certificate per
    /// reconnect, a 4 KiB probe) on a per-event path are not told from heavy ones and stay in
    /// the default form.
    ///
    /// A sync function that blocks (itself, or through the sync functions it calls) is reported
    /// where async code calls it, with a note for each hop down to the blocking call
    /// (`install -> copy_files -> std::fs::copy`). When async code of several functions calls
    /// the same helper, the command line reports those calls as one finding (the helper is the
    /// fix), with a note at each other call; and a suppression comment over the helper, or on
    /// its blocking line, covers every async caller, so a helper that blocks on purpose (a
    /// command-line tool's process runner) is said so once, where the blocking is:
    ///
    /// ```rust,ignore
    /// // asyncwise: allow(blocking_in_async) -- runs build tools; one worker per install job
    /// fn execute(&self) -> io::Result<()> { self.command.status().map(drop) }
    /// ``` Helpers are found by resolved path, through
    /// `self`/`Self` and receivers of known type, and as associated functions; a helper called
    /// only from sync code, or only inside `spawn_blocking`, is never reported. A function
    /// defined several times in one file under `cfg` alternatives blocks when one of the
    /// alternatives blocks by itself: some build runs it.
    ///
    /// A client kept behind a lock is reached through the lock's guard: the guard of a
    /// `Mutex<rusqlite::Connection>` (std, parking_lot, spin, `RefCell`, or an async lock's
    /// awaited guard; behind `Arc` or not, as a field of a struct of any file of the crate, a
    /// parameter or a static) is used as the connection, so `state.db.lock().unwrap().execute(..)`
    /// and `client.lock().await.query(..)` are the client's blocking calls. Only a library type
    /// the tables know is followed through a guard; a lock around a type of the crate is not
    /// (on the eight field sets that added one start-up finding and nothing worth acting on).
    ///
    /// *Through registry dependencies.* A call into a dependency crate's sync function (a free
    /// function by its path, `Type::assoc(..)`, a method on a receiver of one of its types, or
    /// through a sync helper of the crate) is followed into the dependency when its sources are
    /// on disk — `vendor/` of the workspace, or cargo's registry (`$CARGO_HOME/registry/src/`,
    /// `~/.cargo` by default) at the version the workspace's `Cargo.lock` pins; no `Cargo.lock`,
    /// another version or no sources: not followed. The dependency's own helpers are followed
    /// as the crate's are, and the notes point into its files. A dependency blocks on purpose
    /// for its sync callers, but often only on a rare path, so only some kinds propagate out of
    /// it (`knowledge::dependencies`): waiting on a child process or a std socket, a blocking
    /// HTTP, database, SMTP or SSH client, a pool's wait, password hashing make the default
    /// form; its filesystem work, archive and image work, DNS lookups (made where it is set
    /// up), thread sleeps (a spin lock's or full queue's back-off) and waits on its own threads
    /// (channels, condition variables, joins) the pedantic form; filesystem
    /// work reached through its constructor or configuration entry point (`new`, `default`,
    /// `build`, `from_env`, `load`, `open`, ...: certificates, configuration files),
    /// metadata-only calls, standard-input reads and tokio's `blocking_*` methods none. Async
    /// runtimes and logging crates (`tokio`, `futures`, `async-std`, `tracing`, ...) are never
    /// read. The reading is opt-in (`--deps`): on field sets 1-8 it added 140 findings, 4 worth
    /// acting on.
    ///
    /// A call that is awaited returns a future, so it is never one of the blocking calls,
    /// whatever its name: a method matched by name on a value of unknown type
    /// (`server.to_socket_addrs().await` on a generic bound by async-std's `ToSocketAddrs`)
    /// is that name's async twin.
    ///
    /// `to_socket_addrs` on a value that is already a numeric address is not reported: std's
    /// `ToSocketAddrs` docs say it "is the identity function" for `SocketAddr` and "constructs a
    /// `SocketAddr` trivially" for `SocketAddrV4`, `SocketAddrV6` and `(IpAddr, u16)`, and a
    /// string is parsed as a numeric address before any lookup. So a value typed as one of
    /// those, an `(ip, port)` pair of an IP type, and a literal that parses
    /// (`"127.0.0.1:6148"`, `("10.0.0.1", 80)`) do not block. A string whose content is not
    /// known (a header value, a string formatted at run time) may hold a host name and is
    /// reported.
    ///
    /// A std or crossbeam `recv_timeout` whose timeout is a zero or near-zero constant
    /// (`Duration::ZERO`, `from_nanos(1)`, at most one microsecond) returns at once whether or
    /// not a message is there: it is a `try_recv`, which never parks the worker, and is not
    /// reported. A timeout computed at run time is taken as a wait.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn load(path: &Path) -> io::Result<String> {
    ///     std::thread::sleep(Duration::from_millis(50));
    ///     std::fs::read_to_string(path)
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn load(path: &Path) -> io::Result<String> {
    ///     tokio::time::sleep(Duration::from_millis(50)).await;
    ///     tokio::fs::read_to_string(path).await
    /// }
    /// ```
    pub BLOCKING_IN_ASYNC, "blocking_in_async", Group::Perf, Level::Warn, check,
    repeats: crate::rules::Repeats::OnePerFunction { noun: "blocking call", reason: "the fix is the function's, not the call's: move its blocking work off the executor (its body into `tokio::task::spawn_blocking`, or an async client for every call), so a start-up migration making forty synchronous database calls is one change, not forty; likewise the calls of one blocking helper of the crate from several async functions are one change, the helper's (on field set 10, a command-line tool's process runner called from 17 install functions)" }
}

fn check(model: &FileModel<'_>, sink: &mut Sink) {
    for call in &model.calls {
        // An awaited call returns a future: it is an async API that shares a blocking one's
        // name (async-std's `ToSocketAddrs::to_socket_addrs`, an async `read_to_string` of a
        // generic reader), never the blocking call itself.
        if call.ctx != Ctx::Async || call.awaited {
            continue;
        }
        // `std::fs::read_dir("/proc")`: the kernel answers from memory; a socket2 socket's
        // `connect` in non-blocking mode returns at once (also one whose receiver only the
        // crate index types, when its `EINPROGRESS` result is handled on the spot).
        if model.non_waiting_calls.contains(&call.loc) {
            continue;
        }
        if let Callee::Method {
            name,
            receiver: receiver @ (Ty::Field { .. } | Ty::Chain(_)),
        } = &call.callee
        {
            // The receiver is a field of a struct declared in another file, or a type only the
            // crate index settles: one candidate per table row with this method, settled by
            // the crate pass.
            for row in model
                .knowledge
                .blocking_methods()
                .iter()
                .filter(|b| b.methods.contains(&name.as_str()))
            {
                // Judged as the same call on a receiver of known type would be.
                let kind = blocking::pedantic_kind(None, Some((row.receiver, name.as_str())));
                let why = Pedantic::first([
                    (call.startup, Pedantic::Startup),
                    (model.quiet_paths.covers(call.loc), Pedantic::Quiet),
                    (kind, Pedantic::Kind),
                ]);
                let build = if why.is_some() {
                    super::pedantic
                } else {
                    super::diagnostic
                };
                let mut d = build(
                    &BLOCKING_IN_ASYNC,
                    model,
                    call.loc,
                    format!(
                        "`{}::{name}` blocks the thread inside async code",
                        short_type(row.receiver)
                    ),
                    row.hint,
                );
                d.notes.extend(why.map(Pedantic::note));
                let requires = match receiver {
                    Ty::Field { owner, field } => Requirement::FieldType {
                        owner: owner.clone(),
                        field: field.clone(),
                        one_of: vec![row.receiver],
                    },
                    // A field of a field, or what a function of another file returns: typed
                    // by the crate index.
                    Ty::Chain(chain) => Requirement::ReceiverType {
                        chain: (**chain).clone(),
                        one_of: vec![row.receiver],
                    },
                    _ => continue,
                };
                sink.deferred.push(Deferred {
                    diagnostic: d,
                    requires,
                });
            }
            continue;
        }
        let Some(found) = call.callee.blocking(&model.knowledge) else {
            continue;
        };
        // `recv_timeout(Duration::from_nanos(1))` returns at once: a `try_recv`, not a wait.
        if model.polling_receives.contains(&call.loc) {
            continue;
        }
        // Once, at start-up, before anything runs concurrently, or a call of a pedantic kind
        // (metadata only, brief work, a new password hash): the pedantic form.
        let pedantic_kind = match &call.callee {
            Callee::Path(path) => blocking::pedantic_kind(Some(path), None),
            Callee::Method { name, receiver } => receiver
                .path()
                .is_some_and(|r| blocking::pedantic_kind(None, Some((r, name)))),
            _ => false,
        };
        // Right before a process exit, or in a fallback for an unset environment variable: no
        // served work waits there.
        let quiet = model.quiet_paths.covers(call.loc);
        // tokio's `blocking_*` methods panic in async code: default wherever they are called.
        let panics = blocking::panics_in_async(found.hint);
        let why = Pedantic::first([
            (call.startup, Pedantic::Startup),
            (quiet, Pedantic::Quiet),
            (pedantic_kind, Pedantic::Kind),
        ])
        .filter(|_| !panics);
        let build = if why.is_some() {
            super::pedantic
        } else {
            super::diagnostic
        };
        let mut d = build(
            &BLOCKING_IN_ASYNC,
            model,
            call.loc,
            format!("{} blocks the thread inside async code", found.what),
            found.hint,
        );
        d.notes.extend(why.map(Pedantic::note));
        d.fix = async_twin(model, call);
        sink.diagnostics.push(d);
    }
}

/// The certain rewrite of a blocking call to its tokio twin, awaited: only directly in an async
/// body (an `.await` cannot go in a sync closure), for a path call with a twin of the same
/// signature, in a package whose tokio dependency has the twin's feature.
fn async_twin(model: &FileModel<'_>, call: &crate::model::CallFact) -> Option<Fix> {
    let Callee::Path(path) = &call.callee else {
        return None;
    };
    let rewrite = crate::knowledge::rewrites::rewrite_of(path)?;
    if !call.await_allowed || call.awaited || !model.tokio.has(rewrite.feature) {
        return None;
    }
    let callee = model.span(call.callee_loc?);
    let whole = model.span(call.loc);
    // The spans must be the call as written (not tokens a macro made up).
    let name = path.rsplit("::").next().unwrap_or(path);
    let written = model.source.get(callee.byte_start..callee.byte_end)?;
    let call_text = model.source.get(whole.byte_start..whole.byte_end)?;
    if !written.ends_with(name) || !call_text.starts_with(written) || !call_text.ends_with(')') {
        return None;
    }
    Some(Fix {
        message: format!("call `{}(..).await` instead", rewrite.with),
        edits: vec![
            Edit {
                byte_start: callee.byte_start,
                byte_end: callee.byte_end,
                replacement: rewrite.with.to_string(),
            },
            Edit {
                byte_start: whole.byte_end,
                byte_end: whole.byte_end,
                replacement: ".await".to_string(),
            },
        ],
    })
}

/// Blocking through helpers: an async-context call of a sync function of the crate (or of a
/// workspace member) that blocks, reported at the call site with one note per hop.
pub(crate) fn check_crate(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    for (f, call) in index.calls_in(Ctx::Async) {
        let Some((callee, hops)) = index.blocking_callee(f, call) else {
            continue;
        };
        let Some(last) = hops.last() else { continue };
        // Through a registry dependency, only the kinds of blocking that propagate out of a
        // library make a finding, and some only in the pedantic form (see
        // `knowledge::dependencies`): filesystem work behind a dependency's constructor or
        // configuration entry point makes none.
        let through_dependency = hops.iter().any(|h| h.in_dependency);
        let dependency_form = match through_dependency {
            false => None,
            true => {
                let entry = hops
                    .iter()
                    .find(|h| h.in_dependency)
                    .map_or(callee.short(), |h| h.from.short());
                let filesystem = last.cost == Some(Cost::Filesystem);
                if filesystem && dependencies::quiet_entry_point(entry) {
                    continue;
                }
                Some(dependencies::propagation(
                    &last.calls,
                    last.hint.as_deref().unwrap_or_default(),
                    last.cost.unwrap_or_default(),
                ))
            }
        };
        if dependency_form == Some(dependencies::Propagation::Never) {
            continue;
        }
        let mut chain = vec![callee.short().to_string()];
        chain.extend(hops.iter().map(|h| h.calls.trim_matches('`').to_string()));
        let path = index.path_of(f);
        let mut notes: Vec<Note> = hops
            .iter()
            .map(|h| {
                let message = format!("`{}` calls {}", h.from.short(), h.calls);
                if h.path == path {
                    Note::here(h.span, message)
                } else {
                    Note::in_file(&h.path, h.span, message)
                }
            })
            .collect();
        let hint = last.hint.as_deref().unwrap_or_default();
        // A helper whose blocking call is of a pedantic kind (metadata only, brief work, a new
        // password hash), or one called once at start-up (`Config::load(..)` directly in
        // `main`, or directly in a function only `main` calls, directly), is the pedantic
        // form, as the same blocking call made there directly is.
        // A sync set-up function of the crate (`Allocator::new(..)`, `open`, `init`) called
        // once in an async body on no per-event path: its blocking runs once per value built,
        // when a task or component starts.
        let constructed_off_event = call.top_level
            && !call.per_event
            && !index.is_per_event(f)
            && index.calls_named_setup(f, call);
        let at_startup = call.startup
            || call.per_run && index.is_startup_only(f)
            || index.runs_alone(f, call.span.start.line)
            || constructed_off_event;
        // Filesystem or image work off every per-event path runs as often as the program
        // chooses.
        let filesystem_off_event = last.cost.is_some_and(Cost::per_event_only)
            && !call.per_event
            && !index.is_per_event(f);
        // Image work on a per-event path an event loop starts, not a request handler: a cover
        // decoded per track change, not an upload decoded per request.
        let image_off_request = last.cost == Some(Cost::Cpu)
            && !call.per_event
            && index.is_per_event(f)
            && !index.reached_from_request_handler(f);
        // Polled only on the main thread of a multi-thread `#[tokio::main]`, outside any
        // concurrency of `main`'s own future: the spawned tasks run on other threads.
        let main_thread_only = index.call_on_main_thread(f, call);
        // Made right before a process exit or in an environment-variable fallback, or a helper
        // that blocks only there.
        let quiet = call.quiet_path || index.blocks_only_on_quiet_paths(f, call);
        let panics = last.hint.as_deref().is_some_and(blocking::panics_in_async);
        // In a function that waits for a person at the terminal: the flow waits on them anyway.
        let interactive = index.on_interactive_path(f, call.span.start.line);
        let why = Pedantic::first([
            (
                dependency_form == Some(dependencies::Propagation::Pedantic),
                Pedantic::Dependency,
            ),
            (at_startup, Pedantic::Startup),
            (quiet, Pedantic::Quiet),
            (interactive, Pedantic::Interactive),
            (
                filesystem_off_event,
                Pedantic::off_event(last.cost == Some(Cost::ChildProcess)),
            ),
            (image_off_request, Pedantic::ImageOffRequest),
            (main_thread_only, Pedantic::MainThread),
            (
                blocking::pedantic_kind(Some(last.calls.trim_matches('`')), None),
                Pedantic::Kind,
            ),
        ]);
        let mut on_request_path = false;
        let form = if panics {
            crate::levels::Form::Default
        } else if let Some(why) = why {
            notes.push(why.note());
            crate::levels::Form::Pedantic
        } else {
            // Filesystem and image work are default only on a per-event path, and any blocking
            // call there is served work (which keeps it out of the serial-module
            // approximation): say which path.
            if !call.per_event {
                let path = index.per_event_notes(f);
                on_request_path = path.from_request;
                notes.extend(path.notes);
            }
            crate::levels::Form::Default
        };
        out.push(Diagnostic {
            rule: BLOCKING_IN_ASYNC.name,
            // Levels are applied to every finding after the crate pass.
            severity: crate::diagnostic::Severity::Warning,
            form,
            path: path.to_path_buf(),
            span: call.span,
            message: format!(
                "`{}` blocks the thread inside async code (`{}`)",
                callee.short(),
                chain.join(" -> ")
            ),
            help: Some(helper_help(
                callee.short(),
                hint,
                hops.first().is_some_and(|h| h.in_dependency),
            )),
            notes,
            fix: None,
            function: Some(index.enclosing(f)),
            through: hops.first().map(|first| crate::diagnostic::Through {
                helper: callee.0.clone(),
                helper_path: first.path.clone(),
                steps: hops
                    .iter()
                    .map(|h| (h.path.clone(), h.span.start.line))
                    .collect(),
            }),
            marks: crate::diagnostic::Marks {
                on_request_path,
                ..Default::default()
            },
        });
    }
}

/// The help of a finding made through a sync helper: run the helper off the executor, or make
/// it async and follow the blocking call's own advice, without that advice's own
/// `spawn_blocking` alternative (which the first half already gives). A dependency's function
/// cannot be made async by its caller: there the alternative is the crate's async API.
fn helper_help(helper: &str, hint: &str, in_dependency: bool) -> String {
    const OFFLOAD: &str = "tokio::task::spawn_blocking";
    // `.., or run it in `tokio::task::spawn_blocking``: the advice's last alternative.
    let own_advice = match hint.rfind(" or ") {
        Some(at) if hint[at..].contains(OFFLOAD) && hint.ends_with('`') => {
            hint[..at].trim_end_matches(',')
        }
        _ => hint,
    };
    let offload_only = own_advice.contains(OFFLOAD);
    // `password hashing is deliberately slow CPU work: run it in ..`: keep the why.
    let why = hint
        .split_once(": ")
        .map(|(why, _)| why)
        .filter(|_| offload_only);
    let run_it = match why {
        Some(why) => format!("{why}: run `{helper}` in `{OFFLOAD}`"),
        None => format!("run `{helper}` in `{OFFLOAD}`"),
    };
    match (in_dependency, offload_only) {
        (true, true) => format!(
            "`{helper}` is a sync function of a dependency; {run_it}, or use the crate's async API if it has one"
        ),
        (true, false) => format!(
            "`{helper}` is a sync function of a dependency: run it in `{OFFLOAD}`, or use the crate's async API if it has one (for the call inside it: {own_advice})"
        ),
        (false, true) => run_it,
        (false, false) => format!("{run_it}, or make it async: {own_advice}"),
    }
}

/// Per-file findings made where no other task can run — in a binary, in a function reached
/// from `main` only through functions that run alone, before anything concurrent starts (see
/// [`CrateIndex::runs_alone`]) — are the pedantic form: the file alone cannot tell. So is
/// filesystem work in a function on no per-event path (see
/// [`CrateIndex::is_filesystem_off_event`]), and a blocking call polled only on the main
/// thread of a multi-thread `#[tokio::main]` (see [`CrateIndex::blocks_on_main_thread`]).
pub(crate) fn settle_forms(index: &CrateIndex, diagnostics: &mut [Diagnostic]) {
    for d in diagnostics {
        if d.rule != BLOCKING_IN_ASYNC.name
            || d.form != crate::levels::Form::Default
            || d.help.as_deref().is_some_and(blocking::panics_in_async)
        {
            continue;
        }
        let line = d.span.start.line;
        let Some(f) = index.function_at(&d.path, line) else {
            continue;
        };
        let why = Pedantic::first([
            (index.runs_alone(f, line), Pedantic::RunsAlone),
            (index.on_interactive_path(f, line), Pedantic::Interactive),
            (index.blocks_at_startup(f, &d.span), Pedantic::Startup),
            (
                index.is_filesystem_off_event(f, &d.span),
                Pedantic::off_event(d.help.as_deref() == Some(blocking::PROCESS_HINT)),
            ),
            (
                d.help.as_deref().is_some_and(blocking::is_image_work_hint)
                    && index.is_per_event(f)
                    && !index.reached_from_request_handler(f),
                Pedantic::ImageOffRequest,
            ),
            (
                index.blocks_on_main_thread(f, &d.span),
                Pedantic::MainThread,
            ),
        ]);
        if let Some(why) = why {
            d.form = crate::levels::Form::Pedantic;
            d.notes.push(why.note());
        } else if index.is_per_event(f) {
            // Filesystem and image work are default only on a per-event path, and any blocking
            // call there is served work (which keeps it out of the serial-module
            // approximation): say which path.
            let path = index.per_event_notes(f);
            d.marks.on_request_path = path.from_request;
            d.notes.extend(path.notes);
        }
    }
}

/// Why a finding is the pedantic form, said in a note so that a run with `--select all`
/// shows the judgement the rule made (and a reader can disagree with it).
#[derive(Debug, Clone, Copy)]
enum Pedantic {
    Startup,
    RunsAlone,
    Quiet,
    Interactive,
    FilesystemOffEvent,
    ChildProcessOffEvent,
    ImageOffRequest,
    MainThread,
    Kind,
    Dependency,
}

impl Pedantic {
    /// The first reason whose condition holds.
    fn first<const N: usize>(reasons: [(bool, Pedantic); N]) -> Option<Pedantic> {
        reasons
            .into_iter()
            .find(|(holds, _)| *holds)
            .map(|(_, why)| why)
    }

    /// Off every per-event path: a wait for a child process, or filesystem or image work.
    fn off_event(child_process: bool) -> Pedantic {
        if child_process {
            Pedantic::ChildProcessOffEvent
        } else {
            Pedantic::FilesystemOffEvent
        }
    }

    fn note(self) -> Note {
        Note::text(match self {
            Pedantic::Startup => "pedantic form: made once at start-up or set-up",
            Pedantic::RunsAlone => {
                "pedantic form: in a binary, made while nothing else runs (before anything concurrent starts)"
            }
            Pedantic::Quiet => {
                "pedantic form: made where no served work waits (right before a process exit or a panic, in an unset environment variable's fallback, in a static once-cell's initialiser, or an open handed to an async reader)"
            }
            Pedantic::Interactive => {
                "pedantic form: in a flow that waits for a person at the terminal"
            }
            Pedantic::FilesystemOffEvent => {
                "pedantic form: filesystem or image work on no per-event path (start-up, a command, a reload, a periodic task)"
            }
            Pedantic::ChildProcessOffEvent => {
                "pedantic form: a wait for a child process on no per-event path (a command's step, an install, start-up, a periodic task)"
            }
            Pedantic::ImageOffRequest => {
                "pedantic form: image work on a per-event path an event loop starts, not a request handler (a cover or an icon per event of a local loop)"
            }
            Pedantic::MainThread => {
                "pedantic form: polled only on the main thread by a multi-thread runtime's `block_on` (`#[tokio::main]`, or a runtime `main` builds), apart from the workers"
            }
            Pedantic::Kind => {
                "pedantic form: a metadata-only call, brief work or a new password hash"
            }
            Pedantic::Dependency => {
                "pedantic form: a kind of blocking call inside a registry dependency that is rarely worth acting on (see `knowledge::dependencies`)"
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::helper_help;
    use crate::knowledge::blocking::{DB_HINT, FS_HINT, HASH_HINT, TOKIO_BLOCKING_HINT};

    #[test]
    fn a_helper_s_help_gives_spawn_blocking_once() {
        assert_eq!(
            helper_help("load", FS_HINT, false),
            "run `load` in `tokio::task::spawn_blocking`, or make it async: use the `tokio::fs` equivalent"
        );
        assert_eq!(
            helper_help("verify", HASH_HINT, false),
            "password hashing is deliberately slow CPU work: run `verify` in `tokio::task::spawn_blocking`"
        );
        let tokio = helper_help("drain", TOKIO_BLOCKING_HINT, false);
        assert!(tokio.ends_with(TOKIO_BLOCKING_HINT), "{tokio}");
        for hint in [FS_HINT, HASH_HINT, DB_HINT, TOKIO_BLOCKING_HINT] {
            for dependency in [false, true] {
                let help = helper_help("h", hint, dependency);
                assert_eq!(help.matches("spawn_blocking").count(), 1, "{help}");
            }
        }
        assert!(helper_help("query", DB_HINT, true).contains("async counterpart"));
    }
}
