//! `asyncwise`: finds async Rust pitfalls.
//!
//! ```text
//! asyncwise check [PATHS]... [--format human|json] [--threads N] [--color auto|always|never]
//! asyncwise rules [--markdown]
//! asyncwise explain RULE
//! ```
//!
//! Exit codes: 0 clean, 1 findings, 2 something could not be checked (or bad usage); in every
//! case everything that could be checked is reported.

mod render;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use asyncwise_lint::{CheckOptions, rules};
use clap::{Parser, Subcommand, ValueEnum};

/// Exit code: nothing found.
const EXIT_CLEAN: u8 = 0;
/// Exit code: findings.
const EXIT_FINDINGS: u8 = 1;
/// Exit code: something could not be checked, or bad usage.
const EXIT_TROUBLE: u8 = 2;

#[derive(Debug, Parser)]
#[command(name = "asyncwise", version, about = "Finds async Rust pitfalls")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check Rust files (directories are walked, honouring .gitignore).
    Check(CheckArgs),
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
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Files or directories to check (default: the current directory). Named paths are always
    /// checked, even when ignored.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Worker threads (default: the available parallelism).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// When to colour human output (`auto`: on a terminal, unless NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// rustc-style diagnostics with code snippets.
    Human,
    /// One JSON document (schema version 1).
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    // Usage errors exit with 2 (clap's default); `--help`/`--version` with 0.
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) if is_broken_pipe(&error) => ExitCode::from(EXIT_CLEAN),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_TROUBLE)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Check(args) => check(args, &mut out),
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

fn check(args: CheckArgs, out: &mut impl Write) -> Result<u8> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let mut options = CheckOptions::default();
    if let Some(threads) = args.threads {
        options.threads = usize::from(threads);
    }
    let report = asyncwise_lint::check_paths(&paths, &options);
    let code = if !report.errors.is_empty() {
        EXIT_TROUBLE
    } else if !report.diagnostics.is_empty() {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    let written = match args.format {
        Format::Json => render::json::write(&report, out),
        Format::Human => {
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
    match written {
        // The reader stopped early (`asyncwise check | head`): the verdict stands.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(code),
        Err(e) => Err(e).context("could not write the report to stdout"),
        Ok(()) => Ok(code),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
