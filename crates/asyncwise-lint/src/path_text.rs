//! `::`-separated path strings split without a substring searcher: `str::rsplit("::")`,
//! `rfind("::")` and `split("::")` set one up per call (about 200 instructions before the
//! search starts), and the model, the summaries and the knowledge lookups split a path per call
//! they look at (~60,000 splits on tokio's `src/`, about 1.5% of a cold run). Each function
//! answers exactly what its `str` counterpart does, `:::` included (the tests compare them).

/// Where the last `::` starts, as `path.rfind("::")` says.
pub(crate) fn rfind_separator(path: &str) -> Option<usize> {
    let bytes = path.as_bytes();
    let mut end = bytes.len();
    // The last `::` ends at the last `:` that follows another `:`.
    while let Some(at) = memchr::memrchr(b':', &bytes[..end]) {
        if at > 0 && bytes[at - 1] == b':' {
            return Some(at - 1);
        }
        end = at;
    }
    None
}

/// The text before and after the last `::`, as `path.rsplit_once("::")` says.
pub(crate) fn split_last(path: &str) -> Option<(&str, &str)> {
    rfind_separator(path).map(|at| (&path[..at], &path[at + 2..]))
}

/// The last segment, as `path.rsplit("::").next()` gives it (the whole path without a `::`).
pub(crate) fn last_segment(path: &str) -> &str {
    split_last(path).map_or(path, |(_, last)| last)
}

/// The first segment, as `path.split("::").next()` gives it (the whole path without a `::`).
pub(crate) fn first_segment(path: &str) -> &str {
    let bytes = path.as_bytes();
    let mut start = 0;
    // The first `::` starts at the first `:` followed by another `:`.
    while let Some(at) = memchr::memchr(b':', &bytes[start..]).map(|i| start + i) {
        if bytes.get(at + 1) == Some(&b':') {
            return &path[..at];
        }
        start = at + 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_the_str_methods_do() {
        let paths = [
            "",
            ":",
            "::",
            ":::",
            "::::",
            "a",
            "a::b",
            "a::b::c",
            "::a",
            "a::",
            "a:::b",
            "a::::b",
            "a:b",
            "a:b::c",
            ":a::b:",
            "crate::db::Pool::get",
            "std::thread::sleep",
            "é::ü",
            "a:::",
            ":::a",
        ];
        for path in paths {
            assert_eq!(rfind_separator(path), path.rfind("::"), "{path:?}");
            assert_eq!(split_last(path), path.rsplit_once("::"), "{path:?}");
            assert_eq!(
                Some(last_segment(path)),
                path.rsplit("::").next(),
                "{path:?}"
            );
            assert_eq!(
                Some(first_segment(path)),
                path.split("::").next(),
                "{path:?}"
            );
        }
    }
}
