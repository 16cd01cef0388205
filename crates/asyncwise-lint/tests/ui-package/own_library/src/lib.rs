pub mod client;
pub mod daemon;
