//! Production async patterns on Tokio. (Being built.)
#![deny(missing_docs)]
