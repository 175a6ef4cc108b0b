//! The node's core: one task owns all epoch state and drives the roles,
//! each in its own module: the chain [`follower`], the [`performer`], the
//! [`attester`], the [`aggregator`] and the [`submitter`], with [`gossip`]
//! in and out. Slow work (health checks, submissions) runs in spawned tasks
//! that report back through a channel as [`Event`]s.

use crate::{
    api::Status,
    buffer::{Pending, PendingBuffer},
    epoch::{DisputeFault, EpochView, Fault, Judgement, Skip},
    evidence::{EvidenceOutcome, VoteEquivocation},
    reader::Reader,
    submission::{Attempt, Finished, Submission},
    tally::{Tallied, VoteTally},
    wire::{DisputeEntry, DisputeMsg, DisputeReason, Message, TaskMsg, VoteMsg},
    NodeConfig,
};
use alloy::{
    primitives::{Address, Bytes, B256},
    providers::Provider,
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
use liveliness_store::{OwnVote, Store, SubmissionClaim, SubmissionOutcome, SubmissionStatus};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, RwLock},
    time::Instant,
};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

mod aggregator;
mod attester;
mod follower;
mod gossip;
mod misbehaviour;
mod performer;
mod submitter;

pub(crate) use performer::SIGNED_TASK_PREFIX;

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

    /// Routes the result of spawned work to its role.
    pub(crate) async fn on_event(&mut self, event: Event) {
        match event {
            Event::Performed { epoch, msg } => self.on_performed(epoch, *msg).await,
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
            } => self.on_submitted(epoch, task_hash, outcome),
            Event::EvidenceSubmitted { key, outcome } => self.on_evidence_submitted(&key, outcome),
        }
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

/// Logs and counts a failed store write the node carries on without (the
/// state it records is rebuilt or looked up again later; at worst some work
/// is repeated).
fn stored<T>(result: Result<T, liveliness_store::Error>, what: &'static str) {
    if let Err(e) = result {
        warn!(error = %e, what, "store write failed");
        metrics::counter!("liveliness_store_errors_total", "op" => what).increment(1);
    }
}

/// The node's checker with the epoch's `healthTimeoutMs`.
fn with_epoch_timeout(checker: &Checker, view: &EpochView) -> Checker {
    checker.with_timeout_ms(view.params.health_timeout_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use super::{
        follower::prune,
        performer::{amended_key, sign_own_task, sign_task, signed_task_key},
        submitter::evidence_slot_index,
    };
    use crate::epoch::Params;

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
            vec![provider],
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
        node.epochs.get_mut(&b).unwrap().tasks.insert(
            task_hash,
            TaskState::new(msg.clone(), info.clone(), view.total_power),
        );

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
        node.epochs.get_mut(&b).unwrap().tasks.insert(
            task_hash,
            TaskState::new(msg.clone(), info.clone(), view.total_power),
        );
        for (d, &(_, from)) in forged_signature.iter().zip(&disputers) {
            assert_eq!(node.on_dispute(d.clone(), from), Verdict::Reject);
        }
        node.epochs.get_mut(&b).unwrap().tasks.insert(
            task_hash,
            TaskState::new(msg.clone(), info.clone(), view.total_power),
        );

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
