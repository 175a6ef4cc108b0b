//! Configured misbehaviour, for the end-to-end tests and demos only (a
//! node refuses it on any chain but a devnet's, see
//! [`Misbehaviour::check_allowed_on`](crate::config::Misbehaviour)).

use super::performer::sign_task;
use super::*;
use liveliness_primitives::SampleEntry;

impl Node {
    /// Misbehaviour (tests and demos only): gossips `n` votes for tasks
    /// nobody holds (random task hashes, in the newest held epoch) and `n`
    /// tasks for the next epoch block, each different.
    pub(super) fn flood(&mut self, n: u32) {
        let me = self.me();
        let Some((&b, epoch)) = self.epochs.iter().next_back() else {
            return;
        };
        let Some(my_id) = epoch.view.id_of(me) else {
            return;
        };
        let next = EpochBlock(b.plus(epoch.view.params.epoch_length));
        let template = epoch.tasks.values().next().map(|t| t.msg.clone());
        let view = Arc::clone(&epoch.view);
        // Sent once, at this head: not kept for retry.
        for i in 0..n {
            let salt = B256::from(rand::random::<[u8; 32]>());
            let vote = VoteMsg {
                task_hash: salt,
                epoch_block: b,
                round: Round::ZERO,
                operator_id: my_id,
                is_approved: true,
                signature: self.bls.sign(&salt),
            };
            self.publish_once(Topic::Votes, Message::Vote(vote).encode());
            if let Some(t) = &template {
                let mut document = t.document.clone();
                document.epoch_block = next;
                document.epoch_block_hash = salt;
                document.performer = me;
                document.round = Round(i);
                if let Ok(m) = sign_task(&self.signer, &view, t.task_definition_id, document) {
                    self.publish_once(Topic::Tasks, Message::Task(m).encode());
                }
            }
        }
    }

    /// Misbehaviour (tests and demos only): gossips a dispute of the task,
    /// signed by this node as it should be, whose entries are forged: every
    /// sampled operator but this node "reachable", with a health proof
    /// signed by this node's own key. Receivers refuse it as `bad_proof`
    /// or `not_unhealthy` (§11.4); this node does not handle it itself.
    pub(super) fn forge_dispute(&mut self, b: EpochBlock, task_hash: B256) {
        let me = self.me();
        let Some(epoch) = self.epochs.get(&b) else {
            return;
        };
        let (Some(task), Some(my_id)) = (epoch.tasks.get(&task_hash), epoch.view.id_of(me)) else {
            return;
        };
        let view = Arc::clone(&epoch.view);
        let Ok(proof) = self
            .signer
            .sign_message_sync(liveliness_primitives::health_message(view.hash).as_slice())
        else {
            return;
        };
        let mut entries: Vec<DisputeEntry> = task
            .msg
            .document
            .sample
            .iter()
            .filter(|e| e.operator != me)
            .map(|e| DisputeEntry {
                operator: e.operator,
                reason: DisputeReason::Reachable {
                    proof_signature: proof.as_bytes(),
                },
            })
            .collect();
        entries.sort_by_key(|e| e.operator);
        if entries.is_empty() {
            return;
        }
        let round = task.msg.document.round;
        let mut dispute = DisputeMsg {
            task_hash,
            epoch_block: b,
            round,
            operator_id: my_id,
            signature: [0; 65],
            entries,
        };
        if dispute
            .sign(view.chain_id, view.attestation_center, &self.signer)
            .is_err()
        {
            return;
        }
        warn!(
            epoch_block = %b,
            %round,
            "misbehaving as configured (test/demo only): gossiping a dispute with forged entries"
        );
        let expires = view.expires_at();
        self.publish(
            Topic::Disputes,
            Message::Dispute(dispute).encode(),
            0,
            expires,
        );
    }

    /// Misbehaviour (tests and demos only): a task for the same round as
    /// `msg`, signed by this node, with the first entry's verdict changed
    /// (healthy becomes a timeout, a timeout becomes refused, any other
    /// failure becomes a timeout).
    pub(super) fn equivocating_twin(&self, view: &EpochView, msg: &TaskMsg) -> Option<TaskMsg> {
        let mut document = msg.document.clone();
        let entry = document.sample.first_mut()?;
        entry.check = match entry.check {
            Check::Unhealthy(liveliness_primitives::FailureReason::Timeout) => {
                Check::Unhealthy(liveliness_primitives::FailureReason::Refused)
            }
            _ => Check::Unhealthy(liveliness_primitives::FailureReason::Timeout),
        };
        sign_task(&self.signer, view, msg.task_definition_id, document).ok()
    }
}

/// Applies configured misbehaviour to a performer's sample (tests and
/// demos only; an honest configuration returns it unchanged).
pub(super) fn misbehave(
    m: &crate::config::Misbehaviour,
    signer: &PrivateKeySigner,
    view: &EpochView,
    mut sample: Vec<SampleEntry>,
) -> Vec<SampleEntry> {
    if m.is_honest() {
        return sample;
    }
    for entry in &mut sample {
        if m.call_unhealthy.contains(&entry.operator) {
            entry.check = Check::Unhealthy(liveliness_primitives::FailureReason::Timeout);
        } else if m.forge_proofs && matches!(entry.check, Check::Unhealthy(_)) {
            let msg = liveliness_primitives::health_message(view.hash);
            if let Ok(sig) = signer.sign_message_sync(msg.as_slice()) {
                entry.check = Check::Healthy(liveliness_primitives::HealthProof::new(
                    entry.operator,
                    view.block.0,
                    view.hash,
                    sig.as_bytes(),
                ));
            }
        }
    }
    if m.wrong_sample {
        sample.pop();
    }
    warn!(
        epoch = %view.number,
        "misbehaving as configured (test/demo only)"
    );
    sample
}
