//! The digest a disputer signs for its dispute of a task.
//!
//! A dispute lists entries of a task its author can show are wrong. Its
//! author signs, with `personal_sign` and its operator (ECDSA) key,
//!
//! ```text
//! keccak256(abi.encode(string "liveliness/dispute/v1", uint256 chainId,
//!                      address attestationCenter, bytes32 taskHash,
//!                      uint64 epochBlock, uint32 round, uint64 disputerId,
//!                      (uint8 reason, address operator, bytes proofSignature)[] entries))
//! ```
//!
//! so the signature is valid for one deployment, one task of one epoch
//! block and round, one disputer and exactly these entries, in this order,
//! and nothing else.

use crate::{
    error::Result,
    sig,
    types::{EpochBlock, Round},
};
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolValue};

/// Domain tag of a dispute's signature.
const DISPUTE_DOMAIN: &str = "liveliness/dispute/v1";

mod abi {
    use super::sol;

    sol! {
        struct DisputeEntryParams {
            uint8 reason;
            address operator;
            bytes proofSignature;
        }

        struct DisputeDigestParams {
            string domain;
            uint256 chainId;
            address attestationCenter;
            bytes32 taskHash;
            uint64 epochBlock;
            uint32 round;
            uint64 disputerId;
            DisputeEntryParams[] entries;
        }
    }
}

/// One dispute entry as the dispute's signature commits to it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DisputedEntry {
    /// The reason code, as on the wire.
    pub reason: u8,
    /// The operator the entry is about.
    pub operator: Address,
    /// The health proof signature the entry carries, or empty.
    pub proof_signature: Bytes,
}

/// What a dispute's signature covers: its context and its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DisputeContext {
    /// The chain id.
    pub chain_id: u64,
    /// The AttestationCenter.
    pub attestation_center: Address,
    /// The disputed task's hash.
    pub task_hash: B256,
    /// The task's epoch block.
    pub epoch_block: EpochBlock,
    /// The task's round.
    pub round: Round,
    /// The disputer's operator id.
    pub disputer_id: u64,
}

impl DisputeContext {
    /// The digest the disputer signs with `personal_sign` (see the module
    /// docs) for `entries`.
    pub fn signing_digest(&self, entries: &[DisputedEntry]) -> B256 {
        let params = abi::DisputeDigestParams {
            domain: DISPUTE_DOMAIN.to_owned(),
            chainId: U256::from(self.chain_id),
            attestationCenter: self.attestation_center,
            taskHash: self.task_hash,
            epochBlock: self.epoch_block.0,
            round: self.round.0,
            disputerId: self.disputer_id,
            entries: entries
                .iter()
                .map(|e| abi::DisputeEntryParams {
                    reason: e.reason,
                    operator: e.operator,
                    proofSignature: e.proof_signature.clone(),
                })
                .collect(),
        };
        keccak256(params.abi_encode_params())
    }

    /// The address whose `personal_sign` of
    /// [`signing_digest`](Self::signing_digest)`(entries)` `signature` is,
    /// under the strict signature rules of the crate docs.
    pub fn signer(&self, entries: &[DisputedEntry], signature: &[u8; 65]) -> Result<Address> {
        sig::recover_personal(signature, &self.signing_digest(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_keys::{sign_personal, ANVIL0, ANVIL0_ADDRESS, ANVIL1_ADDRESS};
    use alloy_primitives::{address, b256, hex};

    const AC: Address = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");

    fn context() -> DisputeContext {
        DisputeContext {
            chain_id: 31337,
            attestation_center: AC,
            task_hash: b256!("0xadac08b96f5d7f45f8ed08c74ce76e005de5f122f48ada19cef1d64f5829b0b4"),
            epoch_block: EpochBlock(1230),
            round: Round(2),
            disputer_id: 9,
        }
    }

    fn entries() -> Vec<DisputedEntry> {
        vec![
            DisputedEntry {
                reason: 2,
                operator: ANVIL1_ADDRESS,
                proof_signature: Bytes::new(),
            },
            DisputedEntry {
                reason: 1,
                operator: ANVIL0_ADDRESS,
                proof_signature: Bytes::from(vec![0xab; 65]),
            },
        ]
    }

    #[test]
    fn digest_is_pinned() {
        // cast keccak $(cast abi-encode \
        //   "f(string,uint256,address,bytes32,uint64,uint32,uint64,(uint8,address,bytes)[])" \
        //   liveliness/dispute/v1 31337 <AC> <task hash> 1230 2 9 \
        //   "[(2,<anvil 1>,0x),(1,<anvil 0>,0xabab…ab)]")
        assert_eq!(
            context().signing_digest(&entries()),
            b256!("0x4bff2dd64d928d54cd45c4131bab86f4f9ae04b53abd8e14a9c565f035744972")
        );
    }

    #[test]
    fn signature_is_pinned_and_recovers() {
        let digest = context().signing_digest(&entries());
        let sig = sign_personal(&ANVIL0, &digest);
        // `cast wallet sign --private-key <anvil 0> <digest>`
        assert_eq!(
            sig,
            hex!(
                "f9e0114c3cb0982bc02cc65562704269bfaffc09bf40f5e116fdce6ee6fc7bd4"
                "6eb7f0e95c8f11d96ed8eb695144b08fc41750821d049f66f6ecee7cdf6a6a67"
                "1c"
            )
        );
        assert_eq!(context().signer(&entries(), &sig).unwrap(), ANVIL0_ADDRESS);
    }

    #[test]
    fn every_field_is_covered() {
        let base = context();
        let digest = base.signing_digest(&entries());
        let contexts = [
            DisputeContext {
                chain_id: 1,
                ..base
            },
            DisputeContext {
                attestation_center: Address::repeat_byte(1),
                ..base
            },
            DisputeContext {
                task_hash: B256::repeat_byte(1),
                ..base
            },
            DisputeContext {
                epoch_block: EpochBlock(1240),
                ..base
            },
            DisputeContext {
                round: Round(3),
                ..base
            },
            DisputeContext {
                disputer_id: 10,
                ..base
            },
        ];
        for c in contexts {
            assert_ne!(c.signing_digest(&entries()), digest, "{c:?}");
        }
        let mut variants = Vec::new();
        let mut e = entries();
        e[0].reason = 1;
        variants.push(e);
        let mut e = entries();
        e[1].operator = Address::repeat_byte(2);
        variants.push(e);
        let mut e = entries();
        e[1].proof_signature = Bytes::from(vec![0xac; 65]);
        variants.push(e);
        let mut e = entries();
        e.reverse();
        variants.push(e);
        let mut e = entries();
        e.pop();
        variants.push(e);
        variants.push(vec![]);
        for v in variants {
            assert_ne!(base.signing_digest(&v), digest, "{v:?}");
        }
    }
}
