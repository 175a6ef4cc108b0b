//! Naming the custom error behind a revert.
//!
//! A `submitTask` can revert with an error of the AttestationCenter or, from
//! inside the AVS-logic hook, of the registry; both are tried.

use crate::bindings::{
    attestation_center::AttestationCenter::AttestationCenterErrors,
    registry::LivelinessRegistry::LivelinessRegistryErrors,
    reputation_gate::ReputationGate::ReputationGateErrors,
};
use alloy::sol_types::SolInterface;

/// A custom error of one of this project's contracts, decoded by its
/// selector into the generated enum, so that callers match on variants, not
/// on names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContractError {
    /// An error of the AttestationCenter.
    AttestationCenter(AttestationCenterErrors),
    /// An error of the LivelinessRegistry (from inside a hook too).
    Registry(LivelinessRegistryErrors),
    /// An error of the ReputationGate.
    ReputationGate(ReputationGateErrors),
}

impl ContractError {
    /// The custom error in revert `data`, or `None` when it is none of these
    /// contracts' (the AttestationCenter's are tried first).
    pub fn decode(data: &[u8]) -> Option<Self> {
        if let Ok(e) = AttestationCenterErrors::abi_decode(data) {
            return Some(Self::AttestationCenter(e));
        }
        if let Ok(e) = LivelinessRegistryErrors::abi_decode(data) {
            return Some(Self::Registry(e));
        }
        if let Ok(e) = ReputationGateErrors::abi_decode(data) {
            return Some(Self::ReputationGate(e));
        }
        None
    }

    /// The error's Solidity name, from its selector.
    pub fn name(&self) -> &'static str {
        let name = match self {
            Self::AttestationCenter(e) => AttestationCenterErrors::name_by_selector(e.selector()),
            Self::Registry(e) => LivelinessRegistryErrors::name_by_selector(e.selector()),
            Self::ReputationGate(e) => ReputationGateErrors::name_by_selector(e.selector()),
        };
        // Every variant's selector is in its own enum's table.
        name.unwrap_or("unknown")
    }
}

/// The Solidity name and a rendering of the arguments of the custom error in
/// `data`, or `None` when `data` is no error of these contracts.
pub fn decode(data: &[u8]) -> Option<(String, String)> {
    let error = ContractError::decode(data)?;
    Some((error.name().to_owned(), format!("{error:?}")))
}

/// Turns a contract-call error into [`Error::Reverted`](crate::Error) when it
/// carries the revert data of a known custom error.
pub(crate) fn map(err: alloy::contract::Error) -> crate::Error {
    if let Some(data) = err.as_revert_data() {
        if let Some(error) = ContractError::decode(&data) {
            return crate::Error::Reverted {
                name: error.name().to_owned(),
                detail: format!("{error:?}"),
                data,
                error: Box::new(error),
            };
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
    fn errors_decode_into_their_contracts_variants() {
        use crate::bindings::attestation_center::AttestationCenter::{
            AttestationCenterErrors, EquivocationAlreadyProven,
        };
        let data = EquivocationAlreadyProven {
            offence: B256::repeat_byte(3),
        }
        .abi_encode();
        let error = ContractError::decode(&data).unwrap();
        assert_eq!(
            error,
            ContractError::AttestationCenter(AttestationCenterErrors::EquivocationAlreadyProven(
                EquivocationAlreadyProven {
                    offence: B256::repeat_byte(3)
                }
            ))
        );
        assert_eq!(error.name(), "EquivocationAlreadyProven");
        let data = TooManyUnhealthy {
            length: U256::from(9),
            sampleSize: U256::from(8),
        }
        .abi_encode();
        assert!(matches!(
            ContractError::decode(&data),
            Some(ContractError::Registry(_))
        ));
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
