//! Liveliness protocol primitives: the types, hashes, encodings and the
//! sampling that every node (and the contracts) must agree on bit for bit.
//!
//! This crate does no I/O and knows no chain client or network. It gives:
//!
//! - [`TaskInfo`] and its hashes ([`TaskInfo::task_hash`],
//!   [`TaskInfo::task_signing_digest`], [`TaskInfo::vote_hash`]) plus the
//!   BLS proof-of-possession message [`pop_message`];
//! - the digest a disputer signs, [`DisputeContext::signing_digest`];
//! - [`TaskData`], the task's `data`, with a strict ABI decoder;
//! - epochs and selection: [`epoch_seed`], [`sample`], [`performer_order`],
//!   [`round_performer`], [`round_at`], over one type per concept:
//!   [`EpochBlock`], [`EpochNumber`], [`Round`];
//! - the health endpoint's [`HealthProof`] and its verification;
//! - the proof-of-task [`Document`], its RFC 8785 canonical bytes and CID.
//!
//! Signatures (task signatures, health proofs) are 65 bytes `r ‖ s ‖ v`,
//! EIP-191 `personal_sign` over a 32-byte message; `v` may be 27/28 or 0/1,
//! `s` must be in the lower half of the curve order (EIP-2), anything else
//! is refused.
//!
//! Every hash is `keccak256(abi.encode(...))` of a flat parameter list, as
//! Solidity's `abi.encode(a, b, ...)` produces it. Test vectors are pinned in
//! each module's tests.
//!
//! ```
//! use liveliness_primitives::{epoch_seed, sample, EpochNumber, OperatorRef};
//! use alloy_primitives::{Address, B256};
//!
//! let seed = epoch_seed(31337, Address::ZERO, B256::ZERO);
//! let candidates: Vec<OperatorRef> = (1..=10)
//!     .map(|id| OperatorRef { id, address: Address::with_last_byte(id as u8) })
//!     .collect();
//! let chosen = sample(&candidates, 4, EpochNumber(12), seed)?;
//! assert_eq!(chosen.len(), 4);
//! # Ok::<(), liveliness_primitives::Error>(())
//! ```

#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]
#![warn(missing_docs)]

mod dispute;
mod document;
mod epoch;
mod error;
mod health;
mod sig;
mod task;
mod task_data;
#[cfg(test)]
mod test_keys;
mod types;

pub use dispute::{DisputeContext, DisputedEntry};
pub use document::{
    cid_v1_raw, Check, Document, FailureReason, SampleEntry, DOCUMENT_VERSION, MAX_SAFE_INTEGER,
};
pub use epoch::{
    epoch_number, epoch_seed, is_epoch_block, performer_order, round_at, round_performer,
    round_start, sample, OperatorId, OperatorRef,
};
pub use error::{EntryError, Error, ProofError, Result};
pub use health::{
    canonical_signature, health_message, health_signing_hash, HealthAnswer, HealthProof,
};
pub use task::{pop_message, task_signing_digest, verify_task_signature, TaskContext, TaskInfo};
pub use task_data::TaskData;
pub use types::{EpochBlock, EpochNumber, Round, TooWide};
