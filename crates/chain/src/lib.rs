//! Chain access for Liveliness: alloy bindings of the contracts (generated
//! from committed artifacts), deployment, operator registration, building and
//! submitting a task's BLS certificate, proving equivocation, and revert
//! decoding; the node's chain reads ([`Reader`]) and the RPC transport they
//! and every send go through ([`rpc`]: alloy's retry and fallback layers over
//! one HTTP transport per URL, with per-request timeouts and a deadline).
//!
//! Every function takes an alloy [`Provider`](alloy::providers::Provider);
//! transactions go out from the provider's wallet.

mod error;
mod evidence;
mod operators;
mod reader;
mod submit;
mod tx;

pub mod bindings;
pub mod redact;
pub mod revert;
pub mod rpc;
#[cfg(feature = "test-utils")]
pub mod test_utils;

pub use error::{Error, Result};
pub use evidence::{
    prove_task_equivocation, prove_vote_equivocation, task_equivocation_proven,
    vote_equivocation_proven, TaskEquivocation, VoteEquivocation,
};
pub use operators::{
    active_operators, active_operators_at, active_operators_paged, deploy, deploy_from,
    register_operator, set_voting_powers, ActiveOperator, DeployConfig, Deployment, RegistryParams,
    ACTIVE_OPERATORS_PAGE, DEFAULT_REGISTRY_PARAMS,
};
pub use reader::{OperatorInfo, Params, ReadError, Reader};
pub use submit::{
    attestation, submit_task, submit_task_tracked, task_info, Certificate, Submission,
};
pub use tx::RECEIPT_TIMEOUT;
