use std::process::Command;

/// Runs a user's hook script from the hooks directory and waits for it.
pub fn run_hook(name: &str) -> anyhow::Result<()> {
    let out = Command::new(format!("/etc/jobq/hooks/{name}")).output()?;
    if !out.status.success() {
        anyhow::bail!(
            "hook {name} exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}
