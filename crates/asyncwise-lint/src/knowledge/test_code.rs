//! What marks code as test code, which cargo compiles only for test, bench or example targets.

/// Last path segments of attributes that make a function a test or benchmark: `#[test]`,
/// `#[tokio::test]`, `#[async_std::test]`, `#[test_log::test]`, `#[sqlx::test]`,
/// `#[actix_rt::test]`, `#[rstest]`, `#[test_case(..)]`, `#[bench]`, `#[divan::bench]`, ...
pub const TEST_ATTRIBUTES: &[&str] = &[
    "test",
    "rstest",
    "test_case",
    "test_matrix",
    "bench",
    "quickcheck",
    "proptest",
    "wasm_bindgen_test",
];

/// Words of cargo feature names that gate test support (`test`, `test-util`, `test_utils`,
/// `testing`, `integration-tests`, `__test-data`): a name split at `-` and `_` with one of these
/// words. Code under `#[cfg(feature = "test-util")]` (or `any(test, feature = "testing")`) is
/// compiled for test suites and the crates that enable the feature in their dev-dependencies;
/// `cargo clippy` without flags does not compile it.
pub const TEST_FEATURE_WORDS: &[&str] = &["test", "tests", "testing"];

/// Item macros whose body is a set of tests (`proptest! { #[test] fn .. }`).
pub const TEST_MACROS: &[&str] = &["proptest", "quickcheck"];

/// Names of packages (their directory or `[package] name`, `_` read as `-`) that exist to test
/// other code: shared test helpers and mocks (`test-utils`, `mock`), integration and end-to-end
/// suites kept as packages (`integration-tests`, `e2e`), fuzz harnesses (`fuzz`, the directory
/// `cargo fuzz init` creates), stress and load testers (`stress`). Their code is test code,
/// checked with `--tests` like cargo's test targets. Not listed on purpose: `*-bench` (a
/// benchmarking tool may be what a project ships, as a database ships its load generator;
/// benchmark packages are recognised by a `benches/`-like directory instead) and `*-sim`
/// (a simulator may be the product).
pub const TEST_PACKAGE_NAMES: &[&str] = &[
    "test",
    "tests",
    "testing",
    "mock",
    "mocks",
    "integration",
    "integration-tests",
    "test-support",
    "test-utils",
    "test-util",
    "test-harness",
    "test-helpers",
    "testkit",
    "fuzz",
    "e2e",
    "stress",
];

/// Endings of test-support package names (`_` read as `-`): `app-test`, `proto-fuzz`, a
/// deterministic-simulation harness `db-dst`, a stress tester `server-stress`, an integration
/// harness `server-testkit`, shared helpers `connectors-test-helpers`, ...
pub const TEST_PACKAGE_SUFFIXES: &[&str] = &[
    "-test",
    "-tests",
    "-testing",
    "-mock",
    "-mocks",
    "-test-support",
    "-test-utils",
    "-test-util",
    "-test-helpers",
    "-testkit",
    "-fuzz",
    "-e2e",
    "-dst",
    "-stress",
];

/// Beginnings of test-support package names (`test-server`, `tests-database`, `test-macros`).
pub const TEST_PACKAGE_PREFIXES: &[&str] = &["test-", "tests-"];

/// Is a module named for test support (`test`, `tests`, `testing`, `testutil(s)`, `test_*`,
/// `*_test`, `*_tests`)? Functions of such modules that only test code calls are test code
/// (see [`CrateIndex::test_support_items`](crate::crate_index::CrateIndex::test_support_items)).
///
/// ```
/// use asyncwise_lint::knowledge::test_code::is_test_module_name;
/// assert!(is_test_module_name("test_utils") && is_test_module_name("mock_tests"));
/// assert!(!is_test_module_name("attestation") && !is_test_module_name("contest"));
/// ```
pub fn is_test_module_name(segment: &str) -> bool {
    matches!(
        segment,
        "test" | "tests" | "testing" | "testutil" | "testutils"
    ) || segment.starts_with("test_")
        || segment.ends_with("_test")
        || segment.ends_with("_tests")
}
