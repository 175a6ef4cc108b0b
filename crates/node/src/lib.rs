//! The Liveliness node (PROTOCOL.md §11): follows the chain, serves its
//! health endpoint, performs in its rounds, attests, aggregates and submits,
//! gossiping over libp2p and keeping everything in an embedded store.

pub mod api;
mod buffer;
pub mod config;
pub mod epoch;
mod essential;
pub mod evidence;
mod health_source;
mod node;
pub mod reader;
pub mod redact;
pub mod rpc;
mod run;
mod submission;
mod tally;
pub mod wire;

pub use config::{ConfigError, NodeConfig};
pub use run::{run, run_until};
