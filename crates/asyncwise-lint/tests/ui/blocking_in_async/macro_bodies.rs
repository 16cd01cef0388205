// Calls inside macro bodies (`assert!`, `assert_eq!`) are parsed from the macro's tokens, one
// invocation at a time, and the walk marks calls by their node's address (awaited, discarded,
// bound). An awaited call of one invocation must not make a call of a later invocation look
// awaited when the later body is parsed into the memory the earlier one freed: every blocking
// `exists()` below, each right after an assertion that awaits an async `exists`, is reported
// (in the pedantic form: a metadata call).
// (Before the parsed bodies were kept for the whole walk, a run on one thread reported fewer
// than half of them, depending on the allocator.)
use std::path::PathBuf;

pub struct Store;

impl Store {
    pub async fn exists(&self, _key: &str) -> std::io::Result<bool> {
        Ok(true)
    }
}

const A: &str = "archive";
const B: &str = "index";

pub async fn check_index(store: &Store, dir: PathBuf) -> std::io::Result<()> {
    let index = dir.join(B);
    assert!(store.exists(&format!("{A}.{B}")).await?);
    assert!(!index.exists()); //~ blocking_in_async(pedantic)
    assert!(store.exists("k").await?);
    assert!(!index.exists()); //~ blocking_in_async(pedantic)
    assert!(store.exists("k").await?);
    assert!(index.exists()); //~ blocking_in_async(pedantic)
    assert_eq!(store.exists("k").await?, true);
    assert_eq!(index.exists(), false); //~ blocking_in_async(pedantic)
    debug_assert!(store.exists("k").await?);
    debug_assert!(!index.exists()); //~ blocking_in_async(pedantic)
    assert!(store.exists(&format!("{A}.{B}")).await?);
    assert!(!index.exists()); //~ blocking_in_async(pedantic)
    assert!(store.exists("k").await?);
    assert!(!index.exists()); //~ blocking_in_async(pedantic)
    assert!(store.exists("k").await?);
    assert!(index.exists()); //~ blocking_in_async(pedantic)
    assert_eq!(store.exists("k").await?, true);
    assert_eq!(index.exists(), false); //~ blocking_in_async(pedantic)
    debug_assert!(store.exists("k").await?);
    debug_assert!(!index.exists()); //~ blocking_in_async(pedantic)
    assert!(store.exists(&format!("{A}.{B}")).await?);
    assert!(!index.exists()); //~ blocking_in_async(pedantic)
    assert!(store.exists("k").await?);
    assert!(!index.exists()); //~ blocking_in_async(pedantic)
    assert!(store.exists("k").await?);
    assert!(index.exists()); //~ blocking_in_async(pedantic)
    assert_eq!(store.exists("k").await?, true);
    assert_eq!(index.exists(), false); //~ blocking_in_async(pedantic)
    debug_assert!(store.exists("k").await?);
    debug_assert!(!index.exists()); //~ blocking_in_async(pedantic)
    Ok(())
}
