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
    types::{EpochBlock, Round},
};
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolValue};

/// Domain tag of the performer's task signature. `v4` commits to the epoch
/// block, its hash and the round (`v3` not to the hash, `v2` to the epoch
/// block only, `v1` to neither).
const TASK_DOMAIN: &str = "liveliness/task/v4";
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
            uint64 epochBlock;
            bytes32 epochBlockHash;
            uint32 round;
        }

        struct VoteParams {
            string proofOfTask;
            bytes data;
            address taskPerformer;
            uint16 taskDefinitionId;
            address attestationCenter;
            uint256 chainId;
            bool isApproved;
            uint64 referenceBlock;
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

    /// The digest the performer signs for its task of round `round` of the
    /// epoch that starts at `epoch_block`: [`task_signing_digest`] of this
    /// task's hash.
    pub fn task_signing_digest(
        &self,
        chain_id: u64,
        attestation_center: Address,
        epoch_block: EpochBlock,
        epoch_block_hash: B256,
        round: Round,
    ) -> B256 {
        task_signing_digest(
            self.task_hash(),
            &TaskContext {
                chain_id,
                attestation_center,
                epoch_block,
                epoch_block_hash,
                round,
            },
        )
    }

    /// The EIP-191 hash of [`task_signing_digest`](Self::task_signing_digest):
    /// what a `personal_sign` of the digest actually signs, for signers that
    /// take a prehash.
    pub fn task_signing_hash(
        &self,
        chain_id: u64,
        attestation_center: Address,
        epoch_block: EpochBlock,
        epoch_block_hash: B256,
        round: Round,
    ) -> B256 {
        sig::personal_hash(&self.task_signing_digest(
            chain_id,
            attestation_center,
            epoch_block,
            epoch_block_hash,
            round,
        ))
    }

    /// Checks that `signature` is the performer's `personal_sign` of the
    /// signing digest for round `round` of `epoch_block` (strict encoding,
    /// see the signature rules in the crate docs).
    pub fn verify_performer_signature(
        &self,
        signature: &[u8; 65],
        chain_id: u64,
        attestation_center: Address,
        epoch_block: EpochBlock,
        epoch_block_hash: B256,
        round: Round,
    ) -> Result<()> {
        verify_task_signature(
            self.task_hash(),
            self.task_performer,
            signature,
            &TaskContext {
                chain_id,
                attestation_center,
                epoch_block,
                epoch_block_hash,
                round,
            },
        )
    }

    /// The message votes sign (in BLS, over `hashToG1` of it):
    /// `keccak256(abi.encode(proofOfTask, data, taskPerformer, taskDefinitionId, address attestationCenter, uint256 chainId, bool isApproved, uint32 referenceBlock))`.
    ///
    /// `reference_block` is the certificate's reference block, the task's
    /// epoch block: a vote counts at that block only.
    pub fn vote_hash(
        &self,
        attestation_center: Address,
        chain_id: u64,
        is_approved: bool,
        reference_block: EpochBlock,
    ) -> B256 {
        let params = abi::VoteParams {
            proofOfTask: self.proof_of_task.clone(),
            data: self.data.clone(),
            taskPerformer: self.task_performer,
            taskDefinitionId: self.task_definition_id,
            attestationCenter: attestation_center,
            chainId: U256::from(chain_id),
            isApproved: is_approved,
            referenceBlock: reference_block.0,
        };
        keccak256(params.abi_encode_params())
    }
}

/// What a performer's task signature is for (PROTOCOL.md §2.2): one round of
/// the epoch that starts at block `epoch_block` with hash `epoch_block_hash`,
/// on one chain and AttestationCenter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskContext {
    /// The chain id.
    pub chain_id: u64,
    /// The AttestationCenter.
    pub attestation_center: Address,
    /// The epoch block `B`.
    pub epoch_block: EpochBlock,
    /// `blockhash(B)` as the performer saw it.
    pub epoch_block_hash: B256,
    /// The performer round.
    pub round: Round,
}

/// The digest a performer signs for the task `task_hash` in `ctx`:
/// `keccak256(abi.encode("liveliness/task/v4", uint256 chainId, address attestationCenter, bytes32 taskHash, uint32 epochBlock, bytes32 epochBlockHash, uint32 round))`.
///
/// The contract checks it with `epochBlock` = the certificate's reference
/// block, so a signed task can only be certified at its own epoch block; two
/// such signatures over different tasks for one `(epochBlock,
/// epochBlockHash, round)` are a task equivocation
/// (`proveTaskEquivocation`), and a task signed again after a reorg of the
/// epoch block is for another hash, so no equivocation. The contract's
/// `uint32` and this `u64` encode to the same word for every block number the
/// contract can hold.
pub fn task_signing_digest(task_hash: B256, ctx: &TaskContext) -> B256 {
    let params = abi::TaskDigestParams {
        domain: TASK_DOMAIN.to_owned(),
        chainId: U256::from(ctx.chain_id),
        attestationCenter: ctx.attestation_center,
        taskHash: task_hash,
        epochBlock: ctx.epoch_block.0,
        epochBlockHash: ctx.epoch_block_hash,
        round: ctx.round.0,
    };
    keccak256(params.abi_encode_params())
}

/// Checks that `signature` is `performer`'s `personal_sign` of
/// [`task_signing_digest`] (strict encoding, see the signature rules in the
/// crate docs).
pub fn verify_task_signature(
    task_hash: B256,
    performer: Address,
    signature: &[u8; 65],
    ctx: &TaskContext,
) -> Result<()> {
    let digest = task_signing_digest(task_hash, ctx);
    let recovered = sig::recover_personal(signature, &digest)?;
    if recovered == performer {
        Ok(())
    } else {
        Err(Error::WrongTaskSigner {
            expected: performer,
            recovered,
        })
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

    /// The epoch block of the pinned vectors.
    const EPOCH: EpochBlock = EpochBlock(1_230);
    /// The round of the pinned task signature.
    const ROUND: Round = Round(7);
    /// The epoch block hash of the pinned task signature.
    const EPOCH_HASH: B256 = B256::repeat_byte(0x11);

    #[test]
    // contracts/test/Vectors.t.sol checks the same values against the contract.
    fn pinned_task_vectors() {
        let t = task();
        assert_eq!(
            t.task_hash(),
            b256!("0xadac08b96f5d7f45f8ed08c74ce76e005de5f122f48ada19cef1d64f5829b0b4")
        );
        assert_eq!(
            t.task_signing_digest(31337, AC, EPOCH, EPOCH_HASH, ROUND),
            b256!("0x47167ea1d979302a808c825b019591aa62ad1840f3e0cdd5f8277d0b7180f618")
        );
        assert_eq!(
            t.task_signing_hash(31337, AC, EPOCH, EPOCH_HASH, ROUND),
            b256!("0x7e754d334f7bbd28135ef1ce65d52ba790276089c03259986c201a9767769bda")
        );
        assert_eq!(
            t.vote_hash(AC, 31337, true, EPOCH),
            b256!("0x1be0a272deeaf6f05b4bf85c36bbb147b1deb43e8cce36121b57fba3c070e281")
        );
        assert_eq!(
            t.vote_hash(AC, 31337, false, EPOCH),
            b256!("0xb286633f3b5a7ea8e407c490f745ce580dc80d30c2dcaf4595b2d64b3e640193")
        );
        assert_eq!(
            pop_message(ANVIL0_ADDRESS, AC, 31337),
            b256!("0x4a0acafbd1a882a66809d3d7cc988fa4f89f053cf02b2f73084fc11bad7f7fa4")
        );
    }

    #[test]
    fn digest_and_vote_hash_commit_to_the_block() {
        let t = task();
        assert_ne!(
            t.task_signing_digest(31337, AC, EPOCH, EPOCH_HASH, Round(0)),
            t.task_signing_digest(31337, AC, EpochBlock(EPOCH.0 - 10), EPOCH_HASH, Round(0))
        );
        assert_ne!(
            t.task_signing_digest(31337, AC, EPOCH, EPOCH_HASH, Round(0)),
            t.task_signing_digest(31337, AC, EPOCH, EPOCH_HASH, Round(1))
        );
        assert_ne!(
            t.task_signing_digest(31337, AC, EPOCH, EPOCH_HASH, Round(0)),
            t.task_signing_digest(31337, AC, EPOCH, B256::ZERO, Round(0))
        );
        assert_ne!(
            t.vote_hash(AC, 31337, false, EPOCH),
            t.vote_hash(AC, 31337, false, EpochBlock(EPOCH.0 - 10))
        );
        // Layout: the block, its hash and the round are the last head words,
        // after the string offset, chain id, AttestationCenter and task hash.
        let mut preimage = Vec::new();
        preimage.extend_from_slice(&U256::from(0xe0).to_be_bytes::<32>());
        preimage.extend_from_slice(&U256::from(31337).to_be_bytes::<32>());
        preimage.extend_from_slice(B256::left_padding_from(AC.as_slice()).as_slice());
        preimage.extend_from_slice(t.task_hash().as_slice());
        preimage.extend_from_slice(&U256::from(EPOCH.0).to_be_bytes::<32>());
        preimage.extend_from_slice(EPOCH_HASH.as_slice());
        preimage.extend_from_slice(&U256::from(ROUND.0).to_be_bytes::<32>());
        preimage.extend_from_slice(&U256::from(TASK_DOMAIN.len()).to_be_bytes::<32>());
        let mut tag = [0u8; 32];
        tag[..TASK_DOMAIN.len()].copy_from_slice(TASK_DOMAIN.as_bytes());
        preimage.extend_from_slice(&tag);
        assert_eq!(
            t.task_signing_digest(31337, AC, EPOCH, EPOCH_HASH, ROUND),
            keccak256(preimage)
        );
    }

    #[test]
    fn performer_signature_roundtrip() {
        let t = task();
        let digest = t.task_signing_digest(31337, AC, EPOCH, EPOCH_HASH, ROUND);
        let sig = sign_personal(&ANVIL0, &digest);
        // `cast wallet sign --private-key <anvil 0> <digest>`
        assert_eq!(
            sig,
            hex!(
                "4ceb82b44621b093717e1b655420a0319ee850164474309c017c4e970a89048b"
                "58ca04f52f43380eada43911ef7a33aed15c84af2d35041ebe63570c1f379202"
                "1c"
            )
        );
        t.verify_performer_signature(&sig, 31337, AC, EPOCH, EPOCH_HASH, ROUND)
            .unwrap();

        // Another chain id, epoch block, block hash or round: recovers
        // someone else.
        for (chain, epoch, hash, round) in [
            (1, EPOCH, EPOCH_HASH, ROUND),
            (31337, EpochBlock(EPOCH.0 - 10), EPOCH_HASH, ROUND),
            (31337, EPOCH, B256::repeat_byte(0x12), ROUND),
            (31337, EPOCH, EPOCH_HASH, Round(ROUND.0 + 1)),
        ] {
            assert!(matches!(
                t.verify_performer_signature(&sig, chain, AC, epoch, hash, round),
                Err(Error::WrongTaskSigner { .. })
            ));
        }
        // The free function over the task hash agrees.
        verify_task_signature(
            t.task_hash(),
            ANVIL0_ADDRESS,
            &sig,
            &TaskContext {
                chain_id: 31337,
                attestation_center: AC,
                epoch_block: EPOCH,
                epoch_block_hash: EPOCH_HASH,
                round: ROUND,
            },
        )
        .unwrap();
        // v as 0/1 is accepted too.
        let mut sig01 = sig;
        sig01[64] -= 27;
        t.verify_performer_signature(&sig01, 31337, AC, EPOCH, EPOCH_HASH, ROUND)
            .unwrap();
    }
}
