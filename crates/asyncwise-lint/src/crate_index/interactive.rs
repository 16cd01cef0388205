//! Interactive paths: functions that wait for a person at the terminal (a y/N confirmation
//! read from standard input, a dialoguer or inquire prompt, a password prompt, an editor the
//! user closes), directly or through the sync helpers they call.
//!
//! A blocking call made in such a function, before it starts anything concurrent, holds up a
//! flow whose next step is a person's answer anyway: a command-line client confirming a
//! command, a menu shown while the work it controls is paused, a pause after copying to the
//! clipboard at a prompt. `blocking_in_async` reports it in the pedantic form. A function on a
//! per-event path (a request handler, a connection's task) is never interactive this way: a
//! server that reads standard input somewhere does not wait for a person per request. Only
//! program code counts: a binary's, the library of a package that builds one, or a function
//! of a library-only member that program code of the workspace calls. A library's public fn
//! that nothing in the workspace calls serves other crates, whose runtimes may run anything.

use super::CrateIndex;

impl CrateIndex {
    /// Works out [`CrateIndex::waits_for_user`]: a function's own prompt, or one of a sync
    /// function it calls (resolved calls, transitively through sync functions).
    pub(super) fn settle_user_waits(&mut self) {
        let n = self.fns.len();
        let mut waits: Vec<bool> = self
            .fns
            .iter()
            .map(|e| e.summary.waits_for_user && !e.summary.in_test)
            .collect();
        // Callers of each function, through resolved calls not offloaded.
        let mut callers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for f in 0..n {
            let Some(resolved) = self.resolved.get(f) else {
                continue;
            };
            for (call, target) in self.fns[f].summary.calls.iter().zip(resolved.iter()) {
                if let Some(g) = *target
                    && call.ctx != crate::model::Ctx::Offloaded
                {
                    callers[g].push(f);
                }
            }
        }
        // Only a sync helper passes its wait on: an async callee is a step of its own.
        let mut queue: Vec<usize> = (0..n)
            .filter(|&g| waits[g] && !self.fns[g].summary.is_async)
            .collect();
        while let Some(g) = queue.pop() {
            for &f in &callers[g] {
                if !waits[f] && !self.fns[f].summary.in_test {
                    waits[f] = true;
                    if !self.fns[f].summary.is_async {
                        queue.push(f);
                    }
                }
            }
        }
        // A library-only package is there for other crates too, whose calls the index does
        // not see: its function counts only when program code of the workspace calls it (a
        // command's flow kept in a library member), not a public fn only examples call.
        let called_by_program: Vec<bool> = callers
            .iter()
            .map(|of| of.iter().any(|&f| self.is_program_code(f)))
            .collect();
        self.user_waits = (0..n)
            .map(|f| waits[f] && (self.may_run_alone(f) || called_by_program[f]))
            .collect();
    }

    /// Does function `f` of program code wait for a person at the terminal, itself or through a
    /// sync helper?
    pub fn waits_for_user(&self, f: usize) -> bool {
        self.user_waits.get(f).copied().unwrap_or(false)
    }

    /// Is line `line` of function `f` on an interactive path: `f` waits for a person at the
    /// terminal, is on no per-event path, and has not started anything concurrent by then?
    pub fn on_interactive_path(&self, f: usize, line: usize) -> bool {
        self.waits_for_user(f)
            && !self.is_per_event(f)
            && [
                self.concurrent_from.get(f).copied().flatten(),
                self.fns.get(f).and_then(|e| e.summary.concurrent_from),
            ]
            .into_iter()
            .flatten()
            .all(|c| line < c)
    }
}
