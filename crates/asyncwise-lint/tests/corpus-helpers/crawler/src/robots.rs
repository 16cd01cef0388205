//! robots.txt, cached on disk per host.

use std::io;
use std::path::PathBuf;

pub struct RobotsCache {
    dir: PathBuf,
}

impl RobotsCache {
    pub fn new(dir: PathBuf) -> RobotsCache {
        RobotsCache { dir }
    }

    pub fn cached(&self, host: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(host)).ok()
    }

    pub fn store(&self, host: &str, body: &str) -> io::Result<()> {
        std::fs::write(self.dir.join(host), body)
    }
}

/// Whether `path` is allowed for every user agent (the `*` group only).
pub fn allows(robots: &str, path: &str) -> bool {
    let mut in_star_group = false;
    for line in robots.lines().map(str::trim) {
        if let Some(agent) = line.strip_prefix("User-agent:") {
            in_star_group = agent.trim() == "*";
        } else if let Some(rule) = line.strip_prefix("Disallow:") {
            let rule = rule.trim();
            if in_star_group && !rule.is_empty() && path.starts_with(rule) {
                return false;
            }
        }
    }
    true
}
