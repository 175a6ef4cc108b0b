//! Errors of chain access.

use alloy::primitives::{Address, B256};

/// What can go wrong talking to the contracts.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call or transaction reverted with one of the AttestationCenter's or
    /// the registry's custom errors; `name` is the error's Solidity name.
    #[error("contract reverted: {detail}")]
    Reverted {
        /// The Solidity name of the custom error, e.g. `TaskAlreadySubmitted`.
        name: String,
        /// The error with its arguments, for logs.
        detail: String,
        /// The raw revert data.
        data: alloy::primitives::Bytes,
        /// The decoded error, to match on.
        error: Box<crate::revert::ContractError>,
    },
    /// A contract call failed for another reason (transport, decoding, a
    /// revert without recognisable data).
    #[error("contract call failed: {0}")]
    Contract(#[from] alloy::contract::Error),
    /// Waiting for a transaction failed.
    #[error("waiting for transaction failed: {0}")]
    Pending(#[from] alloy::providers::PendingTransactionError),
    /// An RPC request failed.
    #[error("rpc request failed: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// A transaction was mined but reverted.
    #[error("transaction {0} reverted")]
    TxReverted(B256),
    /// A deployment produced no contract address.
    #[error("deployment of {0} produced no contract address")]
    NoContractAddress(&'static str),
    /// A certificate for the task at its reference block was already
    /// submitted; nothing was sent.
    #[error("task {0} is already submitted")]
    AlreadySubmitted(B256),
    /// An address is not an operator of the AttestationCenter.
    #[error("{0} is not an operator of the AttestationCenter")]
    NotAnOperator(Address),
    /// A transaction was mined without the event it must emit.
    #[error("transaction emitted no {0} event")]
    MissingEvent(&'static str),
    /// The provider lists no account to send from.
    #[error("the provider has no account to send from")]
    NoAccount,
    /// A value read from the chain does not fit the type the node uses.
    #[error("value out of range: {0}")]
    OutOfRange(String),
    /// The certificate is malformed (e.g. non-signer ids not ascending).
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),
    /// Evidence of misbehaviour that the contract would refuse.
    #[error("invalid evidence: {0}")]
    InvalidEvidence(String),
    /// A BLS value read from the chain or given by a caller is invalid.
    #[error("invalid BLS value: {0}")]
    Bls(#[from] liveliness_bls::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The custom error's name when this is a decoded revert.
    pub fn revert_name(&self) -> Option<&str> {
        match self {
            Self::Reverted { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The decoded custom error, for [`Error::Reverted`].
    pub fn revert(&self) -> Option<&crate::revert::ContractError> {
        match self {
            Self::Reverted { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<liveliness_primitives::TooWide> for Error {
    /// A block or round wider than the contract's `uint32`.
    fn from(e: liveliness_primitives::TooWide) -> Self {
        Self::OutOfRange(e.to_string())
    }
}
