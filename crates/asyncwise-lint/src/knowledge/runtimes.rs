//! Async runtimes: the packages that provide one, and the calls that use one (spawn, sleep,
//! block on, build a runtime). `mixed_runtimes` reads these rows; matching code names none.

/// One async runtime.
#[derive(Debug, Clone, Copy)]
pub struct Runtime {
    /// Its name in messages.
    pub name: &'static str,
    /// The package name in `Cargo.toml` (`async-std`).
    pub package: &'static str,
    /// Whether its default features alone start a runtime (tokio's default features are
    /// empty: `tokio = "1"` brings only traits).
    pub default_features_run: bool,
    /// Features that need no executor (`sync`, `io-util`): a dependency that enables only these
    /// uses the library, not the runtime. Empty: any dependency on it is the runtime.
    pub runtime_free_features: &'static [&'static str],
    /// Canonical paths whose call uses this runtime's executor or timer (a `module::*` row
    /// covers the module's functions).
    pub calls: &'static [&'static str],
}

/// The runtimes asyncwise knows.
pub const RUNTIMES: &[Runtime] = &[
    Runtime {
        name: "tokio",
        package: "tokio",
        default_features_run: false,
        runtime_free_features: &["sync", "io-util", "macros", "parking_lot", "tracing"],
        calls: &[
            "tokio::spawn",
            "tokio::task::spawn",
            "tokio::task::spawn_local",
            "tokio::task::spawn_blocking",
            "tokio::task::block_in_place",
            "tokio::task::yield_now",
            "tokio::time::sleep",
            "tokio::time::sleep_until",
            "tokio::time::interval",
            "tokio::time::timeout",
            "tokio::runtime::Runtime::new",
            "tokio::runtime::Builder::new_multi_thread",
            "tokio::runtime::Builder::new_current_thread",
            "tokio::runtime::Handle::current",
        ],
    },
    Runtime {
        name: "async-std",
        package: "async-std",
        default_features_run: true,
        runtime_free_features: &["std", "alloc"],
        calls: &[
            "async_std::task::spawn",
            "async_std::task::spawn_local",
            "async_std::task::spawn_blocking",
            "async_std::task::block_on",
            "async_std::task::sleep",
            "async_std::task::yield_now",
            "async_std::future::timeout",
            "async_std::stream::interval",
        ],
    },
    Runtime {
        name: "smol",
        package: "smol",
        default_features_run: true,
        runtime_free_features: &[],
        calls: &[
            "smol::spawn",
            "smol::block_on",
            "smol::unblock",
            "smol::future::block_on",
            "smol::Timer::after",
            "smol::Timer::interval",
            "smol::Executor::new",
            "smol::LocalExecutor::new",
        ],
    },
    Runtime {
        name: "glommio",
        package: "glommio",
        default_features_run: true,
        runtime_free_features: &[],
        calls: &[
            "glommio::spawn_local",
            "glommio::timer::sleep",
            "glommio::LocalExecutor::default",
            "glommio::LocalExecutorBuilder::new",
            "glommio::LocalExecutorBuilder::default",
        ],
    },
    Runtime {
        name: "monoio",
        package: "monoio",
        default_features_run: true,
        runtime_free_features: &[],
        calls: &[
            "monoio::spawn",
            "monoio::start",
            "monoio::time::sleep",
            "monoio::time::timeout",
            "monoio::RuntimeBuilder::new",
        ],
    },
];

/// Constructors of a runtime that polls the future given to its `block_on` on the calling
/// thread while spawned tasks run on worker threads of their own, as `#[tokio::main]` does:
/// tokio's `Builder::new_multi_thread()` and `Runtime::new()` ("Creates a new runtime instance
/// with default configuration values. This results in the multi threaded scheduler",
/// <https://docs.rs/tokio/1/tokio/runtime/struct.Runtime.html#method.new>). Matched by the
/// path's last segments, as written.
pub const MULTI_THREAD_RUNTIME_BUILDERS: &[&str] = &["new_multi_thread", "Runtime::new"];

/// Constructors of a runtime whose only worker is the thread that calls `block_on`
/// (`Builder::new_current_thread()`): spawned tasks share it.
pub const SINGLE_THREAD_RUNTIME_BUILDERS: &[&str] = &["new_current_thread", "LocalRuntime::new"];

/// A runtime's `main` attribute (`#[tokio::main]`) and the threads it polls on.
#[derive(Debug, Clone, Copy)]
pub struct MainAttribute {
    /// The attribute's crate, as written before `::main` (`tokio`, `actix_web`).
    pub krate: &'static str,
    /// Without a `flavor = ".."` argument, the runtime it builds polls the attributed fn's
    /// body on the process's main thread while spawned tasks run on worker threads of their
    /// own: a blocked main thread stalls only the body's own futures.
    pub main_apart_by_default: bool,
    /// `flavor` values that make the main thread the runtime's only worker (spawned tasks run
    /// there too).
    pub single_thread_flavors: &'static [&'static str],
    /// `flavor` values that build a pool of worker threads beside the main thread.
    pub multi_thread_flavors: &'static [&'static str],
}

/// The runtime `main` attributes asyncwise knows the threading of. tokio's multi-thread
/// runtime (`#[tokio::main]`'s default): `Runtime::block_on` "runs the given future on the
/// current thread, blocking until it is complete", and spawned tasks run on the runtime's
/// worker threads (<https://docs.rs/tokio/1/tokio/runtime/struct.Runtime.html#method.block_on>).
/// actix-rt (`#[actix_web::main]`, `#[actix_rt::main]`) builds a single-threaded tokio runtime
/// per thread (<https://docs.rs/actix-rt/2>: "Tokio-based single-threaded async runtime"), and
/// `actix_rt::spawn` from `main` runs on that same thread: not apart. Attributes not listed
/// (`async_std`, `ntex`) are not known to poll `main` apart.
pub const MAIN_ATTRIBUTES: &[MainAttribute] = &[
    MainAttribute {
        krate: "tokio",
        main_apart_by_default: true,
        single_thread_flavors: &["current_thread"],
        multi_thread_flavors: &["multi_thread"],
    },
    MainAttribute {
        krate: "actix_web",
        main_apart_by_default: false,
        single_thread_flavors: &[],
        multi_thread_flavors: &[],
    },
    MainAttribute {
        krate: "actix_rt",
        main_apart_by_default: false,
        single_thread_flavors: &[],
        multi_thread_flavors: &[],
    },
];

/// Does `#[krate::main(args)]` poll the fn's body on the main thread, apart from the worker
/// threads that run spawned tasks? `flavor` is the attribute's `flavor = ".."` value, if any.
///
/// ```
/// use asyncwise_lint::knowledge::runtimes::polls_main_apart;
/// assert!(polls_main_apart("tokio", None));
/// assert!(polls_main_apart("tokio", Some("multi_thread")));
/// assert!(!polls_main_apart("tokio", Some("current_thread")));
/// assert!(!polls_main_apart("actix_web", None));
/// assert!(!polls_main_apart("async_std", None));
/// ```
pub fn polls_main_apart(krate: &str, flavor: Option<&str>) -> bool {
    MAIN_ATTRIBUTES
        .iter()
        .find(|a| a.krate == krate)
        .is_some_and(|a| match flavor {
            None => a.main_apart_by_default,
            Some(f) if a.single_thread_flavors.contains(&f) => false,
            Some(f) => a.multi_thread_flavors.contains(&f),
        })
}
