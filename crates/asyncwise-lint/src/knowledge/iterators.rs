//! Iterator knowledge: which closures run once per element.

/// Iterator adapters whose closure runs once per element: a spawn inside is a spawn in a loop.
pub const PER_ELEMENT_ADAPTERS: &[&str] = &[
    "map",
    "for_each",
    "filter_map",
    "flat_map",
    "try_for_each",
    "then",
];

/// Methods of `Option`, `Result` and `Iterator` that call a function given as an argument on the
/// caller's thread: an `Option`'s or `Result`'s at once, an iterator's as it is consumed (in the
/// same expression, nearly always). A function named by its path there
/// (`password.map(hash::password)`) is called as `hash::password(p)` would be. Not `then`: a
/// stream's `then` takes an async fn whose future it polls.
pub const FN_CALLING_COMBINATORS: &[&str] = &[
    "map",
    "and_then",
    "or_else",
    "map_or",
    "map_or_else",
    "unwrap_or_else",
    "ok_or_else",
    "map_err",
    "inspect",
    "is_some_and",
    "is_ok_and",
    "filter",
    "filter_map",
    "flat_map",
    "for_each",
    "try_for_each",
    "find_map",
    "any",
    "all",
];

/// Methods that produce an iterator or stream: evidence that a following `map` runs per element
/// (`Option::map` and `Result::map` run at most once).
pub const ITERATOR_SOURCES: &[&str] = &[
    "iter",
    "into_iter",
    "iter_mut",
    "drain",
    "chunks",
    "windows",
    "keys",
    "values",
    "values_mut",
    "lines",
    "split",
    "enumerate",
    "zip",
    "filter",
    "take",
    "skip",
    "chain",
    "cloned",
    "copied",
    "rev",
    "map",
    "filter_map",
    "flat_map",
    "flatten",
    "incoming",
    "bytes",
    "chars",
    "step_by",
    "peekable",
    "inspect",
    "take_while",
    "skip_while",
];

/// Adapters that split a collection or stream into bounded chunks: a loop over them handles one
/// chunk per iteration.
pub const CHUNKING_ADAPTERS: &[&str] = &[
    "chunks",
    "chunks_exact",
    "array_chunks",
    "ready_chunks",
    "chunks_timeout",
];

/// Stream consumers that poll at most `n` items' futures at once (`for_each_concurrent(n, ..)`,
/// `buffer_unordered(n)`): a stream's `map` before them produces the next item, and spawns its
/// task, only when a slot is free. `for_each_concurrent(None, ..)` has no limit.
pub const CONCURRENCY_LIMITED_CONSUMERS: &[&str] = &[
    "for_each_concurrent",
    "try_for_each_concurrent",
    "buffer_unordered",
    "buffered",
    "try_buffer_unordered",
    "try_buffered",
];

/// Methods outside [`FN_CALLING_COMBINATORS`] and [`PER_ELEMENT_ADAPTERS`] that run the closure
/// they are given at once, on the caller's thread: once-cells and map entries that initialise a
/// value (`get_or_init`, `or_insert_with`), `Once::call_once`, a thread-local's `with`, sorting
/// and searching by a key, folds, atomics' `fetch_update`. A `move` closure handed to them is
/// still inline code.
pub const INLINE_CLOSURE_RUNNERS: &[&str] = &[
    "get_or_init",
    "get_or_try_init",
    "get_or_insert_with",
    "or_insert_with",
    "or_insert_with_key",
    "and_modify",
    "call_once",
    "call_once_force",
    "with",
    "with_borrow",
    "with_borrow_mut",
    "retain",
    "retain_mut",
    "sort_by",
    "sort_by_key",
    "sort_unstable_by",
    "sort_unstable_by_key",
    "sort_by_cached_key",
    "dedup_by",
    "dedup_by_key",
    "binary_search_by",
    "binary_search_by_key",
    "position",
    "rposition",
    "find",
    "fold",
    "try_fold",
    "max_by",
    "max_by_key",
    "min_by",
    "min_by_key",
    "partition",
    "take_while",
    "skip_while",
    "map_while",
    "scan",
    "fetch_update",
    "then",
    "then_some",
    "map_or",
    "is_some_and",
    "is_none_or",
];
