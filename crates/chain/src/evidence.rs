//! Evidence of misbehaviour, proven on chain by anyone.

use crate::{
    bindings::AttestationCenter,
    error::{Error, Result},
    revert,
    submit::{task_info, Submission},
};
use alloy::{
    primitives::{keccak256, Address, B256, U256},
    providers::Provider,
};
use liveliness_bls::Signature;
use liveliness_primitives::TaskInfo;

/// One operator's two BLS votes on one task at one reference block, for
/// opposite outcomes: proof that it equivocated (PROTOCOL.md §4.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteEquivocation {
    /// The task both votes are on.
    pub task: TaskInfo,
    /// The reference block both votes name (the task's epoch block).
    pub reference_block: u64,
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
        words[64..].copy_from_slice(&U256::from(self.reference_block).to_be_bytes::<32>());
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
    let reference = u32::try_from(evidence.reference_block).map_err(|_| {
        Error::OutOfRange(format!("block {} exceeds uint32", evidence.reference_block))
    })?;
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
    call.call().await.map_err(revert::map)?;
    let pending = call.send().await.map_err(revert::map)?;
    let receipt = pending.get_receipt().await?;
    if !receipt.status() {
        return Err(Error::TxReverted(receipt.transaction_hash));
    }
    Ok(Submission {
        task_hash: evidence.task.task_hash(),
        tx_hash: receipt.transaction_hash,
        block_number: receipt.block_number,
        gas_used: receipt.gas_used,
    })
}
