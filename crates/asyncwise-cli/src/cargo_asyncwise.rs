//! `cargo asyncwise`: checks the current package or workspace, found through `cargo metadata`,
//! as `cargo check` would pick it.
//!
//! ```text
//! cargo asyncwise [-p NAME]... [--workspace [--exclude NAME]...] [--manifest-path PATH]
//!                 [--format ...] [--message-format json] [--baseline FILE] ...
//! ```
//!
//! Without `-p` or `--workspace`: the package whose directory holds the current one, or in a
//! virtual workspace's root the default members. Every target directory of the selected
//! packages is checked (`src/`, `tests/`, `examples/`, `benches/`, `build.rs`), with paths shown
//! relative to the workspace root. Options after the selection are those of `asyncwise check`.

// The `asyncwise` binary's own code: this binary runs its `check` with the paths it selects.
#[allow(dead_code)]
#[path = "main.rs"]
mod asyncwise;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use cargo_metadata::{Metadata, MetadataCommand, Package};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo")]
enum CargoCli {
    /// Check the current package or workspace for async Rust pitfalls.
    #[command(version)]
    Asyncwise(CargoArgs),
}

#[derive(Debug, clap::Args)]
struct CargoArgs {
    /// Package to check (repeatable).
    #[arg(short = 'p', long = "package", value_name = "NAME")]
    packages: Vec<String>,
    /// Check every member of the workspace.
    #[arg(long)]
    workspace: bool,
    /// With `--workspace`: leave this package out (repeatable).
    #[arg(long, value_name = "NAME", requires = "workspace")]
    exclude: Vec<String>,
    /// The Cargo.toml to start from (default: found from the current directory).
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    #[command(flatten)]
    check: asyncwise::CheckArgs,
}

fn main() -> ExitCode {
    // Usage errors exit with 2 (clap's default); the matches keep the order of -A/-W/-D.
    let matches = CargoCli::command().get_matches();
    let CargoCli::Asyncwise(args) = match CargoCli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(args, matches.subcommand_matches("asyncwise")) {
        Ok(code) => ExitCode::from(code),
        Err(error) if asyncwise::is_broken_pipe(&error) => ExitCode::from(asyncwise::EXIT_CLEAN),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(asyncwise::EXIT_TROUBLE)
        }
    }
}

fn run(mut args: CargoArgs, matches: Option<&ArgMatches>) -> Result<u8> {
    if !args.check.paths.is_empty() {
        bail!(
            "`cargo asyncwise` checks packages (-p, --workspace); to check paths, run `asyncwise check PATHS`"
        );
    }
    let mut command = MetadataCommand::new();
    command.no_deps();
    if let Some(manifest) = &args.manifest_path {
        command.manifest_path(manifest);
    }
    let metadata = command.exec().context("`cargo metadata` failed")?;
    let cwd = std::env::current_dir().context("no working directory")?;
    let selected = select(&metadata, &args, &cwd)?;
    let root = metadata.workspace_root.as_std_path();
    let mut paths = BTreeSet::new();
    for package in &selected {
        paths.extend(target_paths(package, root));
    }
    // Drop paths inside other selected paths (`src/bin` inside `src`).
    let all: Vec<PathBuf> = paths.iter().cloned().collect();
    paths.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
    // Paths are shown relative to the workspace root, as cargo shows rustc's.
    std::env::set_current_dir(root)
        .with_context(|| format!("could not enter the workspace root {}", root.display()))?;
    args.check.paths = paths.into_iter().collect();
    if args.check.paths.is_empty() {
        bail!("the selected packages have no targets to check");
    }
    let stdout = std::io::stdout();
    asyncwise::check(args.check, matches, &mut stdout.lock())
}

/// The packages `cargo check` would check with the same flags.
fn select<'m>(metadata: &'m Metadata, args: &CargoArgs, cwd: &Path) -> Result<Vec<&'m Package>> {
    let members = metadata.workspace_packages();
    if args.workspace {
        for name in &args.exclude {
            if !members.iter().any(|p| p.name.as_str() == name) {
                bail!("`--exclude {name}`: no such package in the workspace");
            }
        }
        return Ok(members
            .into_iter()
            .filter(|p| !args.exclude.iter().any(|e| e == p.name.as_str()))
            .collect());
    }
    if !args.packages.is_empty() {
        let mut out = Vec::new();
        for name in &args.packages {
            match members.iter().find(|p| p.name.as_str() == name) {
                Some(p) => out.push(*p),
                None => {
                    let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
                    let hint = asyncwise_lint::suggest::did_you_mean(name, names.iter().copied())
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    bail!("package `{name}` is not a member of the workspace{hint}");
                }
            }
        }
        return Ok(out);
    }
    // The package whose manifest is nearest above the working directory, as cargo picks it.
    let nearest = cwd
        .ancestors()
        .map(|d| d.join("Cargo.toml"))
        .find(|m| m.is_file());
    if let Some(manifest) = nearest
        && let Some(package) = members
            .iter()
            .find(|p| p.manifest_path.as_std_path() == manifest)
    {
        return Ok(vec![*package]);
    }
    let defaults = metadata.workspace_default_packages();
    Ok(if defaults.is_empty() {
        members
    } else {
        defaults
    })
}

/// The directories (or files) holding a package's targets, relative to the workspace root.
fn target_paths(package: &Package, root: &Path) -> Vec<PathBuf> {
    let package_dir = package
        .manifest_path
        .parent()
        .map(|d| d.as_std_path().to_path_buf())
        .unwrap_or_default();
    package
        .targets
        .iter()
        .map(|target| {
            let src = target.src_path.as_std_path();
            let is_build_script = target
                .kind
                .iter()
                .any(|k| matches!(k, cargo_metadata::TargetKind::CustomBuild));
            // A target's root file sits in the directory of its modules (`src/`, `tests/`, an
            // example's own directory); a build script is a file of its own.
            if is_build_script {
                src.to_path_buf()
            } else {
                src.parent().unwrap_or(&package_dir).to_path_buf()
            }
        })
        .map(|p| p.strip_prefix(root).map(Path::to_path_buf).unwrap_or(p))
        .map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p
            }
        })
        .collect()
}
