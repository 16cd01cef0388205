//! `shipit` — push build artifacts to a release bucket.
//!
//! The binary reads `shipit.toml` (or the path given with `--config`),
//! resolves the artifact list, and uploads everything concurrently.
//! Configuration loading happens before the runtime is started so that
//! errors in the config file are reported without any network activity.

use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use serde::Deserialize;
use tokio::runtime::{Builder, Handle};
use tracing::{debug, info, warn};

mod upload;

use crate::upload::{Uploader, UploadReport};

const DEFAULT_CONFIG: &str = "shipit.toml";
const DEFAULT_JOBS: usize = 4;

/// Command line arguments.
#[derive(Debug, Parser)]
#[command(name = "shipit", version, about = "Upload release artifacts")]
struct Cli {
    /// Path to the configuration file.
    #[arg(long, short, default_value = DEFAULT_CONFIG)]
    config: PathBuf,

    /// Number of worker threads for the runtime.
    #[arg(long, default_value_t = DEFAULT_JOBS)]
    jobs: usize,

    /// Increase logging verbosity.
    #[arg(long, short, action = clap::ArgAction::Count)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Upload every artifact listed in the config.
    Push {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Print the resolved artifact list and exit.
    List,
    /// Check that the bucket is reachable.
    Ping,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Config {
    bucket: String,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default = "default_region")]
    region: String,
    artifacts: Vec<ArtifactSpec>,
    #[serde(default)]
    remote_overrides: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
struct ArtifactSpec {
    path: PathBuf,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    optional: bool,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

impl Config {
    /// Load and validate the config file. Runs before the runtime exists.
    fn load(path: &Path) -> Result<Self> {
        let raw = fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?;
        let cfg: Config = toml::from_str(&raw).context("parsing config")?;
        if cfg.bucket.is_empty() {
            bail!("`bucket` must not be empty");
        }
        Ok(cfg)
    }

    fn key_for(&self, artifact: &Path) -> String {
        let name = artifact
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match &self.prefix {
            Some(p) => format!("{}/{}", p.trim_end_matches('/'), name),
            None => name,
        }
    }
}

/// Resolve artifact globs relative to the config file. Synchronous on purpose.
fn resolve_artifacts(base: &Path, specs: &[ArtifactSpec]) -> Result<Vec<ArtifactSpec>> {
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        let full = base.join(&spec.path);
        match fs::metadata(&full) {
            Ok(meta) if meta.is_file() => out.push(ArtifactSpec {
                path: full,
                ..spec.clone()
            }),
            Ok(_) => bail!("{} is not a file", full.display()),
            Err(e) if spec.optional => {
                debug!(path = %full.display(), error = %e, "skipping optional artifact");
            }
            Err(e) => return Err(e).with_context(|| format!("stat {}", full.display())),
        }
    }
    Ok(out)
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_env_filter(level)
        .with_writer(io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);

    let config = match Config::load(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let base = cli.config.parent().unwrap_or_else(|| Path::new("."));
    let artifacts = match resolve_artifacts(base, &config.artifacts) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };

    let rt = Builder::new_multi_thread()
        .worker_threads(cli.jobs.max(1))
        .enable_all()
        .build()
        .expect("failed to build tokio runtime");

    match rt.block_on(run(cli.command, config, artifacts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, mut config: Config, artifacts: Vec<ArtifactSpec>) -> Result<()> {
    if let Some(overrides) = config.remote_overrides.take() {
        let handle = Handle::current();
        let region = handle.block_on(fetch_region_override(&overrides))?; //~ block_on_in_async
        info!(%region, "using region from remote overrides");
        config.region = region;
    }

    let uploader = Uploader::new(&config.bucket, &config.region).await?;

    match command {
        Command::List => {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for a in &artifacts {
                writeln!(out, "{} -> {}", a.path.display(), config.key_for(&a.path))?;
            }
            Ok(())
        }
        Command::Ping => {
            uploader.ping().await?;
            println!("bucket {} reachable", config.bucket);
            Ok(())
        }
        Command::Push { yes } => {
            if !yes && !confirm(artifacts.len()).await? {
                warn!("aborted by user");
                return Ok(());
            }
            let manifest_path = Path::new("target/shipit-manifest.json");
            let previous = fs::read_to_string(manifest_path).ok(); //~ blocking_in_async
            let report = push_all(&uploader, &config, &artifacts, previous.as_deref()).await?;
            tokio::fs::write(manifest_path, serde_json::to_vec_pretty(&report)?).await?;
            println!("{report}");
            Ok(())
        }
    }
}

async fn confirm(count: usize) -> Result<bool> {
    print!("upload {count} artifacts? [y/N] ");
    io::stdout().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?; //~ blocking_in_async
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

async fn fetch_region_override(url: &str) -> Result<String> {
    let body = reqwest::get(url).await?.error_for_status()?.text().await?;
    Ok(body.trim().to_owned())
}

async fn push_all(
    uploader: &Uploader,
    config: &Config,
    artifacts: &[ArtifactSpec],
    previous_manifest: Option<&str>,
) -> Result<UploadReport> {
    let skip: Vec<String> = previous_manifest
        .and_then(|m| serde_json::from_str::<UploadReport>(m).ok())
        .map(|r| r.keys().map(str::to_owned).collect())
        .unwrap_or_default();

    let git_rev = tokio::task::spawn_blocking(|| {
        std::process::Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    })
    .await?;

    let mut report = UploadReport::new(git_rev);
    for a in artifacts {
        let key = config.key_for(&a.path);
        if skip.contains(&key) {
            debug!(%key, "unchanged since last push");
            continue;
        }
        let body = tokio::fs::read(&a.path).await?;
        uploader
            .put(&key, body, a.content_type.as_deref())
            .await
            .with_context(|| format!("uploading {key}"))?;
        report.record(key);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(prefix: Option<&str>) -> Config {
        Config {
            bucket: "releases".into(),
            prefix: prefix.map(Into::into),
            region: default_region(),
            artifacts: vec![],
            remote_overrides: None,
        }
    }

    #[test]
    fn key_uses_prefix() {
        let c = cfg(Some("v1.2/"));
        assert_eq!(c.key_for(Path::new("dist/app.tar.gz")), "v1.2/app.tar.gz");
    }

    #[test]
    fn key_without_prefix() {
        let c = cfg(None);
        assert_eq!(c.key_for(Path::new("app.zip")), "app.zip");
    }

    #[test]
    fn optional_missing_artifact_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.bin"), b"x").unwrap();
        let specs = vec![
            ArtifactSpec { path: "a.bin".into(), content_type: None, optional: false },
            ArtifactSpec { path: "b.bin".into(), content_type: None, optional: true },
        ];
        let got = resolve_artifacts(dir.path(), &specs).unwrap();
        assert_eq!(got.len(), 1);
    }

    #[tokio::test]
    async fn region_override_rejects_bad_url() {
        let err = fetch_region_override("not a url").await.unwrap_err();
        assert!(err.to_string().contains("builder"));
    }
}
