//! Round trips: async functions that wait for another process's answer, an HTTP request, a
//! gRPC call or a database query, each taking milliseconds.
//!
//! A function makes one itself when its async code calls a network or database client
//! ([`knowledge::round_trips`](crate::knowledge::round_trips)): a method of a client type on a
//! receiver the file or the index types (a field of a struct declared in another file, a chain
//! of steps), or a client function. It makes one through a callee when it awaits a call, in
//! async code, that resolves to a function that makes one (transitively). Only awaited calls
//! are edges: a future made and handed elsewhere runs elsewhere.

use crate::model::Ctx;

use super::CrateIndex;

impl CrateIndex {
    /// Works out [`CrateIndex::makes_round_trip`].
    pub(super) fn settle_round_trips(&mut self) {
        let n = self.fns.len();
        let mut trips: Vec<bool> = (0..n).map(|f| self.calls_a_client(f)).collect();
        // Callers of each function, through resolved calls awaited in async code.
        let mut callers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (f, of_f) in self.resolved.iter().enumerate() {
            for (call, target) in self.fns[f].summary.calls.iter().zip(of_f.iter()) {
                if let Some(g) = *target
                    && call.awaited
                    && call.ctx == Ctx::Async
                    && g != f
                {
                    callers[g].push(f);
                }
            }
        }
        let mut queue: Vec<usize> = (0..n).filter(|&g| trips[g]).collect();
        while let Some(g) = queue.pop() {
            for &f in &callers[g] {
                if !trips[f] {
                    trips[f] = true;
                    queue.push(f);
                }
            }
        }
        self.round_trips = trips;
    }

    /// Does function `f` call a network or database client in its async code itself?
    fn calls_a_client(&self, f: usize) -> bool {
        let entry = &self.fns[f];
        let file = entry.file;
        let package = self.files[file].package;
        entry
            .summary
            .calls
            .iter()
            .filter(|call| call.ctx == Ctx::Async)
            .any(|call| {
                if crate::knowledge::round_trips::is_round_trip(&call.target) {
                    return true;
                }
                // `self.client.get(..)` with the struct declared in another file, or a receiver
                // reached through steps from other files' facts: typed here.
                let typed = match (
                    &call.receiver,
                    call.target.strip_prefix(crate::summary::FIELD_PREFIX),
                ) {
                    (Some(chain), _) => self
                        .chain_type(file, chain)
                        .map(|(_, ty)| format!("{ty}::{}", call.target)),
                    (None, Some(rest)) => rest.rsplit_once("::").and_then(|(place, method)| {
                        match self.packages[package].field_types.get(place)?.as_slice() {
                            [ty] => Some(format!("{ty}::{method}")),
                            _ => None,
                        }
                    }),
                    (None, None) => None,
                };
                typed.is_some_and(|t| crate::knowledge::round_trips::is_round_trip(&t))
            })
    }

    /// Does async function `f` wait for a network or database round trip: call a client itself
    /// (see [`knowledge::round_trips`](crate::knowledge::round_trips)), or await a function of
    /// the crate that does?
    ///
    /// ```
    /// use asyncwise_lint::crate_index::{CrateIndex, FileInput, PackageInput};
    /// use asyncwise_lint::model::FileModel;
    /// let src = "struct Api { http: reqwest::Client }
    ///            impl Api {
    ///                async fn fetch(&self) -> reqwest::Result<String> {
    ///                    self.http.get(\"http://x\").send().await?.text().await
    ///                }
    ///                async fn page(&self) -> String { self.fetch().await.unwrap_or_default() }
    ///                async fn local(&self) -> usize { 1 }
    ///            }";
    /// let ast = syn::parse_file(src).unwrap();
    /// let path = std::path::Path::new("src/lib.rs");
    /// let items = asyncwise_lint::summary::summarize(&FileModel::build(path, src, &ast));
    /// let file = FileInput { path: path.into(), rel: path.into(), items };
    /// let index = CrateIndex::build(vec![PackageInput { files: vec![file], ..Default::default() }]);
    /// let at = |line| index.function_at(path, line).unwrap();
    /// assert!(index.makes_round_trip(at(4)));
    /// assert!(index.makes_round_trip(at(6)));
    /// assert!(!index.makes_round_trip(at(7)));
    /// ```
    pub fn makes_round_trip(&self, f: usize) -> bool {
        self.round_trips.get(f).copied().unwrap_or(false)
    }
}
