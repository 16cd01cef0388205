use std::collections::BTreeSet;
use std::path::Path;

use crate::crate_index::CrateIndex;
use crate::diagnostic::{Diagnostic, Note, Severity};
use crate::engine::manifest::{Dependency, Manifest};
use crate::knowledge::Knowledge;
use crate::knowledge::runtimes::Runtime;
use crate::levels::{Form, Group, Level};

crate::declare_rule! {
    /// ## What it does
    /// Finds packages that depend on more than one async runtime (tokio, async-std, smol,
    /// glommio, monoio) in `[dependencies]`, or whose library and binary code calls the
    /// spawn, sleep, `block_on` or runtime-building functions of more than one. The finding
    /// points at the `Cargo.toml` line of the second runtime (or at the first call into it).
    ///
    /// ## Why is this bad
    /// Each runtime brings its own executor, timers and I/O reactor. Their types do not mix:
    /// a tokio socket or timer polled on another executor panics ("there is no reactor
    /// running"), and two executors in one program compete for threads and double the
    /// start-up and memory cost. Mixing usually happens by accident, through a dependency
    /// added for one helper.
    ///
    /// How the manifest is read: `[dev-dependencies]` are left out (tests may use another
    /// runtime), and so are target-specific tables (`[target.'cfg(..)'.dependencies]`, often
    /// one runtime per platform) when the manifest is checked. In code, a call into a
    /// platform-specific runtime counts when another runtime is always on: on that platform
    /// the crate runs both. A tokio dependency counts only when it enables an executor
    /// feature (`rt`, `rt-multi-thread`, `time`, `net`, `full`, ...): `tokio` with only `sync`,
    /// `io-util` or `macros` is used as a library. Optional dependencies count only through
    /// the features that turn them on: a library that supports two runtimes behind mutually
    /// exclusive features (`rt-tokio = ["dep:tokio"]`, `rt-async-std = ["dep:async-std"]`) is
    /// not mixing; a `default` feature that turns on two runtimes is. `{ workspace = true }`
    /// entries are read with the workspace's features. Calls into a runtime whose dependency
    /// is optional are taken to be behind its feature.
    ///
    /// In `Cargo.toml`, a comment `# asyncwise: allow(mixed_runtimes) -- reason` on the
    /// dependency's line or the line above it keeps the finding off.
    ///
    /// ## Pedantic form
    /// A non-default feature (often `full` or `all-runtimes`) that turns on two runtimes at once.
    ///
    /// ## Example
    /// ```rust,ignore
    /// // Cargo.toml
    /// [dependencies]
    /// tokio = { version = "1", features = ["full"] }
    /// async-std = "1"
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// [dependencies]
    /// tokio = { version = "1", features = ["full"] }
    /// ```
    pub MIXED_RUNTIMES, "mixed_runtimes", Group::Suspicious, Level::Warn, check
}

/// Everything is decided by the crate pass ([`check_crate`]).
fn check(_: &crate::model::FileModel<'_>, _: &mut crate::facts::Sink) {}

const HELP: &str = "use one async runtime per program; a library that supports several puts each behind its own optional feature, and moves runtime-specific calls behind them";

/// Does this dependency entry (with the features `extra` adds) start `runtime`'s executor?
fn runs(runtime: &Runtime, dep: &Dependency, extra: &[&str]) -> bool {
    // A runtime with no runtime-free features (smol) starts its executor whatever is enabled.
    runtime.runtime_free_features.is_empty()
        || (dep.default_features && runtime.default_features_run)
        || dep
            .features
            .iter()
            .map(String::as_str)
            .chain(extra.iter().copied())
            .any(|f| !runtime.runtime_free_features.contains(&f))
}

/// The dependencies (by index) a feature turns on, each with the dependency features it asks
/// for (`tokio/rt`), following features that enable features.
fn enabled_by<'m>(manifest: &'m Manifest, feature: &str) -> Vec<(usize, Vec<&'m str>)> {
    let mut out: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![feature];
    while let Some(f) = todo.pop() {
        if !seen.insert(f) || seen.len() > 256 {
            continue;
        }
        let Some((_, enables)) = manifest.features.iter().find(|(name, _)| name == f) else {
            continue;
        };
        for entry in enables {
            let (dep, dep_feature, weak) = match entry.split_once('/') {
                Some((dep, feat)) => match dep.strip_suffix('?') {
                    Some(dep) => (dep, Some(feat), true),
                    None => (dep, Some(feat), false),
                },
                None => match entry.strip_prefix("dep:") {
                    Some(dep) => (dep, None, false),
                    None => (entry.as_str(), None, false),
                },
            };
            let Some(i) = manifest.dependencies.iter().position(|d| d.key == dep) else {
                todo.push(entry);
                continue;
            };
            if manifest.features.iter().any(|(n, _)| n == dep) && dep_feature.is_none() {
                // A feature named like the dependency: follow it too.
                todo.push(entry);
            }
            // `dep?/feat` turns on nothing by itself: the dependency must be on already.
            if weak && manifest.dependencies[i].optional {
                continue;
            }
            match out.iter_mut().find(|(j, _)| *j == i) {
                Some((_, feats)) => feats.extend(dep_feature),
                None => out.push((i, dep_feature.into_iter().collect())),
            }
        }
    }
    out
}

/// Runtimes (with the dependency index that brings each) on under `feature` (`None`: with no
/// feature on), in manifest order.
fn runtimes_under<'k>(
    knowledge: &'k Knowledge,
    manifest: &Manifest,
    feature: Option<&str>,
) -> Vec<(&'k Runtime, usize)> {
    let enabled = feature.map_or_else(Vec::new, |f| enabled_by(manifest, f));
    let mut out: Vec<(&Runtime, usize)> = Vec::new();
    for (i, dep) in manifest.dependencies.iter().enumerate() {
        let Some(runtime) = knowledge.runtime_package(&dep.package) else {
            continue;
        };
        let extra: Vec<&str> = enabled
            .iter()
            .find(|(j, _)| *j == i)
            .map(|(_, f)| f.clone())
            .unwrap_or_default();
        let on = !dep.optional || enabled.iter().any(|(j, _)| *j == i);
        if on && runs(runtime, dep, &extra) && !out.iter().any(|(r, _)| r.name == runtime.name) {
            out.push((runtime, i));
        }
    }
    out
}

/// The manifest's finding, if two runtimes are on together: with no feature, with the
/// default features, or (pedantic form) with some other feature.
fn manifest_finding(knowledge: &Knowledge, path: &Path, manifest: &Manifest) -> Option<Diagnostic> {
    let mut candidates: Vec<(Option<&str>, Form)> = vec![(None, Form::Default)];
    if manifest.features.iter().any(|(n, _)| n == "default") {
        candidates.push((Some("default"), Form::Default));
    }
    for (name, _) in &manifest.features {
        if name != "default" {
            candidates.push((Some(name), Form::Pedantic));
        }
    }
    for (feature, form) in candidates {
        let on = runtimes_under(knowledge, manifest, feature);
        let [(first, first_dep), (second, second_dep), ..] = on.as_slice() else {
            continue;
        };
        let first_dep = &manifest.dependencies[*first_dep];
        let second_dep = &manifest.dependencies[*second_dep];
        let line = second_dep.span.start.line;
        let allowed = manifest.allows.iter().any(|(at, rules)| {
            (*at == line || *at + 1 == line) && rules.iter().any(|r| r == MIXED_RUNTIMES.name)
        });
        if allowed {
            return None;
        }
        let message = match feature {
            None => format!(
                "`{}` is a second async runtime in `[dependencies]`, beside `{}`",
                second.name, first.name
            ),
            Some(f) => format!(
                "feature `{f}` turns on two async runtimes: `{}` and `{}`",
                first.name, second.name
            ),
        };
        return Some(Diagnostic {
            rule: MIXED_RUNTIMES.name,
            severity: Severity::Warning,
            form,
            path: path.to_path_buf(),
            span: second_dep.span,
            message,
            help: Some(HELP.into()),
            notes: vec![Note::here(
                first_dep.span,
                format!("`{}` is depended on here", first.name),
            )],
            fix: None,
            function: None,
            through: None,
            marks: Default::default(),
        });
    }
    None
}

/// Per package: the manifest's finding, or else the first call into a second runtime.
pub(super) fn check_crate(index: &CrateIndex, out: &mut Vec<Diagnostic>) {
    // The crate pass has no run context yet: manifests are read against the built-in rows
    // (the per-file runtime calls were matched with the run's knowledge).
    let knowledge = Knowledge::builtin();
    for package in 0..index.package_count() {
        let manifest = index.manifest(package);
        if let Some((path, m)) = manifest
            && let Some(d) = manifest_finding(&knowledge, path, m)
        {
            out.push(d);
            continue;
        }
        // Mixing allowed in the manifest is allowed in the code too.
        let allowed = manifest.is_some_and(|(_, m)| {
            m.allows
                .iter()
                .any(|(_, rules)| rules.iter().any(|r| r == MIXED_RUNTIMES.name))
        });
        if allowed {
            continue;
        }
        let mut files: Vec<_> = index.files_of(package).collect();
        files.sort_by_key(|f| f.path);
        let mut targets: Vec<&crate::facts::Target> = files.iter().map(|f| f.target).collect();
        targets.dedup();
        // Each target (the library and binaries, each test or example) is its own crate.
        for target in targets {
            let files = files.iter().filter(|f| f.target == target);
            check_code(&knowledge, manifest.map(|(_, m)| m), files, out);
        }
    }
}

/// The first call into a second runtime among the files of one target.
fn check_code<'a>(
    knowledge: &Knowledge,
    manifest: Option<&Manifest>,
    files: impl Iterator<Item = &'a crate::crate_index::FileFacts<'a>>,
    out: &mut Vec<Diagnostic>,
) {
    {
        let mut first: Vec<(&Path, &crate::summary::RuntimeCall)> = Vec::new();
        for file in files {
            for call in file.runtime_calls {
                // With a manifest, only runtimes that are on count: calls into an optional one
                // are behind its feature. A platform-specific one (`[target.'cfg(..)'.
                // dependencies]`) is on for its platforms: it mixes when another runtime is
                // always on, not when each platform has its own.
                let always_on = manifest.is_none_or(|m| {
                    let is_runtime = |p: &str| {
                        knowledge
                            .runtime_package(p)
                            .is_some_and(|r| r.name == call.runtime)
                    };
                    let always =
                        |p: &str| m.dependencies.iter().any(|d| !d.optional && d.package == p);
                    m.dependencies
                        .iter()
                        .any(|d| !d.optional && is_runtime(&d.package))
                        || m.platform_dependencies.iter().any(|p| is_runtime(p))
                            && m.dependencies.iter().any(|d| {
                                always(&d.package)
                                    && knowledge
                                        .runtime_package(&d.package)
                                        .is_some_and(|r| r.name != call.runtime)
                            })
                });
                if always_on && !first.iter().any(|(_, c)| c.runtime == call.runtime) {
                    first.push((file.path, call));
                }
            }
        }
        let [(first_path, first_call), (path, second), ..] = first.as_slice() else {
            return;
        };
        let message = format!("`{}` is used here", first_call.runtime);
        let note = if first_path == path {
            Note::here(first_call.span, message)
        } else {
            Note::in_file(first_path, first_call.span, message)
        };
        out.push(Diagnostic {
            rule: MIXED_RUNTIMES.name,
            severity: Severity::Warning,
            form: Form::Default,
            path: path.to_path_buf(),
            span: second.span,
            message: format!(
                "`{}` uses `{}` in a crate that also uses `{}`",
                second.what, second.runtime, first_call.runtime
            ),
            help: Some(HELP.into()),
            notes: vec![note],
            fix: None,
            function: None,
            through: None,
            marks: Default::default(),
        });
    }
}
