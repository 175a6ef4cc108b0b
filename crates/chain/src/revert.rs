//! Naming the custom error behind a revert.
//!
//! A `submitTask` can revert with an error of the AttestationCenter or, from
//! inside the AVS-logic hook, of the registry; both are tried.

use crate::bindings::{AttestationCenter, LivelinessRegistry, ReputationGate};
use alloy::sol_types::SolInterface;

/// The Solidity name and a rendering of the arguments of the custom error in
/// `data`, or `None` when `data` is no error of these contracts.
pub fn decode(data: &[u8]) -> Option<(String, String)> {
    fn named<T: std::fmt::Debug>(value: T) -> (String, String) {
        // The generated enums print as `Name(Name { args })`.
        let detail = format!("{value:?}");
        let name = detail
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or_default()
            .to_owned();
        (name, detail)
    }
    if let Ok(e) = AttestationCenter::AttestationCenterErrors::abi_decode(data) {
        return Some(named(e));
    }
    if let Ok(e) = LivelinessRegistry::LivelinessRegistryErrors::abi_decode(data) {
        return Some(named(e));
    }
    if let Ok(e) = ReputationGate::ReputationGateErrors::abi_decode(data) {
        return Some(named(e));
    }
    None
}

/// Turns a contract-call error into [`Error::Reverted`] when it carries the
/// revert data of a known custom error.
pub(crate) fn map(err: alloy::contract::Error) -> crate::Error {
    if let Some(data) = err.as_revert_data() {
        if let Some((name, detail)) = decode(&data) {
            return crate::Error::Reverted { name, detail, data };
        }
    }
    crate::Error::Contract(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::attestation_center::AttestationCenter::{
        InvalidBlsSignature, TaskAlreadySubmitted,
    };
    use crate::bindings::registry::LivelinessRegistry::TooManyUnhealthy;
    use alloy::primitives::{B256, U256};
    use alloy::sol_types::SolError;

    #[test]
    fn names_errors_of_both_contracts() {
        let data = InvalidBlsSignature {}.abi_encode();
        assert_eq!(decode(&data).unwrap().0, "InvalidBlsSignature");
        let data = TaskAlreadySubmitted {
            taskHash: B256::repeat_byte(7),
            referenceBlock: 120,
        }
        .abi_encode();
        let (name, detail) = decode(&data).unwrap();
        assert_eq!(name, "TaskAlreadySubmitted");
        assert!(detail.contains("0x0707"), "{detail}");
        let data = TooManyUnhealthy {
            length: U256::from(9),
            sampleSize: U256::from(8),
        }
        .abi_encode();
        assert_eq!(decode(&data).unwrap().0, "TooManyUnhealthy");
    }

    #[test]
    fn unknown_or_truncated_data_is_none() {
        assert_eq!(decode(&[]), None);
        assert_eq!(decode(&[1, 2, 3, 4]), None);
        let mut data = TaskAlreadySubmitted {
            taskHash: B256::ZERO,
            referenceBlock: 0,
        }
        .abi_encode();
        data.truncate(20);
        assert_eq!(decode(&data), None);
    }
}
