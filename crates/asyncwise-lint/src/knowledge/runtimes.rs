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
