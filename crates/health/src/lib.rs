//! Liveliness health endpoint and health checker.
//!
//! Two sides of the protocol's `healthcheck` (JSON-RPC 2.0 over HTTP POST,
//! `params: [blockNumber]`, result a
//! [`HealthProof`](liveliness_primitives::HealthProof)):
//!
//! - [`HealthServer`] is what every operator with a registered endpoint
//!   runs. It signs `keccak256(blockHash)` with EIP-191 `personal_sign` for
//!   any block in `[head − 256, head + 1]`, waits up to [`MAX_WAIT`] for a
//!   block it has not seen, caches proofs per block, rate-limits per client
//!   address and bounds request bodies. It reads the chain through a
//!   [`BlockSource`]; [`AlloyBlockSource`] adapts an alloy provider.
//! - [`Checker`] is what performers and attesters use to query others. It
//!   resolves the host once, refuses non-public addresses unless allowed
//!   ([`AddressPolicy`], [`classify`]), connects to the address it checked,
//!   follows no redirect, bounds time and response size, verifies the proof
//!   and reports a fixed [`FailureReason`](liveliness_primitives::FailureReason)
//!   on failure, never the response bytes. When this node itself could not
//!   check (no descriptors, its resolver down, its runtime stalled) it says
//!   so ([`CheckOutcome::Undetermined`]) instead of blaming the operator. [`Checker::check_many`] runs a
//!   whole sample concurrently.
//!
//! ```no_run
//! use liveliness_health::{Checker, CheckerConfig, CheckOutcome};
//! # async fn run(operator: alloy_primitives::Address, hash: alloy_primitives::B256) {
//! let checker = Checker::new(CheckerConfig { allow_loopback: true, ..Default::default() });
//! match checker.check("http://127.0.0.1:8545", operator, 120, hash).await {
//!     CheckOutcome::Healthy(proof) => println!("healthy: {:?}", proof.signature),
//!     CheckOutcome::Unhealthy(reason) => println!("unhealthy: {reason:?}"),
//!     CheckOutcome::Undetermined(fault) => println!("could not check: {}", fault.as_str()),
//! }
//! # }
//! ```
//!
//! Logs go to the `tracing` target `health`.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]
#![warn(missing_docs)]

mod address;
mod checker;
mod dns;
mod error;
mod rate_limit;
mod rpc;
mod serve;
mod server;
mod source;
#[cfg(feature = "test-utils")]
pub mod test_utils;

pub use address::{classify, AddressClass, AddressPolicy};
pub use checker::{
    CheckOutcome, CheckRequest, Checker, CheckerConfig, LocalFault, DEFAULT_CHECK_CONCURRENCY,
};
pub use error::{BoxError, Error, Result};
pub use rate_limit::RateLimit;
pub use rpc::{codes, CHAIN_ID_METHOD, HEALTHCHECK_METHOD, MAX_BATCH};
pub use serve::{serve, ServeLimits};
pub use server::{HealthServer, ServerConfig, LOOKBACK_BLOCKS, MAX_WAIT};
pub use source::{AlloyBlockSource, BlockSource};
