//! Which calls run once, while the program starts: calls made directly (outside loops,
//! closures and async blocks) in `async fn main` or a set-up function (`new`, `open`, `init`,
//! a constructor), and calls made directly in a function that `main` awaits directly
//! (`run(cfg).await`). The second kind is only known once the whole file is walked, so each
//! call's direct caller is kept until [`StartupTrack::mark`] runs. [`items`](super::items)
//! enters and leaves functions; [`calls`](super::calls) records each call.

use std::collections::HashSet;

use super::super::CallFact;

/// The function being walked and what start-up knows so far.
#[derive(Default)]
pub(super) struct StartupTrack {
    /// The frame depth of a run-once body (`main`, set-up fns) while it is walked.
    run_once_depth: Option<usize>,
    /// The function being walked (index into `fn_names`) and its body's frame depth.
    current: Option<(usize, usize)>,
    fn_names: Vec<String>,
    /// Per call, in order: the function it is made directly in, if any.
    direct_in: Vec<Option<usize>>,
    /// Functions `main` awaits directly: their bodies run once, at start-up.
    main_callees: HashSet<String>,
}

/// What [`StartupTrack::enter_fn`] replaced, handed back to [`StartupTrack::leave_fn`].
pub(super) struct Entered {
    run_once_depth: Option<usize>,
    current: Option<(usize, usize)>,
}

/// What a call's place tells, from [`StartupTrack::record_call`].
pub(super) struct CallPlace {
    /// Made directly in `main` or a set-up fn: runs once at start-up.
    pub(super) startup: bool,
    /// Made in the function's own frame (possibly in a loop).
    pub(super) in_own_body: bool,
    /// Made directly in a function body, outside loops.
    pub(super) top_level: bool,
}

impl StartupTrack {
    /// Enters a function whose body will be walked at frame depth `body_depth`; `entry` is
    /// `main` (or another entry point), `run_once` also covers set-up fns.
    pub(super) fn enter_fn(
        &mut self,
        name: &str,
        entry: bool,
        run_once: bool,
        body_depth: usize,
    ) -> Entered {
        let saved = Entered {
            run_once_depth: self.run_once_depth,
            current: self.current,
        };
        self.run_once_depth = run_once.then_some(body_depth);
        self.fn_names.push(if entry {
            "main".to_string()
        } else {
            name.to_string()
        });
        self.current = Some((self.fn_names.len() - 1, body_depth));
        saved
    }

    pub(super) fn leave_fn(&mut self, saved: Entered) {
        self.run_once_depth = saved.run_once_depth;
        self.current = saved.current;
    }

    /// The frame depth of the current function's body.
    pub(super) fn body_depth(&self) -> Option<usize> {
        self.current.map(|(_, depth)| depth)
    }

    /// The name of the function being walked (`main` for an entry point).
    pub(super) fn current_name(&self) -> Option<&str> {
        self.current
            .and_then(|(f, _)| self.fn_names.get(f))
            .map(String::as_str)
    }

    /// Records a call at frame depth `depth`, `outside_loops` of its frame; `awaited_path` is
    /// the callee's path when the call is awaited.
    pub(super) fn record_call(
        &mut self,
        depth: usize,
        outside_loops: bool,
        awaited_path: Option<&str>,
    ) -> CallPlace {
        let in_own_body = self.body_depth() == Some(depth);
        let direct_in = self
            .current
            .filter(|_| outside_loops && in_own_body)
            .map(|(f, _)| f);
        self.direct_in.push(direct_in);
        // Only awaited calls (`run(cfg).await`, `block_on(run(cfg))`): a future handed to
        // `spawn` runs alongside everything else.
        if in_own_body
            && self.current_name() == Some("main")
            && let Some(name) = awaited_path.and_then(|path| path.rsplit("::").next())
        {
            self.main_callees.insert(name.to_string());
        }
        CallPlace {
            startup: self.run_once_depth == Some(depth) && outside_loops,
            in_own_body,
            top_level: direct_in.is_some(),
        }
    }

    /// Calls made directly in a function that `main` awaits directly run once, at start-up.
    /// `calls` are the calls recorded, in the order [`record_call`](Self::record_call) saw them.
    pub(super) fn mark(&self, calls: &mut [CallFact]) {
        for (call, direct_in) in calls.iter_mut().zip(&self.direct_in) {
            if let Some(name) = direct_in.and_then(|f| self.fn_names.get(f))
                && self.main_callees.contains(name)
            {
                call.startup = true;
            }
        }
    }
}
