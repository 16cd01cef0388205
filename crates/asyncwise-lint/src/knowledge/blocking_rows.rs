//! The blocking rows of a [`Knowledge`](super::Knowledge) with maps from the paths they name
//! to their positions: every call's callee is looked up in them (the summaries and
//! `blocking_in_async`), and a scan of every row per call was about 1.3% of a cold run's
//! instructions (75 function and 68 method rows, ~900,000 `path_matches` on tokio's `src/`).
//!
//! The rows and their maps live in one value whose only ways to add a row also add it to the
//! maps, so they are in step by construction: nothing to invalidate, nothing to rebuild.
//!
//! A row's path is either exact (matched by equality) or `module::*` (matched by a path one
//! segment below `module`, see [`path_matches`]): a path can match exact rows under itself and
//! glob rows under its parent module, nothing else. Each map keeps the row positions in table
//! order, so the first matching row is the one a scan of every row would find.

use super::blocking::{BlockingFn, BlockingMethod, path_matches};

/// Row positions by the path a row names, exact rows and `module::*` rows apart.
#[derive(Clone, Default)]
struct PathIndex {
    exact: foldhash::HashMap<&'static str, Vec<usize>>,
    glob: foldhash::HashMap<&'static str, Vec<usize>>,
}

impl PathIndex {
    fn insert(&mut self, position: usize, pattern: &'static str) {
        match pattern.strip_suffix("::*") {
            Some(module) => self.glob.entry(module).or_default().push(position),
            None => self.exact.entry(pattern).or_default().push(position),
        }
    }

    /// The first row (in table order) whose pattern matches `path` and that `accept` takes.
    fn first(&self, path: &str, accept: impl Fn(usize) -> bool) -> Option<usize> {
        let first_of = |rows: Option<&Vec<usize>>| {
            rows.and_then(|rows| rows.iter().copied().find(|&i| accept(i)))
        };
        let earliest = |a: Option<usize>, b: Option<usize>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut found = first_of(self.exact.get(path));
        // `module::*` matches `module::item` with a non-empty `item` holding no `::`: the
        // module is the path before its last `::`, or, when that `::` ends a `:::`, one `:`
        // shorter (the item then starts with `:`).
        if let Some((module, item)) = crate::path_text::split_last(path) {
            if !item.is_empty() {
                found = earliest(found, first_of(self.glob.get(module)));
            }
            if let Some(shorter) = module.strip_suffix(':') {
                found = earliest(found, first_of(self.glob.get(shorter)));
            }
        }
        found
    }
}

/// The blocking function and method rows, with their lookup maps.
#[derive(Clone, Default)]
pub(super) struct BlockingRows {
    fns: Vec<BlockingFn>,
    methods: Vec<BlockingMethod>,
    fns_by_path: PathIndex,
    methods_by_receiver: PathIndex,
}

/// Prints the rows only: the maps are derived from them (and a hash map's order is not stable
/// from run to run).
impl std::fmt::Debug for BlockingRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingRows")
            .field("fns", &self.fns)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

impl BlockingRows {
    /// These rows, in this order.
    pub(super) fn new(
        fns: impl IntoIterator<Item = BlockingFn>,
        methods: impl IntoIterator<Item = BlockingMethod>,
    ) -> Self {
        let mut rows = BlockingRows::default();
        for row in fns {
            rows.push_fn(row);
        }
        for row in methods {
            rows.push_method(row);
        }
        rows
    }

    pub(super) fn fns(&self) -> &[BlockingFn] {
        &self.fns
    }

    pub(super) fn methods(&self) -> &[BlockingMethod] {
        &self.methods
    }

    /// Adds a function row after the others.
    pub(super) fn push_fn(&mut self, row: BlockingFn) {
        self.fns_by_path.insert(self.fns.len(), row.path);
        self.fns.push(row);
    }

    /// Adds a method row after the others.
    pub(super) fn push_method(&mut self, row: BlockingMethod) {
        self.methods_by_receiver
            .insert(self.methods.len(), row.receiver);
        self.methods.push(row);
    }

    /// The first function row `path` matches.
    pub(super) fn function(&self, path: &str) -> Option<&BlockingFn> {
        let found = self.fns_by_path.first(path, |_| true).map(|i| &self.fns[i]);
        debug_assert_eq!(
            found.map(std::ptr::from_ref),
            self.fns
                .iter()
                .find(|b| path_matches(b.path, path))
                .map(std::ptr::from_ref),
            "{path}"
        );
        found
    }

    /// The first method row `method` on `receiver` matches.
    pub(super) fn method(&self, receiver: &str, method: &str) -> Option<&BlockingMethod> {
        let found = self
            .methods_by_receiver
            .first(receiver, |i| self.methods[i].methods.contains(&method))
            .map(|i| &self.methods[i]);
        debug_assert_eq!(
            found.map(std::ptr::from_ref),
            self.methods
                .iter()
                .find(|b| path_matches(b.receiver, receiver) && b.methods.contains(&method))
                .map(std::ptr::from_ref),
            "{receiver}.{method}"
        );
        found
    }
}

#[cfg(test)]
mod tests {
    use crate::knowledge::blocking::{BlockingFn, BlockingMethod, Cost, path_matches};
    use crate::knowledge::{Knowledge, UserRows};

    /// Paths around every row of `patterns`: the row itself, one and two segments below it,
    /// its module, and odd spellings (`:::`, empty segments) a scan would also judge.
    fn paths_around<'a>(patterns: impl Iterator<Item = &'a str>) -> Vec<String> {
        let mut paths = vec![String::new(), "::".into(), "::x".into(), ":::x".into()];
        for pattern in patterns {
            let module = pattern.strip_suffix("::*").unwrap_or(pattern);
            for tail in ["", "::x", "::x::y", ":::x", "::", "::::x", ":x"] {
                paths.push(format!("{module}{tail}"));
                paths.push(format!("{pattern}{tail}"));
            }
            if let Some((parent, _)) = module.rsplit_once("::") {
                paths.push(parent.to_string());
                paths.push(format!("{parent}::"));
            }
        }
        paths
    }

    /// The built-in tables, a configuration's rows on top, and rows added one by one after a
    /// first lookup (odd module rows included).
    fn knowledge_values() -> Vec<Knowledge> {
        let rows = UserRows {
            blocking: vec![
                ("mylib::io::*".into(), None),
                ("std::fs::read".into(), Some("a user's own hint".into())),
            ],
            ..UserRows::default()
        };
        let mut added = Knowledge::builtin().with_user_rows(&rows, Some("mylib"));
        assert!(added.blocking_fn("odd:::x").is_none());
        for path in ["odd:::*", "odd::*", "std::fs::*", "::*"] {
            added.add_blocking_fn(BlockingFn {
                path,
                hint: "h",
                cost: Cost::Wait,
            });
        }
        added.add_blocking_method(BlockingMethod {
            receiver: "std::fs::*",
            methods: &["read_to_end", "mine"],
            hint: "h",
            cost: Cost::Wait,
        });
        vec![
            (*Knowledge::builtin()).clone(),
            Knowledge::builtin().with_user_rows(&rows, Some("mylib")),
            added,
        ]
    }

    #[test]
    fn lookups_find_the_row_a_scan_of_every_row_finds() {
        for k in knowledge_values() {
            for path in paths_around(k.blocking_fns().iter().map(|b| b.path)) {
                let scanned = k
                    .blocking_fns()
                    .iter()
                    .find(|b| path_matches(b.path, &path));
                assert_eq!(
                    k.blocking_fn(&path).map(std::ptr::from_ref),
                    scanned.map(std::ptr::from_ref),
                    "{path}"
                );
            }
            let methods: Vec<&str> = k
                .blocking_methods()
                .iter()
                .flat_map(|b| b.methods.iter().copied())
                .chain(["no_such_method"])
                .collect();
            for receiver in paths_around(k.blocking_methods().iter().map(|b| b.receiver)) {
                for &method in &methods {
                    let scanned = k.blocking_methods().iter().find(|b| {
                        path_matches(b.receiver, &receiver) && b.methods.contains(&method)
                    });
                    assert_eq!(
                        k.blocking_method(&receiver, method).map(std::ptr::from_ref),
                        scanned.map(std::ptr::from_ref),
                        "{receiver}.{method}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_row_added_after_a_lookup_is_found_and_an_earlier_row_still_wins() {
        let mut k = (*Knowledge::builtin()).clone();
        let sleep = k.blocking_fn("std::thread::sleep").map(|b| b.hint);
        assert!(sleep.is_some());
        assert!(k.blocking_fn("mylib::io::read_all").is_none());
        for path in ["mylib::io::*", "std::thread::sleep"] {
            k.add_blocking_fn(BlockingFn {
                path,
                hint: "added",
                cost: Cost::Wait,
            });
        }
        assert_eq!(k.blocking_fn("mylib::io::read_all").unwrap().hint, "added");
        assert_eq!(k.blocking_fn("std::thread::sleep").map(|b| b.hint), sleep);
    }

    #[test]
    fn the_debug_text_names_the_rows_and_is_the_same_for_equal_rows() {
        let a = (*Knowledge::builtin()).clone();
        let b = (*Knowledge::builtin()).clone();
        assert!(a.blocking_fn("std::thread::sleep").is_some());
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        assert!(format!("{a:?}").contains("std::thread::sleep"));
    }
}
