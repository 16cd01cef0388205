use std::io::Write;
use std::sync::Mutex;

pub struct AuditLog {
    path: String,
    pending: Mutex<Vec<String>>,
}

impl AuditLog {
    pub fn new(path: &str) -> Self {
        Self { path: path.to_owned(), pending: Mutex::new(Vec::new()) }
    }

    pub fn push(&self, line: String) {
        self.pending.lock().unwrap().push(line);
    }

    pub async fn record(&self, line: String) {
        self.push(line);
    }

    /// Run every few seconds by the flusher task.
    pub async fn flush_pending(&self) -> std::io::Result<()> {
        let lines = std::mem::take(&mut *self.pending.lock().unwrap());
        if lines.is_empty() {
            return Ok(());
        }
        append_lines(&self.path, &lines) // @helper //~ blocking_in_async(pedantic)
    }
}

fn append_lines(path: &str, lines: &[String]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    for line in lines {
        writeln!(file, "{line}")?;
    }
    Ok(())
}
