//! The node's event loop: follows the chain, performs, attests, aggregates
//! and submits. One task owns all epoch state; slow work (health checks,
//! submissions) runs in spawned tasks that report back through a channel.

use crate::{
    api::Status,
    buffer::{Pending, PendingBuffer},
    epoch::{DisputeFault, EpochView, Fault, Skip},
    evidence::{EvidenceOutcome, VoteEquivocation},
    reader::Reader,
    wire::{DisputeEntry, DisputeMsg, DisputeReason, Message, TaskMsg, VoteMsg},
    NodeConfig,
};
use alloy::{
    primitives::{Address, Bytes, B256},
    signers::{local::PrivateKeySigner, SignerSync},
};
use liveliness_bls::{KeyPair, PublicKeyG2, Signature};
use liveliness_chain::{
    bindings::attestation_center::AttestationCenter::AttestationCenterErrors,
    revert::ContractError, submit_task_tracked, Certificate,
};
use liveliness_health::{
    CheckOutcome, CheckRequest, Checker, LocalFault, DEFAULT_CHECK_CONCURRENCY,
};
use liveliness_p2p::{Inbound, P2pHandle, Topic, Verdict};
use liveliness_primitives::{Check, Document, SampleEntry, TaskInfo};
use liveliness_store::{
    OwnVote, PutOutcome, Store, SubmissionClaim, SubmissionOutcome, SubmissionStatus,
};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, RwLock},
    time::Instant,
};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// Most messages buffered for epochs or tasks this node does not know yet.
const MAX_BUFFERED: usize = 4096;
/// Most own messages waiting for publication.
const MAX_OUTBOX: usize = 1024;
/// Most stored epochs removed by one retention pass.
const PRUNE_EPOCHS_PER_TICK: usize = 16;
/// Most of those from any one sender.
const MAX_BUFFERED_PER_SENDER: usize = 256;
/// Epochs older than this many epoch lengths (or their validity, if longer)
/// behind the head are forgotten in memory (they stay in the store).
const KEEP_EPOCHS: u64 = 3;
/// How often (in blocks) the p2p active set is re-read at the head even
/// without a new epoch.
const ACTIVE_SET_REFRESH_BLOCKS: u64 = 5;
/// Buffered messages older than this many blocks are dropped.
const MAX_BUFFER_AGE_BLOCKS: u64 = 64;

/// How a submission attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// On-chain (ours or another node's), or given up for good.
    Settled,
    /// Try again later.
    Retry,
}

/// Failed attempts after which a certificate is given up.
const MAX_SUBMIT_ATTEMPTS: u32 = 5;
/// Failed attempts after which a piece of evidence is given up.
const MAX_EVIDENCE_ATTEMPTS: u32 = 5;
/// Most stored vote equivocations resumed after a restart.
const MAX_RESUMED_EVIDENCE: usize = 10_000;

/// Where a task came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Gossip,
    Own,
    Restored,
}

/// How many times an attester re-checks entries it could not check because
/// of its own trouble, and the pause between the tries.
const RECHECK_ATTEMPTS: usize = 3;
const RECHECK_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// Results of spawned work.
#[derive(Debug)]
pub(crate) enum Event {
    /// A round this node performed is ready to publish.
    Performed { epoch: u64, msg: Box<TaskMsg> },
    /// Performing failed (logged); the round may be retried.
    PerformFailed { epoch: u64, round: u64 },
    /// The attester's own checks of a task's unhealthy entries finished.
    /// `could_not_check` is set when some entry could not be re-checked
    /// because of this node's own trouble (then it does not approve).
    Judged {
        epoch: u64,
        task_hash: B256,
        disputes: Vec<DisputeEntry>,
        could_not_check: Option<LocalFault>,
        /// What the re-checks found, to be remembered for the epoch.
        rechecks: Vec<(Address, Option<[u8; 65]>)>,
    },
    /// A submission attempt ended.
    Submitted {
        epoch: u64,
        task_hash: B256,
        outcome: Attempt,
    },
    /// An attempt to prove an equivocation ended (its store key).
    EvidenceSubmitted { key: String, outcome: Attempt },
}

/// Equivocation evidence waiting to be proven on chain by this node.
struct EvidenceJob {
    evidence: crate::evidence::Evidence,
    /// The head from which this node may submit it (its slot).
    slot: u64,
    submitting: bool,
    /// Failed attempts, and the head before which no new one starts.
    attempts: u32,
    retry_at: u64,
}

struct TaskState {
    msg: TaskMsg,
    info: TaskInfo,
    votes: BTreeMap<u64, (bool, Signature)>,
    approve_power: u128,
    reject_power: u128,
    /// Disputes received, by disputing operator id.
    disputes: BTreeMap<u64, DisputeMsg>,
    /// Operators whose dispute of this task was refused: any further one of
    /// theirs is dropped before it is verified again, so that many signed
    /// variants cost the receiver one check (§11.4).
    refused_disputes: BTreeSet<u64>,
    /// Whether this node (its performer) already amended it.
    amended: bool,
    /// The certificate and the head at which it was formed.
    certificate: Option<(Certificate, u64)>,
    submitting: bool,
    submitted: bool,
    /// Failed submission attempts, and the head before which no new one starts.
    attempts: u32,
    retry_at: u64,
}

impl TaskState {
    /// A task just accepted: no votes, disputes or certificate yet.
    fn new(msg: TaskMsg, info: TaskInfo) -> Self {
        Self {
            msg,
            info,
            votes: BTreeMap::new(),
            approve_power: 0,
            reject_power: 0,
            disputes: BTreeMap::new(),
            refused_disputes: BTreeSet::new(),
            amended: false,
            certificate: None,
            submitting: false,
            submitted: false,
            attempts: 0,
            retry_at: 0,
        }
    }
}

struct EpochState {
    view: Arc<EpochView>,
    tasks: HashMap<B256, TaskState>,
    performing: BTreeSet<u64>,
    /// First task seen per round, with the head when it was seen.
    seen: BTreeMap<u64, (B256, u64)>,
    certified: Option<B256>,
    loaded_at: Instant,
    summarized: bool,
    /// Re-check results of this epoch by operator: the proof signature when
    /// its endpoint answered, `None` when it failed. Undetermined results are
    /// not kept. However many tasks name an operator, it is re-checked once.
    rechecked: HashMap<Address, Option<[u8; 65]>>,
    /// `(round, performer)` pairs for which two different signed tasks were
    /// seen; their evidence is stored and further tasks are dropped unread.
    equivocated: BTreeSet<(u64, Address)>,
    /// `(task, operator)` pairs whose vote for the opposite outcome was
    /// checked once; further votes of theirs on the task are dropped unread.
    vote_equivocated: BTreeSet<(B256, u64)>,
}

/// The node.
pub(crate) struct Node {
    pub(crate) config: NodeConfig,
    pub(crate) chain_id: u64,
    pub(crate) signer: PrivateKeySigner,
    pub(crate) bls: KeyPair,
    pub(crate) reader: Arc<Reader>,
    pub(crate) store: Arc<Store>,
    pub(crate) p2p: P2pHandle,
    pub(crate) checker: Checker,
    pub(crate) events: mpsc::Sender<Event>,
    pub(crate) status: Arc<RwLock<Status>>,
    epochs: BTreeMap<u64, EpochState>,
    /// Messages for epochs or tasks not known yet, with the head when they
    /// were buffered.
    buffered: PendingBuffer<Message>,
    /// While a buffered message is replayed: the head it was first buffered
    /// at.
    replaying_since: Option<u64>,
    /// The retention pass in progress, if any.
    pruning: Option<tokio::task::JoinHandle<()>>,
    /// Own messages whose publication failed (no peers yet): retried every
    /// tick until they go out or their epoch expires.
    /// Entries are `(topic, bytes, not before block, expires block)`.
    outbox: Vec<(Topic, Vec<u8>, u64, u64)>,
    /// Head at which the p2p active set was last refreshed.
    active_refreshed_at: u64,
    /// Vote equivocations to prove on chain, by store key.
    evidence_jobs: BTreeMap<String, EvidenceJob>,
    /// Whether the evidence stored before a restart was resumed.
    evidence_resumed: bool,
    head: u64,
    /// Reorgs seen ([`Status::reorgs`](crate::api::Status)).
    reorgs: u64,
}

impl Node {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        config: NodeConfig,
        chain_id: u64,
        signer: PrivateKeySigner,
        bls: KeyPair,
        reader: Arc<Reader>,
        store: Arc<Store>,
        p2p: P2pHandle,
        events: mpsc::Sender<Event>,
        status: Arc<RwLock<Status>>,
    ) -> Self {
        let checker = Checker::new(liveliness_health::CheckerConfig {
            allow_loopback: config.allow_loopback,
            allow_private: config.allow_private,
            ..Default::default()
        });
        Self {
            config,
            chain_id,
            signer,
            bls,
            reader,
            store,
            p2p,
            checker,
            events,
            status,
            epochs: BTreeMap::new(),
            buffered: PendingBuffer::new(MAX_BUFFERED, MAX_BUFFERED_PER_SENDER),
            replaying_since: None,
            pruning: None,
            outbox: Vec::new(),
            active_refreshed_at: 0,
            evidence_jobs: BTreeMap::new(),
            evidence_resumed: false,
            head: 0,
            reorgs: 0,
        }
    }

    fn me(&self) -> Address {
        self.signer.address()
    }

    // ---- chain following ------------------------------------------------

    /// One poll of the chain head.
    pub(crate) async fn tick(&mut self) -> eyre::Result<()> {
        let head = self.reader.head().await?;
        let new_head = head != self.head;
        if head < self.head {
            self.note_reorg();
        }
        self.head = head;
        if new_head {
            metrics::gauge!("liveliness_head_block").set(head as f64);
            self.check_reorgs().await?;
            if self.active_refreshed_at == 0
                || head
                    >= self
                        .active_refreshed_at
                        .saturating_add(ACTIVE_SET_REFRESH_BLOCKS)
            {
                self.refresh_active_set().await?;
            }
            self.follow_epochs().await?;
            self.replay_buffered().await;
        }
        self.flush_outbox().await;
        let keys: Vec<u64> = self.epochs.keys().copied().collect();
        for b in keys {
            self.maybe_amend(b).await;
            self.maybe_perform(b);
            self.maybe_submit(b);
            self.maybe_summarize(b);
        }
        if !self.evidence_resumed {
            self.resume_evidence();
        }
        self.maybe_submit_evidence();
        // Forget epochs once they are past their validity and KEEP_EPOCHS
        // epoch lengths old (summarized first).
        self.epochs.retain(|b, e| {
            let keep = e
                .view
                .params
                .epoch_length
                .saturating_mul(KEEP_EPOCHS)
                .max(e.view.params.task_validity_blocks);
            b.saturating_add(keep) >= head || !e.summarized
        });
        if new_head {
            self.prune_store();
        }
        if self.config.misbehaviour.flood > 0 {
            self.flood(self.config.misbehaviour.flood).await;
        }
        self.publish_status();
        Ok(())
    }

    /// Retention (§10): removes from the store, off the event loop, up to
    /// [`PRUNE_EPOCHS_PER_TICK`] epochs older than `retention_epochs` epoch
    /// lengths behind the head, never one still held in memory.
    fn prune_store(&mut self) {
        if self.pruning.as_ref().is_some_and(|p| !p.is_finished()) {
            return;
        }
        let Some((&oldest_held, e)) = self.epochs.iter().next() else {
            return;
        };
        let window = e
            .view
            .params
            .epoch_length
            .saturating_mul(self.config.retention_epochs);
        let cutoff = self.head.saturating_sub(window).min(oldest_held);
        let store = Arc::clone(&self.store);
        self.pruning = Some(tokio::task::spawn_blocking(move || {
            if let Err(e) = prune(&store, cutoff) {
                warn!(error = %e, "cannot prune the store");
            }
        }));
    }

    /// Loads the newest confirmed epoch if not loaded yet (after a restart,
    /// that is the epoch in progress; earlier ones are not caught up).
    async fn follow_epochs(&mut self) -> eyre::Result<()> {
        let head = self.head;
        let latest = self.reader.params(head).await?;
        let confirmed = head.saturating_sub(latest.confirmation_depth);
        let epoch_length = latest.epoch_length.max(1);
        let b = confirmed - confirmed % epoch_length;
        if b == 0 || self.epochs.contains_key(&b) {
            return Ok(());
        }
        if head > b.saturating_add(latest.task_validity_blocks) {
            return Ok(());
        }
        self.load_epoch(b).await
    }

    async fn load_epoch(&mut self, b: u64) -> eyre::Result<()> {
        let Some(hash) = self.reader.block_hash(b).await? else {
            return Ok(());
        };
        let params = self.reader.params(b).await?;
        let operators = self.reader.operators(b).await?;
        let view = EpochView::new(
            self.chain_id,
            self.reader.attestation_center,
            b,
            hash,
            params,
            operators,
        )
        .map_err(|e| eyre::eyre!("epoch {b}: {e}"))?;
        let record = serde_json::to_vec(&params)?;
        if let Some(stored) = self.store.epoch(b)? {
            if stored.block_hash != hash {
                warn!(epoch_block = b, stored = %stored.block_hash, canonical = %hash, "stored epoch is from a reorged-away block; dropping it");
                self.store.drop_epoch(b)?;
            }
        }
        self.store.put_epoch(b, hash, &record)?;
        if params.confirmation_depth >= params.performer_timeout_blocks {
            warn!(
                confirmation_depth = params.confirmation_depth,
                performer_timeout_blocks = params.performer_timeout_blocks,
                "confirmation depth is not below the performer timeout: round 0 has no time to run"
            );
        }
        let performer = view
            .performer(0)
            .map(|o| format!("#{} {}", o.id, o.address))
            .unwrap_or_else(|| "none".into());
        let sample: Vec<String> = view.sample.iter().map(|s| format!("#{}", s.id)).collect();
        info!(
            epoch = view.number,
            block = b,
            operators = view.operators.len(),
            performer,
            sample = %sample.join(","),
            "epoch started"
        );
        metrics::gauge!("liveliness_epoch_block").set(b as f64);
        let view = Arc::new(view);
        self.epochs.insert(
            b,
            EpochState {
                view,
                tasks: HashMap::new(),
                performing: BTreeSet::new(),
                seen: BTreeMap::new(),
                certified: None,
                loaded_at: Instant::now(),
                summarized: false,
                rechecked: HashMap::new(),
                equivocated: BTreeSet::new(),
                vote_equivocated: BTreeSet::new(),
            },
        );
        self.restore_epoch(b).await;
        self.refresh_active_set().await?;
        Ok(())
    }

    /// Gossip is accepted from the operators active in the epochs held and
    /// those active at the head (whose next epoch's messages may arrive
    /// before this node loads that epoch).
    async fn refresh_active_set(&mut self) -> eyre::Result<()> {
        let mut active: std::collections::HashSet<Address> = self
            .reader
            .active_addresses(self.head)
            .await?
            .into_iter()
            .collect();
        for e in self.epochs.values() {
            active.extend(e.view.operators.values().map(|o| o.address));
        }
        self.p2p.set_active_operators(active).await?;
        self.active_refreshed_at = self.head;
        Ok(())
    }

    /// After a restart: tasks and votes stored for the epoch are replayed so
    /// that tallies, certificates and submissions pick up where they were.
    async fn restore_epoch(&mut self, b: u64) {
        let tasks = match self.store.tasks_for_epoch(b) {
            Ok(t) => t,
            Err(e) => {
                warn!(epoch_block = b, error = %e, "cannot read stored tasks");
                return;
            }
        };
        if tasks.is_empty() {
            return;
        }
        info!(
            epoch_block = b,
            tasks = tasks.len(),
            "restoring stored tasks and votes"
        );
        for t in tasks {
            if let Ok(Message::Task(msg)) = Message::decode(&t.bytes) {
                let performer = msg.document.performer;
                self.on_task(msg, performer, Source::Restored).await;
            }
            for v in self.store.votes(t.task_hash).unwrap_or_default() {
                if let Ok(Message::Vote(vote)) = Message::decode(&v.bytes) {
                    let from = self
                        .epochs
                        .get(&b)
                        .and_then(|e| e.view.operators.get(&vote.operator_id))
                        .map(|o| o.address)
                        .unwrap_or_default();
                    self.on_vote(vote, from, true);
                }
            }
            // Stored disputes were verified when received; they are
            // verified again, and unsigned ones of earlier builds no longer
            // decode.
            for stored in self.store.disputes(t.task_hash).unwrap_or_default() {
                if let Ok(Message::Dispute(d)) = Message::decode(&stored.bytes) {
                    let from = self
                        .epochs
                        .get(&b)
                        .and_then(|e| e.view.operators.get(&d.operator_id))
                        .map(|o| o.address)
                        .unwrap_or_default();
                    self.on_dispute(d, from);
                }
            }
        }
    }

    /// Drops epochs whose block was reorged away.
    async fn check_reorgs(&mut self) -> eyre::Result<()> {
        let recent: Vec<(u64, B256)> = self
            .epochs
            .iter()
            .filter(|(b, e)| self.head <= e.view.expires_at() && **b > 0)
            .map(|(b, e)| (*b, e.view.hash))
            .collect();
        for (b, hash) in recent {
            let Some(now) = self.reader.block_hash(b).await? else {
                // The block is below our head, so "no such block" is the
                // RPC's trouble (a lagging backend), not a reorg: look
                // again on the next tick rather than drop what we hold.
                warn!(
                    epoch_block = b,
                    "the RPC has no block at the epoch height; checking again later"
                );
                metrics::counter!("liveliness_rpc_missing_blocks_total").increment(1);
                continue;
            };
            if now != hash {
                warn!(epoch_block = b, old = %hash, new = %now, "epoch block reorged away; dropping the epoch");
                metrics::counter!("liveliness_epochs_reorged_total").increment(1);
                self.note_reorg();
                self.epochs.remove(&b);
                self.store.drop_epoch(b)?;
            }
        }
        Ok(())
    }

    // ---- performer ------------------------------------------------------

    fn maybe_perform(&mut self, b: u64) {
        let head = self.head;
        let me = self.me();
        let Some(epoch) = self.epochs.get_mut(&b) else {
            return;
        };
        if epoch.certified.is_some() || head > epoch.view.expires_at() {
            return;
        }
        let round = epoch.view.round_at(head);
        if epoch.view.performer(round).map(|o| o.address) != Some(me)
            || epoch.performing.contains(&round)
        {
            return;
        }
        // Already performed before a restart?
        if self
            .store
            .tasks_for_round(b, u32::try_from(round).unwrap_or(u32::MAX))
            .map(|t| t.iter().any(|t| t.performer == me))
            .unwrap_or(false)
        {
            epoch.performing.insert(round);
            return;
        }
        epoch.performing.insert(round);
        // Performers of earlier rounds whose task this node never saw.
        let round_opened = epoch.view.round_start(round);
        let mut missed: Vec<Address> = (0..round)
            .filter(|r| epoch.seen.get(r).is_none_or(|(_, at)| *at >= round_opened))
            .filter_map(|r| epoch.view.performer(r).map(|o| o.address))
            .filter(|a| *a != me)
            .collect();
        missed.sort_unstable();
        missed.dedup();
        // The registry takes at most sampleSize of them.
        missed.truncate(usize::try_from(epoch.view.params.sample_size).unwrap_or(usize::MAX));
        let view = Arc::clone(&epoch.view);
        let checker = self.checker.clone();
        let signer = self.signer.clone();
        let events = self.events.clone();
        let store = Arc::clone(&self.store);
        let def_id = self.config.task_definition_id;
        let misbehaviour = self.config.misbehaviour.clone();
        info!(
            epoch = view.number,
            round,
            sample = view.sample.len(),
            "performing: checking the sample"
        );
        tokio::spawn(async move {
            let started = Instant::now();
            let requests: Vec<CheckRequest> = view
                .sample
                .iter()
                .map(|s| CheckRequest {
                    endpoint: s.endpoint.clone(),
                    operator: s.address,
                    epoch_block: view.block,
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
            metrics::histogram!("liveliness_perform_seconds")
                .record(started.elapsed().as_secs_f64());
            for outcome in &outcomes {
                metrics::counter!("liveliness_checks_total", "outcome" => outcome.label(), "role" => "performer")
                    .increment(1);
            }
            // This node's own trouble is no evidence against anyone: if it
            // could not check every entry, it publishes nothing and tries the
            // round again on a later tick.
            let checks: Option<Vec<Check>> =
                outcomes.into_iter().map(CheckOutcome::into_check).collect();
            let Some(checks) = checks else {
                warn!(
                    epoch = view.number,
                    round, "could not check the whole sample (this node's own trouble); not performing yet"
                );
                metrics::counter!("liveliness_perform_skipped_total").increment(1);
                let _ = events
                    .send(Event::PerformFailed {
                        epoch: view.block,
                        round,
                    })
                    .await;
                return;
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
            let built = sign_own_task(&store, &signer, &view, def_id, document);
            let event = match built {
                Ok(msg) => Event::Performed {
                    epoch: view.block,
                    msg: Box::new(msg),
                },
                Err(e) => {
                    warn!(epoch = view.number, round, error = %e, "performing failed");
                    Event::PerformFailed {
                        epoch: view.block,
                        round,
                    }
                }
            };
            let _ = events.send(event).await;
        });
    }

    /// Misbehaviour (tests and demos only): gossips `n` votes for tasks
    /// nobody holds (random task hashes, in the newest held epoch) and `n`
    /// tasks for the next epoch block, each different.
    async fn flood(&mut self, n: u32) {
        let me = self.me();
        let Some((&b, epoch)) = self.epochs.iter().next_back() else {
            return;
        };
        let Some(my_id) = epoch.view.id_of(me) else {
            return;
        };
        let next = b.saturating_add(epoch.view.params.epoch_length);
        let template = epoch.tasks.values().next().map(|t| t.msg.clone());
        let view = Arc::clone(&epoch.view);
        for i in 0..n {
            let salt = B256::from(rand::random::<[u8; 32]>());
            let vote = VoteMsg {
                task_hash: salt,
                epoch_block: b,
                round: 0,
                operator_id: my_id,
                is_approved: true,
                signature: self.bls.sign(&salt),
            };
            if let Err(e) = self
                .p2p
                .publish(Topic::Votes, Message::Vote(vote).encode())
                .await
            {
                debug!(error = %e, "flood: vote not published");
            }
            if let Some(t) = &template {
                let mut document = t.document.clone();
                document.epoch_block = next;
                document.epoch_block_hash = salt;
                document.performer = me;
                document.round = u64::from(i);
                if let Ok(m) = sign_task(&self.signer, &view, t.task_definition_id, document) {
                    if let Err(e) = self
                        .p2p
                        .publish(Topic::Tasks, Message::Task(m).encode())
                        .await
                    {
                        debug!(error = %e, "flood: task not published");
                    }
                }
            }
        }
    }

    /// Misbehaviour (tests and demos only): gossips a dispute of the task,
    /// signed by this node as it should be, whose entries are forged: every
    /// sampled operator but this node "reachable", with a health proof
    /// signed by this node's own key. Receivers refuse it as `bad_proof`
    /// or `not_unhealthy` (§11.4); this node does not handle it itself.
    async fn forge_dispute(&mut self, b: u64, task_hash: B256) {
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
            round: u32::try_from(round).unwrap_or(u32::MAX),
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
            epoch_block = b,
            round,
            "misbehaving as configured (test/demo only): gossiping a dispute with forged entries"
        );
        if let Err(e) = self
            .p2p
            .publish(Topic::Disputes, Message::Dispute(dispute).encode())
            .await
        {
            debug!(error = %e, "forged dispute not published");
        }
    }

    /// Misbehaviour (tests and demos only): a task for the same round as
    /// `msg`, signed by this node, with the first entry's verdict changed
    /// (healthy becomes a timeout, a timeout becomes refused, any other
    /// failure becomes a timeout).
    fn equivocating_twin(&self, view: &EpochView, msg: &TaskMsg) -> Option<TaskMsg> {
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

    /// As performer: when disputes make approval of an own task impossible
    /// (disputers hold at least 1/3 of the power), publishes for the next
    /// round an amended task that turns every entry disputed by more than
    /// 1/3 of the power to healthy, with the operator's own proof the
    /// disputers obtained, and drops missed performers disputed as much.
    async fn maybe_amend(&mut self, b: u64) {
        let me = self.me();
        let def_id = self.config.task_definition_id;
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
            let next_round = doc.round.saturating_add(1);
            // At most one amendment per round, across restarts too, and
            // none into a round this node performed itself: two tasks of
            // one performer for one round are equivocation (§4.8).
            if self
                .store
                .meta(&amended_key(&view, next_round))
                .ok()
                .flatten()
                .is_some()
                || self
                    .store
                    .tasks_for_round(view.block, u32::try_from(next_round).unwrap_or(u32::MAX))
                    .map_or(true, |t| t.iter().any(|t| t.performer == me))
            {
                continue;
            }
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
                            view.block,
                            view.hash,
                            *proof_signature,
                        );
                        if w.1.is_none() && proof.verify(e.operator, view.block, view.hash).is_ok()
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
                            view.block,
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
        let round = document.round;
        let requested = document.clone();
        let built = sign_own_task(&self.store, &self.signer, &view, def_id, document);
        match built {
            Ok(msg) if msg.document != requested => {
                // A task of this node for that round was signed before (it
                // performed the round, or amended before a restart): that
                // one stands, nothing new is signed.
                warn!(
                    epoch = view.number,
                    round, "a task of this node for the round was signed before; not amending"
                );
            }
            Ok(msg) => {
                info!(
                    epoch = view.number,
                    round, "disputes block approval: publishing an amended task"
                );
                metrics::counter!("liveliness_tasks_amended_total").increment(1);
                stored(
                    self.store.set_meta(&amended_key(&view, round), &[1]),
                    "amended_mark",
                );
                // Gossiped when its round opens (peers would only buffer it
                // before), and judged here then too.
                let bytes = Message::Task(msg.clone()).encode();
                self.outbox_push(
                    Topic::Tasks,
                    bytes,
                    view.round_start(round),
                    view.expires_at(),
                );
                self.buffer(Message::Task(msg), me);
            }
            Err(e) => warn!(epoch = view.number, error = %e, "cannot build the amended task"),
        }
    }

    // ---- events from spawned work -----------------------------------------

    pub(crate) async fn on_event(&mut self, event: Event) {
        match event {
            Event::Performed { epoch, msg } => {
                // The epoch may have been reorged away meanwhile.
                let Some(view) = self
                    .epochs
                    .get(&epoch)
                    .map(|e| Arc::clone(&e.view))
                    .filter(|v| v.hash == msg.document.epoch_block_hash)
                else {
                    warn!(
                        epoch_block = epoch,
                        "performed for an epoch no longer held; dropping the task"
                    );
                    return;
                };
                let unhealthy = EpochView::unhealthy_entries(&msg);
                info!(
                    epoch_block = epoch,
                    round = msg.document.round,
                    unhealthy = unhealthy.len(),
                    missed = msg.document.missed_performers.len(),
                    "task performed; gossiping it"
                );
                metrics::counter!("liveliness_tasks_performed_total").increment(1);
                let bytes = Message::Task((*msg).clone()).encode();
                let expires = view.expires_at();
                let twin = if self.config.misbehaviour.equivocate {
                    self.equivocating_twin(&view, &msg)
                } else {
                    None
                };
                // Stored (as the node's own, §11.7) before anyone else sees
                // it: a crash right after publishing cannot lose it.
                let me = self.me();
                self.on_task(*msg, me, Source::Own).await;
                self.publish(Topic::Tasks, bytes, expires).await;
                if let Some(other) = twin {
                    warn!(epoch_block = epoch, "misbehaving as configured (test/demo only): gossiping a second task for the round");
                    let bytes = Message::Task(other).encode();
                    self.publish(Topic::Tasks, bytes, expires).await;
                }
            }
            Event::PerformFailed { epoch, round } => {
                if let Some(e) = self.epochs.get_mut(&epoch) {
                    e.performing.remove(&round);
                }
            }
            Event::Judged {
                epoch,
                task_hash,
                disputes,
                could_not_check,
                rechecks,
            } => {
                if let Some(e) = self.epochs.get_mut(&epoch) {
                    e.rechecked.extend(rechecks);
                }
                self.on_judged(epoch, task_hash, disputes, could_not_check)
                    .await;
                if self.config.misbehaviour.forge_disputes {
                    self.forge_dispute(epoch, task_hash).await;
                }
            }
            Event::Submitted {
                epoch,
                task_hash,
                outcome,
            } => {
                if let Some(t) = self
                    .epochs
                    .get_mut(&epoch)
                    .and_then(|e| e.tasks.get_mut(&task_hash))
                {
                    t.submitting = false;
                    match outcome {
                        Attempt::Settled => t.submitted = true,
                        Attempt::Retry => {
                            t.attempts += 1;
                            // Back off: one more slot per failed attempt.
                            t.retry_at = self.head.saturating_add(
                                self.config.aggregator_slot_blocks * u64::from(t.attempts),
                            );
                            if t.attempts >= MAX_SUBMIT_ATTEMPTS {
                                warn!(%task_hash, attempts = t.attempts, "giving up submitting this certificate");
                                t.submitted = true;
                            }
                        }
                    }
                }
            }
            Event::EvidenceSubmitted { key, outcome } => self.on_evidence_submitted(&key, outcome),
        }
    }

    // ---- gossip -------------------------------------------------------------

    /// Publishes an own message; on failure (typically no peers yet) keeps
    /// it for retry until `expires` (a block number).
    async fn publish(&mut self, topic: Topic, bytes: Vec<u8>, expires: u64) {
        if let Err(e) = self.p2p.publish(topic, bytes.clone()).await {
            debug!(?topic, error = %e, "publishing failed; will retry");
            metrics::counter!("liveliness_publish_retries_total").increment(1);
            self.outbox_push(topic, bytes, 0, expires);
        }
    }

    /// Keeps an own message for publication from head `not_before` until
    /// `expires`, once: the same bytes on the same topic (the same gossip
    /// message id) are kept only once, and at most [`MAX_OUTBOX`] messages
    /// are kept.
    fn outbox_push(&mut self, topic: Topic, bytes: Vec<u8>, not_before: u64, expires: u64) {
        if self
            .outbox
            .iter()
            .any(|(t, b, _, _)| *t == topic && *b == bytes)
        {
            return;
        }
        if self.outbox.len() >= MAX_OUTBOX {
            metrics::counter!("liveliness_outbox_dropped_total").increment(1);
            return;
        }
        self.outbox.push((topic, bytes, not_before, expires));
    }

    async fn flush_outbox(&mut self) {
        let head = self.head;
        let pending = std::mem::take(&mut self.outbox);
        for (topic, bytes, not_before, expires) in pending {
            if head > expires {
                continue;
            }
            if head < not_before || self.p2p.publish(topic, bytes.clone()).await.is_err() {
                self.outbox.push((topic, bytes, not_before, expires));
            }
        }
    }

    pub(crate) async fn on_inbound(&mut self, inbound: Inbound) {
        let verdict = match Message::decode(&inbound.data) {
            Err(e) => {
                debug!(from = %inbound.operator, error = %e, "undecodable gossip message");
                metrics::counter!("liveliness_gossip_invalid_total").increment(1);
                Verdict::Reject
            }
            Ok(Message::Task(msg)) if inbound.topic == Topic::Tasks => {
                self.on_task(msg, inbound.operator, Source::Gossip).await
            }
            Ok(Message::Vote(vote)) if inbound.topic == Topic::Votes => {
                self.on_vote(vote, inbound.operator, false)
            }
            Ok(Message::Dispute(d)) if inbound.topic == Topic::Disputes => {
                self.on_dispute(d, inbound.operator)
            }
            Ok(_) => Verdict::Reject,
        };
        self.report(&inbound, verdict).await;
    }

    /// Gives gossipsub the verdict on an inbound message.
    async fn report(&self, inbound: &Inbound, verdict: Verdict) {
        if let Err(e) = self
            .p2p
            .report(
                inbound.message_id.clone(),
                inbound.propagation_source,
                verdict,
            )
            .await
        {
            debug!(error = %e, "report failed");
        }
    }

    /// Buffers `msg`; a message buffered again while it is replayed keeps
    /// its original age.
    fn buffer(&mut self, msg: Message, from: Address) {
        let at = self.replaying_since.unwrap_or(self.head);
        if let Err(why) = self.buffered.push(msg, from, at) {
            metrics::counter!("liveliness_buffer_refused_total", "reason" => why.label())
                .increment(1);
        }
        #[allow(clippy::cast_precision_loss)] // at most MAX_BUFFERED
        metrics::gauge!("liveliness_buffered_messages").set(self.buffered.len() as f64);
    }

    async fn replay_buffered(&mut self) {
        let head = self.head;
        let buffered = self.buffered.take_all();
        for Pending { msg, from, at } in buffered {
            if head > at.saturating_add(MAX_BUFFER_AGE_BLOCKS) {
                continue;
            }
            self.replaying_since = Some(at);
            match msg {
                Message::Task(t) => {
                    self.on_task(t, from, Source::Gossip).await;
                }
                Message::Vote(v) => {
                    self.on_vote(v, from, false);
                }
                Message::Dispute(d) => {
                    self.on_dispute(d, from);
                }
            }
            self.replaying_since = None;
        }
        #[allow(clippy::cast_precision_loss)] // at most MAX_BUFFERED
        metrics::gauge!("liveliness_buffered_messages").set(self.buffered.len() as f64);
    }

    /// A task from gossip (`gossip = Some`), our own, or the store.
    async fn on_task(&mut self, msg: TaskMsg, from: Address, source: Source) -> Verdict {
        let gossip = (source == Source::Gossip).then_some(());
        let b = msg.document.epoch_block;
        let head = self.head;
        if !self.epochs.contains_key(&b) {
            let is_future = self.epochs.keys().last().is_none_or(|latest| b > *latest);
            // Our head may lag the sender's by a poll: keep tasks for epochs
            // just ahead of ours until we load them.
            if is_future && b <= head.saturating_add(MAX_BUFFER_AGE_BLOCKS) {
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
                && t.document.round.checked_add(1) == Some(msg.document.round)
        });
        let judged = epoch.view.judge(&msg, head, previous);
        let task_hash = match &judged {
            Ok(task) => task.task_hash(),
            Err(Ok(_)) | Err(Err(_)) => match msg.task_info() {
                Ok(t) => t.task_hash(),
                Err(_) => return Verdict::Reject,
            },
        };
        if epoch.tasks.contains_key(&task_hash) {
            return Verdict::Ignore;
        }
        let round = msg.document.round;
        match judged {
            Err(Err(Skip::RoundNotOpen { .. })) => {
                self.buffer(Message::Task(msg), from);
                return Verdict::Ignore;
            }
            Err(Err(Skip::Expired(_) | Skip::NeverOpens { .. } | Skip::OtherBlockHash(_))) => {
                return Verdict::Ignore
            }
            Err(Ok(
                Fault::WrongDeployment { .. }
                | Fault::BadSignature(_)
                | Fault::WrongPerformer { .. },
            )) if gossip.is_some() => {
                metrics::counter!("liveliness_gossip_invalid_total").increment(1);
                return Verdict::Reject;
            }
            _ => {}
        }
        // One signed task per (epoch, round, performer): a second, different
        // one is equivocation. The first such pair is kept as evidence and
        // forwarded once; anything further is dropped unread.
        let performer = msg.document.performer;
        if signed_by_performer(&judged) {
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
                warn!(epoch = epoch.view.number, round, %performer, first = %earlier_hash, second = %task_hash, "performer signed two different tasks for one round: keeping the evidence");
                metrics::counter!("liveliness_equivocations_total", "kind" => "task").increment(1);
                let evidence = crate::evidence::TaskEquivocation {
                    first: earlier_msg,
                    second: msg,
                };
                let key = crate::evidence::TaskEquivocation::key(b, round, performer);
                if let Err(e) = self.store.set_meta(&key, &evidence.encode()) {
                    warn!(error = %e, "cannot store the equivocation evidence; proving it from memory");
                }
                // Proven on chain in this node's slot, like vote
                // equivocations (§11.5).
                if let Some(offender) = epoch.view.id_of(performer) {
                    let index = evidence_slot_index(&epoch.view, offender, self.signer.address());
                    self.evidence_jobs.entry(key).or_insert(EvidenceJob {
                        evidence: crate::evidence::Evidence::Task(evidence),
                        slot: head.saturating_add(
                            index.saturating_mul(self.config.aggregator_slot_blocks),
                        ),
                        submitting: false,
                        attempts: 0,
                        retry_at: 0,
                    });
                }
                return Verdict::Accept;
            }
        }
        // A task restored from the store was seen in its round at the latest.
        let seen_at = match source {
            Source::Restored => epoch.view.round_start(round),
            Source::Gossip | Source::Own => head,
        };
        epoch.seen.entry(round).or_insert((task_hash, seen_at));
        let info = match msg.task_info() {
            Ok(i) => i,
            Err(_) => return Verdict::Reject,
        };
        let bytes = Message::Task(msg.clone()).encode();
        // Health history: what the performer of a task without provable
        // faults reported.
        let entries = if judged.is_ok() {
            &msg.document.sample[..]
        } else {
            &[]
        };
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
        // The task, its document and its health records: one transaction.
        stored(
            self.store
                .put_accepted_task(&liveliness_store::AcceptedTask {
                    task_hash,
                    epoch_block: b,
                    round: u32::try_from(round).unwrap_or(u32::MAX),
                    performer: msg.document.performer,
                    bytes: &bytes,
                    cid: &info.proof_of_task,
                    document: &msg.document_bytes,
                    health,
                }),
            "task",
        );
        epoch
            .tasks
            .insert(task_hash, TaskState::new(msg.clone(), info));
        let view = Arc::clone(&epoch.view);
        match judged {
            Err(Ok(fault)) => {
                warn!(epoch = view.number, round, performer = %msg.document.performer, %fault, "task is provably wrong: voting reject");
                self.vote(b, round, task_hash, false).await;
            }
            Err(Err(_)) => {}
            Ok(_) => {
                self.spawn_judge(view, task_hash, &msg);
            }
        }
        // Votes that arrived before the task.
        self.replay_buffered_for(task_hash);
        Verdict::Accept
    }

    fn replay_buffered_for(&mut self, task_hash: B256) {
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
    fn spawn_judge(&self, view: Arc<EpochView>, task_hash: B256, msg: &TaskMsg) {
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
                let seen_in_time = (0..round).any(|r| {
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
        let checker = self.checker.clone();
        let events = self.events.clone();
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
        tokio::spawn(async move {
            let mut rechecks: Vec<(Address, Option<[u8; 65]>)> = Vec::new();
            let requests: Vec<CheckRequest> = unhealthy
                .iter()
                .map(|(_, address, endpoint)| CheckRequest {
                    endpoint: endpoint.clone(),
                    operator: *address,
                    epoch_block: view.block,
                    canonical_hash: view.hash,
                })
                .collect();
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
                    let address = unhealthy.get(i).map(|(_, a, _)| *a);
                    match outcome {
                        CheckOutcome::Healthy(proof) => {
                            if let Some(address) = address {
                                rechecks.push((address, Some(proof.signature)));
                                disputes.push(DisputeEntry {
                                    operator: address,
                                    reason: DisputeReason::Reachable {
                                        proof_signature: proof.signature,
                                    },
                                });
                            }
                        }
                        CheckOutcome::Unhealthy(_) => {
                            if let Some(address) = address {
                                rechecks.push((address, None));
                            }
                        }
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
            let _ = events
                .send(Event::Judged {
                    epoch: view.block,
                    task_hash,
                    disputes,
                    could_not_check,
                    rechecks,
                })
                .await;
        });
    }

    async fn on_judged(
        &mut self,
        b: u64,
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
                epoch = number,
                round,
                fault = fault.as_str(),
                "abstaining: could not re-check the task's unhealthy entries (this node's own trouble)"
            );
            metrics::counter!("liveliness_abstained_total", "reason" => "could_not_check")
                .increment(1);
            return;
        }
        if disputes.is_empty() {
            self.vote(b, round, task_hash, true).await;
            return;
        }
        let Some(my_id) = epoch.view.id_of(self.me()) else {
            return;
        };
        let mut dispute = DisputeMsg {
            task_hash,
            epoch_block: b,
            round: u32::try_from(round).unwrap_or(u32::MAX),
            operator_id: my_id,
            signature: [0; 65],
            entries: disputes,
        };
        if let Err(e) = dispute.sign(
            epoch.view.chain_id,
            epoch.view.attestation_center,
            &self.signer,
        ) {
            warn!(epoch = number, round, error = %e, "cannot sign the dispute");
            return;
        }
        info!(
            epoch = number,
            round,
            disputed = dispute.entries.len(),
            "abstaining: disputing the task"
        );
        metrics::counter!("liveliness_disputes_sent_total").increment(1);
        let bytes = Message::Dispute(dispute.clone()).encode();
        // Stored, like any dispute, only once it verifies.
        let me = self.me();
        if self.on_dispute(dispute, me) == Verdict::Reject {
            warn!(
                epoch = number,
                round, "own dispute does not verify; not publishing it"
            );
            return;
        }
        self.publish(Topic::Disputes, bytes, expires).await;
    }

    /// A dispute from gossip, the node's own, or the store (§11.4,
    /// received disputes): only a dispute that verifies against the task
    /// is kept, and so counted by an amending performer.
    fn on_dispute(&mut self, d: DisputeMsg, from: Address) -> Verdict {
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
        let bytes = Message::Dispute(d.clone()).encode();
        stored(
            self.store.put_dispute(d.task_hash, d.operator_id, &bytes),
            "dispute",
        );
        metrics::counter!("liveliness_disputes_received_total").increment(1);
        Verdict::Accept
    }

    // ---- attester -------------------------------------------------------------

    async fn vote(&mut self, b: u64, round: u64, task_hash: B256, approve: bool) {
        let Some(epoch) = self.epochs.get(&b) else {
            return;
        };
        let Some(my_id) = epoch.view.id_of(self.me()) else {
            return; // no voting power at B
        };
        let expires = epoch.view.expires_at();
        let Some(task) = epoch.tasks.get(&task_hash) else {
            return;
        };
        let msg_hash =
            task.info
                .vote_hash(epoch.view.attestation_center, self.chain_id, approve, b);
        let vote = VoteMsg {
            task_hash,
            epoch_block: b,
            round: u32::try_from(round).unwrap_or(u32::MAX),
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
        let bytes = Message::Vote(vote.clone()).encode();
        let mut fresh = false;
        let vote = match self.store.record_own_vote(b, vote.round, task_hash, &bytes) {
            Ok(OwnVote::Recorded) => {
                fresh = true;
                info!(
                    epoch = epoch.view.number,
                    round,
                    verdict = if approve { "approve" } else { "reject" },
                    "voted"
                );
                metrics::counter!("liveliness_votes_cast_total", "verdict" => if approve { "approve" } else { "reject" }).increment(1);
                vote
            }
            Ok(OwnVote::AlreadyVoted(earlier)) => match Message::decode(&earlier.bytes) {
                Ok(Message::Vote(v)) => {
                    debug!("already voted in this round; gossiping that vote again");
                    v
                }
                _ => return,
            },
            Err(e) => {
                warn!(error = %e, "cannot record own vote; not voting");
                return;
            }
        };
        let bytes = Message::Vote(vote.clone()).encode();
        self.publish(Topic::Votes, bytes, expires).await;
        let me = self.me();
        self.on_vote(vote, me, false);
        if let (true, Some(opposite)) = (fresh, opposite) {
            warn!(epoch_block = b, round, %task_hash, verdict = if opposite.is_approved { "approve" } else { "reject" }, "misbehaving as configured (test/demo only): also gossiping the opposite vote");
            let bytes = Message::Vote(opposite).encode();
            self.publish(Topic::Votes, bytes, expires).await;
        }
    }

    // ---- aggregator -------------------------------------------------------------

    /// A vote from gossip, ours, or the store (`restored`).
    fn on_vote(&mut self, vote: VoteMsg, from: Address, restored: bool) -> Verdict {
        self.on_vote_checked(vote, from, restored, false)
    }

    /// The key and message a vote must verify against, when it would reach
    /// the signature check (known epoch and task, bound voter, its round,
    /// no vote from that operator yet); `None` otherwise.
    fn vote_key(&self, vote: &VoteMsg, from: Address) -> Option<(PublicKeyG2, B256)> {
        let epoch = self.epochs.get(&vote.epoch_block)?;
        let op = epoch.view.operators.get(&vote.operator_id)?;
        let task = epoch.tasks.get(&vote.task_hash)?;
        (op.address == from
            && u64::from(vote.round) == task.msg.document.round
            && !task.votes.contains_key(&vote.operator_id))
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

    /// Gossip messages that arrived together: votes among them are checked
    /// with one batch verification (one Miller loop per distinct message)
    /// and, should the batch fail, one by one; everything else in order.
    pub(crate) async fn on_inbound_batch(&mut self, batch: Vec<Inbound>) {
        let mut votes: Vec<(Inbound, VoteMsg)> = Vec::new();
        for inbound in batch {
            match Message::decode(&inbound.data) {
                Ok(Message::Vote(v)) if inbound.topic == Topic::Votes => votes.push((inbound, v)),
                _ => self.on_inbound(inbound).await,
            }
        }
        let keys: Vec<Option<(PublicKeyG2, B256)>> = votes
            .iter()
            .map(|(i, v)| self.vote_key(v, i.operator))
            .collect();
        let items: Vec<(&PublicKeyG2, &B256, &Signature)> = keys
            .iter()
            .zip(&votes)
            .filter_map(|(k, (_, v))| k.as_ref().map(|(pk, m)| (pk, m, &v.signature)))
            .collect();
        let batch_ok =
            items.len() > 1 && liveliness_bls::batch_verify(items, &mut rand::rngs::OsRng);
        if batch_ok {
            metrics::counter!("liveliness_vote_batches_total").increment(1);
        }
        for ((inbound, vote), key) in votes.into_iter().zip(keys) {
            let verified = batch_ok && key.is_some();
            let verdict = self.on_vote_checked(vote, inbound.operator, false, verified);
            self.report(&inbound, verdict).await;
        }
    }

    /// [`on_vote`](Self::on_vote); `verified` skips the signature check of a
    /// vote already verified in a batch.
    fn on_vote_checked(
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
                && vote.epoch_block <= head.saturating_add(MAX_BUFFER_AGE_BLOCKS)
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
        if u64::from(vote.round) != task.msg.document.round {
            return Verdict::Reject; // a vote names the round of its task
        }
        // One vote per operator counts. A second one for the same outcome is
        // a duplicate and goes before any cryptography; one for the opposite
        // outcome is checked once per (task, operator) and, if valid, kept as
        // evidence of equivocation and proven on chain (§11.5).
        if let Some(&(earlier_approved, earlier_signature)) = task.votes.get(&vote.operator_id) {
            if earlier_approved == vote.is_approved
                || restored
                || !epoch
                    .vote_equivocated
                    .insert((vote.task_hash, vote.operator_id))
            {
                return Verdict::Ignore;
            }
            let key = VoteEquivocation::key(vote.epoch_block, vote.task_hash, vote.operator_id);
            match self.store.meta(&key) {
                // Kept before a restart (and resumed from the store).
                Ok(Some(_)) => return Verdict::Ignore,
                Ok(None) => {}
                Err(e) => warn!(error = %e, "cannot read stored vote equivocations"),
            }
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
            warn!(epoch = epoch.view.number, round = task.msg.document.round, operator_id = op.id, operator = %op.address, task_hash = %evidence.task_hash(), "operator signed both outcomes of a task: keeping the evidence");
            metrics::counter!("liveliness_equivocations_total", "kind" => "vote").increment(1);
            if let Err(e) = self.store.set_meta(&key, &evidence.encode()) {
                warn!(error = %e, "cannot store the vote equivocation evidence; proving it from memory");
            }
            let index = evidence_slot_index(&epoch.view, op.id, me);
            self.evidence_jobs.insert(
                key,
                EvidenceJob {
                    evidence: crate::evidence::Evidence::Vote(evidence),
                    slot: head.saturating_add(index.saturating_mul(slot_blocks)),
                    submitting: false,
                    attempts: 0,
                    retry_at: 0,
                },
            );
            return Verdict::Accept;
        }
        if !verified && !vote_signed_by(&op, &task.info, &epoch.view, self.chain_id, &vote) {
            metrics::counter!("liveliness_votes_invalid_total").increment(1);
            return Verdict::Reject;
        }
        if !restored {
            let bytes = Message::Vote(vote.clone()).encode();
            if let Ok(PutOutcome::AlreadyKnown) =
                self.store
                    .put_vote(vote.task_hash, vote.operator_id, &bytes)
            {
                // Known from before a restart; count it anyway below.
            }
        }
        metrics::counter!("liveliness_votes_received_total").increment(1);
        task.votes
            .insert(vote.operator_id, (vote.is_approved, vote.signature));
        if vote.is_approved {
            task.approve_power += op.power;
        } else {
            task.reject_power += op.power;
        }
        if task.certificate.is_some() || epoch.certified.is_some() {
            return Verdict::Accept;
        }
        let verdict = if epoch.view.approves(task.approve_power) {
            Some(true)
        } else if epoch.view.rejects(task.reject_power) {
            Some(false)
        } else {
            None
        };
        let Some(approve) = verdict else {
            return Verdict::Accept;
        };
        let signers: Vec<u64> = task
            .votes
            .iter()
            .filter(|(_, (a, _))| *a == approve)
            .map(|(id, _)| *id)
            .collect();
        let sigs: Vec<Signature> = signers.iter().map(|id| task.votes[id].1).collect();
        let keys: Vec<PublicKeyG2> = signers
            .iter()
            .map(|id| epoch.view.operators[id].pk_g2)
            .collect();
        let (Ok(sigma), Ok(apk_g2)) = (Signature::aggregate(&sigs), PublicKeyG2::aggregate(&keys))
        else {
            warn!("aggregation hit the point at infinity; waiting for more votes");
            return Verdict::Accept;
        };
        let non_signer_ids: Vec<u64> = epoch
            .view
            .operators
            .keys()
            .filter(|id| !signers.contains(id))
            .copied()
            .collect();
        let cert = Certificate {
            task: task.info.clone(),
            is_approved: approve,
            performer_signature: Bytes::from(task.msg.performer_signature.to_vec()),
            round: vote.round,
            epoch_block_hash: task.msg.document.epoch_block_hash,
            reference_block: vote.epoch_block,
            sigma,
            apk_g2,
            non_signer_ids,
        };
        let elapsed = epoch.loaded_at.elapsed();
        metrics::histogram!("liveliness_aggregation_seconds").record(elapsed.as_secs_f64());
        info!(
            epoch = epoch.view.number,
            round = task.msg.document.round,
            verdict = if approve { "approved" } else { "rejected" },
            signers = signers.len(),
            power = if approve {
                task.approve_power
            } else {
                task.reject_power
            },
            total = epoch.view.total_power,
            "quorum reached: certificate aggregated"
        );
        stored(
            self.store
                .put_certificate(vote.epoch_block, vote.task_hash, &[u8::from(approve)]),
            "certificate",
        );
        task.certificate = Some((cert, head));
        epoch.certified = Some(vote.task_hash);
        Verdict::Accept
    }

    /// Submits a certificate in this node's slot.
    fn maybe_submit(&mut self, b: u64) {
        let head = self.head;
        let me = self.me();
        let submit_empty = self.config.submit_empty_tasks;
        let slot_blocks = self.config.aggregator_slot_blocks;
        let Some(epoch) = self.epochs.get_mut(&b) else {
            return;
        };
        let Some(task_hash) = epoch.certified else {
            return;
        };
        let view = Arc::clone(&epoch.view);
        let Some(task) = epoch.tasks.get_mut(&task_hash) else {
            return;
        };
        let Some((cert, formed_at)) = task.certificate.clone() else {
            return;
        };
        if task.submitting || task.submitted || head < task.retry_at {
            return;
        }
        let penalizes = !cert.is_approved
            || EpochView::unhealthy_entries(&task.msg).len()
                + task.msg.document.missed_performers.len()
                > 0;
        if !penalizes && !submit_empty {
            if !task.submitted {
                info!(
                    epoch = view.number,
                    "certificate penalizes nobody: kept locally, not submitted"
                );
                task.submitted = true;
            }
            return;
        }
        // Aggregator order: the performer order, starting at the performer of
        // the round after the task's (the task's performer already did the
        // checks; it submits last).
        let Some(my_id) = view.id_of(me) else {
            return;
        };
        let len = view.order.len().max(1);
        let start =
            usize::try_from(task.msg.document.round.saturating_add(1) % len as u64).unwrap_or(0);
        let index = (0..len)
            .find(|i| view.order[(start + i) % len] == my_id)
            .unwrap_or(len) as u64;
        let slot = formed_at.saturating_add(index.saturating_mul(slot_blocks));
        if head < slot {
            return;
        }
        task.submitting = true;
        let store = Arc::clone(&self.store);
        let reader = Arc::clone(&self.reader);
        let events = self.events.clone();
        let number = view.number;
        tokio::spawn(async move {
            let outcome = submit(&store, &reader, &cert, number).await;
            let _ = events
                .send(Event::Submitted {
                    epoch: b,
                    task_hash,
                    outcome,
                })
                .await;
        });
    }

    /// After a restart: the equivocations stored without a recorded
    /// submission outcome are proven again (their slots have passed: at once,
    /// after the on-chain check).
    fn resume_evidence(&mut self) {
        use crate::evidence::{
            Evidence, TaskEquivocation, TASK_EQUIVOCATION_PREFIX, VOTE_EQUIVOCATION_PREFIX,
        };
        let stored = match self
            .store
            .meta_with_prefix(VOTE_EQUIVOCATION_PREFIX, MAX_RESUMED_EVIDENCE)
            .and_then(|votes| {
                let tasks = self
                    .store
                    .meta_with_prefix(TASK_EQUIVOCATION_PREFIX, MAX_RESUMED_EVIDENCE)?;
                Ok((votes, tasks))
            }) {
            Ok(stored) => stored,
            Err(e) => {
                warn!(error = %e, "cannot read stored equivocations; trying again");
                return;
            }
        };
        self.evidence_resumed = true;
        let (votes, tasks) = stored;
        let votes = votes.into_iter().map(|(key, bytes)| {
            let evidence = VoteEquivocation::decode(&bytes).map(Evidence::Vote);
            (key, evidence)
        });
        let tasks = tasks.into_iter().map(|(key, bytes)| {
            let evidence = TaskEquivocation::decode(&bytes).map(Evidence::Task);
            (key, evidence)
        });
        for (key, evidence) in votes.chain(tasks) {
            let Some(evidence) = evidence else {
                warn!(key, "undecodable stored equivocation; skipped");
                continue;
            };
            match self.store.meta(&evidence.submitted_key()) {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => {
                    warn!(key, error = %e, "cannot read the submission record; proving it again");
                }
            }
            if let (Evidence::Vote(v), Some(epoch)) =
                (&evidence, self.epochs.get_mut(&evidence.epoch_block()))
            {
                epoch
                    .vote_equivocated
                    .insert((v.task_hash(), v.operator_id()));
            }
            // Staggered again from now when the epoch is held (so that nodes
            // restarted together do not all pay for one proof), else at once.
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
                slot: slot.unwrap_or(0),
                submitting: false,
                attempts: 0,
                retry_at: 0,
            });
        }
    }

    /// Proves held equivocations in this node's slot, off the event
    /// loop.
    fn maybe_submit_evidence(&mut self) {
        let head = self.head;
        for (key, job) in &mut self.evidence_jobs {
            if job.submitting || head < job.slot.max(job.retry_at) {
                continue;
            }
            job.submitting = true;
            let store = Arc::clone(&self.store);
            let reader = Arc::clone(&self.reader);
            let events = self.events.clone();
            let evidence = job.evidence.clone();
            let key = key.clone();
            tokio::spawn(async move {
                let outcome = submit_evidence(&store, &reader, &evidence).await;
                let _ = events.send(Event::EvidenceSubmitted { key, outcome }).await;
            });
        }
    }

    fn on_evidence_submitted(&mut self, key: &str, outcome: Attempt) {
        let head = self.head;
        let slot_blocks = self.config.aggregator_slot_blocks;
        let Some(job) = self.evidence_jobs.get_mut(key) else {
            return;
        };
        job.submitting = false;
        if outcome == Attempt::Retry {
            job.attempts += 1;
            // Back off: one more slot per failed attempt.
            job.retry_at = head.saturating_add(slot_blocks * u64::from(job.attempts));
            if job.attempts < MAX_EVIDENCE_ATTEMPTS {
                return;
            }
            warn!(
                key,
                attempts = job.attempts,
                "giving up proving this equivocation"
            );
            metrics::counter!("liveliness_evidence_submissions_total", "outcome" => EvidenceOutcome::GaveUp.label())
                .increment(1);
            record_evidence_outcome(&self.store, &job.evidence, EvidenceOutcome::GaveUp);
        }
        self.evidence_jobs.remove(key);
    }

    fn maybe_summarize(&mut self, b: u64) {
        let head = self.head;
        let Some(epoch) = self.epochs.get_mut(&b) else {
            return;
        };
        if epoch.summarized || head <= epoch.view.expires_at() {
            return;
        }
        epoch.summarized = true;
        let cert = epoch.certified.and_then(|h| epoch.tasks.get(&h));
        let outcome = match cert.and_then(|t| t.certificate.as_ref()) {
            Some((c, _)) if c.is_approved => {
                let task = cert.expect("has certificate");
                let unhealthy: Vec<String> = EpochView::unhealthy_entries(&task.msg)
                    .iter()
                    .map(|(id, _, _)| format!("#{id}"))
                    .collect();
                format!(
                    "approved round {} (unhealthy [{}], missed {}), {} votes",
                    task.msg.document.round,
                    unhealthy.join(","),
                    task.msg.document.missed_performers.len(),
                    task.votes.len()
                )
            }
            Some((_, _)) => "rejected the performer's task".to_owned(),
            None => "no certificate (task lapsed: nobody penalized)".to_owned(),
        };
        info!(
            epoch = epoch.view.number,
            block = b,
            tasks = epoch.tasks.len(),
            "epoch closed: {outcome}"
        );
    }

    /// Counts a reorg and publishes it at once, so that the health endpoint
    /// stops using block hashes it read before.
    fn note_reorg(&mut self) {
        self.reorgs += 1;
        self.status.write().expect("not poisoned").reorgs = self.reorgs;
    }

    fn publish_status(&self) {
        let mut status = self.status.write().expect("not poisoned");
        status.head = self.head;
        status.reorgs = self.reorgs;
        status.operator = self.me();
        status.epochs = self
            .epochs
            .values()
            .map(|e| crate::api::EpochStatus {
                epoch_block: e.view.block,
                epoch: e.view.number,
                performer: e.view.performer(0).map(|o| o.address),
                sample: e.view.sample.iter().map(|s| s.address).collect(),
                tasks: e.tasks.len(),
                certified: e.certified,
            })
            .collect();
    }
}

/// Store meta key prefix of the tasks this node signed (the signed task
/// message), by epoch block, block hash and round.
pub(crate) const SIGNED_TASK_PREFIX: &str = "signed-task/";

fn signed_task_key(epoch_block: u64, epoch_block_hash: B256, round: u64) -> String {
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
fn sign_own_task(
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
fn sign_task(
    signer: &PrivateKeySigner,
    view: &EpochView,
    task_definition_id: u16,
    document: Document,
) -> Result<TaskMsg, String> {
    let task = document
        .task_info(task_definition_id)
        .map_err(|e| e.to_string())?;
    let round = u32::try_from(document.round)
        .map_err(|_| format!("round {} exceeds u32", document.round))?;
    let digest = task.task_signing_digest(
        view.chain_id,
        view.attestation_center,
        view.block,
        document.epoch_block_hash,
        round,
    );
    let sig = signer
        .sign_message_sync(digest.as_slice())
        .map_err(|e| e.to_string())?;
    TaskMsg::new(task_definition_id, sig.as_bytes(), document).map_err(|e| e.to_string())
}

/// Whether `vote`'s BLS signature is `op`'s, over its verdict on `task` at
/// the epoch block.
fn vote_signed_by(
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

/// Logs and counts a failed store write the node carries on without (the
/// state it records is rebuilt or looked up again later; at worst some work
/// is repeated).
fn stored<T>(result: Result<T, liveliness_store::Error>, what: &'static str) {
    if let Err(e) = result {
        warn!(error = %e, what, "store write failed");
        metrics::counter!("liveliness_store_errors_total", "op" => what).increment(1);
    }
}

/// Removes the stored epochs below `cutoff` (at most
/// [`PRUNE_EPOCHS_PER_TICK`]), each with its documents and evidence, one
/// transaction per epoch.
fn prune(store: &Store, cutoff: u64) -> Result<(), liveliness_store::Error> {
    for b in store.epochs_before(cutoff, PRUNE_EPOCHS_PER_TICK)? {
        let documents: Vec<String> = store
            .tasks_for_epoch(b)?
            .iter()
            .filter_map(|t| match Message::decode(&t.bytes) {
                Ok(Message::Task(m)) => m.document.cid().ok(),
                _ => None,
            })
            .collect();
        let meta = [
            format!("{}{b}/", crate::evidence::TASK_EQUIVOCATION_PREFIX),
            format!("{}{b}/", crate::evidence::VOTE_EQUIVOCATION_PREFIX),
            format!("{}{b}/", crate::evidence::VOTE_EVIDENCE_SUBMITTED_PREFIX),
            format!("{}{b}/", crate::evidence::TASK_EVIDENCE_SUBMITTED_PREFIX),
            format!("{SIGNED_TASK_PREFIX}{b}/"),
            format!("amended/{b}/"),
        ];
        let dropped = store.prune_epoch(b, &documents, &meta)?;
        debug!(
            epoch_block = b,
            tasks = dropped.tasks,
            "pruned from the store"
        );
        metrics::counter!("liveliness_epochs_pruned_total").increment(1);
    }
    Ok(())
}

/// Whether the task's signature was checked and is its performer's (so that
/// two such tasks for one round are evidence against that performer).
fn signed_by_performer<T>(judged: &Result<T, Result<Fault, Skip>>) -> bool {
    !matches!(
        judged,
        Err(Ok(Fault::WrongDeployment { .. }
            | Fault::BadSignature(_)
            | Fault::WrongPerformer { .. }))
            | Err(Err(_))
    )
}

/// Store key marking that this node published an amended task for
/// `(epoch, round)`.
fn amended_key(view: &EpochView, round: u64) -> String {
    format!("amended/{}/{}/{round}", view.block, view.hash)
}

/// The node's checker with the epoch's `healthTimeoutMs`.
fn with_epoch_timeout(checker: &Checker, view: &EpochView) -> Checker {
    checker.with_timeout_ms(view.params.health_timeout_ms)
}

/// Applies configured misbehaviour to a performer's sample (tests and
/// demos only; an honest configuration returns it unchanged).
fn misbehave(
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
                    view.block,
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
        epoch = view.number,
        "misbehaving as configured (test/demo only)"
    );
    sample
}

/// This node's position in the order in which nodes prove a vote
/// equivocation by `offender` in `view`: the performer order starting after
/// the offender (which comes last); a node without voting power comes after
/// everyone.
fn evidence_slot_index(view: &EpochView, offender: u64, me: Address) -> u64 {
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
fn record_evidence_outcome(
    store: &Store,
    evidence: &crate::evidence::Evidence,
    outcome: EvidenceOutcome,
) {
    if let Err(e) = store.set_meta(&evidence.submitted_key(), outcome.label().as_bytes()) {
        warn!(error = %e, outcome = outcome.label(), "cannot record the evidence submission");
    }
}

/// Proves one equivocation on chain, unless it already is.
async fn submit_evidence(
    store: &Store,
    reader: &Reader,
    evidence: &crate::evidence::Evidence,
) -> Attempt {
    use crate::evidence::Evidence;
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
async fn prove_offence<V, VF, P, PF>(
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
async fn submit(store: &Store, reader: &Reader, cert: &Certificate, epoch: u64) -> Attempt {
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
                info!(epoch, %task_hash, %tx, "an earlier submission of ours landed");
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
            info!(epoch, %task_hash, "task already on-chain (submitted by another node)");
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
            info!(epoch, %task_hash, tx = %sub.tx_hash, gas = sub.gas_used, verdict = if cert.is_approved { "approve" } else { "reject" }, "task submitted on-chain");
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
            info!(epoch, %task_hash, "another node submitted first");
            metrics::counter!("liveliness_submissions_total", "outcome" => "duplicate")
                .increment(1);
            finish(SubmissionStatus::AlreadySubmittedByOther, None, None, None);
            Attempt::Settled
        }
        Err(liveliness_chain::Error::TxReverted(tx)) => {
            warn!(epoch, %task_hash, %tx, "submission reverted on-chain");
            metrics::counter!("liveliness_submissions_total", "outcome" => "reverted").increment(1);
            finish(SubmissionStatus::Reverted, Some(tx), None, None);
            Attempt::Settled
        }
        Err(e) => {
            warn!(epoch, %task_hash, error = %crate::redact::redact_urls(&e.to_string()), "submission failed; will retry");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::epoch::Params;
    use alloy::providers::Provider as _;

    fn view(operators: usize) -> (EpochView, Vec<PrivateKeySigner>) {
        let signers: Vec<PrivateKeySigner> = (1..=operators)
            .map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(i as u8)).unwrap())
            .collect();
        let ops = signers
            .iter()
            .enumerate()
            .map(|(i, s)| crate::epoch::OperatorInfo {
                id: i as u64 + 1,
                address: s.address(),
                power: 10,
                pk_g2: *KeyPair::random(&mut rand::rngs::OsRng).pk_g2(),
                endpoint: Some(format!("http://op{}.example/", i + 1)),
            })
            .collect();
        let params = Params {
            c: 50,
            epoch_length: 10,
            sample_size: 3,
            performer_timeout_blocks: 4,
            task_validity_blocks: 20,
            confirmation_depth: 1,
            health_timeout_ms: 1000,
        };
        let view = EpochView::new(
            31337,
            Address::repeat_byte(0xac),
            100,
            B256::repeat_byte(0xbb),
            params,
            ops,
        )
        .unwrap();
        (view, signers)
    }

    #[test]
    fn retention_removes_the_vote_evidence_of_pruned_epochs_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("store.redb")).unwrap();
        let task_hash = B256::repeat_byte(0x11);
        for b in [10u64, 100] {
            store.put_epoch(b, B256::repeat_byte(1), b"{}").unwrap();
            let evidence = VoteEquivocation::key(b, task_hash, 3);
            store.set_meta(&evidence, b"evidence").unwrap();
            let submitted = format!(
                "{}{b}/{task_hash:#x}/3",
                crate::evidence::VOTE_EVIDENCE_SUBMITTED_PREFIX
            );
            store.set_meta(&submitted, b"landed").unwrap();
        }
        prune(&store, 50).unwrap();
        let left = |prefix: &str| -> Vec<String> {
            store
                .meta_with_prefix(prefix, 10)
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        assert_eq!(
            left(crate::evidence::VOTE_EQUIVOCATION_PREFIX),
            vec![VoteEquivocation::key(100, task_hash, 3)]
        );
        assert_eq!(
            left(crate::evidence::VOTE_EVIDENCE_SUBMITTED_PREFIX),
            vec![format!(
                "{}100/{task_hash:#x}/3",
                crate::evidence::VOTE_EVIDENCE_SUBMITTED_PREFIX
            )]
        );
    }

    #[test]
    fn evidence_is_proven_first_by_the_node_after_the_offender_in_the_order() {
        let (view, signers) = view(4);
        let offender = view.order[1];
        let index_of = |id: u64| {
            let address = view.operators[&id].address;
            evidence_slot_index(&view, offender, address)
        };
        // The node after the offender goes first, the offender last.
        assert_eq!(index_of(view.order[2]), 0);
        assert_eq!(index_of(view.order[3]), 1);
        assert_eq!(index_of(view.order[0]), 2);
        assert_eq!(index_of(offender), 3);
        // Every node has its own slot.
        let mut slots: Vec<u64> = signers
            .iter()
            .map(|s| evidence_slot_index(&view, offender, s.address()))
            .collect();
        slots.sort_unstable();
        assert_eq!(slots, vec![0, 1, 2, 3]);
        // A node without voting power comes after everyone.
        assert_eq!(
            evidence_slot_index(&view, offender, Address::repeat_byte(0x77)),
            4
        );
    }

    /// A node with no chain behind it (its reader points nowhere and is
    /// never read here), a fresh store and a p2p service with no peers,
    /// holding the epoch `view` with nothing in it yet.
    async fn harness(
        view: EpochView,
        signer: PrivateKeySigner,
        dir: &std::path::Path,
    ) -> (Node, mpsc::Receiver<Event>) {
        let config: NodeConfig = toml::from_str(&format!(
            "rpc_urls = [\"http://127.0.0.1:1/\"]\n\
             attestation_center = \"{}\"\n\
             registry = \"{}\"\n\
             data_dir = \"{}\"\n\
             ecdsa_keystore = \"unused\"\n\
             bls_keystore = \"unused\"\n",
            view.attestation_center,
            Address::repeat_byte(0x5e),
            dir.display()
        ))
        .unwrap();
        let provider = alloy::providers::ProviderBuilder::new()
            .connect_http("http://127.0.0.1:1/".parse().unwrap())
            .erased();
        let reader = Arc::new(Reader::new(
            provider,
            view.attestation_center,
            Address::repeat_byte(0x5e),
        ));
        let store = Arc::new(Store::open(dir.join("store.redb")).unwrap());
        let (p2p, _inbound) = liveliness_p2p::spawn(liveliness_p2p::P2pConfig::new(
            "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
            view.chain_id,
            view.attestation_center,
            liveliness_p2p::Keypair::generate_ed25519(),
            signer.clone(),
        ))
        .await
        .unwrap();
        let (events, events_rx) = mpsc::channel(16);
        let mut node = Node::new(
            config,
            view.chain_id,
            signer,
            KeyPair::random(&mut rand::rngs::OsRng),
            reader,
            store,
            p2p,
            events,
            Arc::new(RwLock::new(Status::default())),
        );
        node.head = view.block + 1;
        node.epochs.insert(
            view.block,
            EpochState {
                view: Arc::new(view),
                tasks: HashMap::new(),
                performing: BTreeSet::new(),
                seen: BTreeMap::new(),
                certified: None,
                loaded_at: Instant::now(),
                summarized: false,
                rechecked: HashMap::new(),
                equivocated: BTreeSet::new(),
                vote_equivocated: BTreeSet::new(),
            },
        );
        (node, events_rx)
    }

    /// A node signs one task per (epoch block, block hash, round), across
    /// restarts: asked again, with another document (a re-perform, or an
    /// amendment into that round), it returns the first signed message; for
    /// another block hash (after a reorg) or round it signs anew; a store it
    /// cannot read gets nothing signed.
    #[test]
    fn a_node_signs_one_task_per_round_and_block_hash() {
        let (view, signers) = view(4);
        let performer = view.performer(0).unwrap().address;
        let signer = signers.iter().find(|s| s.address() == performer).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let doc = |round: u64, hash: B256, missed: Vec<Address>| Document {
            chain_id: view.chain_id,
            attestation_center: view.attestation_center,
            epoch_block: view.block,
            epoch_block_hash: hash,
            round,
            performer,
            sample: vec![],
            missed_performers: missed,
        };
        let other = view
            .operators
            .values()
            .find(|o| o.address != performer)
            .unwrap()
            .address;
        let first = {
            let store = Store::open(&path).unwrap();
            let first = sign_own_task(&store, signer, &view, 1, doc(0, view.hash, vec![])).unwrap();
            let again =
                sign_own_task(&store, signer, &view, 1, doc(0, view.hash, vec![other])).unwrap();
            assert_eq!(again, first, "a second, different task for the round");
            first
        };
        // After a restart, still the first one.
        let store = Store::open(&path).unwrap();
        let restarted =
            sign_own_task(&store, signer, &view, 1, doc(0, view.hash, vec![other])).unwrap();
        assert_eq!(restarted, first);
        // Another round, or the same round of a reorged epoch block: new.
        let next = sign_own_task(&store, signer, &view, 1, doc(1, view.hash, vec![other])).unwrap();
        assert_ne!(next.task_info().unwrap(), first.task_info().unwrap());
        let reorged = B256::repeat_byte(0x42);
        let mut reorged_view = view.clone();
        reorged_view.hash = reorged;
        let after_reorg = sign_own_task(
            &store,
            signer,
            &reorged_view,
            1,
            doc(0, reorged, vec![other]),
        )
        .unwrap();
        assert_eq!(after_reorg.document.epoch_block_hash, reorged);
        // A document for another epoch than the view it is signed in: refused.
        assert!(sign_own_task(&store, signer, &view, 1, doc(3, reorged, vec![])).is_err());
        // An unreadable record: nothing is signed.
        store
            .set_meta(&signed_task_key(view.block, view.hash, 2), b"not a task")
            .unwrap();
        assert!(sign_own_task(&store, signer, &view, 1, doc(2, view.hash, vec![])).is_err());
    }

    /// An amending performer counts only disputes that verify: disputes
    /// from operators holding half the power, whose entries carry health
    /// proofs the operator did not sign (or whose own signature is forged),
    /// are refused and amend nothing; the same disputes signed correctly
    /// with the operator's own proof make it amend. After a restart, only
    /// the stored disputes that verify again are counted.
    #[tokio::test]
    async fn an_amending_performer_counts_only_verified_disputes() {
        let (view, signers) = view(4); // power 10 each, total 40
        let key = |a: Address| signers.iter().find(|s| s.address() == a).unwrap();
        let performer = view.performer(0).unwrap().address;
        let down = view
            .sample
            .iter()
            .map(|s| s.address)
            .find(|a| *a != performer)
            .unwrap();
        let proof_by = |by: Address| {
            key(by)
                .sign_message_sync(liveliness_primitives::health_message(view.hash).as_slice())
                .unwrap()
                .as_bytes()
        };
        let doc = Document {
            chain_id: view.chain_id,
            attestation_center: view.attestation_center,
            epoch_block: view.block,
            epoch_block_hash: view.hash,
            round: 0,
            performer,
            sample: view
                .sample
                .iter()
                .map(|s| SampleEntry {
                    operator: s.address,
                    operator_id: s.id,
                    endpoint: s.endpoint.clone(),
                    check: if s.address == down {
                        Check::Unhealthy(liveliness_primitives::FailureReason::Timeout)
                    } else {
                        Check::Healthy(liveliness_primitives::HealthProof::new(
                            s.address,
                            view.block,
                            view.hash,
                            proof_by(s.address),
                        ))
                    },
                })
                .collect(),
            missed_performers: vec![],
        };
        let msg = sign_task(key(performer), &view, 1, doc).unwrap();
        let info = msg.task_info().unwrap();
        let task_hash = info.task_hash();
        let disputers: Vec<(u64, Address)> = view
            .operators
            .values()
            .filter(|o| o.address != performer && o.address != down)
            .map(|o| (o.id, o.address))
            .collect();
        assert_eq!(disputers.len(), 2); // half the power
        let b = view.block;
        let next = amended_key(&view, 1);
        let dispute = |id: u64, signed_by: Address, proof: [u8; 65]| {
            let mut d = DisputeMsg {
                task_hash,
                epoch_block: b,
                round: 0,
                operator_id: id,
                signature: [0; 65],
                entries: vec![DisputeEntry {
                    operator: down,
                    reason: DisputeReason::Reachable {
                        proof_signature: proof,
                    },
                }],
            };
            d.sign(view.chain_id, view.attestation_center, key(signed_by))
                .unwrap();
            d
        };
        let forged: Vec<DisputeMsg> = disputers
            .iter()
            .map(|&(id, address)| dispute(id, address, proof_by(address)))
            .collect();
        let forged_signature: Vec<DisputeMsg> = disputers
            .iter()
            .map(|&(id, _)| dispute(id, performer, proof_by(down)))
            .collect();
        let honest: Vec<DisputeMsg> = disputers
            .iter()
            .map(|&(id, address)| dispute(id, address, proof_by(down)))
            .collect();

        let dir = tempfile::tempdir().unwrap();
        let (mut node, _events) = harness(view.clone(), key(performer).clone(), dir.path()).await;
        node.epochs
            .get_mut(&b)
            .unwrap()
            .tasks
            .insert(task_hash, TaskState::new(msg.clone(), info.clone()));

        for (d, &(_, from)) in forged.iter().zip(&disputers) {
            assert_eq!(node.on_dispute(d.clone(), from), Verdict::Reject);
        }
        // Another variant from an operator whose dispute was refused is
        // dropped before any check (one refused dispute per operator and
        // task costs the receiver one verification).
        for (d, &(_, from)) in forged_signature.iter().zip(&disputers) {
            assert_eq!(node.on_dispute(d.clone(), from), Verdict::Ignore);
        }
        node.maybe_amend(b).await;
        assert!(node.epochs[&b].tasks[&task_hash].disputes.is_empty());
        assert!(node.store.disputes(task_hash).unwrap().is_empty());
        assert!(
            node.store.meta(&next).unwrap().is_none(),
            "amended on unverified disputes"
        );
        assert!(node.outbox.is_empty());
        // A fresh node state (as if these had never arrived): the signature
        // forgeries alone are refused too.
        node.epochs
            .get_mut(&b)
            .unwrap()
            .tasks
            .insert(task_hash, TaskState::new(msg.clone(), info.clone()));
        for (d, &(_, from)) in forged_signature.iter().zip(&disputers) {
            assert_eq!(node.on_dispute(d.clone(), from), Verdict::Reject);
        }
        node.epochs
            .get_mut(&b)
            .unwrap()
            .tasks
            .insert(task_hash, TaskState::new(msg.clone(), info.clone()));

        // The same power behind verified disputes: the performer amends.
        for (d, &(_, from)) in honest.iter().zip(&disputers) {
            assert_eq!(node.on_dispute(d.clone(), from), Verdict::Accept);
        }
        assert_eq!(node.store.disputes(task_hash).unwrap().len(), 2);
        node.maybe_amend(b).await;
        assert!(node.store.meta(&next).unwrap().is_some());
        let amended = node
            .outbox
            .iter()
            .find_map(|(topic, bytes, _, _)| match Message::decode(bytes) {
                Ok(Message::Task(t)) if *topic == Topic::Tasks => Some(t),
                _ => None,
            })
            .expect("an amended task in the outbox");
        assert_eq!(amended.document.round, 1);
        let healed = amended
            .document
            .sample
            .iter()
            .find(|e| e.operator == down)
            .unwrap();
        assert!(matches!(&healed.check, Check::Healthy(p) if p.signature == proof_by(down)));

        // After a restart, only the disputes that verify come back: the
        // store also holds a forged dispute (as if stored unverified) and
        // an unsigned one of an earlier build.
        let down_id = view.id_of(down).unwrap();
        let performer_id = view.id_of(performer).unwrap();
        let store = Arc::clone(&node.store);
        store
            .put_task(task_hash, b, 0, performer, &Message::Task(msg).encode())
            .unwrap();
        let forged_stored = dispute(down_id, down, proof_by(performer));
        store
            .put_dispute(
                task_hash,
                down_id,
                &Message::Dispute(forged_stored).encode(),
            )
            .unwrap();
        let mut legacy = Message::Dispute(honest[0].clone()).encode();
        legacy[1] = crate::wire::KIND_UNSIGNED_DISPUTE;
        store.put_dispute(task_hash, performer_id, &legacy).unwrap();
        assert_eq!(store.disputes(task_hash).unwrap().len(), 4);
        drop((node, store));
        let (mut node, _events) = harness(view.clone(), key(performer).clone(), dir.path()).await;
        node.restore_epoch(b).await;
        let restored: Vec<u64> = node.epochs[&b].tasks[&task_hash]
            .disputes
            .keys()
            .copied()
            .collect();
        let mut verified: Vec<u64> = disputers.iter().map(|(id, _)| *id).collect();
        verified.sort_unstable();
        assert_eq!(restored, verified);
    }
}
