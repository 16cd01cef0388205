//! Session state that survives a reboot: the next packet id and the unacknowledged
//! publishes, kept in a small file on the device's flash.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

pub struct Session {
    pub next_pid: u16,
    pub unacked: BTreeMap<u16, Vec<u8>>,
    path: Option<PathBuf>,
}

impl Session {
    pub fn in_memory() -> Self {
        Session { next_pid: 1, unacked: BTreeMap::new(), path: None }
    }

    pub fn on_flash(path: PathBuf) -> Self {
        Session { next_pid: 1, unacked: BTreeMap::new(), path: Some(path) }
    }

    pub fn allocate(&mut self) -> u16 {
        let pid = self.next_pid;
        self.next_pid = self.next_pid.wrapping_add(1).max(1);
        pid
    }

    pub fn persist(&self) -> io::Result<()> {
        let Some(path) = &self.path else { return Ok(()) };
        let mut out = Vec::new();
        out.extend_from_slice(&self.next_pid.to_be_bytes());
        for (pid, bytes) in &self.unacked {
            out.extend_from_slice(&pid.to_be_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        std::fs::write(path, out)
    }
}
