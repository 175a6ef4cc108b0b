//! The attester: judges each task, re-checks the entries it calls
//! unhealthy, votes or disputes, and keeps two signed tasks of one round as
//! equivocation evidence (PROTOCOL.md §11.4, §4.8).

use super::action::RecheckJob;
use super::performer::with_epoch_timeout;
use super::submitter::evidence_slot_index;
use super::*;
use liveliness_health::{CheckOutcome, CheckRequest, Checker, DEFAULT_CHECK_CONCURRENCY};

/// How many times an attester re-checks entries it could not check because
/// of its own trouble, and the pause between the tries.
const RECHECK_ATTEMPTS: usize = 3;
const RECHECK_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

impl Node {
    /// A task from gossip, this node's own, or the store (restored after a
    /// restart: not written again).
    pub(super) fn on_task(&mut self, msg: TaskMsg, from: Address, source: Source) -> Verdict {
        let gossip = (source == Source::Gossip).then_some(());
        let b = msg.document.epoch_block;
        let head = self.head;
        if !self.epochs.contains_key(&b) {
            let is_future = self.epochs.keys().last().is_none_or(|latest| b > *latest);
            // Our head may lag the sender's by a poll: keep tasks for epochs
            // just ahead of ours until we load them.
            if is_future && b.0 <= head.saturating_add(MAX_BUFFER_AGE_BLOCKS) {
                self.buffer(Message::Task(msg), from);
            }
            return Verdict::Ignore;
        }
        let epoch = self.epochs.get_mut(&b).expect("checked");
        if gossip.is_some() && from != msg.document.performer {
            // Tasks travel only from the performer that signed them.
            return Verdict::Reject;
        }
        if msg.task_definition_id != self.config.task_definition_id {
            debug!(
                id = msg.task_definition_id,
                "task of another task definition; ignored"
            );
            return Verdict::Ignore;
        }
        let previous = epoch.tasks.values().map(|t| &t.msg).find(|t| {
            t.document.performer == msg.document.performer
                && t.document.round.next() == Some(msg.document.round)
        });
        let judged = epoch.view.judge(&msg, head, previous);
        let task_hash = match &judged {
            Judgement::Valid(task) => task.task_hash(),
            Judgement::Faulty(_) | Judgement::Undecided(_) => match msg.task_info() {
                Ok(t) => t.task_hash(),
                Err(_) => return Verdict::Reject,
            },
        };
        if epoch.tasks.contains_key(&task_hash) {
            return Verdict::Ignore;
        }
        let round = msg.document.round;
        match judged {
            Judgement::Undecided(Skip::RoundNotOpen { .. }) => {
                self.buffer(Message::Task(msg), from);
                return Verdict::Ignore;
            }
            Judgement::Undecided(
                Skip::Expired(_) | Skip::NeverOpens { .. } | Skip::OtherBlockHash(_),
            ) => return Verdict::Ignore,
            Judgement::Faulty(
                Fault::WrongDeployment { .. }
                | Fault::BadSignature(_)
                | Fault::WrongPerformer { .. },
            ) if gossip.is_some() => {
                metrics::counter!("liveliness_gossip_invalid_total").increment(1);
                return Verdict::Reject;
            }
            _ => {}
        }
        // One signed task per (epoch, round, performer): a second, different
        // one is equivocation. The first such pair is kept as evidence and
        // forwarded once; anything further is dropped unread.
        let performer = msg.document.performer;
        if judged.signed_by_performer() {
            let earlier = epoch
                .tasks
                .iter()
                .find(|(_, t)| {
                    // Only tasks signed for one block hash are evidence:
                    // after a reorg a performer signs again, for the new
                    // hash (§4.8).
                    t.msg.document.performer == performer
                        && t.msg.document.round == round
                        && t.msg.document.epoch_block_hash == msg.document.epoch_block_hash
                })
                .map(|(h, t)| (*h, t.msg.clone()));
            if let Some((earlier_hash, earlier_msg)) = earlier {
                if !epoch.equivocated.insert((round, performer)) {
                    return Verdict::Ignore;
                }
                warn!(epoch = %epoch.view.number, %round, %performer, first = %earlier_hash, second = %task_hash, "performer signed two different tasks for one round: keeping the evidence");
                metrics::counter!("liveliness_equivocations_total", "kind" => "task").increment(1);
                let evidence = crate::evidence::TaskEquivocation {
                    first: earlier_msg,
                    second: msg,
                };
                let key = crate::evidence::TaskEquivocation::key(b, round, performer);
                self.actions.push(Action::Persist(Write::Meta {
                    key: key.clone(),
                    value: evidence.encode(),
                }));
                // Proven on chain in this node's slot, like vote
                // equivocations (§11.5).
                if let Some(offender) = epoch.view.id_of(performer) {
                    let index = evidence_slot_index(&epoch.view, offender, self.signer.address());
                    self.evidence_jobs.entry(key).or_insert(EvidenceJob {
                        evidence: crate::evidence::Evidence::Task(evidence),
                        state: Submission::Waiting {
                            slot: head.saturating_add(
                                index.saturating_mul(self.config.aggregator_slot_blocks),
                            ),
                        },
                    });
                }
                return Verdict::Accept;
            }
        }
        // A task restored from the store was seen in its round at the latest;
        // one replayed from the buffer, when it was first buffered.
        let seen_at = match source {
            Source::Restored => epoch.view.round_start(round),
            Source::Gossip | Source::Own => self.replaying_since.unwrap_or(head),
        };
        epoch.seen.entry(round).or_insert((task_hash, seen_at));
        let info = match msg.task_info() {
            Ok(i) => i,
            Err(_) => return Verdict::Reject,
        };
        // The task, its document and its health records: one transaction.
        // An own task was stored by the job that signed it, before it could
        // be published; a restored one is in the store already.
        if source == Source::Gossip {
            let write = task_write(&msg, &info, judged.is_valid());
            self.actions.push(Action::Persist(write));
        }
        epoch.tasks.insert(
            task_hash,
            TaskState::new(msg.clone(), info, epoch.view.total_power),
        );
        let view = Arc::clone(&epoch.view);
        match judged {
            Judgement::Faulty(fault) => {
                warn!(epoch = %view.number, %round, performer = %msg.document.performer, %fault, "task is provably wrong: voting reject");
                self.vote(b, round, task_hash, false);
            }
            Judgement::Undecided(_) => {}
            Judgement::Valid(_) => self.judge(view, task_hash, &msg),
        }
        // Votes that arrived before the task.
        self.replay_buffered_for(task_hash);
        Verdict::Accept
    }

    pub(super) fn replay_buffered_for(&mut self, task_hash: B256) {
        let mine = self
            .buffered
            .take_where(|m| matches!(m, Message::Vote(v) if v.task_hash == task_hash));
        for Pending { msg, from, .. } in mine {
            if let Message::Vote(v) = msg {
                self.on_vote(v, from, false);
            }
        }
    }

    /// The attester's own checks: re-check every operator the task calls
    /// unhealthy, and every missed performer against the tasks seen.
    pub(super) fn judge(&mut self, view: Arc<EpochView>, task_hash: B256, msg: &TaskMsg) {
        let unhealthy = EpochView::unhealthy_entries(msg);
        let round = msg.document.round;
        let opened = view.round_start(round);
        let mut disputes: Vec<DisputeEntry> = Vec::new();
        // Operators already re-checked this epoch are not checked again.
        let mut known: Vec<(Address, Option<[u8; 65]>)> = Vec::new();
        if let Some(epoch) = self.epochs.get(&view.block) {
            for (_, address, _) in &unhealthy {
                if let Some(result) = epoch.rechecked.get(address) {
                    known.push((*address, *result));
                }
            }
            for missed in &msg.document.missed_performers {
                let seen_in_time = round.earlier().any(|r| {
                    view.performer(r).map(|o| o.address) == Some(*missed)
                        && epoch.seen.get(&r).is_some_and(|(_, at)| *at < opened)
                });
                if seen_in_time {
                    disputes.push(DisputeEntry {
                        operator: *missed,
                        reason: DisputeReason::PerformerTaskSeen,
                    });
                }
            }
        }
        for (address, signature) in &known {
            if let Some(proof_signature) = signature {
                disputes.push(DisputeEntry {
                    operator: *address,
                    reason: DisputeReason::Reachable {
                        proof_signature: *proof_signature,
                    },
                });
            }
        }
        let unhealthy: Vec<_> = unhealthy
            .into_iter()
            .filter(|(_, address, _)| !known.iter().any(|(a, _)| a == address))
            .collect();
        let requests: Vec<CheckRequest> = unhealthy
            .iter()
            .map(|(_, address, endpoint)| CheckRequest {
                endpoint: endpoint.clone(),
                operator: *address,
                epoch_block: view.block.0,
                canonical_hash: view.hash,
            })
            .collect();
        self.act(Action::Recheck(RecheckJob {
            view,
            task_hash,
            requests,
            known: disputes,
        }));
    }

    pub(super) fn on_judged(
        &mut self,
        b: EpochBlock,
        task_hash: B256,
        disputes: Vec<DisputeEntry>,
        could_not_check: Option<LocalFault>,
    ) {
        let Some(epoch) = self.epochs.get(&b) else {
            return;
        };
        let Some(task) = epoch.tasks.get(&task_hash) else {
            return;
        };
        let round = task.msg.document.round;
        let number = epoch.view.number;
        let expires = epoch.view.expires_at();
        if let (Some(fault), true) = (could_not_check, disputes.is_empty()) {
            // Not re-checked is not agreed: no approval for lack of a check.
            warn!(
                epoch = %number,
                %round,
                fault = fault.as_str(),
                "abstaining: could not re-check the task's unhealthy entries (this node's own trouble)"
            );
            metrics::counter!("liveliness_abstained_total", "reason" => "could_not_check")
                .increment(1);
            return;
        }
        if disputes.is_empty() {
            self.vote(b, round, task_hash, true);
            return;
        }
        let Some(my_id) = epoch.view.id_of(self.me()) else {
            return;
        };
        let mut dispute = DisputeMsg {
            task_hash,
            epoch_block: b,
            round,
            operator_id: my_id,
            signature: [0; 65],
            entries: disputes,
        };
        if let Err(e) = dispute.sign(
            epoch.view.chain_id,
            epoch.view.attestation_center,
            &self.signer,
        ) {
            warn!(epoch = %number, %round, error = %e, "cannot sign the dispute");
            return;
        }
        info!(
            epoch = %number,
            %round,
            disputed = dispute.entries.len(),
            "abstaining: disputing the task"
        );
        metrics::counter!("liveliness_disputes_sent_total").increment(1);
        let bytes = Message::Dispute(dispute.clone()).encode();
        // Stored, like any dispute, only once it verifies.
        let me = self.me();
        if self.on_dispute(dispute, me, false) == Verdict::Reject {
            warn!(
                epoch = %number,
                %round, "own dispute does not verify; not publishing it"
            );
            return;
        }
        self.publish(Topic::Disputes, bytes, 0, expires);
    }

    /// A dispute from gossip, the node's own, or the store (§11.4,
    /// received disputes): only a dispute that verifies against the task
    /// is kept, and so counted by an amending performer.
    pub(super) fn on_dispute(&mut self, d: DisputeMsg, from: Address, restored: bool) -> Verdict {
        let invalid = |fault: &DisputeFault| {
            debug!(%from, operator_id = d.operator_id, task_hash = %d.task_hash, %fault, "invalid dispute");
            metrics::counter!("liveliness_disputes_invalid_total", "reason" => fault.label())
                .increment(1);
            Verdict::Reject
        };
        let Some(epoch) = self.epochs.get_mut(&d.epoch_block) else {
            return Verdict::Ignore;
        };
        let Some(op) = epoch.view.operators.get(&d.operator_id) else {
            return invalid(&DisputeFault::NotActive(d.operator_id));
        };
        if op.address != from {
            metrics::counter!("liveliness_disputes_invalid_total", "reason" => "not_author")
                .increment(1);
            return Verdict::Reject;
        }
        let Some(task) = epoch.tasks.get_mut(&d.task_hash) else {
            return Verdict::Ignore;
        };
        if task.disputes.contains_key(&d.operator_id)
            || task.refused_disputes.contains(&d.operator_id)
        {
            return Verdict::Ignore;
        }
        if let Err(fault) = epoch.view.check_dispute(d.task_hash, &task.msg, &d) {
            task.refused_disputes.insert(d.operator_id);
            return invalid(&fault);
        }
        task.disputes.insert(d.operator_id, d.clone());
        if !restored {
            self.actions.push(Action::Persist(Write::Dispute {
                task_hash: d.task_hash,
                operator_id: d.operator_id,
                bytes: Message::Dispute(d.clone()).encode(),
            }));
        }
        metrics::counter!("liveliness_disputes_received_total").increment(1);
        Verdict::Accept
    }

    /// Votes on a task: the vote is recorded in the store first (at most
    /// one per task round, across restarts) and gossiped once it is
    /// ([`on_voted`](Self::on_voted)).
    pub(super) fn vote(&mut self, b: EpochBlock, round: Round, task_hash: B256, approve: bool) {
        let Some(epoch) = self.epochs.get(&b) else {
            return;
        };
        let Some(my_id) = epoch.view.id_of(self.me()) else {
            return; // no voting power at B
        };
        let Some(task) = epoch.tasks.get(&task_hash) else {
            return;
        };
        let msg_hash =
            task.info
                .vote_hash(epoch.view.attestation_center, self.chain_id, approve, b);
        let vote = VoteMsg {
            task_hash,
            epoch_block: b,
            round,
            operator_id: my_id,
            is_approved: approve,
            signature: self.bls.sign(&msg_hash),
        };
        // Misbehaviour (tests and demos only): the opposite vote too, which
        // an honest node never signs (§11.10).
        let opposite = self.config.misbehaviour.vote_both.then(|| VoteMsg {
            is_approved: !approve,
            signature: self.bls.sign(&task.info.vote_hash(
                epoch.view.attestation_center,
                self.chain_id,
                !approve,
                b,
            )),
            ..vote.clone()
        });
        if let Some(opposite) = opposite {
            self.vote_both
                .insert((task_hash, opposite.is_approved), opposite);
        }
        let epoch_block_hash = epoch.view.hash;
        self.act(Action::RecordVote {
            vote,
            epoch_block_hash,
        });
    }

    /// This node's vote, recorded: counted and gossiped (a vote recorded
    /// before a restart is gossiped again).
    pub(super) fn on_voted(&mut self, vote: VoteMsg, fresh: bool) {
        let Some(epoch) = self.epochs.get(&vote.epoch_block) else {
            return;
        };
        let number = epoch.view.number;
        let expires = epoch.view.expires_at();
        let verdict = if vote.is_approved {
            "approve"
        } else {
            "reject"
        };
        if fresh {
            info!(epoch = %number, round = %vote.round, verdict, "voted");
            metrics::counter!("liveliness_votes_cast_total", "verdict" => verdict).increment(1);
        } else {
            debug!("already voted in this round; gossiping that vote again");
        }
        let bytes = Message::Vote(vote.clone()).encode();
        self.publish(Topic::Votes, bytes, 0, expires);
        let (task_hash, round, epoch_block) = (vote.task_hash, vote.round, vote.epoch_block);
        let me = self.me();
        self.on_vote(vote.clone(), me, false);
        if let (true, Some(opposite)) = (
            fresh,
            self.vote_both.remove(&(task_hash, !vote.is_approved)),
        ) {
            warn!(%epoch_block, %round, %task_hash, verdict = if opposite.is_approved { "approve" } else { "reject" }, "misbehaving as configured (test/demo only): also gossiping the opposite vote");
            let bytes = Message::Vote(opposite).encode();
            self.publish(Topic::Votes, bytes, 0, expires);
        }
    }
}

/// The write of an accepted task: the task, its document and, for a task
/// without provable faults (`valid`), one health record per sample entry
/// with what its performer reported. Only into the epoch stored for the
/// task's block hash.
pub(crate) fn task_write(msg: &TaskMsg, info: &TaskInfo, valid: bool) -> Write {
    let entries = if valid { &msg.document.sample[..] } else { &[] };
    let health = entries
        .iter()
        .map(|entry| {
            let reason = match &entry.check {
                Check::Healthy(_) => None,
                Check::Unhealthy(r) => Some(
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                ),
            };
            (entry.operator, reason)
        })
        .collect();
    Write::Task {
        task_hash: info.task_hash(),
        epoch_block: msg.document.epoch_block,
        epoch_block_hash: msg.document.epoch_block_hash,
        round: msg.document.round,
        performer: msg.document.performer,
        bytes: Message::Task(msg.clone()).encode(),
        cid: info.proof_of_task.clone(),
        document: msg.document_bytes.to_vec(),
        health,
    }
}

/// Carries out a [`RecheckJob`]: re-checks the entries, trying those it
/// could not check (its own trouble) again a few times.
pub(crate) async fn recheck(job: RecheckJob, checker: Checker) -> Event {
    let RecheckJob {
        view,
        task_hash,
        requests,
        known,
    } = job;
    let mut disputes = known;
    let mut rechecks: Vec<(Address, Option<[u8; 65]>)> = Vec::new();
    let checker = with_epoch_timeout(&checker, &view);
    let mut pending: Vec<usize> = (0..requests.len()).collect();
    let mut could_not_check = None;
    for attempt in 0..RECHECK_ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(RECHECK_PAUSE).await;
        }
        let batch: Vec<CheckRequest> = pending
            .iter()
            .filter_map(|&i| requests.get(i).cloned())
            .collect();
        let outcomes = checker
            .check_many(batch, pending.len().clamp(1, DEFAULT_CHECK_CONCURRENCY))
            .await;
        let mut still = Vec::new();
        could_not_check = None;
        for (&i, outcome) in pending.iter().zip(outcomes) {
            metrics::counter!("liveliness_checks_total", "outcome" => outcome.label(), "role" => "attester")
                .increment(1);
            let Some(address) = requests.get(i).map(|r| r.operator) else {
                continue;
            };
            match outcome {
                CheckOutcome::Healthy(proof) => {
                    rechecks.push((address, Some(proof.signature)));
                    disputes.push(DisputeEntry {
                        operator: address,
                        reason: DisputeReason::Reachable {
                            proof_signature: proof.signature,
                        },
                    });
                }
                CheckOutcome::Unhealthy(_) => rechecks.push((address, None)),
                CheckOutcome::Undetermined(fault) => {
                    still.push(i);
                    could_not_check = Some(fault);
                }
            }
        }
        pending = still;
        if pending.is_empty() {
            break;
        }
    }
    disputes.sort_by_key(|d| d.operator);
    disputes.dedup_by_key(|d| d.operator);
    Event::Judged {
        epoch: view.block,
        hash: view.hash,
        task_hash,
        disputes,
        could_not_check,
        rechecks,
    }
}
