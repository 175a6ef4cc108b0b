//! The performer: checks the epoch's sample in its rounds and signs the
//! task, at most one per round (PROTOCOL.md §11.3), and amends its task
//! when verified disputes block its approval (§11.4).

use super::action::PerformJob;
use super::misbehaviour::misbehave;
use super::*;
use liveliness_health::{CheckOutcome, CheckRequest, Checker, DEFAULT_CHECK_CONCURRENCY};
use liveliness_primitives::SampleEntry;
use liveliness_store::Store;

impl Node {
    /// Performs the current round when it is this node's: once per round
    /// (a failed attempt is tried again on a later head).
    pub(super) fn maybe_perform(&mut self, b: EpochBlock) {
        let head = self.head;
        let me = self.me();
        let watched_from = self.first_head.unwrap_or(head);
        let Some(epoch) = self.epochs.get_mut(&b) else {
            return;
        };
        if epoch.certified.is_some() || head > epoch.view.expires_at() {
            return;
        }
        let round = epoch.view.round_at(head);
        if epoch.view.performer(round).map(|o| o.address) != Some(me)
            || !epoch.performing.insert(round)
        {
            return;
        }
        // Performers of earlier rounds whose task this node never saw, of
        // the rounds it watched from their start: a round that opened before
        // this run's first head is one this node cannot speak for (§11.3).
        let round_opened = epoch.view.round_start(round);
        let mut missed: Vec<Address> = round
            .earlier()
            .filter(|r| epoch.view.round_start(*r) >= watched_from)
            .filter(|r| epoch.seen.get(r).is_none_or(|(_, at)| *at >= round_opened))
            .filter_map(|r| epoch.view.performer(r).map(|o| o.address))
            .filter(|a| *a != me)
            .collect();
        missed.sort_unstable();
        missed.dedup();
        // The registry takes at most sampleSize of them.
        missed.truncate(usize::try_from(epoch.view.params.sample_size).unwrap_or(usize::MAX));
        let view = Arc::clone(&epoch.view);
        info!(
            epoch = %view.number,
            %round,
            sample = view.sample.len(),
            "performing: checking the sample"
        );
        self.act(Action::Perform(PerformJob {
            view,
            round,
            missed,
        }));
    }

    /// A round this node performed, its task signed and recorded: handled
    /// as the node's own task, then gossiped.
    pub(super) fn on_performed(&mut self, epoch: EpochBlock, msg: TaskMsg, resumed: bool) {
        // The epoch may have been reorged away meanwhile.
        let Some(view) = self
            .epochs
            .get(&epoch)
            .map(|e| Arc::clone(&e.view))
            .filter(|v| v.hash == msg.document.epoch_block_hash)
        else {
            warn!(
                epoch_block = %epoch,
                "performed for an epoch no longer held; dropping the task"
            );
            return;
        };
        let unhealthy = EpochView::unhealthy_entries(&msg);
        if resumed {
            info!(
                epoch_block = %epoch,
                round = %msg.document.round,
                "the task signed for this round before a restart: gossiping it again"
            );
        } else {
            info!(
                epoch_block = %epoch,
                round = %msg.document.round,
                unhealthy = unhealthy.len(),
                missed = msg.document.missed_performers.len(),
                "task performed; gossiping it"
            );
            metrics::counter!("liveliness_tasks_performed_total").increment(1);
        }
        let bytes = Message::Task(msg.clone()).encode();
        let expires = view.expires_at();
        let twin = if self.config.misbehaviour.equivocate {
            self.equivocating_twin(&view, &msg)
        } else {
            None
        };
        let me = self.me();
        self.on_task(msg, me, Source::Own);
        self.publish(Topic::Tasks, bytes, 0, expires);
        if let Some(other) = twin {
            warn!(
                epoch_block = %epoch,
                "misbehaving as configured (test/demo only): gossiping a second task for the round"
            );
            let bytes = Message::Task(other).encode();
            self.publish(Topic::Tasks, bytes, 0, expires);
        }
    }

    /// As performer: when disputes make approval of an own task impossible
    /// (disputers hold at least 1/3 of the power), publishes for the next
    /// round an amended task that turns every entry disputed by more than
    /// 1/3 of the power to healthy, with the operator's own proof the
    /// disputers obtained, and drops missed performers disputed as much.
    pub(super) fn maybe_amend(&mut self, b: EpochBlock) {
        let me = self.me();
        let Some(epoch) = self.epochs.get_mut(&b) else {
            return;
        };
        if epoch.certified.is_some() {
            return;
        }
        let view = Arc::clone(&epoch.view);
        let total = view.total_power;
        let mut amended = None;
        for task in epoch.tasks.values_mut() {
            let doc = &task.msg.document;
            if doc.performer != me || task.amended || task.disputes.is_empty() {
                continue;
            }
            let power = |id: &u64| view.operators.get(id).map_or(0, |o| o.power);
            let disputers: u128 = task.disputes.keys().map(power).sum();
            if disputers.saturating_mul(3) < total {
                continue; // approval is still possible
            }
            task.amended = true;
            let Some(next_round) = doc.round.next() else {
                continue;
            };
            // At most one task of this node per round, across restarts too
            // (the amendment job signs through `sign_own_task`): two tasks
            // of one performer for one round are equivocation (§4.8).
            if view.round_start(next_round) > view.expires_at() {
                continue;
            }
            // Power disputing each entry, and a valid proof for it.
            let mut weight: BTreeMap<Address, (u128, Option<[u8; 65]>)> = BTreeMap::new();
            for (id, d) in &task.disputes {
                for e in &d.entries {
                    let w = weight.entry(e.operator).or_insert((0, None));
                    w.0 += power(id);
                    if let DisputeReason::Reachable { proof_signature } = &e.reason {
                        let proof = liveliness_primitives::HealthProof::new(
                            e.operator,
                            view.block.0,
                            view.hash,
                            *proof_signature,
                        );
                        if w.1.is_none()
                            && proof.verify(e.operator, view.block.0, view.hash).is_ok()
                        {
                            // Documents carry v = 27 or 28 only.
                            w.1 =
                                Some(liveliness_primitives::canonical_signature(*proof_signature));
                        }
                    }
                }
            }
            let strong = |a: &Address| {
                weight
                    .get(a)
                    .is_some_and(|(w, _)| w.saturating_mul(3) > total)
            };
            let mut next = doc.clone();
            next.round = next_round;
            let mut changed = false;
            for entry in &mut next.sample {
                if matches!(entry.check, Check::Unhealthy(_)) && strong(&entry.operator) {
                    if let Some(Some(sig)) = weight.get(&entry.operator).map(|w| w.1) {
                        entry.check = Check::Healthy(liveliness_primitives::HealthProof::new(
                            entry.operator,
                            view.block.0,
                            view.hash,
                            sig,
                        ));
                        changed = true;
                    }
                }
            }
            let before = next.missed_performers.len();
            next.missed_performers.retain(|m| !strong(m));
            changed |= next.missed_performers.len() != before;
            if changed {
                amended = Some(next);
                break;
            }
        }
        let Some(document) = amended else {
            return;
        };
        self.act(Action::Amend { view, document });
    }

    /// An amended task, signed and recorded: gossiped when its round opens
    /// (peers would only buffer it before), and judged here then too.
    pub(super) fn on_amended(&mut self, msg: TaskMsg, fresh: bool) {
        let Some(view) = self
            .epochs
            .get(&msg.document.epoch_block)
            .map(|e| Arc::clone(&e.view))
            .filter(|v| v.hash == msg.document.epoch_block_hash)
        else {
            return;
        };
        let round = msg.document.round;
        if fresh {
            info!(
                epoch = %view.number,
                %round, "disputes block approval: publishing an amended task"
            );
            metrics::counter!("liveliness_tasks_amended_total").increment(1);
        }
        let bytes = Message::Task(msg.clone()).encode();
        self.publish(
            Topic::Tasks,
            bytes,
            view.round_start(round),
            view.expires_at(),
        );
        let me = self.me();
        self.buffer(Message::Task(msg), me);
    }
}

/// Carries out a [`PerformJob`]: checks the sample (unless a task of this
/// node for the round was signed before, which then stands), builds and
/// signs the document through [`sign_own_task`].
pub(crate) async fn perform(
    job: PerformJob,
    checker: Checker,
    signer: PrivateKeySigner,
    store: Arc<Store>,
    task_definition_id: u16,
    misbehaviour: crate::config::Misbehaviour,
) -> Event {
    let PerformJob {
        view,
        round,
        missed,
    } = job;
    let failed = Event::PerformFailed {
        epoch: view.block,
        hash: view.hash,
        round,
    };
    // Already signed (before a restart, or an amendment into this round)?
    // That task stands; nothing is checked or signed again.
    let key = signed_task_key(view.block, view.hash, round);
    let earlier = {
        let store = Arc::clone(&store);
        tokio::task::spawn_blocking(move || store.meta(&key)).await
    };
    match earlier {
        Ok(Ok(Some(bytes))) => {
            return match Message::decode(&bytes) {
                Ok(Message::Task(msg)) if store_own_task(&store, &view, &msg).await => {
                    Event::Performed {
                        epoch: view.block,
                        msg: Box::new(msg),
                        resumed: true,
                    }
                }
                Ok(Message::Task(_)) => failed,
                _ => {
                    warn!(
                        epoch = %view.number,
                        %round, "the task signed before for this round cannot be read back"
                    );
                    failed
                }
            };
        }
        Ok(Ok(None)) => {}
        Ok(Err(e)) => {
            warn!(epoch = %view.number, %round, error = %e, "cannot read the record of signed tasks; not performing yet");
            metrics::counter!("liveliness_store_errors_total", "op" => "signed_task").increment(1);
            return failed;
        }
        Err(e) => {
            warn!(error = %e, "store read task failed");
            return failed;
        }
    }
    let started = Instant::now();
    let requests: Vec<CheckRequest> = view
        .sample
        .iter()
        .map(|s| CheckRequest {
            endpoint: s.endpoint.clone(),
            operator: s.address,
            epoch_block: view.block.0,
            canonical_hash: view.hash,
        })
        .collect();
    let checker = with_epoch_timeout(&checker, &view);
    let outcomes = checker
        .check_many(
            requests,
            view.sample.len().clamp(1, DEFAULT_CHECK_CONCURRENCY),
        )
        .await;
    metrics::histogram!("liveliness_perform_seconds").record(started.elapsed().as_secs_f64());
    for outcome in &outcomes {
        metrics::counter!("liveliness_checks_total", "outcome" => outcome.label(), "role" => "performer")
            .increment(1);
    }
    // This node's own trouble is no evidence against anyone: if it could
    // not check every entry, it publishes nothing and tries the round again
    // on a later head.
    let checks: Option<Vec<Check>> = outcomes.into_iter().map(CheckOutcome::into_check).collect();
    let Some(checks) = checks else {
        warn!(
            epoch = %view.number,
            %round, "could not check the whole sample (this node's own trouble); not performing yet"
        );
        metrics::counter!("liveliness_perform_skipped_total").increment(1);
        return failed;
    };
    let sample: Vec<SampleEntry> = view
        .sample
        .iter()
        .zip(checks)
        .map(|(s, check)| SampleEntry {
            operator: s.address,
            operator_id: s.id,
            endpoint: s.endpoint.clone(),
            check,
        })
        .collect();
    let sample = misbehave(&misbehaviour, &signer, &view, sample);
    let document = Document {
        chain_id: view.chain_id,
        attestation_center: view.attestation_center,
        epoch_block: view.block,
        epoch_block_hash: view.hash,
        round,
        performer: signer.address(),
        sample,
        missed_performers: missed,
    };
    let signed = tokio::task::spawn_blocking({
        let (view, store) = (Arc::clone(&view), Arc::clone(&store));
        move || sign_own_task(&store, &signer, &view, task_definition_id, document)
    })
    .await;
    match signed {
        Ok(Ok(msg)) if store_own_task(&store, &view, &msg).await => Event::Performed {
            epoch: view.block,
            msg: Box::new(msg),
            resumed: false,
        },
        Ok(Ok(_)) => failed,
        Ok(Err(e)) => {
            warn!(epoch = %view.number, %round, error = %e, "performing failed");
            failed
        }
        Err(e) => {
            warn!(epoch = %view.number, %round, error = %e, "performing failed");
            failed
        }
    }
}

/// Stores an own task as accepted (with its own checks as health records)
/// before anything can publish it, so that a crash right after cannot lose
/// it (§11.7). `false` if it could not be stored: then it is not published,
/// and the round is tried again.
async fn store_own_task(store: &Arc<Store>, view: &Arc<EpochView>, msg: &TaskMsg) -> bool {
    let Ok(info) = msg.task_info() else {
        return false;
    };
    let valid = view
        .judge(msg, view.round_start(msg.document.round), None)
        .is_valid();
    let write = super::attester::task_write(msg, &info, valid);
    let store = Arc::clone(store);
    match tokio::task::spawn_blocking(move || write.apply(&store)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            warn!(epoch = %view.number, error = %e, "cannot store the own task; not publishing it");
            metrics::counter!("liveliness_store_errors_total", "op" => "task").increment(1);
            false
        }
        Err(e) => {
            warn!(epoch = %view.number, error = %e, "storing the own task failed");
            false
        }
    }
}

/// Carries out an amendment: signs `document` through [`sign_own_task`]
/// and returns it (`true`: signed now). When a task of this node for that
/// round was signed before (it performed that round, or amended into it
/// before a restart, perhaps from other disputes), that one stands and is
/// returned instead (`false`), to be published again: an amendment signed
/// before a crash is not lost with the outbox. `None` if signing failed.
pub(crate) fn amend(
    store: &Store,
    signer: &PrivateKeySigner,
    view: &EpochView,
    task_definition_id: u16,
    document: Document,
) -> Option<(TaskMsg, bool)> {
    let round = document.round;
    let requested = document.clone();
    match sign_own_task(store, signer, view, task_definition_id, document) {
        Ok(msg) if msg.document == requested => Some((msg, true)),
        Ok(msg) => {
            info!(
                epoch = %view.number,
                %round, "a task of this node for the round was signed before; it stands"
            );
            Some((msg, false))
        }
        Err(e) => {
            warn!(epoch = %view.number, error = %e, "cannot build the amended task");
            None
        }
    }
}

/// The node's checker with the epoch's `healthTimeoutMs`.
pub(super) fn with_epoch_timeout(checker: &Checker, view: &EpochView) -> Checker {
    checker.with_timeout_ms(view.params.health_timeout_ms)
}

pub(crate) const SIGNED_TASK_PREFIX: &str = "signed-task/";

pub(super) fn signed_task_key(
    epoch_block: EpochBlock,
    epoch_block_hash: B256,
    round: Round,
) -> String {
    format!("{SIGNED_TASK_PREFIX}{epoch_block}/{epoch_block_hash:#x}/{round}")
}

/// Signs `document` as this node's own task, at most one per (epoch block,
/// block hash, round) whatever happens: two different signed tasks for one
/// round are provable equivocation (§4.8). The signed message is recorded
/// in the store before it is returned (so before anything publishes it),
/// and outlives reorgs and restarts until retention prunes its epoch. If a
/// task was signed for that round before (a restart, a second perform, an
/// amendment into a round this node performed, or the other way round),
/// that same message is returned, unchanged. If the record cannot be read or
/// written, nothing is signed or returned: this node's own trouble costs
/// only its own round (§11.3).
pub(super) fn sign_own_task(
    store: &Store,
    signer: &PrivateKeySigner,
    view: &EpochView,
    task_definition_id: u16,
    document: Document,
) -> Result<TaskMsg, String> {
    if document.epoch_block != view.block || document.epoch_block_hash != view.hash {
        return Err("the document is not for the epoch it is signed in".into());
    }
    // Read, sign and record under one lock, so that two signers of this
    // process (a perform job and an amendment, or two perform jobs across a
    // reorg) never both find no record.
    static SIGNING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = SIGNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = signed_task_key(
        document.epoch_block,
        document.epoch_block_hash,
        document.round,
    );
    match store.meta(&key) {
        Ok(Some(bytes)) => {
            return match Message::decode(&bytes) {
                Ok(Message::Task(msg)) => Ok(msg),
                _ => Err("the task signed before for this round cannot be read back".into()),
            };
        }
        Ok(None) => {}
        Err(e) => {
            metrics::counter!("liveliness_store_errors_total", "op" => "signed_task").increment(1);
            return Err(format!("cannot read the record of signed tasks: {e}"));
        }
    }
    let msg = sign_task(signer, view, task_definition_id, document)?;
    if let Err(e) = store.set_meta(&key, &Message::Task(msg.clone()).encode()) {
        metrics::counter!("liveliness_store_errors_total", "op" => "signed_task").increment(1);
        return Err(format!("cannot record the signed task: {e}"));
    }
    Ok(msg)
}

/// Signs `document` as this epoch's task for its round (EIP-191 over the
/// task signing digest for the epoch block and round) and wraps it for
/// gossip.
pub(super) fn sign_task(
    signer: &PrivateKeySigner,
    view: &EpochView,
    task_definition_id: u16,
    document: Document,
) -> Result<TaskMsg, String> {
    let task = document
        .task_info(task_definition_id)
        .map_err(|e| e.to_string())?;
    let digest = task.task_signing_digest(
        view.chain_id,
        view.attestation_center,
        view.block,
        document.epoch_block_hash,
        document.round,
    );
    let sig = signer
        .sign_message_sync(digest.as_slice())
        .map_err(|e| e.to_string())?;
    TaskMsg::new(task_definition_id, sig.as_bytes(), document).map_err(|e| e.to_string())
}
