//! Runs jobs described by JSON specs: prepares a work directory, runs the steps, keeps
//! artifacts.

pub mod fsutil;
pub mod runner;
pub mod spec;

pub use runner::Runner;
