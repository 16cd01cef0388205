use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub tenant: String,
    pub kind: String,
    pub at_ms: i64,
    #[serde(default)]
    pub attrs: serde_json::Value,
}

pub fn decode(bytes: &[u8]) -> Result<Event, serde_json::Error> {
    serde_json::from_slice(bytes)
}

pub fn checksum(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}
