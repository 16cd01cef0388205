//! A sync media prober: runs a child process, talks to a daemon over a std socket, reads
//! reports, and reads its configuration when built.

pub mod runner;

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;

pub use runner::inspect;

/// Waits for the prober's child process.
pub fn probe(path: &str) -> Vec<u8> {
    Command::new("probe-tool").arg(path).output().map(|o| o.stdout).unwrap_or_default()
}

/// A connection to the scanning daemon.
pub struct Scanner {
    stream: TcpStream,
}

impl Scanner {
    /// Connects to the daemon: a std socket connect.
    pub fn connect(addr: &str) -> std::io::Result<Scanner> {
        let stream = TcpStream::connect(addr)?;
        Ok(Scanner { stream })
    }

    /// Sends a buffer for scanning.
    pub fn send(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(data)
    }
}

/// The prober's settings, read from its configuration file when built.
pub struct Settings {
    pub text: String,
}

impl Settings {
    /// Reads the configuration: file work in a constructor.
    pub fn new() -> Settings {
        let text = std::fs::read_to_string("/etc/probe.toml").unwrap_or_default();
        Settings { text }
    }
}

/// Reads a whole report the caller names.
pub fn read_report(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Only formats: blocks nowhere.
pub fn describe(data: &[u8]) -> String {
    format!("{} bytes", data.len())
}
