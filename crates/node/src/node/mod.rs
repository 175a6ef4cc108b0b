//! The node's core and the driver around it.
//!
//! The core ([`Node`]) owns all epoch state and decides; it does no I/O.
//! Its handlers take what happened — a new head or epoch from the chain
//! [`follower`], gossip, the result of spawned work ([`Event`]) — and queue
//! [`Action`]s (publish, persist, check, vote, submit, prove) that the
//! [`driver`] carries out: store writes in order on a writer thread, checks
//! and transactions in tracked tasks whose results come back as events.
//! Each role lives in its own module: the [`performer`], the [`attester`],
//! the [`aggregator`] and the [`submitter`], with [`gossip`] in and out, so
//! that the core is unit-tested by feeding it heads, tasks and votes and
//! asserting on the actions (`tests.rs`).

use crate::{
    api::Status,
    buffer::{Pending, PendingBuffer},
    epoch::{DisputeFault, EpochView, Fault, Judgement, Skip},
    evidence::{EvidenceOutcome, VoteEquivocation},
    submission::{Attempt, Finished, Submission},
    tally::{Tallied, VoteTally},
    wire::{DisputeEntry, DisputeMsg, DisputeReason, Message, TaskMsg, VoteMsg},
    NodeConfig,
};
use alloy::{
    primitives::{Address, Bytes, B256},
    signers::{local::PrivateKeySigner, SignerSync},
};
use liveliness_bls::{KeyPair, PublicKeyG2, Signature};
use liveliness_chain::Certificate;
use liveliness_health::LocalFault;
use liveliness_p2p::{Topic, Verdict};
use liveliness_primitives::{Check, Document, EpochBlock, EpochNumber, Round, TaskInfo};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, RwLock},
    time::Instant,
};
use tracing::{debug, info, warn};

pub(crate) mod action;
mod aggregator;
mod attester;
pub(crate) mod driver;
pub(crate) mod follower;
pub(crate) mod gossip;
mod misbehaviour;
pub(crate) mod outbox;
mod performer;
mod submitter;
#[cfg(test)]
mod tests;

pub(crate) use action::{Action, Write};
pub(crate) use performer::SIGNED_TASK_PREFIX;
pub(crate) use submitter::stored_evidence;

/// Most messages buffered for epochs or tasks this node does not know yet.
const MAX_BUFFERED: usize = 4096;
/// Most of those from any one sender.
const MAX_BUFFERED_PER_SENDER: usize = 256;
/// Most bytes they may hold, in all and from any one sender (a task's
/// document is up to 60 KB: one sender holds at most a few dozen).
const MAX_BUFFERED_BYTES: usize = 32 << 20;
const MAX_BUFFERED_BYTES_PER_SENDER: usize = 2 << 20;

impl crate::buffer::Weigh for Message {
    fn weight(&self) -> usize {
        // The decoded message, roughly: its document, or its entries.
        match self {
            Message::Task(t) => 256 + t.document_bytes.len(),
            Message::Vote(_) => 192,
            Message::Dispute(d) => 128 + 96 * d.entries.len(),
        }
    }
}
/// Epochs older than this many epoch lengths (or their validity, if longer)
/// behind the head are forgotten in memory (they stay in the store).
const KEEP_EPOCHS: u64 = 3;
/// Buffered messages older than this many blocks are dropped.
const MAX_BUFFER_AGE_BLOCKS: u64 = 64;

/// Failed attempts after which a certificate is given up.
const MAX_SUBMIT_ATTEMPTS: u32 = 5;
/// Failed attempts after which a piece of evidence is given up.
const MAX_EVIDENCE_ATTEMPTS: u32 = 5;

/// Where a task came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Gossip,
    Own,
    Restored,
}

/// Results of spawned work.
#[derive(Debug)]
pub(crate) enum Event {
    /// A round this node performed is ready to publish (`resumed`: the
    /// task it signed for the round before, found in the store).
    Performed {
        epoch: EpochBlock,
        msg: Box<TaskMsg>,
        resumed: bool,
    },
    /// Performing failed (logged); the round may be retried.
    PerformFailed {
        epoch: EpochBlock,
        hash: B256,
        round: Round,
    },
    /// The attester's own checks of a task's unhealthy entries finished.
    /// `could_not_check` is set when some entry could not be re-checked
    /// because of this node's own trouble (then it does not approve).
    Judged {
        epoch: EpochBlock,
        /// The epoch block's hash the checks were made for.
        hash: B256,
        task_hash: B256,
        disputes: Vec<DisputeEntry>,
        could_not_check: Option<LocalFault>,
        /// What the re-checks found, to be remembered for the epoch.
        rechecks: Vec<(Address, Option<[u8; 65]>)>,
    },
    /// This node's vote is recorded in the store (`fresh`), or was recorded
    /// before (then `vote` is that earlier one): it may be gossiped.
    Voted { vote: VoteMsg, fresh: bool },
    /// An amended task this node signed and recorded (`fresh`), or the
    /// task it had signed for that round before.
    Amended { msg: Box<TaskMsg>, fresh: bool },
    /// A submission attempt ended.
    Submitted {
        epoch: EpochBlock,
        task_hash: B256,
        outcome: Attempt,
    },
    /// An attempt to prove an equivocation ended (its store key).
    EvidenceSubmitted { key: String, outcome: Attempt },
}

/// Equivocation evidence waiting to be proven on chain by this node.
struct EvidenceJob {
    evidence: crate::evidence::Evidence,
    /// This node's proof of it (waiting for its slot first).
    state: Submission,
}

struct TaskState {
    msg: TaskMsg,
    info: TaskInfo,
    tally: VoteTally,
    /// Disputes received, by disputing operator id.
    disputes: BTreeMap<u64, DisputeMsg>,
    /// Operators whose dispute of this task was refused: any further one of
    /// theirs is dropped before it is verified again, so that many signed
    /// variants cost the receiver one check (§11.4).
    refused_disputes: BTreeSet<u64>,
    /// Whether this node (its performer) already amended it.
    amended: bool,
    /// The certificate, and this node's submission of it.
    certificate: Option<(Certificate, Submission)>,
}

impl TaskState {
    /// A task just accepted: no votes, disputes or certificate yet.
    fn new(msg: TaskMsg, info: TaskInfo, total_power: u128) -> Self {
        Self {
            msg,
            info,
            tally: VoteTally::new(total_power),
            disputes: BTreeMap::new(),
            refused_disputes: BTreeSet::new(),
            amended: false,
            certificate: None,
        }
    }
}

struct EpochState {
    view: Arc<EpochView>,
    tasks: HashMap<B256, TaskState>,
    performing: BTreeSet<Round>,
    /// First task seen per round, with the head when it was seen.
    seen: BTreeMap<Round, (B256, u64)>,
    certified: Option<B256>,
    loaded_at: Instant,
    summarized: bool,
    /// Re-check results of this epoch by operator: the proof signature when
    /// its endpoint answered, `None` when it failed. Undetermined results are
    /// not kept. However many tasks name an operator, it is re-checked once.
    rechecked: HashMap<Address, Option<[u8; 65]>>,
    /// `(round, performer)` pairs for which two different signed tasks were
    /// seen; their evidence is stored and further tasks are dropped unread.
    equivocated: BTreeSet<(Round, Address)>,
    /// `(task, operator)` pairs whose vote for the opposite outcome was
    /// checked once (or is stored as evidence); further votes of theirs on
    /// the task are dropped unread.
    vote_equivocated: BTreeSet<(B256, u64)>,
}

impl EpochState {
    fn new(view: EpochView) -> Self {
        Self {
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
        }
    }
}

/// The node's core: every role's state, no I/O.
pub(crate) struct Node {
    pub(crate) config: NodeConfig,
    pub(crate) chain_id: u64,
    pub(crate) signer: PrivateKeySigner,
    pub(crate) bls: KeyPair,
    pub(crate) status: Arc<RwLock<Status>>,
    epochs: BTreeMap<EpochBlock, EpochState>,
    /// Messages for epochs or tasks not known yet, with the head when they
    /// were buffered.
    buffered: PendingBuffer<Message>,
    /// While a buffered message is replayed: the head it was first buffered
    /// at.
    replaying_since: Option<u64>,
    /// Equivocations to prove on chain, by store key.
    evidence_jobs: BTreeMap<String, EvidenceJob>,
    /// Equivocations stored before a restart, resumed on the first head.
    to_resume: Option<Vec<(String, crate::evidence::Evidence)>>,
    /// Misbehaviour (tests and demos only): the opposite of an own vote
    /// being recorded, gossiped once it is.
    vote_both: HashMap<(B256, bool), VoteMsg>,
    /// What the driver is to do next.
    actions: Vec<Action>,
    head: u64,
    /// The last head [`on_head`](Self::on_head) ran for.
    last_head: u64,
    /// The first head of this run: rounds that opened before it were not
    /// watched, so their performers are never named missed by this node.
    first_head: Option<u64>,
    /// Reorgs seen ([`Status::reorgs`](crate::api::Status)).
    reorgs: u64,
}

impl Node {
    pub(crate) fn new(
        config: NodeConfig,
        chain_id: u64,
        signer: PrivateKeySigner,
        bls: KeyPair,
        status: Arc<RwLock<Status>>,
    ) -> Self {
        Self {
            config,
            chain_id,
            signer,
            bls,
            status,
            epochs: BTreeMap::new(),
            buffered: PendingBuffer::new(crate::buffer::Bounds {
                messages: MAX_BUFFERED,
                per_sender: MAX_BUFFERED_PER_SENDER,
                bytes: MAX_BUFFERED_BYTES,
                bytes_per_sender: MAX_BUFFERED_BYTES_PER_SENDER,
            }),
            replaying_since: None,
            evidence_jobs: BTreeMap::new(),
            to_resume: None,
            vote_both: HashMap::new(),
            actions: Vec::new(),
            head: 0,
            last_head: 0,
            first_head: None,
            reorgs: 0,
        }
    }

    fn me(&self) -> Address {
        self.signer.address()
    }

    /// The held epoch at `b`, if it is the one whose block hash is `hash`.
    fn held_mut(&mut self, b: EpochBlock, hash: B256) -> Option<&mut EpochState> {
        self.epochs.get_mut(&b).filter(|e| e.view.hash == hash)
    }

    /// The actions queued since the last call, in order.
    pub(crate) fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    fn act(&mut self, action: Action) {
        self.actions.push(action);
    }

    fn persist(&mut self, write: Write) {
        self.actions.push(Action::Persist(write));
    }

    /// Queues an own message for gossip from head `not_before` until
    /// `expires`.
    fn publish(&mut self, topic: Topic, bytes: Vec<u8>, not_before: u64, expires: u64) {
        self.actions.push(Action::Publish {
            topic,
            bytes,
            not_before,
            expires,
            once: false,
        });
    }

    /// Queues an own message for gossip at this head only, not kept for a
    /// retry.
    fn publish_once(&mut self, topic: Topic, bytes: Vec<u8>) {
        self.actions.push(Action::Publish {
            topic,
            bytes,
            not_before: 0,
            expires: self.head,
            once: true,
        });
    }

    /// A head from the follower (every poll, new or not): every role looks
    /// at what is due.
    pub(crate) fn on_head(&mut self, head: u64) {
        let new_head = head != self.last_head;
        if head < self.last_head {
            self.note_reorg();
        }
        self.first_head.get_or_insert(head);
        self.last_head = head;
        self.head = head;
        if new_head {
            self.replay_buffered();
        }
        let keys: Vec<EpochBlock> = self.epochs.keys().copied().collect();
        for b in keys {
            self.maybe_amend(b);
            self.maybe_perform(b);
            self.maybe_submit(b);
            self.maybe_summarize(b);
        }
        if let Some(stored) = self.to_resume.take() {
            self.resume_evidence(stored);
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
            b.plus(keep) >= head || !e.summarized
        });
        if new_head {
            self.prune_store();
        }
        if self.config.misbehaviour.flood > 0 {
            self.flood(self.config.misbehaviour.flood);
        }
        self.publish_status();
    }

    /// Routes the result of spawned work to its role.
    pub(crate) fn on_event(&mut self, event: Event) {
        match event {
            Event::Performed {
                epoch,
                msg,
                resumed,
            } => self.on_performed(epoch, *msg, resumed),
            Event::PerformFailed { epoch, hash, round } => {
                // Of this epoch, not of one its block was reorged from.
                if let Some(e) = self.held_mut(epoch, hash) {
                    e.performing.remove(&round);
                }
            }
            Event::Judged {
                epoch,
                hash,
                task_hash,
                disputes,
                could_not_check,
                rechecks,
            } => {
                // Checks made against a block reorged away since say nothing
                // about this epoch: dropped (the new epoch checks again).
                let Some(e) = self.held_mut(epoch, hash) else {
                    return;
                };
                e.rechecked.extend(rechecks);
                self.on_judged(epoch, task_hash, disputes, could_not_check);
                if self.config.misbehaviour.forge_disputes {
                    self.forge_dispute(epoch, task_hash);
                }
            }
            Event::Voted { vote, fresh } => self.on_voted(vote, fresh),
            Event::Amended { msg, fresh } => self.on_amended(*msg, fresh),
            Event::Submitted {
                epoch,
                task_hash,
                outcome,
            } => self.on_submitted(epoch, task_hash, outcome),
            Event::EvidenceSubmitted { key, outcome } => self.on_evidence_submitted(&key, outcome),
        }
    }

    /// Retention (§10): asks for the stored epochs older than
    /// `retention_epochs` epoch lengths behind the head to be removed, never
    /// one still held in memory.
    fn prune_store(&mut self) {
        let Some((&oldest_held, e)) = self.epochs.iter().next() else {
            return;
        };
        let window = e
            .view
            .params
            .epoch_length
            .saturating_mul(self.config.retention_epochs);
        let cutoff = self.head.saturating_sub(window).min(oldest_held.0);
        self.act(Action::Prune { cutoff });
    }

    fn maybe_summarize(&mut self, b: EpochBlock) {
        let head = self.head;
        let Some(epoch) = self.epochs.get_mut(&b) else {
            return;
        };
        if epoch.summarized || head <= epoch.view.expires_at() {
            return;
        }
        epoch.summarized = true;
        let cert = epoch.certified.and_then(|h| epoch.tasks.get(&h));
        let outcome = match cert.and_then(|t| t.certificate.as_ref().map(|c| (t, c))) {
            Some((task, (c, _))) if c.is_approved => {
                let unhealthy: Vec<String> = EpochView::unhealthy_entries(&task.msg)
                    .iter()
                    .map(|(id, _, _)| format!("#{id}"))
                    .collect();
                format!(
                    "approved round {} (unhealthy [{}], missed {}), {} votes",
                    task.msg.document.round,
                    unhealthy.join(","),
                    task.msg.document.missed_performers.len(),
                    task.tally.len()
                )
            }
            Some(_) => "rejected the performer's task".to_owned(),
            None => "no certificate (task lapsed: nobody penalized)".to_owned(),
        };
        info!(
            epoch = %epoch.view.number,
            block = %b,
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
                performer: e.view.performer(Round::ZERO).map(|o| o.address),
                sample: e.view.sample.iter().map(|s| s.address).collect(),
                tasks: e.tasks.len(),
                certified: e.certified,
            })
            .collect();
    }
}

/// Logs and counts a failed store write the node carries on without (the
/// state it records is rebuilt or looked up again later; at worst some work
/// is repeated).
pub(crate) fn stored<T>(result: Result<T, liveliness_store::Error>, what: &'static str) {
    if let Err(e) = result {
        warn!(error = %e, what, "store write failed");
        metrics::counter!("liveliness_store_errors_total", "op" => what).increment(1);
    }
}
