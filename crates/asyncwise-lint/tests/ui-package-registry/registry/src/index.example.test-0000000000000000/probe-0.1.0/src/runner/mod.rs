//! Two hops inside the crate: `inspect` -> `prepare` -> `run_tool` waits for a process.

/// Inspects a file through the crate's own helpers.
pub fn inspect(path: &str) -> String {
    let args = prepare(path);
    String::from_utf8_lossy(&args).into_owned()
}

fn prepare(path: &str) -> Vec<u8> {
    run_tool(&["-show", path])
}

fn run_tool(args: &[&str]) -> Vec<u8> {
    std::process::Command::new("probe-tool")
        .args(args)
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default()
}
