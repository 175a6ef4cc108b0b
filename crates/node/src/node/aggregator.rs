//! The aggregator: counts verified votes per task, keeps a second vote of
//! an operator for the other outcome as evidence, and forms the certificate
//! once a side holds a quorum (PROTOCOL.md §4.4, §11.5).

use super::submitter::evidence_slot_index;
use super::*;

impl Node {
    /// A vote from gossip, ours, or the store (`restored`).
    pub(super) fn on_vote(&mut self, vote: VoteMsg, from: Address, restored: bool) -> Verdict {
        self.on_vote_checked(vote, from, restored, false)
    }

    /// The key and message a vote must verify against, when it would reach
    /// the signature check (known epoch and task, bound voter, its round,
    /// no vote from that operator yet); `None` otherwise.
    pub(super) fn vote_key(&self, vote: &VoteMsg, from: Address) -> Option<(PublicKeyG2, B256)> {
        let epoch = self.epochs.get(&vote.epoch_block)?;
        let op = epoch.view.operators.get(&vote.operator_id)?;
        let task = epoch.tasks.get(&vote.task_hash)?;
        (op.address == from
            && vote.round == task.msg.document.round
            && task.tally.vote_of(vote.operator_id).is_none())
        .then(|| {
            let msg = task.info.vote_hash(
                epoch.view.attestation_center,
                self.chain_id,
                vote.is_approved,
                vote.epoch_block,
            );
            (op.pk_g2, msg)
        })
    }

    /// [`on_vote`](Self::on_vote); `verified` skips the signature check of a
    /// vote already verified in a batch.
    pub(super) fn on_vote_checked(
        &mut self,
        vote: VoteMsg,
        from: Address,
        restored: bool,
        verified: bool,
    ) -> Verdict {
        let head = self.head;
        let me = self.me();
        let slot_blocks = self.config.aggregator_slot_blocks;
        let Some(epoch) = self.epochs.get_mut(&vote.epoch_block) else {
            if self
                .epochs
                .keys()
                .last()
                .is_none_or(|l| vote.epoch_block > *l)
                && vote.epoch_block.0 <= head.saturating_add(MAX_BUFFER_AGE_BLOCKS)
            {
                self.buffer(Message::Vote(vote), from);
            }
            return Verdict::Ignore;
        };
        let Some(op) = epoch.view.operators.get(&vote.operator_id).cloned() else {
            return Verdict::Reject;
        };
        if op.address != from {
            return Verdict::Reject;
        }
        let Some(task) = epoch.tasks.get_mut(&vote.task_hash) else {
            self.buffer(Message::Vote(vote), from);
            return Verdict::Ignore;
        };
        if vote.round != task.msg.document.round {
            return Verdict::Reject; // a vote names the round of its task
        }
        // One vote per operator counts. A second one for the same outcome is
        // a duplicate and goes before any cryptography; one for the opposite
        // outcome is checked once per (task, operator) and, if valid, kept as
        // evidence of equivocation and proven on chain (§11.5).
        if let Some((earlier_approved, earlier_signature)) = task.tally.vote_of(vote.operator_id) {
            if earlier_approved == vote.is_approved
                || restored
                || !epoch
                    .vote_equivocated
                    .insert((vote.task_hash, vote.operator_id))
            {
                return Verdict::Ignore;
            }
            let key = VoteEquivocation::key(vote.epoch_block, vote.task_hash, vote.operator_id);
            if !verified && !vote_signed_by(&op, &task.info, &epoch.view, self.chain_id, &vote) {
                metrics::counter!("liveliness_votes_invalid_total").increment(1);
                return Verdict::Reject;
            }
            let earlier = VoteMsg {
                is_approved: earlier_approved,
                signature: earlier_signature,
                ..vote.clone()
            };
            let Some(evidence) = VoteEquivocation::new(task.msg.clone(), earlier, vote) else {
                return Verdict::Ignore;
            };
            warn!(epoch = %epoch.view.number, round = %task.msg.document.round, operator_id = op.id, operator = %op.address, task_hash = %evidence.task_hash(), "operator signed both outcomes of a task: keeping the evidence");
            metrics::counter!("liveliness_equivocations_total", "kind" => "vote").increment(1);
            self.actions.push(Action::Persist(Write::Meta {
                key: key.clone(),
                value: evidence.encode(),
            }));
            let index = evidence_slot_index(&epoch.view, op.id, me);
            self.evidence_jobs.insert(
                key,
                EvidenceJob {
                    evidence: crate::evidence::Evidence::Vote(evidence),
                    state: Submission::Waiting {
                        slot: head.saturating_add(index.saturating_mul(slot_blocks)),
                    },
                },
            );
            return Verdict::Accept;
        }
        if !verified && !vote_signed_by(&op, &task.info, &epoch.view, self.chain_id, &vote) {
            metrics::counter!("liveliness_votes_invalid_total").increment(1);
            return Verdict::Reject;
        }
        if !restored {
            self.actions.push(Action::Persist(Write::Vote {
                task_hash: vote.task_hash,
                operator_id: vote.operator_id,
                bytes: Message::Vote(vote.clone()).encode(),
            }));
        }
        metrics::counter!("liveliness_votes_received_total").increment(1);
        let counted = task
            .tally
            .add(vote.operator_id, op.power, vote.is_approved, vote.signature);
        let Tallied::Quorum(approve) = counted else {
            return Verdict::Accept;
        };
        if task.certificate.is_some() || epoch.certified.is_some() {
            return Verdict::Accept;
        }
        let view = &epoch.view;
        let aggregate = match task
            .tally
            .aggregate(approve, |id| view.operators.get(&id).map(|o| o.pk_g2))
        {
            Ok(a) => a,
            Err(e) => {
                warn!(error = %e, "cannot aggregate the votes; waiting for more");
                return Verdict::Accept;
            }
        };
        let non_signer_ids: Vec<u64> = view
            .operators
            .keys()
            .filter(|id| !aggregate.signers.contains(id))
            .copied()
            .collect();
        let cert = Certificate {
            task: task.info.clone(),
            is_approved: approve,
            performer_signature: Bytes::from(task.msg.performer_signature.to_vec()),
            round: vote.round,
            epoch_block_hash: task.msg.document.epoch_block_hash,
            reference_block: vote.epoch_block,
            sigma: aggregate.sigma,
            apk_g2: aggregate.apk_g2,
            non_signer_ids,
        };
        let elapsed = epoch.loaded_at.elapsed();
        metrics::histogram!("liveliness_aggregation_seconds").record(elapsed.as_secs_f64());
        info!(
            epoch = %view.number,
            round = %task.msg.document.round,
            verdict = if approve { "approved" } else { "rejected" },
            signers = aggregate.signers.len(),
            power = aggregate.power,
            total = view.total_power,
            "quorum reached: certificate aggregated"
        );
        self.actions.push(Action::Persist(Write::Certificate {
            epoch_block: vote.epoch_block,
            task_hash: vote.task_hash,
            approved: approve,
        }));
        let state = submission_plan(
            view,
            &task.msg,
            approve,
            me,
            head,
            slot_blocks,
            self.config.submit_empty_tasks,
        );
        task.certificate = Some((cert, state));
        epoch.certified = Some(vote.task_hash);
        Verdict::Accept
    }
}

/// Whether `vote`'s BLS signature is `op`'s, over its verdict on `task` at
/// the epoch block.
pub(super) fn vote_signed_by(
    op: &crate::epoch::OperatorInfo,
    task: &TaskInfo,
    view: &EpochView,
    chain_id: u64,
    vote: &VoteMsg,
) -> bool {
    let msg_hash = task.vote_hash(
        view.attestation_center,
        chain_id,
        vote.is_approved,
        vote.epoch_block,
    );
    liveliness_bls::verify(&op.pk_g2, &msg_hash, &vote.signature)
}

/// This node's submission of a certificate for `msg` formed at `head`: in
/// its aggregator slot, the performer order starting at the performer of
/// the round after the task's (the task's performer already did the checks;
/// it submits last); done at once when this node has no slot, or when the
/// certificate penalizes nobody and empty tasks are not submitted.
pub(super) fn submission_plan(
    view: &EpochView,
    msg: &TaskMsg,
    approve: bool,
    me: Address,
    head: u64,
    slot_blocks: u64,
    submit_empty: bool,
) -> Submission {
    let penalizes = !approve
        || !EpochView::unhealthy_entries(msg).is_empty()
        || !msg.document.missed_performers.is_empty();
    if !penalizes && !submit_empty {
        info!(
            epoch = %view.number,
            "certificate penalizes nobody: kept locally, not submitted"
        );
        return Submission::Done;
    }
    let Some(my_id) = view.id_of(me) else {
        return Submission::Done;
    };
    let len = view.order.len().max(1);
    let start =
        usize::try_from(u64::from(msg.document.round).saturating_add(1) % len as u64).unwrap_or(0);
    let index = (0..len)
        .find(|i| view.order.get((start + i) % len) == Some(&my_id))
        .unwrap_or(len) as u64;
    Submission::Waiting {
        slot: head.saturating_add(index.saturating_mul(slot_blocks)),
    }
}
