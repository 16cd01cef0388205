//! `asyncwise`: finds async Rust pitfalls.
//!
//! ```text
//! asyncwise check [PATHS]... [--format human|json|sarif|github] [--message-format json]
//!                 [--threads N] [--color auto|always|never] [--no-config]
//!                 [--all-targets | --tests --examples --benches]
//!                 [--select NAMES] [--ignore NAMES] [-W NAME] [-D NAME] [-A NAME] [--exit-zero]
//!                 [--baseline FILE] [--write-baseline FILE] [--fix | --diff]
//!                 [--cache-dir DIR | --no-cache] [--deps]
//! asyncwise rules [--markdown]
//! asyncwise explain RULE
//! asyncwise server
//! ```
//!
//! Exit codes: 0 clean (or `--exit-zero`), 1 findings, 2 something could not be checked (or bad
//! usage); in every case everything that could be checked is reported.
//!
//! Levels: `--select` first (only what it names is on), then `--ignore`, then `-A/-W/-D` in the
//! order given; later settings win. Names are rules, groups or `all`.

mod render;
mod server;

/// mimalloc instead of the system allocator: the analysis builds and drops many small strings
/// and vectors per file, and glibc's malloc spent about a quarter of a cached run's
/// instructions on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use asyncwise_lint::baseline::Baseline;
use asyncwise_lint::engine::targets::Targets;
use asyncwise_lint::levels::{Level, Levels, Selector, Setting};
use asyncwise_lint::{CheckOptions, rules};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

/// Exit code: nothing found.
pub(crate) const EXIT_CLEAN: u8 = 0;
/// Exit code: findings.
const EXIT_FINDINGS: u8 = 1;
/// Exit code: something could not be checked, or bad usage.
pub(crate) const EXIT_TROUBLE: u8 = 2;

#[derive(Debug, Parser)]
#[command(name = "asyncwise", version, about = "Finds async Rust pitfalls")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check Rust files (directories are walked, honouring .gitignore).
    Check(Box<CheckArgs>),
    /// List every rule with its one-line summary.
    Rules {
        /// Print the Markdown table used in the README.
        #[arg(long)]
        markdown: bool,
    },
    /// Print a rule's full documentation.
    Explain {
        /// The rule's name, e.g. `blocking_in_async`.
        rule: String,
    },
    /// Run the language server (LSP over stdio) for editors.
    Server,
}

#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// Files or directories to check (default: the current directory). Named paths are always
    /// checked, even when ignored.
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Worker threads (default: the available parallelism).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// When to colour human output (`auto`: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Also check test code, examples and benches (as `cargo clippy --all-targets`), and
    /// workspace members that exist to test others (test-support, fuzz, stress and simulation
    /// harness packages).
    #[arg(long)]
    all_targets: bool,
    /// Also check test code: `tests/`, `#[cfg(test)]` items and modules, test functions, and
    /// test-support packages of the workspace.
    #[arg(long)]
    tests: bool,
    /// Also check `examples/`.
    #[arg(long)]
    examples: bool,
    /// Also check `benches/`.
    #[arg(long)]
    benches: bool,
    /// Report only these rules or groups (comma-separated; `all` = every rule in every form,
    /// pedantic ones included).
    #[arg(long, value_delimiter = ',', value_name = "NAMES", value_parser = parse_selector)]
    select: Vec<Selector>,
    /// Do not report these rules or groups (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "NAMES", value_parser = parse_selector)]
    ignore: Vec<Selector>,
    /// Report a rule or group as a warning.
    #[arg(short = 'W', long = "warn", value_name = "NAME", value_parser = parse_selector)]
    warn: Vec<Selector>,
    /// Report a rule or group as an error.
    #[arg(short = 'D', long = "deny", value_name = "NAME", value_parser = parse_selector)]
    deny: Vec<Selector>,
    /// Do not report a rule or group.
    #[arg(short = 'A', long = "allow", value_name = "NAME", value_parser = parse_selector)]
    allow: Vec<Selector>,
    /// Exit with 0 even when there are findings (2 still means something could not be checked).
    #[arg(long)]
    exit_zero: bool,
    /// `json`: one cargo `compiler-message` object per line, as `cargo check
    /// --message-format json` prints (for rust-analyzer's `check.overrideCommand`).
    #[arg(long, value_enum, conflicts_with = "format")]
    message_format: Option<MessageFormat>,
    /// Ignore `[*.metadata.asyncwise]` in Cargo.toml and asyncwise.toml files.
    #[arg(long)]
    no_config: bool,
    /// Report only findings that this baseline file (from `--write-baseline`) does not record.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings in FILE (and report them as usual).
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Apply the fixes that are certain to be right (see the README), then report what is
    /// left. Findings a baseline records are not fixed, so it cannot be combined with one.
    #[arg(long, conflicts_with_all = ["baseline", "write_baseline", "diff"])]
    fix: bool,
    /// Print the fixes `--fix` would apply as a unified diff, without writing anything; exit 1
    /// when there is one.
    #[arg(long, conflicts_with_all = ["baseline", "write_baseline"])]
    diff: bool,
    /// Keep per-file results in DIR (default: `.asyncwise_cache` in the workspace root), so
    /// unchanged files are not analysed again.
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Neither read nor write the cache.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
    /// Read the sources of registry dependencies: calls into a dependency's blocking sync
    /// functions are followed when cargo has unpacked its sources at the version `Cargo.lock`
    /// pins. Off by default: on field sets 1-8 it added 140 findings, 4 worth acting on, and
    /// cost up to 6x a cold run.
    #[arg(long)]
    deps: bool,
}

fn parse_selector(name: &str) -> Result<Selector, String> {
    Selector::parse(name).map_err(|e| e.to_string())
}

impl CheckArgs {
    fn targets(&self) -> Targets {
        if self.all_targets {
            return Targets::ALL;
        }
        Targets {
            tests: self.tests,
            examples: self.examples,
            benches: self.benches,
        }
    }

    /// The command line's level settings, appended after the defaults (a configuration file
    /// would append its own before these).
    fn levels(&self, matches: Option<&ArgMatches>) -> Levels {
        let mut levels = Levels::default();
        if !self.select.is_empty() {
            levels.select(&self.select);
        }
        for s in &self.ignore {
            levels.push(*s, Setting::Level(Level::Allow));
        }
        // -A/-W/-D apply in the order they were given.
        let mut ordered: Vec<(usize, Selector, Level)> = Vec::new();
        for (id, values, level) in [
            ("allow", &self.allow, Level::Allow),
            ("warn", &self.warn, Level::Warn),
            ("deny", &self.deny, Level::Deny),
        ] {
            let indices: Vec<usize> = matches
                .and_then(|m| m.indices_of(id))
                .map(Iterator::collect)
                .unwrap_or_default();
            for (i, s) in values.iter().enumerate() {
                ordered.push((indices.get(i).copied().unwrap_or(0), *s, level));
            }
        }
        ordered.sort_by_key(|(i, _, _)| *i);
        for (_, s, level) in ordered {
            levels.push(s, Setting::Level(level));
        }
        levels
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum MessageFormat {
    /// cargo's `compiler-message` JSON lines.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// rustc-style diagnostics with code snippets.
    Human,
    /// One JSON document (schema version 1).
    Json,
    /// A SARIF 2.1.0 log (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow commands (annotations on pull requests).
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    // Usage errors exit with 2 (clap's default); `--help`/`--version` with 0.
    asyncwise_lint::timing::mark("main");
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli, matches.subcommand_matches("check")) {
        Ok(code) => ExitCode::from(code),
        Err(error) if is_broken_pipe(&error) => ExitCode::from(EXIT_CLEAN),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

fn run(cli: Cli, check_matches: Option<&ArgMatches>) -> Result<u8> {
    if let Command::Server = cli.command {
        // The server writes to stdout from its own thread: stdout must not be locked here.
        return server::serve();
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Check(args) => check(*args, check_matches, &mut out),
        Command::Server => server::serve(),
        Command::Rules { markdown } => {
            let text = if markdown {
                render::rules_markdown(rules::RULES)
            } else {
                render::rules_list(rules::RULES)
            };
            out.write_all(text.as_bytes())
                .context("could not write to stdout")?;
            Ok(EXIT_CLEAN)
        }
        Command::Explain { rule } => match rules::find(&rule) {
            Some(rule) => {
                write!(out, "# {}\n\n{}", rule.name, rule.markdown())
                    .context("could not write to stdout")?;
                Ok(EXIT_CLEAN)
            }
            None => {
                let names: Vec<&str> = rules::RULES.iter().map(|r| r.name).collect();
                let valid = if names.is_empty() {
                    "there are no rules yet".to_owned()
                } else {
                    format!("valid rules: {}", names.join(", "))
                };
                eprintln!("error: unknown rule `{rule}`; {valid}");
                Ok(EXIT_TROUBLE)
            }
        },
    }
}

pub(crate) fn check(
    args: CheckArgs,
    matches: Option<&ArgMatches>,
    out: &mut impl Write,
) -> Result<u8> {
    let mut options = CheckOptions {
        targets: args.targets(),
        levels: args.levels(matches),
        ..CheckOptions::default()
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    if let Some(threads) = args.threads {
        options.threads = usize::from(threads);
    }
    options.configure = !args.no_config;
    // One run, then the process ends (`--fix` may check several times: it frees as it goes).
    options.exits_after = !(args.fix || args.diff);
    if args.deps {
        options.dependency_sources =
            Some(asyncwise_lint::engine::dependencies::Sources::from_environment());
    }
    if !args.no_cache {
        options.cache = Some(
            args.cache_dir
                .clone()
                .unwrap_or_else(|| asyncwise_lint::cache::default_dir(&paths)),
        );
    }
    let mut report = if args.fix || args.diff {
        let outcome = asyncwise_lint::fix::fix_paths(&paths, &options, args.fix);
        for error in &outcome.errors {
            eprintln!("warning: {error}");
        }
        let fixed: usize = outcome.changes.iter().map(|c| c.fixed).sum();
        let files = render::plural(outcome.changes.len(), "file");
        if args.diff {
            let code = match outcome.changes.is_empty() {
                true => EXIT_CLEAN,
                false => EXIT_FINDINGS,
            };
            write_diffs(&outcome.changes, out).context("could not write the diff to stdout")?;
            eprintln!(
                "asyncwise: {} can be fixed in {files} (run with `--fix` to apply)",
                render::plural(fixed, "finding")
            );
            return Ok(match outcome.report.errors.is_empty() {
                true => code,
                false => EXIT_TROUBLE,
            });
        }
        eprintln!(
            "asyncwise: fixed {} in {files}",
            render::plural(fixed, "finding")
        );
        outcome.report
    } else {
        asyncwise_lint::check_paths(&paths, &options)
    };
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    for empty in &report.empty_paths {
        eprintln!("warning: {}: no Rust file to check here", empty.display());
    }
    if let Some(file) = &args.write_baseline {
        let baseline = Baseline::of(&report);
        std::fs::write(file, baseline.to_json())
            .with_context(|| format!("could not write the baseline {}", file.display()))?;
        eprintln!(
            "asyncwise: recorded {} in {}",
            render::plural(baseline.findings.len(), "finding"),
            file.display()
        );
    }
    if let Some(file) = &args.baseline {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("could not read the baseline {}", file.display()))?;
        let baseline = Baseline::from_json(&text)
            .with_context(|| format!("could not use the baseline {}", file.display()))?;
        let known = baseline.filter(&mut report);
        eprintln!(
            "asyncwise: {} recorded in {} not shown",
            render::plural(known, "finding"),
            file.display()
        );
    }
    // One finding per fix: repeats of a rule in one function are grouped only now, after the
    // suppressions, the levels and the baseline, which each see every occurrence.
    report.diagnostics = asyncwise_lint::repeats::group(std::mem::take(&mut report.diagnostics));
    let code = if !report.errors.is_empty() || report.files_checked == 0 {
        // Nothing at all checked is trouble too: a typo in CI must not pass silently.
        EXIT_TROUBLE
    } else if !report.diagnostics.is_empty() && !args.exit_zero {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    if report.files_checked == 0 && report.errors.is_empty() {
        eprintln!("error: no Rust file was checked");
    }
    asyncwise_lint::timing::mark("checked");
    let written = match (args.message_format, args.format) {
        (Some(MessageFormat::Json), _) => render::rustc_json::write(&report, out),
        (None, Format::Sarif) => render::sarif::write(&report, rules::RULES, out),
        (None, Format::Github) => render::github::write(&report, out),
        (None, Format::Json) => render::json::write(&report, out),
        (None, Format::Human) => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            render::human::write(&report, color, out)
        }
    };
    asyncwise_lint::timing::mark("report written");
    match written {
        // The reader stopped early (`asyncwise check | head`): the verdict stands.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        Err(e) => Err(e).context("could not write the report to stdout"),
        Ok(()) => Ok(code),
    }
}

/// Writes each changed file as a unified diff (`--- a/path`, `+++ b/path`), as `git diff` does.
fn write_diffs(
    changes: &[asyncwise_lint::fix::FileChange],
    out: &mut impl Write,
) -> std::io::Result<()> {
    for change in changes {
        let path = change.path.display();
        let diff = similar::TextDiff::from_lines(&change.before, &change.after);
        write!(
            out,
            "{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
        )?;
    }
    Ok(())
}

pub(crate) fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
