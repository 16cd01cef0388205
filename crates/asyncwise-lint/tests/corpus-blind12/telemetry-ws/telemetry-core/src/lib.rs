//! Records and their on-disk spool, shared by the agent and the offline tools.

pub mod spool;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub host: String,
    pub metric: String,
    pub value: f64,
    pub at_ms: u64,
}

impl Record {
    pub fn parse_line(line: &str) -> Option<Record> {
        let mut parts = line.split_whitespace();
        let host = parts.next()?.to_owned();
        let metric = parts.next()?.to_owned();
        let value = parts.next()?.parse().ok()?;
        let at_ms = parts.next()?.parse().ok()?;
        Some(Record { host, metric, value, at_ms })
    }

    pub fn checksum(&self) -> u32 {
        crc32fast::hash(self.metric.as_bytes())
    }
}
