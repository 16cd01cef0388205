pub mod broker;
pub mod consumer;
pub mod handlers;
pub mod report;
pub mod store;

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Job {
    pub id: u64,
    pub kind: String,
    pub payload: serde_json::Value,
}
