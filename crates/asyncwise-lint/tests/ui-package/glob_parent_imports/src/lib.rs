pub mod archive;
pub mod report;
