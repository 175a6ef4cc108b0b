//! The submitter: sends certificates and equivocation proofs on chain in
//! this node's slot, backing off after failures, and resumes what a restart
//! interrupted (PROTOCOL.md §11.5, §11.6).

use super::*;
use crate::{evidence::Evidence, reader::Reader};
use liveliness_chain::{
    bindings::attestation_center::AttestationCenter::AttestationCenterErrors,
    revert::ContractError, submit_task_tracked,
};
use liveliness_store::{Store, SubmissionClaim, SubmissionOutcome, SubmissionStatus};

/// Most stored equivocations resumed after a restart.
const MAX_RESUMED_EVIDENCE: usize = 10_000;

impl Node {
    /// A submission attempt of a certificate ended.
    pub(super) fn on_submitted(&mut self, epoch: EpochBlock, task_hash: B256, outcome: Attempt) {
        if let Some((_, state)) = self
            .epochs
            .get_mut(&epoch)
            .and_then(|e| e.tasks.get_mut(&task_hash))
            .and_then(|t| t.certificate.as_mut())
        {
            // Back off one more slot per failed attempt.
            let finished = state.finish(
                outcome,
                self.head,
                self.config.aggregator_slot_blocks,
                MAX_SUBMIT_ATTEMPTS,
            );
            if let Finished::GaveUp(attempts) = finished {
                warn!(%task_hash, attempts, "giving up submitting this certificate");
            }
        }
    }

    /// Submits a certificate in this node's slot.
    pub(super) fn maybe_submit(&mut self, b: EpochBlock) {
        let head = self.head;
        let Some(epoch) = self.epochs.get_mut(&b) else {
            return;
        };
        let Some(task_hash) = epoch.certified else {
            return;
        };
        let number = epoch.view.number;
        let Some((cert, state)) = epoch
            .tasks
            .get_mut(&task_hash)
            .and_then(|t| t.certificate.as_mut())
        else {
            return;
        };
        if !state.start(head) {
            return;
        }
        let certificate = Box::new(cert.clone());
        self.act(Action::Submit {
            epoch_block: b,
            epoch: number,
            task_hash,
            certificate,
        });
    }

    /// Equivocations stored before a restart without a recorded outcome
    /// (read by [`stored_evidence`]): proven again from the first head.
    pub(crate) fn resume(&mut self, stored: Vec<(String, Evidence)>) {
        self.to_resume = Some(stored);
    }

    /// After a restart: the equivocations stored without a recorded
    /// submission outcome are proven again, staggered again from now when
    /// their epoch is held (so that nodes restarted together do not all pay
    /// for one proof), else at once (after the on-chain check).
    pub(super) fn resume_evidence(&mut self, stored: Vec<(String, Evidence)>) {
        for (key, evidence) in stored {
            if let (Evidence::Vote(v), Some(epoch)) =
                (&evidence, self.epochs.get_mut(&evidence.epoch_block()))
            {
                epoch
                    .vote_equivocated
                    .insert((v.task_hash(), v.operator_id()));
            }
            let slot = self.epochs.get(&evidence.epoch_block()).and_then(|epoch| {
                let offender = match &evidence {
                    Evidence::Vote(v) => Some(v.operator_id()),
                    Evidence::Task(t) => epoch.view.id_of(t.first.document.performer),
                }?;
                let index = evidence_slot_index(&epoch.view, offender, self.signer.address());
                Some(
                    self.head
                        .saturating_add(index.saturating_mul(self.config.aggregator_slot_blocks)),
                )
            });
            self.evidence_jobs.entry(key).or_insert(EvidenceJob {
                evidence,
                state: Submission::Waiting {
                    slot: slot.unwrap_or(0),
                },
            });
        }
    }

    /// Proves held equivocations in this node's slot.
    pub(super) fn maybe_submit_evidence(&mut self) {
        let head = self.head;
        for (key, job) in &mut self.evidence_jobs {
            if !job.state.start(head) {
                continue;
            }
            self.actions.push(Action::Prove {
                key: key.clone(),
                evidence: Box::new(job.evidence.clone()),
            });
        }
    }

    pub(super) fn on_evidence_submitted(&mut self, key: &str, outcome: Attempt) {
        let Some(job) = self.evidence_jobs.get_mut(key) else {
            return;
        };
        // Back off one more slot per failed attempt.
        match job.state.finish(
            outcome,
            self.head,
            self.config.aggregator_slot_blocks,
            MAX_EVIDENCE_ATTEMPTS,
        ) {
            Finished::BackingOff(_) | Finished::NotInFlight => return,
            Finished::Settled => {}
            Finished::GaveUp(attempts) => {
                warn!(key, attempts, "giving up proving this equivocation");
                metrics::counter!("liveliness_evidence_submissions_total", "outcome" => EvidenceOutcome::GaveUp.label())
                    .increment(1);
                let write = Write::Meta {
                    key: job.evidence.submitted_key(),
                    value: EvidenceOutcome::GaveUp.label().as_bytes().to_vec(),
                };
                self.persist(write);
            }
        }
        self.evidence_jobs.remove(key);
    }
}

/// The equivocations stored without a recorded submission outcome (to
/// [`resume`](Node::resume) after a restart).
pub(crate) fn stored_evidence(
    store: &Store,
) -> Result<Vec<(String, Evidence)>, liveliness_store::Error> {
    use crate::evidence::{TaskEquivocation, TASK_EQUIVOCATION_PREFIX, VOTE_EQUIVOCATION_PREFIX};
    let votes = store.meta_with_prefix(VOTE_EQUIVOCATION_PREFIX, MAX_RESUMED_EVIDENCE)?;
    let tasks = store.meta_with_prefix(TASK_EQUIVOCATION_PREFIX, MAX_RESUMED_EVIDENCE)?;
    let votes = votes
        .into_iter()
        .map(|(key, bytes)| (key, VoteEquivocation::decode(&bytes).map(Evidence::Vote)));
    let tasks = tasks
        .into_iter()
        .map(|(key, bytes)| (key, TaskEquivocation::decode(&bytes).map(Evidence::Task)));
    let mut out = Vec::new();
    for (key, evidence) in votes.chain(tasks) {
        let Some(evidence) = evidence else {
            warn!(key, "undecodable stored equivocation; skipped");
            continue;
        };
        match store.meta(&evidence.submitted_key()) {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => {
                warn!(key, error = %e, "cannot read the submission record; proving it again");
            }
        }
        out.push((key, evidence));
    }
    Ok(out)
}

/// This node's position in the order in which nodes prove a vote
/// equivocation by `offender` in `view`: the performer order starting after
/// the offender (which comes last); a node without voting power comes after
/// everyone.
pub(super) fn evidence_slot_index(view: &EpochView, offender: u64, me: Address) -> u64 {
    let len = view.order.len();
    let Some(my_id) = view.id_of(me) else {
        return len as u64;
    };
    let start = view
        .order
        .iter()
        .position(|id| *id == offender)
        .map_or(0, |p| p + 1);
    (0..len)
        .find(|i| view.order.get((start + i) % len) == Some(&my_id))
        .unwrap_or(len) as u64
}

/// Records what became of this node's submission of `evidence`, so that a
/// restart does not submit it again.
pub(super) fn record_evidence_outcome(
    store: &Store,
    evidence: &Evidence,
    outcome: EvidenceOutcome,
) {
    if let Err(e) = store.set_meta(&evidence.submitted_key(), outcome.label().as_bytes()) {
        warn!(error = %e, outcome = outcome.label(), "cannot record the evidence submission");
    }
}

/// Proves one equivocation on chain, unless it already is.
pub(super) async fn submit_evidence(
    store: &Store,
    reader: &Reader,
    evidence: &Evidence,
) -> Attempt {
    let provider = reader.provider();
    let ac = reader.attestation_center;
    let outcome = match evidence {
        Evidence::Vote(v) => match v.to_chain() {
            Some(call) => {
                let offence = format!("operator {} on task {}", v.operator_id(), v.task_hash());
                prove_offence(
                    "vote",
                    &offence,
                    || liveliness_chain::vote_equivocation_proven(provider, ac, &call),
                    || liveliness_chain::prove_vote_equivocation(provider, ac, &call),
                )
                .await
            }
            // Decoded evidence always names a valid task.
            None => Some(EvidenceOutcome::Refused),
        },
        Evidence::Task(t) => match t.to_chain() {
            Some(call) => {
                let offence = format!(
                    "performer {} in round {} of epoch block {}",
                    call.performer, call.round, call.epoch_block
                );
                prove_offence(
                    "task",
                    &offence,
                    || liveliness_chain::task_equivocation_proven(provider, ac, &call),
                    || liveliness_chain::prove_task_equivocation(provider, ac, &call),
                )
                .await
            }
            // Detected and decoded evidence is always two tasks of one round.
            None => Some(EvidenceOutcome::Refused),
        },
    };
    match outcome {
        Some(outcome) => {
            metrics::counter!("liveliness_evidence_submissions_total", "outcome" => outcome.label())
                .increment(1);
            record_evidence_outcome(store, evidence, outcome);
            Attempt::Settled
        }
        None => {
            metrics::counter!("liveliness_evidence_submissions_total", "outcome" => "failed")
                .increment(1);
            Attempt::Retry
        }
    }
}

/// Proves one `kind` ("vote" or "task") equivocation, described by
/// `offence` for the logs: `proven` reads whether the contract holds it
/// proven, `prove` sends the proof. The outcome, or `None` to retry later.
pub(super) async fn prove_offence<V, VF, P, PF>(
    kind: &'static str,
    offence: &str,
    proven: V,
    prove: P,
) -> Option<EvidenceOutcome>
where
    V: Fn() -> VF,
    VF: std::future::Future<Output = Result<bool, liveliness_chain::Error>>,
    P: FnOnce() -> PF,
    PF: std::future::Future<Output = Result<liveliness_chain::Submission, liveliness_chain::Error>>,
{
    match proven().await {
        Ok(true) => {
            info!(
                kind,
                offence, "{kind} equivocation already proven (by another node)"
            );
            return Some(EvidenceOutcome::AlreadyProven);
        }
        Ok(false) => {}
        Err(e) => {
            warn!(kind, offence, error = %crate::redact::redact_urls(&e.to_string()), "cannot read whether the {kind} equivocation is proven; retrying later");
            return None;
        }
    }
    match prove().await {
        Ok(sub) => {
            info!(kind, offence, tx = %sub.tx_hash, gas = sub.gas_used, "{kind} equivocation proven on chain");
            metrics::counter!("liveliness_gas_spent_total").increment(sub.gas_used);
            Some(EvidenceOutcome::Landed)
        }
        Err(e)
            if matches!(
                e.revert(),
                Some(ContractError::AttestationCenter(
                    AttestationCenterErrors::EquivocationAlreadyProven(_)
                ))
            ) =>
        {
            info!(
                kind,
                offence, "another node proved the {kind} equivocation first"
            );
            Some(EvidenceOutcome::AlreadyProven)
        }
        Err(liveliness_chain::Error::TxReverted(tx)) => {
            // Most likely another node's proof landed first in that block.
            if let Ok(true) = proven().await {
                info!(kind, offence, %tx, "another node proved the {kind} equivocation first");
                return Some(EvidenceOutcome::AlreadyProven);
            }
            warn!(kind, offence, %tx, "proof of {kind} equivocation reverted on chain");
            Some(EvidenceOutcome::Refused)
        }
        Err(e @ liveliness_chain::Error::Reverted { .. }) => {
            warn!(kind, offence, error = %e, "the contract refuses the {kind} equivocation");
            Some(EvidenceOutcome::Refused)
        }
        Err(e) => {
            warn!(kind, offence, error = %crate::redact::redact_urls(&e.to_string()), "proving the {kind} equivocation failed; will retry");
            None
        }
    }
}

/// Claims, checks and sends one submission.
pub(super) async fn submit(
    store: &Store,
    reader: &Reader,
    cert: &Certificate,
    epoch: EpochNumber,
) -> Attempt {
    let task_hash = cert.task.task_hash();
    let (earlier_tx, in_progress) = match store.begin_submission(task_hash) {
        Ok(SubmissionClaim::Begun) => (None, false),
        Ok(SubmissionClaim::Resumed { tx_hash }) => (tx_hash, false),
        // Our own transaction of an earlier attempt whose receipt we did
        // not get: look it up below, send nothing new while it may land.
        Ok(SubmissionClaim::InProgress {
            tx_hash: Some(tx_hash),
        }) => (Some(tx_hash), true),
        Ok(SubmissionClaim::InProgress { tx_hash: None }) => return Attempt::Retry,
        Ok(SubmissionClaim::Done(_)) => return Attempt::Settled,
        Err(e) => {
            warn!(error = %e, "cannot claim the submission");
            return Attempt::Retry;
        }
    };
    let finish = |status, tx_hash, block, gas_used| {
        stored(
            store.finish_submission(
                task_hash,
                SubmissionOutcome {
                    status,
                    tx_hash,
                    block,
                    gas_used,
                },
            ),
            "finish_submission",
        );
    };
    // A transaction sent before a crash: if it landed, that is the outcome.
    if let Some(tx) = earlier_tx {
        if let Ok(Some(receipt)) = reader.receipt(tx).await {
            if receipt.status() {
                info!(%epoch, %task_hash, %tx, "an earlier submission of ours landed");
                metrics::counter!("liveliness_submissions_total", "outcome" => "landed")
                    .increment(1);
                metrics::counter!("liveliness_gas_spent_total").increment(receipt.gas_used);
                finish(
                    SubmissionStatus::Landed,
                    Some(tx),
                    receipt.block_number,
                    Some(receipt.gas_used),
                );
                return Attempt::Settled;
            }
        }
    }
    let on_chain = reader.submitted(task_hash, cert.reference_block).await;
    if in_progress && !matches!(on_chain, Ok(true)) {
        // Still pending (or dropped): wait for it rather than send again.
        return Attempt::Retry;
    }
    match on_chain {
        Ok(true) => {
            info!(%epoch, %task_hash, "task already on-chain (submitted by another node)");
            metrics::counter!("liveliness_submissions_total", "outcome" => "duplicate")
                .increment(1);
            finish(SubmissionStatus::AlreadySubmittedByOther, None, None, None);
            return Attempt::Settled;
        }
        Ok(false) => {}
        Err(e) => {
            warn!(error = %e, "cannot read submitted(); retrying later");
            stored(store.release_submission(task_hash), "release_submission");
            return Attempt::Retry;
        }
    }
    let started = Instant::now();
    let sent = std::sync::atomic::AtomicBool::new(false);
    let on_sent = |tx| {
        sent.store(true, std::sync::atomic::Ordering::Relaxed);
        stored(store.set_submission_tx(task_hash, tx), "submission_tx");
    };
    match submit_task_tracked(reader.provider(), reader.attestation_center, cert, on_sent).await {
        Ok(sub) => {
            info!(%epoch, %task_hash, tx = %sub.tx_hash, gas = sub.gas_used, verdict = if cert.is_approved { "approve" } else { "reject" }, "task submitted on-chain");
            metrics::counter!("liveliness_submissions_total", "outcome" => "landed").increment(1);
            metrics::counter!("liveliness_gas_spent_total").increment(sub.gas_used);
            metrics::histogram!("liveliness_submission_seconds")
                .record(started.elapsed().as_secs_f64());
            finish(
                SubmissionStatus::Landed,
                Some(sub.tx_hash),
                sub.block_number,
                Some(sub.gas_used),
            );
            Attempt::Settled
        }
        Err(liveliness_chain::Error::AlreadySubmitted(_)) => {
            metrics::counter!("liveliness_submissions_total", "outcome" => "duplicate")
                .increment(1);
            finish(SubmissionStatus::AlreadySubmittedByOther, None, None, None);
            Attempt::Settled
        }
        Err(e)
            if matches!(
                e.revert(),
                Some(ContractError::AttestationCenter(
                    AttestationCenterErrors::TaskAlreadySubmitted(_)
                ))
            ) =>
        {
            info!(%epoch, %task_hash, "another node submitted first");
            metrics::counter!("liveliness_submissions_total", "outcome" => "duplicate")
                .increment(1);
            finish(SubmissionStatus::AlreadySubmittedByOther, None, None, None);
            Attempt::Settled
        }
        Err(liveliness_chain::Error::TxReverted(tx)) => {
            warn!(%epoch, %task_hash, %tx, "submission reverted on-chain");
            metrics::counter!("liveliness_submissions_total", "outcome" => "reverted").increment(1);
            finish(SubmissionStatus::Reverted, Some(tx), None, None);
            Attempt::Settled
        }
        Err(e) => {
            warn!(%epoch, %task_hash, error = %crate::redact::redact_urls(&e.to_string()), "submission failed; will retry");
            metrics::counter!("liveliness_submissions_total", "outcome" => "failed").increment(1);
            // Released only when nothing went out; a sent transaction stays
            // recorded and is looked up on the next attempt.
            if !sent.load(std::sync::atomic::Ordering::Relaxed) {
                stored(store.release_submission(task_hash), "release_submission");
            }
            Attempt::Retry
        }
    }
}
