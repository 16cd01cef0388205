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
