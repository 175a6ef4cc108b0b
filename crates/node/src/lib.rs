//! The Liveliness node.

pub mod config;
pub mod wire;

pub use config::{ConfigError, NodeConfig};
