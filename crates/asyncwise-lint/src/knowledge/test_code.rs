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

/// Item macros whose body is a set of tests (`proptest! { #[test] fn .. }`).
pub const TEST_MACROS: &[&str] = &["proptest", "quickcheck"];
