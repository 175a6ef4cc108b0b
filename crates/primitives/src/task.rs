//! The task as the AttestationCenter sees it, and the hashes built on it.
//!
//! Every hash here is `keccak256(abi.encode(...))` of a flat parameter list,
//! exactly as Solidity's `abi.encode(a, b, ...)` lays it out: a head of one
//! word per parameter (offsets for dynamic ones, counted from the start of
//! the encoding) followed by the tails. It is *not* the encoding of a single
//! struct argument, which would add a leading `0x20` offset word.

use crate::{
    error::{Error, Result},
    sig,
};
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolValue};

/// Domain tag of the performer's task signature.
const TASK_DOMAIN: &str = "liveliness/task/v1";
/// Domain tag of the BLS proof of possession.
const POP_DOMAIN: &str = "liveliness/pop/v1";

mod abi {
    use super::sol;

    sol! {
        struct TaskHashParams {
            string proofOfTask;
            bytes data;
            address taskPerformer;
            uint16 taskDefinitionId;
        }

        struct TaskDigestParams {
            string domain;
            uint256 chainId;
            address attestationCenter;
            bytes32 taskHash;
        }

        struct VoteParams {
            string proofOfTask;
            bytes data;
            address taskPerformer;
            uint16 taskDefinitionId;
            address attestationCenter;
            uint256 chainId;
            bool isApproved;
        }

        struct PopParams {
            string domain;
            address operator;
            address attestationCenter;
            uint256 chainId;
        }
    }
}

/// The AttestationCenter's `TaskInfo`
/// (`{string proofOfTask; bytes data; address taskPerformer; uint16 taskDefinitionId}`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TaskInfo {
    /// CIDv1 of the proof-of-task document.
    pub proof_of_task: String,
    /// ABI-encoded [`TaskData`](crate::TaskData).
    pub data: Bytes,
    /// The performer that signed the task.
    pub task_performer: Address,
    /// Task definition id.
    pub task_definition_id: u16,
}

impl TaskInfo {
    /// `keccak256(abi.encode(proofOfTask, data, taskPerformer, taskDefinitionId))`.
    pub fn task_hash(&self) -> B256 {
        let params = abi::TaskHashParams {
            proofOfTask: self.proof_of_task.clone(),
            data: self.data.clone(),
            taskPerformer: self.task_performer,
            taskDefinitionId: self.task_definition_id,
        };
        keccak256(params.abi_encode_params())
    }

    /// The digest the performer signs:
    /// `keccak256(abi.encode("liveliness/task/v1", uint256 chainId, address attestationCenter, bytes32 taskHash))`.
    pub fn task_signing_digest(&self, chain_id: u64, attestation_center: Address) -> B256 {
        let params = abi::TaskDigestParams {
            domain: TASK_DOMAIN.to_owned(),
            chainId: U256::from(chain_id),
            attestationCenter: attestation_center,
            taskHash: self.task_hash(),
        };
        keccak256(params.abi_encode_params())
    }

    /// The EIP-191 hash of [`task_signing_digest`](Self::task_signing_digest):
    /// what a `personal_sign` of the digest actually signs, for signers that
    /// take a prehash.
    pub fn task_signing_hash(&self, chain_id: u64, attestation_center: Address) -> B256 {
        sig::personal_hash(&self.task_signing_digest(chain_id, attestation_center))
    }

    /// Checks that `signature` is the performer's `personal_sign` of the
    /// signing digest (strict encoding, see the signature rules in the crate
    /// docs).
    pub fn verify_performer_signature(
        &self,
        signature: &[u8; 65],
        chain_id: u64,
        attestation_center: Address,
    ) -> Result<()> {
        let digest = self.task_signing_digest(chain_id, attestation_center);
        let recovered = sig::recover_personal(signature, &digest)?;
        if recovered == self.task_performer {
            Ok(())
        } else {
            Err(Error::WrongTaskSigner {
                expected: self.task_performer,
                recovered,
            })
        }
    }

    /// The message votes sign (in BLS, over `hashToG1` of it):
    /// `keccak256(abi.encode(proofOfTask, data, taskPerformer, taskDefinitionId, address attestationCenter, uint256 chainId, bool isApproved))`.
    pub fn vote_hash(&self, attestation_center: Address, chain_id: u64, is_approved: bool) -> B256 {
        let params = abi::VoteParams {
            proofOfTask: self.proof_of_task.clone(),
            data: self.data.clone(),
            taskPerformer: self.task_performer,
            taskDefinitionId: self.task_definition_id,
            attestationCenter: attestation_center,
            chainId: U256::from(chain_id),
            isApproved: is_approved,
        };
        keccak256(params.abi_encode_params())
    }
}

/// The message of the BLS proof of possession:
/// `keccak256(abi.encode("liveliness/pop/v1", address operator, address attestationCenter, uint256 chainId))`.
pub fn pop_message(operator: Address, attestation_center: Address, chain_id: u64) -> B256 {
    let params = abi::PopParams {
        domain: POP_DOMAIN.to_owned(),
        operator,
        attestationCenter: attestation_center,
        chainId: U256::from(chain_id),
    };
    keccak256(params.abi_encode_params())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_keys::{sign_personal, ANVIL0, ANVIL0_ADDRESS};
    use alloy_primitives::{address, b256, bytes, hex};

    const AC: Address = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");

    fn task() -> TaskInfo {
        TaskInfo {
            proof_of_task: "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq".into(),
            data: bytes!("0x1234"),
            task_performer: ANVIL0_ADDRESS,
            task_definition_id: 7,
        }
    }

    #[test]
    fn task_hash_is_params_encoding() {
        // `cast abi-encode "f(string,bytes,address,uint16)" "ipfs" 0x1234 0x…aa 7`
        let t = TaskInfo {
            proof_of_task: "ipfs".into(),
            data: bytes!("0x1234"),
            task_performer: address!("0x00000000000000000000000000000000000000aa"),
            task_definition_id: 7,
        };
        let expected = hex!(
            "0000000000000000000000000000000000000000000000000000000000000080"
            "00000000000000000000000000000000000000000000000000000000000000c0"
            "00000000000000000000000000000000000000000000000000000000000000aa"
            "0000000000000000000000000000000000000000000000000000000000000007"
            "0000000000000000000000000000000000000000000000000000000000000004"
            "6970667300000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "1234000000000000000000000000000000000000000000000000000000000000"
        );
        assert_eq!(t.task_hash(), keccak256(expected));
    }

    #[test]
    // contracts/test/Vectors.t.sol checks the same values against the contract.
    fn pinned_task_vectors() {
        let t = task();
        assert_eq!(
            t.task_hash(),
            b256!("0xadac08b96f5d7f45f8ed08c74ce76e005de5f122f48ada19cef1d64f5829b0b4")
        );
        assert_eq!(
            t.task_signing_digest(31337, AC),
            b256!("0x1be3bbe3a680e8243f3a68f5ce7cb834ea34d99cf9c020d88327ad5a49ea077b")
        );
        assert_eq!(
            t.task_signing_hash(31337, AC),
            b256!("0x2aa2351348dd8131adb9a146e35b7c11143880902a72b553d8e5e9e44eed5a32")
        );
        assert_eq!(
            t.vote_hash(AC, 31337, true),
            b256!("0x1b4a0bd7c88bf6229ae249864a18964348c7ad3d24d61b9e81c1d48223bec1a0")
        );
        assert_eq!(
            t.vote_hash(AC, 31337, false),
            b256!("0xbdece032165a7e38672bf50fdf658d852cc3df602c91811d01728a8ff4ed6107")
        );
        assert_eq!(
            pop_message(ANVIL0_ADDRESS, AC, 31337),
            b256!("0x4a0acafbd1a882a66809d3d7cc988fa4f89f053cf02b2f73084fc11bad7f7fa4")
        );
    }

    #[test]
    fn performer_signature_roundtrip() {
        let t = task();
        let digest = t.task_signing_digest(31337, AC);
        let sig = sign_personal(&ANVIL0, &digest);
        // `cast wallet sign --private-key <anvil 0> <digest>`
        assert_eq!(
            sig,
            hex!(
                "ad384789535316bfc79ba7bc568847e2224addf39ea7b87e767b214927b5292d"
                "12a93211d87109cc9c51df028c18ae0cb982164949ead1090193bb3d724f81c2"
                "1b"
            )
        );
        t.verify_performer_signature(&sig, 31337, AC).unwrap();

        // Another chain id: recovers someone else.
        assert!(matches!(
            t.verify_performer_signature(&sig, 1, AC),
            Err(Error::WrongTaskSigner { .. })
        ));
        // v as 0/1 is accepted too.
        let mut sig01 = sig;
        sig01[64] -= 27;
        t.verify_performer_signature(&sig01, 31337, AC).unwrap();
    }
}
