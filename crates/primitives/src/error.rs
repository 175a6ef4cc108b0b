//! The crate's error types.

use alloy_primitives::{Address, SignatureError};

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong while hashing, encoding, decoding or
/// selecting. Variants keep their cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// ABI bytes that do not decode as the expected parameter list.
    #[error("ABI decoding failed")]
    Abi(#[source] alloy_sol_types::Error),
    /// ABI bytes that decode but are not the canonical encoding of what
    /// they decode to (trailing bytes, odd offsets, dirty padding, ...).
    #[error("ABI encoding is not canonical")]
    NonCanonicalAbi,
    /// Input longer than the caller's bound, checked before parsing.
    #[error("input of {len} bytes exceeds the limit of {max}")]
    Oversized {
        /// Length of the input.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// A list that must be strictly ascending (sorted, no duplicates) is not.
    #[error("`{field}` is not strictly ascending (unsorted or duplicate at index {index})")]
    NotStrictlyAscending {
        /// Name of the list.
        field: &'static str,
        /// Index of the first offending element.
        index: usize,
    },
    /// A list longer than allowed.
    #[error("`{field}` has {len} entries, more than the maximum {max}")]
    TooManyEntries {
        /// Name of the list.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A number outside the range this protocol allows for it.
    #[error("`{field}` is out of range")]
    OutOfRange {
        /// Name of the value.
        field: &'static str,
    },
    /// A protocol parameter that must be non-zero is zero.
    #[error("parameter `{0}` must not be zero")]
    ZeroParameter(&'static str),
    /// A block before the epoch block it was measured against.
    #[error("block {block} is before epoch block {epoch_block}")]
    BlockBeforeEpoch {
        /// The block.
        block: u64,
        /// The epoch block.
        epoch_block: u64,
    },
    /// An operator id listed twice where ids must be unique.
    #[error("operator id {0} is listed twice")]
    DuplicateOperator(u64),
    /// An intermediate value that cannot be represented (never expected for
    /// valid inputs; returned instead of wrapping or panicking).
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    /// A 65-byte signature that is not acceptable before any recovery is tried.
    #[error("malformed signature: {0}")]
    MalformedSignature(&'static str),
    /// ECDSA public-key recovery failed.
    #[error("signature recovery failed")]
    Recovery(#[source] SignatureError),
    /// A task signature recovers someone other than the task's performer.
    #[error("task signed by {recovered}, expected performer {expected}")]
    WrongTaskSigner {
        /// The task's `taskPerformer`.
        expected: Address,
        /// Who actually signed.
        recovered: Address,
    },
    /// JSON that does not parse as the expected shape (includes unknown
    /// fields, duplicate keys, wrong types).
    #[error("malformed JSON")]
    Json(#[source] serde_json::Error),
    /// RFC 8785 canonicalization failed.
    #[error("JSON canonicalization failed")]
    Canonicalize(#[source] serde_json::Error),
    /// A proof-of-task document whose bytes are not its RFC 8785 form.
    #[error("document bytes are not in RFC 8785 canonical form")]
    NonCanonicalDocument,
    /// A proof-of-task document of a version this code does not know.
    #[error("unsupported document version {0}")]
    UnsupportedVersion(u64),
    /// A sample entry that contradicts itself.
    #[error("sample entry for operator id {operator_id}: {reason}")]
    InvalidEntry {
        /// Operator id of the entry.
        operator_id: u64,
        /// What is wrong with it.
        reason: EntryError,
    },
    /// A "healthy" entry whose proof does not verify.
    #[error("health proof of operator id {operator_id} is invalid")]
    InvalidHealthProof {
        /// Operator id of the entry.
        operator_id: u64,
        /// Why the proof failed.
        #[source]
        source: ProofError,
    },
}

/// What makes a sample entry of a proof-of-task document inconsistent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// Verdict `healthy` without a `proof`.
    #[error("healthy without proof")]
    HealthyWithoutProof,
    /// Verdict `healthy` with a `failure`.
    #[error("healthy with a failure reason")]
    HealthyWithFailure,
    /// Verdict `unhealthy` without a `failure`.
    #[error("unhealthy without failure reason")]
    UnhealthyWithoutFailure,
    /// Verdict `unhealthy` with a `proof`.
    #[error("unhealthy with a proof")]
    UnhealthyWithProof,
    /// Operator id 0 (ids start at 1).
    #[error("operator id 0")]
    ZeroOperatorId,
    /// The same operator address appears in two entries.
    #[error("operator address listed twice")]
    DuplicateAddress,
    /// A healthy entry's proof signature has `v` other than 27 or 28 (one
    /// signature, one encoding: otherwise each healthy entry would give a
    /// performer two documents).
    #[error("proof signature v must be 27 or 28")]
    NonCanonicalSignature,
}

/// Why a health proof is rejected: a fixed set of reasons, never the
/// response bytes. Malformed proofs are rejected earlier, at decoding.
///
/// Checks run in this order and the first failure is reported:
/// [`WrongBlock`](Self::WrongBlock), [`WrongHash`](Self::WrongHash),
/// [`WrongSigner`](Self::WrongSigner), [`BadSignature`](Self::BadSignature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ProofError {
    /// `blockNumber` is not the epoch block.
    #[error("proof is for another block")]
    WrongBlock,
    /// `blockHash` is not the canonical hash of the epoch block.
    #[error("proof carries a non-canonical block hash")]
    WrongHash,
    /// The signature is malformed (bad `v`, high `s`, `r`/`s` out of range)
    /// or recovers an address other than the proof's `address`.
    #[error("signature is invalid or does not match the proof's address")]
    BadSignature,
    /// The proof's `address` is not the operator being checked.
    #[error("proof is from another operator")]
    WrongSigner,
}
