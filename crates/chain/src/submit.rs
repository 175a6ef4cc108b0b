//! A task's certificate and its submission.

use crate::{
    bindings::{AttestationCenter, IAttestationCenter},
    error::{Error, Result},
    revert,
    tx::{confirm, send},
};
use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::Provider,
};
use futures::future::try_join_all;
use liveliness_bls::{PublicKeyG2, Signature};
use liveliness_primitives::{EpochBlock, Round, TaskInfo};

/// Everything an aggregator holds once a threshold is met: the task, the
/// verdict, the performer's signature and the aggregated BLS signature with
/// the ids of the active operators that did not sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The task.
    pub task: TaskInfo,
    /// Approve (`true`) or reject certificate.
    pub is_approved: bool,
    /// The performer's 65-byte `personal_sign` over the task signing digest
    /// for the reference block.
    pub performer_signature: Bytes,
    /// The performer round the performer's signature names (`submitTask`'s
    /// `round`).
    pub round: Round,
    /// The hash of the epoch block the performer's signature names
    /// (`submitTask`'s `epochBlockHash`).
    pub epoch_block_hash: B256,
    /// Block at which voting power is counted: the task's epoch block, which
    /// the performer's signature and the votes commit to.
    pub reference_block: EpochBlock,
    /// Sum of the signers' BLS signatures over `H(voteHash)` (at the
    /// reference block).
    pub sigma: Signature,
    /// Sum of the signers' G2 public keys.
    pub apk_g2: PublicKeyG2,
    /// Ids of operators active at the reference block that did not sign,
    /// strictly ascending.
    pub non_signer_ids: Vec<u64>,
}

/// A mined submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Submission {
    /// The task hash.
    pub task_hash: B256,
    /// Transaction hash.
    pub tx_hash: B256,
    /// Block the transaction was mined in.
    pub block_number: Option<u64>,
    /// Gas used by the transaction (intrinsic cost included).
    pub gas_used: u64,
}

/// The contract's `TaskInfo` for a task.
pub fn task_info(task: &TaskInfo) -> IAttestationCenter::TaskInfo {
    IAttestationCenter::TaskInfo {
        proofOfTask: task.proof_of_task.clone(),
        data: task.data.clone(),
        taskPerformer: task.task_performer,
        taskDefinitionId: task.task_definition_id,
    }
}

/// Builds the `Attestation` argument of `submitTask`, reading the history
/// hints (index of the aggregate-key entry and of each operator's
/// voting-power entry in force at the reference block) from the contract,
/// with the hash-to-G1 hint of the vote hash (PROTOCOL.md §2.5).
pub async fn attestation<P: Provider>(
    provider: &P,
    attestation_center: Address,
    cert: &Certificate,
) -> Result<IAttestationCenter::Attestation> {
    if cert.non_signer_ids.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::InvalidCertificate(
            "non-signer ids are not strictly ascending".into(),
        ));
    }
    let ac = AttestationCenter::new(attestation_center, provider);
    let reference = cert.reference_block.to_u32()?;
    let performer_id = ac
        .operatorsIdsByAddress(cert.task.task_performer)
        .call()
        .await
        .map_err(revert::map)?;
    if performer_id.is_zero() {
        return Err(Error::NotAnOperator(cert.task.task_performer));
    }
    let apk_hint = ac.apkHintAt(reference).call().await.map_err(revert::map)?;
    let performer_hint = ac
        .operatorHintAt(performer_id, reference)
        .call()
        .await
        .map_err(revert::map)?;
    let non_signer_hints = try_join_all(cert.non_signer_ids.iter().map(|&id| {
        let ac = &ac;
        async move {
            ac.operatorHintAt(U256::from(id), reference)
                .call()
                .await
                .map_err(revert::map)
        }
    }))
    .await?;
    let chain_id = provider.get_chain_id().await?;
    let vote_hash = cert.task.vote_hash(
        attestation_center,
        chain_id,
        cert.is_approved,
        cert.reference_block,
    );
    Ok(IAttestationCenter::Attestation {
        referenceBlock: reference,
        sigma: cert.sigma.to_abi(),
        apkG2: cert.apk_g2.to_abi(),
        apkHint: apk_hint,
        performerHint: performer_hint,
        nonSignerIds: cert.non_signer_ids.iter().map(|&i| U256::from(i)).collect(),
        nonSignerHints: non_signer_hints,
        h2cHint: liveliness_bls::hash_to_g1_hint(&vote_hash),
    })
}

/// Submits a certificate: returns [`Error::AlreadySubmitted`] without
/// sending when `submitted(taskHash, referenceBlock)` is already true, simulates the call (a
/// revert comes back as [`Error::Reverted`] with the custom error's name),
/// then sends it and waits for the receipt.
pub async fn submit_task<P: Provider>(
    provider: &P,
    attestation_center: Address,
    cert: &Certificate,
) -> Result<Submission> {
    submit_task_tracked(provider, attestation_center, cert, |_| {}).await
}

/// [`submit_task`], calling `on_sent` with the transaction hash as soon as
/// the transaction is sent (before waiting for its receipt), so that a
/// caller can record it and look it up after a crash.
pub async fn submit_task_tracked<P: Provider>(
    provider: &P,
    attestation_center: Address,
    cert: &Certificate,
    on_sent: impl FnOnce(B256) + Send,
) -> Result<Submission> {
    let task_hash = cert.task.task_hash();
    let ac = AttestationCenter::new(attestation_center, provider);
    let reference = cert.reference_block.to_u32()?;
    if ac
        .submitted(task_hash, reference)
        .call()
        .await
        .map_err(revert::map)?
    {
        return Err(Error::AlreadySubmitted(task_hash));
    }
    let att = attestation(provider, attestation_center, cert).await?;
    let call = ac.submitTask(
        task_info(&cert.task),
        cert.is_approved,
        cert.performer_signature.clone(),
        cert.round.0,
        cert.epoch_block_hash,
        att,
    );
    call.call().await.map_err(revert::map)?;
    let pending = send(&call).await?;
    on_sent(*pending.tx_hash());
    let receipt = confirm(pending).await?;
    Ok(Submission {
        task_hash,
        tx_hash: receipt.transaction_hash,
        block_number: receipt.block_number,
        gas_used: receipt.gas_used,
    })
}
