// A wait (a child process), not filesystem work: where it runs is judged by start-up alone, not
// by whether it is on a per-event path (see the `per_event` fixture).
pub fn load(path: &str) -> String {
    let out = std::process::Command::new("cat").arg(path).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
}
