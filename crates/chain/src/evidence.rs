//! Evidence of misbehaviour, proven on chain by anyone.

use crate::{
    bindings::{AttestationCenter, IAttestationCenter},
    error::{Error, Result},
    revert,
    submit::{task_info, Submission},
    tx::{confirm, send},
};
use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    providers::Provider,
};
use liveliness_bls::Signature;
use liveliness_primitives::{verify_task_signature, EpochBlock, Round, TaskContext, TaskInfo};

/// One operator's two BLS votes on one task at one reference block, for
/// opposite outcomes: proof that it equivocated (PROTOCOL.md §4.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteEquivocation {
    /// The task both votes are on.
    pub task: TaskInfo,
    /// The reference block both votes name (the task's epoch block).
    pub reference_block: EpochBlock,
    /// The operator that signed both.
    pub operator_id: u64,
    /// Its signature over `H(voteHash(task, true, referenceBlock))`.
    pub approve: Signature,
    /// Its signature over `H(voteHash(task, false, referenceBlock))`.
    pub reject: Signature,
}

impl VoteEquivocation {
    /// The offence's key on chain, `voteEquivocationKey(operatorId, taskHash,
    /// referenceBlock)`: `keccak256(abi.encode(uint256, bytes32, uint32))`.
    pub fn offence_key(&self) -> B256 {
        let mut words = [0u8; 96];
        words[..32].copy_from_slice(&U256::from(self.operator_id).to_be_bytes::<32>());
        words[32..64].copy_from_slice(self.task.task_hash().as_slice());
        // abi.encode left-pads a uint32 to a word; a block beyond uint32 is
        // refused before any call (see prove_vote_equivocation).
        words[64..].copy_from_slice(&U256::from(self.reference_block.0).to_be_bytes::<32>());
        keccak256(words)
    }
}

/// Whether the offence of `evidence` is already proven on chain
/// (`voteEquivocationProven(offence key)`).
pub async fn vote_equivocation_proven<P: Provider>(
    provider: &P,
    attestation_center: Address,
    evidence: &VoteEquivocation,
) -> Result<bool> {
    AttestationCenter::new(attestation_center, provider)
        .voteEquivocationProven(evidence.offence_key())
        .call()
        .await
        .map_err(revert::map)
}

/// Proves a vote equivocation on chain (`proveVoteEquivocation`): reads the
/// operator's history hint at the reference block, simulates the call (a
/// revert comes back as [`Error::Reverted`], for example
/// `EquivocationAlreadyProven` once the offence is proven), then sends it
/// and waits for the receipt.
pub async fn prove_vote_equivocation<P: Provider>(
    provider: &P,
    attestation_center: Address,
    evidence: &VoteEquivocation,
) -> Result<Submission> {
    let reference = evidence.reference_block.to_u32()?;
    let ac = AttestationCenter::new(attestation_center, provider);
    let operator_id = U256::from(evidence.operator_id);
    let hint = ac
        .operatorHintAt(operator_id, reference)
        .call()
        .await
        .map_err(revert::map)?;
    let call = ac.proveVoteEquivocation(
        task_info(&evidence.task),
        reference,
        operator_id,
        hint,
        evidence.approve.to_abi(),
        evidence.reject.to_abi(),
    );
    simulate_send_confirm(&call, evidence.task.task_hash()).await
}

/// One performer's signatures of two different tasks for one round of one
/// epoch: proof that it equivocated (PROTOCOL.md §4.8). Only the task hashes
/// are needed, not the tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskEquivocation {
    /// The performer that signed both.
    pub performer: Address,
    /// The epoch block both signatures name.
    pub epoch_block: EpochBlock,
    /// The epoch block's hash both signatures name.
    pub epoch_block_hash: B256,
    /// The round both signatures name.
    pub round: Round,
    /// The first task's hash.
    pub task_hash_a: B256,
    /// The performer's 65-byte signature of the first task
    /// (`taskSigningDigest(taskHashA, epochBlock, round)`).
    pub signature_a: [u8; 65],
    /// The second task's hash.
    pub task_hash_b: B256,
    /// The performer's signature of the second task.
    pub signature_b: [u8; 65],
}

impl TaskEquivocation {
    /// The offence's key on chain, `taskEquivocationKey(operatorId,
    /// epochBlock, epochBlockHash, round)`:
    /// `keccak256(abi.encode(uint256, uint32, bytes32, uint32))`.
    pub fn offence_key(&self, operator_id: u64) -> B256 {
        let mut words = [0u8; 128];
        words[..32].copy_from_slice(&U256::from(operator_id).to_be_bytes::<32>());
        words[32..64].copy_from_slice(&U256::from(self.epoch_block.0).to_be_bytes::<32>());
        words[64..96].copy_from_slice(self.epoch_block_hash.as_slice());
        words[96..].copy_from_slice(&U256::from(self.round.0).to_be_bytes::<32>());
        keccak256(words)
    }

    /// Checks what the contract checks of the signatures: two different
    /// tasks, both signed by `performer` for (`epoch_block`,
    /// `epoch_block_hash`, `round`) on this chain and AttestationCenter.
    pub fn verify(&self, chain_id: u64, attestation_center: Address) -> Result<()> {
        if self.task_hash_a == self.task_hash_b {
            return Err(Error::InvalidEvidence(
                "both signatures are of one task".into(),
            ));
        }
        for (hash, sig) in [
            (self.task_hash_a, &self.signature_a),
            (self.task_hash_b, &self.signature_b),
        ] {
            verify_task_signature(
                hash,
                self.performer,
                sig,
                &TaskContext {
                    chain_id,
                    attestation_center,
                    epoch_block: self.epoch_block,
                    epoch_block_hash: self.epoch_block_hash,
                    round: self.round,
                },
            )
            .map_err(|e| Error::InvalidEvidence(e.to_string()))?;
        }
        Ok(())
    }
}

/// Whether the offence of `evidence` is already proven on chain
/// (`taskEquivocationProven(offence key)`). A performer that is not an
/// operator has no offence to prove: `false`.
pub async fn task_equivocation_proven<P: Provider>(
    provider: &P,
    attestation_center: Address,
    evidence: &TaskEquivocation,
) -> Result<bool> {
    let ac = AttestationCenter::new(attestation_center, provider);
    let id = ac
        .operatorsIdsByAddress(evidence.performer)
        .call()
        .await
        .map_err(revert::map)?;
    let Ok(id) = u64::try_from(id) else {
        return Ok(false);
    };
    if id == 0 {
        return Ok(false);
    }
    ac.taskEquivocationProven(evidence.offence_key(id))
        .call()
        .await
        .map_err(revert::map)
}

/// Proves a task equivocation on chain (`proveTaskEquivocation`): reads the
/// performer's history hint at the epoch block, simulates the call (a revert
/// comes back as [`Error::Reverted`], for example `EquivocationAlreadyProven`
/// once the offence is proven), then sends it and waits for the receipt. The
/// returned [`Submission`] names the first task's hash.
pub async fn prove_task_equivocation<P: Provider>(
    provider: &P,
    attestation_center: Address,
    evidence: &TaskEquivocation,
) -> Result<Submission> {
    let epoch = evidence.epoch_block.to_u32()?;
    let ac = AttestationCenter::new(attestation_center, provider);
    let id = ac
        .operatorsIdsByAddress(evidence.performer)
        .call()
        .await
        .map_err(revert::map)?;
    if id.is_zero() {
        return Err(Error::NotAnOperator(evidence.performer));
    }
    let hint = ac
        .operatorHintAt(id, epoch)
        .call()
        .await
        .map_err(revert::map)?;
    let call = ac.proveTaskEquivocation(
        evidence.performer,
        epoch,
        evidence.epoch_block_hash,
        evidence.round.0,
        hint,
        IAttestationCenter::SignedTask {
            taskHash: evidence.task_hash_a,
            signature: Bytes::copy_from_slice(&evidence.signature_a),
        },
        IAttestationCenter::SignedTask {
            taskHash: evidence.task_hash_b,
            signature: Bytes::copy_from_slice(&evidence.signature_b),
        },
    );
    simulate_send_confirm(&call, evidence.task_hash_a).await
}

/// Simulates `call` (a revert comes back named), sends it and waits for its
/// receipt; the [`Submission`] names `task_hash`.
async fn simulate_send_confirm<P: Provider, D: alloy::contract::CallDecoder>(
    call: &alloy::contract::CallBuilder<P, D>,
    task_hash: B256,
) -> Result<Submission> {
    call.call().await.map_err(revert::map)?;
    let receipt = confirm(send(call).await?).await?;
    Ok(Submission {
        task_hash,
        tx_hash: receipt.transaction_hash,
        block_number: receipt.block_number,
        gas_used: receipt.gas_used,
    })
}
