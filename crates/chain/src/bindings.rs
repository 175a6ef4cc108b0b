//! Contract bindings generated from the committed artifacts in
//! `crates/chain/artifacts/` (written by `scripts/artifacts.sh`; CI fails when
//! they drift from `contracts/src`). Each contract lives in its own module
//! because the interfaces share type names.

#![allow(missing_docs, clippy::too_many_arguments)]

/// `AttestationCenter`: operator set, BLS quorum verification, task submission.
pub mod attestation_center {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        AttestationCenter,
        "artifacts/AttestationCenter.json"
    );
}

/// `LivelinessRegistry`: endpoints, penalties and reputation scores.
pub mod registry {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        LivelinessRegistry,
        "artifacts/LivelinessRegistry.json"
    );
}

/// `ReputationGate`: the example consumer that gates an action on reputation.
pub mod reputation_gate {
    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        ReputationGate,
        "artifacts/ReputationGate.json"
    );
}

pub use attestation_center::{AttestationCenter, IAttestationCenter};
pub use registry::{ILivelinessRegistry, LivelinessRegistry};
pub use reputation_gate::ReputationGate;
