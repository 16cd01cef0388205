//! Receivers whose types come from other files but say nothing blocks: every line stays quiet.

pub mod disk;
pub mod memory;
pub mod service;
