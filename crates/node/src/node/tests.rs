//! The core, tested as lighthouse tests its sync: a [`Rig`] feeds a node
//! heads, tasks, votes and the results of its own work, and the tests
//! assert on the actions it asks for. No chain, network or endpoint is
//! involved (those are tested end to end); the store appears only where a
//! job's own logic is tested.

use super::follower::{prune, restore, Loaded, Restored};
use super::gossip::Received;
use super::performer::{amend, sign_own_task, sign_task, signed_task_key};
use super::submitter::evidence_slot_index;
use super::*;
use crate::epoch::{OperatorInfo, Params};
use alloy::primitives::U256;
use liveliness_health::CheckRequest;
use liveliness_primitives::{FailureReason, HealthProof, SampleEntry};
use liveliness_store::Store;

const B: EpochBlock = EpochBlock(100);

/// Four operators with power 10 each; the epoch at block 100: epochs of 10
/// blocks, rounds of 4, sample of 3, tasks valid for 20 blocks.
fn view(operators: usize) -> (EpochView, Vec<PrivateKeySigner>, Vec<KeyPair>) {
    let signers: Vec<PrivateKeySigner> = (1..=operators)
        .map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(i as u8)).unwrap())
        .collect();
    let bls: Vec<KeyPair> = (0..operators)
        .map(|_| KeyPair::random(&mut rand::rngs::OsRng))
        .collect();
    let ops = signers
        .iter()
        .zip(&bls)
        .enumerate()
        .map(|(i, (s, k))| OperatorInfo {
            id: i as u64 + 1,
            address: s.address(),
            power: 10,
            pk_g2: *k.pk_g2(),
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
        B,
        B256::repeat_byte(0xbb),
        params,
        ops,
    )
    .unwrap();
    (view, signers, bls)
}

/// A node's core holding one epoch, and every operator's keys.
struct Rig {
    node: Node,
    view: EpochView,
    signers: Vec<PrivateKeySigner>,
    bls: Vec<KeyPair>,
}

impl Rig {
    /// The core of the operator at `me` (an address in the epoch), holding
    /// the epoch, with no head yet.
    fn new(pick: impl Fn(&EpochView) -> Address) -> Self {
        let (view, signers, bls) = view(4);
        let me = pick(&view);
        let i = signers.iter().position(|s| s.address() == me).unwrap();
        let config: NodeConfig = toml::from_str(&format!(
            "rpc_urls = [\"http://127.0.0.1:1/\"]\n\
             attestation_center = \"{}\"\n\
             registry = \"{}\"\n\
             data_dir = \"/nonexistent\"\n\
             ecdsa_keystore = \"unused\"\n\
             bls_keystore = \"unused\"\n",
            view.attestation_center,
            Address::repeat_byte(0x5e),
        ))
        .unwrap();
        let mut node = Node::new(
            config,
            view.chain_id,
            signers[i].clone(),
            bls[i].clone(),
            Arc::new(RwLock::new(Status::default())),
        );
        node.on_epoch_loaded(Loaded {
            head: 0,
            view: view.clone(),
            tasks: vec![],
            vote_equivocations: vec![],
        });
        assert!(node.take_actions().is_empty());
        Self {
            node,
            view,
            signers,
            bls,
        }
    }

    /// The core of the performer of round 1 (so an attester of round 0 and
    /// the first aggregator of its task) at head `B + 1`, and the address
    /// of round 0's performer.
    fn attester() -> (Self, Address) {
        let mut rig = Self::new(|v| v.performer(Round(1)).unwrap().address);
        rig.head(B.0 + 1);
        let performer = rig.view.performer(Round(0)).unwrap().address;
        (rig, performer)
    }

    fn me(&self) -> Address {
        self.node.me()
    }

    fn index(&self, a: Address) -> usize {
        self.signers.iter().position(|s| s.address() == a).unwrap()
    }

    fn id(&self, a: Address) -> u64 {
        self.view.id_of(a).unwrap()
    }

    fn head(&mut self, head: u64) -> Vec<Action> {
        self.node.on_head(head);
        self.node.take_actions()
    }

    fn event(&mut self, event: Event) -> Vec<Action> {
        self.node.on_event(event);
        self.node.take_actions()
    }

    /// Gossips `msg` from `from`: its verdict and the actions.
    fn gossip(&mut self, msg: Message, from: Address) -> (Verdict, Vec<Action>) {
        let topic = match msg {
            Message::Task(_) => Topic::Tasks,
            Message::Vote(_) => Topic::Votes,
            Message::Dispute(_) => Topic::Disputes,
        };
        let verdicts = self.node.on_gossip(vec![Received {
            topic,
            from,
            data: msg.encode(),
        }]);
        (verdicts[0], self.node.take_actions())
    }

    /// A health proof for this epoch, signed by `signed_by` (the operator's
    /// own when it is `operator`).
    fn proof(&self, _operator: Address, signed_by: Address) -> [u8; 65] {
        self.signers[self.index(signed_by)]
            .sign_message_sync(liveliness_primitives::health_message(self.view.hash).as_slice())
            .unwrap()
            .as_bytes()
    }

    /// The document of `round` by its due performer, every sampled operator
    /// healthy (with its own proof) but those in `down`.
    fn document(&self, round: Round, down: &[Address]) -> Document {
        let performer = self.view.performer(round).unwrap().address;
        Document {
            chain_id: self.view.chain_id,
            attestation_center: self.view.attestation_center,
            epoch_block: B,
            epoch_block_hash: self.view.hash,
            round,
            performer,
            sample: self
                .view
                .sample
                .iter()
                .map(|s| SampleEntry {
                    operator: s.address,
                    operator_id: s.id,
                    endpoint: s.endpoint.clone(),
                    check: if down.contains(&s.address) {
                        Check::Unhealthy(FailureReason::Timeout)
                    } else {
                        Check::Healthy(HealthProof::new(
                            s.address,
                            B.0,
                            self.view.hash,
                            self.proof(s.address, s.address),
                        ))
                    },
                })
                .collect(),
            missed_performers: vec![],
        }
    }

    /// `document`, signed by its performer.
    fn task(&self, document: Document) -> TaskMsg {
        let by = &self.signers[self.index(document.performer)];
        sign_task(by, &self.view, 1, document).unwrap()
    }

    /// `operator`'s vote on `task`.
    fn vote(&self, task: &TaskMsg, operator: Address, approve: bool) -> VoteMsg {
        let info = task.task_info().unwrap();
        let hash = info.vote_hash(self.view.attestation_center, self.view.chain_id, approve, B);
        VoteMsg {
            task_hash: info.task_hash(),
            epoch_block: B,
            round: task.document.round,
            operator_id: self.id(operator),
            is_approved: approve,
            signature: self.bls[self.index(operator)].sign(&hash),
        }
    }

    /// A sampled operator other than `not`.
    fn sampled_other_than(&self, not: &[Address]) -> Address {
        self.view
            .sample
            .iter()
            .map(|s| s.address)
            .find(|a| !not.contains(a))
            .unwrap()
    }

    /// Operators other than those in `not`.
    fn others(&self, not: &[Address]) -> Vec<Address> {
        self.signers
            .iter()
            .map(PrivateKeySigner::address)
            .filter(|a| !not.contains(a))
            .collect()
    }
}

fn performs(actions: &[Action]) -> Vec<Round> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Perform(job) => Some(job.round),
            _ => None,
        })
        .collect()
}

fn rechecks(actions: &[Action]) -> Vec<Vec<CheckRequest>> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Recheck(job) => Some(job.requests.clone()),
            _ => None,
        })
        .collect()
}

fn votes(actions: &[Action]) -> Vec<bool> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::RecordVote { vote, .. } => Some(vote.is_approved),
            _ => None,
        })
        .collect()
}

fn writes(actions: &[Action]) -> Vec<&Write> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Persist(w) => Some(w),
            _ => None,
        })
        .collect()
}

fn submits(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Submit { .. }))
        .count()
}

fn proofs(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Prove { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect()
}

fn published(actions: &[Action], topic: Topic) -> Vec<Message> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Publish {
                topic: t, bytes, ..
            } if *t == topic => Message::decode(bytes).ok(),
            _ => None,
        })
        .collect()
}

#[test]
fn a_performer_performs_its_round_once_and_again_only_after_a_failure() {
    let mut rig = Rig::new(|v| v.performer(Round(0)).unwrap().address);
    let not_due = Rig::new(|v| {
        let due = v.performer(Round(0)).unwrap().address;
        v.operators
            .values()
            .map(|o| o.address)
            .find(|a| *a != due)
            .unwrap()
    });
    let mut not_due = not_due;
    assert_eq!(performs(&rig.head(B.0 + 1)), vec![Round(0)]);
    assert!(performs(&not_due.head(B.0 + 1)).is_empty());
    // In progress: not again.
    assert!(performs(&rig.head(B.0 + 2)).is_empty());
    // Its own trouble made it fail: tried again on the next head.
    let hash = rig.view.hash;
    rig.event(Event::PerformFailed {
        epoch: B,
        hash,
        round: Round(0),
    });
    let again = rig.head(B.0 + 2);
    assert_eq!(performs(&again), vec![Round(0)]);
    let Some(Action::Perform(job)) = again.iter().find(|a| matches!(a, Action::Perform(_))) else {
        unreachable!()
    };
    assert!(job.missed.is_empty());
}

#[test]
fn a_performed_task_is_handled_as_the_nodes_own_and_gossiped() {
    let mut rig = Rig::new(|v| v.performer(Round(0)).unwrap().address);
    rig.head(B.0 + 1);
    let down = rig.sampled_other_than(&[rig.me()]);
    let msg = rig.task(rig.document(Round(0), &[down]));
    let actions = rig.event(Event::Performed {
        epoch: B,
        msg: Box::new(msg.clone()),
        resumed: false,
    });
    // Stored by the job that signed it, before it could be published.
    assert!(writes(&actions).is_empty(), "{actions:?}");
    // The performer re-checks its own unhealthy entry like any attester.
    assert_eq!(rechecks(&actions).len(), 1);
    let gossiped = published(&actions, Topic::Tasks);
    assert!(matches!(&gossiped[..], [Message::Task(t)] if *t == msg));
}

#[test]
fn an_attester_approves_only_after_its_own_recheck_agrees() {
    let (mut rig, performer) = Rig::attester();
    let down = rig.sampled_other_than(&[rig.me(), performer]);
    let msg = rig.task(rig.document(Round(0), &[down]));
    let (verdict, actions) = rig.gossip(Message::Task(msg.clone()), performer);
    assert_eq!(verdict, Verdict::Accept);
    assert!(votes(&actions).is_empty(), "voted before re-checking");
    assert!(matches!(writes(&actions)[..], [Write::Task { .. }]));
    let requested = rechecks(&actions);
    assert_eq!(requested.len(), 1);
    assert_eq!(
        requested[0].iter().map(|r| r.operator).collect::<Vec<_>>(),
        vec![down]
    );
    let task_hash = msg.task_info().unwrap().task_hash();
    let actions = rig.event(Event::Judged {
        epoch: B,
        hash: rig.view.hash,
        task_hash,
        disputes: vec![],
        could_not_check: None,
        rechecks: vec![(down, None)],
    });
    assert_eq!(votes(&actions), vec![true]);
    // The same task again: ignored, nothing re-checked.
    let (verdict, actions) = rig.gossip(Message::Task(msg), performer);
    assert_eq!(verdict, Verdict::Ignore);
    assert!(actions.is_empty());
}

/// A node's own trouble is never evidence: an attester that could not
/// re-check an entry abstains, neither approving nor disputing.
#[test]
fn an_attester_that_could_not_check_abstains() {
    for fault in [
        LocalFault::Resources,
        LocalFault::Resolver,
        LocalFault::Stalled,
    ] {
        let (mut rig, performer) = Rig::attester();
        let down = rig.sampled_other_than(&[rig.me(), performer]);
        let msg = rig.task(rig.document(Round(0), &[down]));
        rig.gossip(Message::Task(msg.clone()), performer);
        let actions = rig.event(Event::Judged {
            epoch: B,
            hash: rig.view.hash,
            task_hash: msg.task_info().unwrap().task_hash(),
            disputes: vec![],
            could_not_check: Some(fault),
            rechecks: vec![],
        });
        assert!(actions.is_empty(), "{fault:?}: {actions:?}");
    }
}

#[test]
fn a_reachable_operator_is_disputed_not_approved() {
    let (mut rig, performer) = Rig::attester();
    let down = rig.sampled_other_than(&[rig.me(), performer]);
    let msg = rig.task(rig.document(Round(0), &[down]));
    rig.gossip(Message::Task(msg.clone()), performer);
    let proof = rig.proof(down, down);
    let actions = rig.event(Event::Judged {
        epoch: B,
        hash: rig.view.hash,
        task_hash: msg.task_info().unwrap().task_hash(),
        disputes: vec![DisputeEntry {
            operator: down,
            reason: DisputeReason::Reachable {
                proof_signature: proof,
            },
        }],
        could_not_check: None,
        rechecks: vec![(down, Some(proof))],
    });
    assert!(votes(&actions).is_empty());
    assert!(matches!(writes(&actions)[..], [Write::Dispute { .. }]));
    assert_eq!(published(&actions, Topic::Disputes).len(), 1);
}

#[test]
fn a_provably_wrong_task_gets_a_reject_vote_without_a_recheck() {
    let (mut rig, performer) = Rig::attester();
    let victim = rig.sampled_other_than(&[performer]);
    let mut doc = rig.document(Round(0), &[]);
    // A "healthy" proof the performer signed itself.
    let entry = doc
        .sample
        .iter_mut()
        .find(|e| e.operator == victim)
        .unwrap();
    entry.check = Check::Healthy(HealthProof::new(
        victim,
        B.0,
        rig.view.hash,
        rig.proof(victim, performer),
    ));
    let (verdict, actions) = rig.gossip(Message::Task(rig.task(doc)), performer);
    assert_eq!(verdict, Verdict::Accept);
    assert_eq!(votes(&actions), vec![false]);
    assert!(rechecks(&actions).is_empty());
}

#[test]
fn tasks_from_anyone_but_their_performer_are_rejected_unstored() {
    let (mut rig, performer) = Rig::attester();
    let relay = rig.others(&[performer, rig.me()])[0];
    let msg = rig.task(rig.document(Round(0), &[]));
    let (verdict, actions) = rig.gossip(Message::Task(msg), relay);
    assert_eq!(verdict, Verdict::Reject);
    assert!(actions.is_empty());
    // Signed by someone other than the round's performer.
    let mut doc = rig.document(Round(0), &[]);
    doc.performer = relay;
    let forged = sign_task(&rig.signers[rig.index(relay)], &rig.view, 1, doc).unwrap();
    let (verdict, actions) = rig.gossip(Message::Task(forged), relay);
    assert_eq!(verdict, Verdict::Reject);
    assert!(actions.is_empty());
}

/// Votes before their task are buffered and counted once it arrives; at a
/// quorum the certificate is formed once and submitted in this node's slot
/// (the first, here), retried after a failure with a backoff.
#[test]
fn a_quorum_forms_one_certificate_submitted_in_this_nodes_slot() {
    // The performer of round 1 is first in the aggregators' order of a
    // round-0 task.
    let (mut rig, performer) = Rig::attester();
    let down = rig.sampled_other_than(&[rig.me(), performer]);
    let msg = rig.task(rig.document(Round(0), &[down]));
    let voters = rig.others(&[rig.me(), down]);
    assert_eq!(voters.len(), 2);
    // Two votes before the task: buffered.
    for v in &voters {
        let (verdict, actions) = rig.gossip(Message::Vote(rig.vote(&msg, *v, true)), *v);
        assert_eq!(verdict, Verdict::Ignore);
        assert!(actions.is_empty());
    }
    // The task: the buffered votes are counted (2 of 4: no quorum).
    let (_, actions) = rig.gossip(Message::Task(msg.clone()), performer);
    assert_eq!(
        writes(&actions)
            .iter()
            .filter(|w| matches!(w, Write::Vote { .. }))
            .count(),
        2
    );
    assert!(!writes(&actions)
        .iter()
        .any(|w| matches!(w, Write::Certificate { .. })));
    // This node's own vote makes the quorum.
    let task_hash = msg.task_info().unwrap().task_hash();
    let actions = rig.event(Event::Judged {
        epoch: B,
        hash: rig.view.hash,
        task_hash,
        disputes: vec![],
        could_not_check: None,
        rechecks: vec![(down, None)],
    });
    assert_eq!(votes(&actions), vec![true]);
    let mine = rig.vote(&msg, rig.me(), true);
    let actions = rig.event(Event::Voted {
        vote: mine.clone(),
        fresh: true,
    });
    assert!(matches!(&published(&actions, Topic::Votes)[..], [Message::Vote(v)] if *v == mine));
    let certified: Vec<&Write> = writes(&actions)
        .into_iter()
        .filter(|w| matches!(w, Write::Certificate { .. }))
        .collect();
    assert_eq!(
        certified,
        vec![&Write::Certificate {
            epoch_block: B,
            task_hash,
            approved: true
        }]
    );
    // The fourth vote changes nothing.
    let (verdict, actions) = rig.gossip(Message::Vote(rig.vote(&msg, down, false)), down);
    assert_eq!(verdict, Verdict::Accept);
    assert!(!writes(&actions)
        .iter()
        .any(|w| matches!(w, Write::Certificate { .. })));
    // Submitted in this node's slot (the first): at once, once.
    assert_eq!(submits(&rig.head(B.0 + 2)), 1);
    assert_eq!(submits(&rig.head(B.0 + 3)), 0);
    // A failed attempt backs off one slot.
    let slot = rig.node.config.aggregator_slot_blocks;
    rig.event(Event::Submitted {
        epoch: B,
        task_hash,
        outcome: Attempt::Retry,
    });
    if slot > 1 {
        assert_eq!(submits(&rig.head(B.0 + 3 + slot - 1)), 0);
    }
    assert_eq!(submits(&rig.head(B.0 + 3 + slot)), 1);
    rig.event(Event::Submitted {
        epoch: B,
        task_hash,
        outcome: Attempt::Settled,
    });
    assert_eq!(submits(&rig.head(B.0 + 10)), 0);
}

#[test]
fn votes_from_unbound_or_inactive_senders_and_bad_signatures_are_rejected() {
    let (mut rig, performer) = Rig::attester();
    let msg = rig.task(rig.document(Round(0), &[]));
    rig.gossip(Message::Task(msg.clone()), performer);
    let voter = rig.others(&[rig.me(), performer])[0];
    let other = rig.others(&[rig.me(), performer, voter])[0];
    // Relayed under another operator's binding.
    let vote = rig.vote(&msg, voter, true);
    assert_eq!(
        rig.gossip(Message::Vote(vote.clone()), other).0,
        Verdict::Reject
    );
    // Signed with another key.
    let mut forged = vote.clone();
    forged.signature = rig.vote(&msg, other, true).signature;
    let (verdict, actions) = rig.gossip(Message::Vote(forged), voter);
    assert_eq!(verdict, Verdict::Reject);
    assert!(actions.is_empty());
    // The real one counts, once.
    assert_eq!(
        rig.gossip(Message::Vote(vote.clone()), voter).0,
        Verdict::Accept
    );
    let (verdict, actions) = rig.gossip(Message::Vote(vote), voter);
    assert_eq!(verdict, Verdict::Ignore);
    assert!(actions.is_empty());
}

/// An operator that signs both outcomes is caught once: the evidence is
/// kept and proven in this node's slot; further votes of theirs on the
/// task are dropped unread.
#[test]
fn an_operator_voting_both_ways_is_proven_once_in_this_nodes_slot() {
    let (mut rig, performer) = Rig::attester();
    let msg = rig.task(rig.document(Round(0), &[]));
    rig.gossip(Message::Task(msg.clone()), performer);
    let liar = rig.others(&[rig.me(), performer])[0];
    assert_eq!(
        rig.gossip(Message::Vote(rig.vote(&msg, liar, true)), liar)
            .0,
        Verdict::Accept
    );
    let (verdict, actions) = rig.gossip(Message::Vote(rig.vote(&msg, liar, false)), liar);
    assert_eq!(verdict, Verdict::Accept);
    let key = VoteEquivocation::key(B, msg.task_info().unwrap().task_hash(), rig.id(liar));
    assert!(
        matches!(writes(&actions)[..], [Write::Meta { key: k, .. }] if *k == key),
        "{actions:?}"
    );
    let (verdict, actions) = rig.gossip(Message::Vote(rig.vote(&msg, liar, false)), liar);
    assert_eq!(verdict, Verdict::Ignore);
    assert!(actions.is_empty());
    let index = evidence_slot_index(&rig.view, rig.id(liar), rig.me());
    let slot = B.0 + 1 + index * rig.node.config.aggregator_slot_blocks;
    let mut proven = Vec::new();
    for head in B.0 + 1..=slot {
        proven.extend(proofs(&rig.head(head)).into_iter().map(|k| (head, k)));
    }
    assert_eq!(proven, vec![(slot, key.clone())]);
    // Proven (by anyone): done.
    rig.event(Event::EvidenceSubmitted {
        key,
        outcome: Attempt::Settled,
    });
    assert!(proofs(&rig.head(slot + 5)).is_empty());
}

#[test]
fn a_second_signed_task_for_a_round_is_kept_as_evidence_once() {
    let (mut rig, performer) = Rig::attester();
    let first = rig.task(rig.document(Round(0), &[]));
    let down = rig.sampled_other_than(&[performer]);
    let second = rig.task(rig.document(Round(0), &[down]));
    let third = rig.task(rig.document(Round(0), &[rig.sampled_other_than(&[performer, down])]));
    assert_eq!(
        rig.gossip(Message::Task(first), performer).0,
        Verdict::Accept
    );
    let (verdict, actions) = rig.gossip(Message::Task(second), performer);
    assert_eq!(verdict, Verdict::Accept);
    let key = crate::evidence::TaskEquivocation::key(B, Round(0), performer);
    assert!(matches!(writes(&actions)[..], [Write::Meta { key: k, .. }] if *k == key));
    assert!(votes(&actions).is_empty() && rechecks(&actions).is_empty());
    let (verdict, actions) = rig.gossip(Message::Task(third), performer);
    assert_eq!(verdict, Verdict::Ignore);
    assert!(actions.is_empty());
}

/// What a stranger can make a node hold is bounded: far-future tasks are
/// not kept, and one sender's votes for unknown tasks fill at most its
/// share of the buffer.
#[test]
fn early_messages_are_buffered_boundedly() {
    let mut rig = Rig::new(|v| v.performer(Round(1)).unwrap().address);
    rig.head(B.0 + 1);
    let flooder = rig.others(&[rig.me()])[0];
    let mut far = rig.document(Round(0), &[]);
    far.epoch_block = EpochBlock(B.0 + 10_000);
    far.performer = flooder;
    let far = sign_task(&rig.signers[rig.index(flooder)], &rig.view, 1, far).unwrap();
    assert_eq!(rig.gossip(Message::Task(far), flooder).0, Verdict::Ignore);
    assert_eq!(rig.node.buffered.len(), 0);
    let msg = rig.task(rig.document(Round(0), &[]));
    for i in 0..(MAX_BUFFERED_PER_SENDER + 50) {
        let mut vote = rig.vote(&msg, flooder, true);
        vote.task_hash = B256::from(U256::from(i + 1));
        rig.gossip(Message::Vote(vote), flooder);
    }
    assert_eq!(rig.node.buffered.len(), MAX_BUFFERED_PER_SENDER);
    // Dropped once they are older than the buffer's age bound.
    rig.head(B.0 + 2 + MAX_BUFFER_AGE_BLOCKS);
    assert_eq!(rig.node.buffered.len(), 0);
}

/// An epoch restored after a restart replays its stored task and votes
/// (writing none of them again) and forms its certificate again.
#[test]
fn a_restored_epoch_picks_up_without_writing_again() {
    let mut rig = Rig::new(|v| v.performer(Round(1)).unwrap().address);
    let performer = rig.view.performer(Round(0)).unwrap().address;
    let msg = rig.task(rig.document(Round(0), &[]));
    let votes_in: Vec<VoteMsg> = rig
        .others(&[rig.me()])
        .into_iter()
        .map(|a| rig.vote(&msg, a, true))
        .collect();
    let _ = performer;
    rig.node.epochs.clear();
    rig.node.on_epoch_loaded(Loaded {
        head: B.0 + 1,
        view: rig.view.clone(),
        tasks: vec![Restored {
            task: msg.clone(),
            votes: votes_in,
            disputes: vec![],
        }],
        vote_equivocations: vec![],
    });
    let actions = rig.node.take_actions();
    assert!(
        !writes(&actions)
            .iter()
            .any(|w| matches!(w, Write::Task { .. } | Write::Vote { .. })),
        "{actions:?}"
    );
    let task_hash = msg.task_info().unwrap().task_hash();
    assert!(writes(&actions).contains(&&Write::Certificate {
        epoch_block: B,
        task_hash,
        approved: true
    }));
    assert_eq!(rig.node.epochs[&B].certified, Some(task_hash));
}

/// An epoch whose block was reorged away is forgotten, and the reorg
/// counted (the health endpoint then stops using hashes read before).
#[test]
fn a_reorged_epoch_is_dropped() {
    let mut rig = Rig::new(|v| v.performer(Round(0)).unwrap().address);
    rig.head(B.0 + 1);
    rig.node.on_epoch_dropped(B);
    assert!(rig.node.epochs.is_empty());
    assert_eq!(rig.node.status.read().unwrap().reorgs, 1);
    // A performed round of the dropped epoch is not gossiped.
    let msg = rig.task(rig.document(Round(0), &[]));
    let actions = rig.event(Event::Performed {
        epoch: B,
        msg: Box::new(msg),
        resumed: false,
    });
    assert!(actions.is_empty());
}

#[test]
fn retention_removes_the_vote_evidence_of_pruned_epochs_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.redb")).unwrap();
    let task_hash = B256::repeat_byte(0x11);
    for b in [EpochBlock(10), EpochBlock(100)] {
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
        vec![VoteEquivocation::key(EpochBlock(100), task_hash, 3)]
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
    let (view, signers, _) = view(4);
    let offender = view.order[1];
    let index_of = |id: u64| {
        let address = view.operators[&id].address;
        evidence_slot_index(&view, offender, address)
    };
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

/// A node signs one task per (epoch block, block hash, round), across
/// restarts: asked again, with another document (a re-perform, or an
/// amendment into that round), it returns the first signed message; for
/// another block hash (after a reorg) or round it signs anew; a store it
/// cannot read gets nothing signed.
#[test]
fn a_node_signs_one_task_per_round_and_block_hash() {
    let (view, signers, _) = view(4);
    let performer = view.performer(Round(0)).unwrap().address;
    let signer = signers.iter().find(|s| s.address() == performer).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.redb");
    let doc = |round: Round, hash: B256, missed: Vec<Address>| Document {
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
        let first =
            sign_own_task(&store, signer, &view, 1, doc(Round(0), view.hash, vec![])).unwrap();
        let again = sign_own_task(
            &store,
            signer,
            &view,
            1,
            doc(Round(0), view.hash, vec![other]),
        )
        .unwrap();
        assert_eq!(again, first, "a second, different task for the round");
        // An amendment into that round gets the task signed before.
        assert_eq!(
            amend(
                &store,
                signer,
                &view,
                1,
                doc(Round(0), view.hash, vec![other])
            ),
            Some((first.clone(), false))
        );
        first
    };
    // After a restart, still the first one.
    let store = Store::open(&path).unwrap();
    let restarted = sign_own_task(
        &store,
        signer,
        &view,
        1,
        doc(Round(0), view.hash, vec![other]),
    )
    .unwrap();
    assert_eq!(restarted, first);
    // Another round, or the same round of a reorged epoch block: new.
    let next = sign_own_task(
        &store,
        signer,
        &view,
        1,
        doc(Round(1), view.hash, vec![other]),
    )
    .unwrap();
    assert_ne!(next.task_info().unwrap(), first.task_info().unwrap());
    let reorged = B256::repeat_byte(0x42);
    let mut reorged_view = view.clone();
    reorged_view.hash = reorged;
    let after_reorg = sign_own_task(
        &store,
        signer,
        &reorged_view,
        1,
        doc(Round(0), reorged, vec![other]),
    )
    .unwrap();
    assert_eq!(after_reorg.document.epoch_block_hash, reorged);
    // A document for another epoch than the view it is signed in: refused.
    assert!(sign_own_task(&store, signer, &view, 1, doc(Round(3), reorged, vec![])).is_err());
    // An unreadable record: nothing is signed.
    store
        .set_meta(
            &signed_task_key(view.block, view.hash, Round(2)),
            b"not a task",
        )
        .unwrap();
    assert!(sign_own_task(&store, signer, &view, 1, doc(Round(2), view.hash, vec![])).is_err());
}

/// An amending performer counts only disputes that verify: disputes from
/// operators holding half the power, whose entries carry health proofs the
/// operator did not sign (or whose own signature is forged), are refused
/// and amend nothing; the same disputes signed correctly with the
/// operator's own proof make it amend. After a restart, only the stored
/// disputes that verify again are counted.
#[test]
fn an_amending_performer_counts_only_verified_disputes() {
    let mut rig = Rig::new(|v| v.performer(Round(0)).unwrap().address);
    let performer = rig.me();
    let down = rig.sampled_other_than(&[performer]);
    let msg = rig.task(rig.document(Round(0), &[down]));
    let task_hash = msg.task_info().unwrap().task_hash();
    let disputers: Vec<Address> = rig.others(&[performer, down]);
    assert_eq!(disputers.len(), 2); // half the power
    let dispute = |rig: &Rig, by: Address, signed_by: Address, proof: [u8; 65]| {
        let mut d = DisputeMsg {
            task_hash,
            epoch_block: B,
            round: Round(0),
            operator_id: rig.id(by),
            signature: [0; 65],
            entries: vec![DisputeEntry {
                operator: down,
                reason: DisputeReason::Reachable {
                    proof_signature: proof,
                },
            }],
        };
        d.sign(
            rig.view.chain_id,
            rig.view.attestation_center,
            &rig.signers[rig.index(signed_by)],
        )
        .unwrap();
        d
    };
    let forged: Vec<DisputeMsg> = disputers
        .iter()
        .map(|&a| dispute(&rig, a, a, rig.proof(down, a)))
        .collect();
    let forged_signature: Vec<DisputeMsg> = disputers
        .iter()
        .map(|&a| dispute(&rig, a, performer, rig.proof(down, down)))
        .collect();
    let honest: Vec<DisputeMsg> = disputers
        .iter()
        .map(|&a| dispute(&rig, a, a, rig.proof(down, down)))
        .collect();
    let amends = |actions: &[Action]| -> Vec<Document> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Amend { document, .. } => Some(document.clone()),
                _ => None,
            })
            .collect()
    };

    rig.head(B.0 + 1);
    rig.event(Event::Performed {
        epoch: B,
        msg: Box::new(msg.clone()),
        resumed: false,
    });
    for (d, &from) in forged.iter().zip(&disputers) {
        let (verdict, actions) = rig.gossip(Message::Dispute(d.clone()), from);
        assert_eq!(verdict, Verdict::Reject);
        assert!(actions.is_empty());
    }
    // Another variant from an operator whose dispute was refused is dropped
    // before any check (one refused dispute per operator and task costs the
    // receiver one verification).
    for (d, &from) in forged_signature.iter().zip(&disputers) {
        assert_eq!(
            rig.gossip(Message::Dispute(d.clone()), from).0,
            Verdict::Ignore
        );
    }
    assert!(
        amends(&rig.head(B.0 + 2)).is_empty(),
        "amended on unverified disputes"
    );

    // A fresh node: the signature forgeries alone are refused too.
    let mut fresh = Rig::new(|v| v.performer(Round(0)).unwrap().address);
    fresh.head(B.0 + 1);
    fresh.event(Event::Performed {
        epoch: B,
        msg: Box::new(msg.clone()),
        resumed: false,
    });
    for (d, &from) in forged_signature.iter().zip(&disputers) {
        assert_eq!(
            fresh.gossip(Message::Dispute(d.clone()), from).0,
            Verdict::Reject
        );
    }
    // The same power behind verified disputes (at a fresh node again):
    // the performer amends.
    let mut fresh = Rig::new(|v| v.performer(Round(0)).unwrap().address);
    fresh.head(B.0 + 1);
    fresh.event(Event::Performed {
        epoch: B,
        msg: Box::new(msg.clone()),
        resumed: false,
    });
    for (d, &from) in honest.iter().zip(&disputers) {
        let (verdict, actions) = fresh.gossip(Message::Dispute(d.clone()), from);
        assert_eq!(verdict, Verdict::Accept);
        assert!(matches!(writes(&actions)[..], [Write::Dispute { .. }]));
    }
    let amended = amends(&fresh.head(B.0 + 2));
    assert_eq!(amended.len(), 1);
    assert_eq!(amended[0].round, Round(1));
    let healed = amended[0]
        .sample
        .iter()
        .find(|e| e.operator == down)
        .unwrap();
    assert!(matches!(&healed.check, Check::Healthy(p) if p.signature == fresh.proof(down, down)));
    // Asked once only.
    assert!(amends(&fresh.head(B.0 + 3)).is_empty());

    // After a restart, only the disputes that verify come back: the store
    // also holds a forged dispute (as if stored unverified) and an unsigned
    // one of an earlier build.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store.redb")).unwrap();
    store
        .put_task(
            task_hash,
            B,
            Round(0),
            performer,
            &Message::Task(msg).encode(),
        )
        .unwrap();
    for d in &honest {
        store
            .put_dispute(
                task_hash,
                d.operator_id,
                &Message::Dispute(d.clone()).encode(),
            )
            .unwrap();
    }
    let down_id = fresh.id(down);
    let forged_stored = dispute(&fresh, down, down, fresh.proof(down, performer));
    store
        .put_dispute(
            task_hash,
            down_id,
            &Message::Dispute(forged_stored).encode(),
        )
        .unwrap();
    let mut legacy = Message::Dispute(honest[0].clone()).encode();
    legacy[1] = crate::wire::KIND_UNSIGNED_DISPUTE;
    store
        .put_dispute(task_hash, fresh.id(performer), &legacy)
        .unwrap();
    assert_eq!(store.disputes(task_hash).unwrap().len(), 4);
    let mut restarted = Rig::new(|v| v.performer(Round(0)).unwrap().address);
    restarted.node.epochs.clear();
    restarted.node.on_epoch_loaded(Loaded {
        head: B.0 + 1,
        view: fresh.view.clone(),
        tasks: restore(&store, &fresh.view),
        vote_equivocations: vec![],
    });
    let restored: Vec<u64> = restarted.node.epochs[&B].tasks[&task_hash]
        .disputes
        .keys()
        .copied()
        .collect();
    let mut verified: Vec<u64> = disputers.iter().map(|a| fresh.id(*a)).collect();
    verified.sort_unstable();
    assert_eq!(restored, verified);
}

/// Gossip that arrived before its epoch was loaded is handled at the head
/// the epoch is loaded at, and counts as seen when it arrived.
#[test]
fn gossip_buffered_before_its_epoch_is_handled_when_it_loads() {
    let mut rig = Rig::new(|v| v.performer(Round(1)).unwrap().address);
    rig.node.epochs.clear();
    rig.head(B.0 + 1);
    let performer = rig.view.performer(Round(0)).unwrap().address;
    let msg = rig.task(rig.document(Round(0), &[]));
    let (verdict, _) = rig.gossip(Message::Task(msg), performer);
    assert_eq!(verdict, Verdict::Ignore);
    assert_eq!(rig.node.buffered.len(), 1);
    rig.node.on_epoch_loaded(Loaded {
        head: B.0 + 2,
        view: rig.view.clone(),
        tasks: vec![],
        vote_equivocations: vec![],
    });
    assert_eq!(rig.node.epochs[&B].tasks.len(), 1);
    assert_eq!(
        rig.node.epochs[&B].seen.get(&Round(0)).map(|(_, at)| *at),
        Some(B.0 + 1)
    );
    assert!(matches!(
        writes(&rig.node.take_actions())[..],
        [Write::Task { .. }]
    ));
}

/// Checks made against a block reorged away are dropped: the new epoch at
/// that height re-checks for itself, and a stale failed perform does not
/// start the new epoch's round again.
#[test]
fn results_for_a_reorged_away_block_do_not_feed_the_new_epoch() {
    let mut rig = Rig::new(|v| v.performer(Round(1)).unwrap().address);
    rig.head(B.0 + 1);
    let old_hash = rig.view.hash;
    let performer = rig.view.performer(Round(0)).unwrap().address;
    let down = rig.sampled_other_than(&[rig.me(), performer]);
    rig.node.on_epoch_dropped(B);
    let mut new_view = rig.view.clone();
    new_view.hash = B256::repeat_byte(0xcc);
    rig.view = new_view.clone();
    rig.node.on_epoch_loaded(Loaded {
        head: B.0 + 1,
        view: new_view,
        tasks: vec![],
        vote_equivocations: vec![],
    });
    rig.node.take_actions();
    // The old branch's re-check ends: `down` failed against the old hash.
    let actions = rig.event(Event::Judged {
        epoch: B,
        hash: old_hash,
        task_hash: B256::repeat_byte(0x01),
        disputes: vec![],
        could_not_check: None,
        rechecks: vec![(down, None)],
    });
    assert!(actions.is_empty());
    let msg = rig.task(rig.document(Round(0), &[down]));
    let (verdict, actions) = rig.gossip(Message::Task(msg), performer);
    assert_eq!(verdict, Verdict::Accept);
    let requested: Vec<Address> = rechecks(&actions)
        .iter()
        .flatten()
        .map(|r| r.operator)
        .collect();
    assert_eq!(
        requested,
        vec![down],
        "the new branch re-checks `down` itself"
    );
}

/// A task for another hash of the epoch block is ignored before any
/// signature is checked, and never buffered, even before its round opens.
#[test]
fn tasks_for_another_block_hash_are_dropped_unbuffered() {
    let mut rig = Rig::new(|v| v.performer(Round(0)).unwrap().address);
    rig.head(B.0 + 1);
    let performer = rig.view.performer(Round(1)).unwrap().address;
    for i in 0..50u8 {
        let mut doc = rig.document(Round(1), &[]);
        doc.epoch_block_hash = B256::repeat_byte(i);
        // Not even validly signed: never looked at.
        let mut msg = rig.task(doc);
        msg.performer_signature = [i; 65];
        let (verdict, actions) = rig.gossip(Message::Task(msg), performer);
        assert_eq!(verdict, Verdict::Ignore);
        assert!(actions.is_empty());
    }
    assert_eq!(rig.node.buffered.len(), 0);
}

/// A node names as missed only performers of rounds it watched from their
/// start: after a (re)start in the middle of an epoch, it does not speak
/// for the rounds before.
#[test]
fn only_rounds_watched_from_their_start_can_be_named_missed() {
    let missed_at = |first_head: u64| {
        let mut rig = Rig::new(|v| v.performer(Round(2)).unwrap().address);
        // This run starts at `first_head` (the rig loaded the epoch at 0).
        rig.node.first_head = None;
        rig.head(first_head);
        let actions = rig.head(B.0 + 8); // round 2 opens at B.0 + 8
        let Some(Action::Perform(job)) = actions.iter().find(|a| matches!(a, Action::Perform(_)))
        else {
            panic!("round 2 not performed: {actions:?}");
        };
        let mut named = job.missed.clone();
        named.sort_unstable();
        (named, rig)
    };
    // Followed from the epoch's start: both silent performers named.
    let (named, rig) = missed_at(B.0);
    let mut both: Vec<Address> = [0, 1]
        .iter()
        .map(|r| rig.view.performer(Round(*r)).unwrap().address)
        .filter(|a| *a != rig.me())
        .collect();
    both.sort_unstable();
    both.dedup();
    assert_eq!(named, both);
    // Started during round 1: round 0 and round 1 opened before it.
    let (named, _) = missed_at(B.0 + 5);
    assert!(named.is_empty(), "{named:?}");
}

/// The same epoch loaded again keeps what the node holds of it.
#[test]
fn an_epoch_loaded_again_keeps_its_state() {
    let (mut rig, performer) = Rig::attester();
    let msg = rig.task(rig.document(Round(0), &[]));
    rig.gossip(Message::Task(msg), performer);
    rig.node.on_epoch_loaded(Loaded {
        head: B.0 + 1,
        view: rig.view.clone(),
        tasks: vec![],
        vote_equivocations: vec![],
    });
    assert_eq!(rig.node.epochs[&B].tasks.len(), 1);
}

/// A performer restarted in its round hands on the task it signed before,
/// without checking again, once that task is stored as accepted.
#[tokio::test]
async fn a_resumed_round_stores_the_own_task_before_handing_it_on() {
    let (view, signers, _) = view(4);
    let view = Arc::new(view);
    let performer = view.performer(Round(0)).unwrap().address;
    let signer = signers.iter().find(|s| s.address() == performer).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("store.redb")).unwrap());
    store.put_epoch(B, view.hash, b"{}").unwrap();
    let doc = Document {
        chain_id: view.chain_id,
        attestation_center: view.attestation_center,
        epoch_block: B,
        epoch_block_hash: view.hash,
        round: Round(0),
        performer,
        sample: vec![],
        missed_performers: vec![],
    };
    let signed = sign_own_task(&store, signer, &view, 1, doc).unwrap();
    let task_hash = signed.task_info().unwrap().task_hash();
    assert!(store.task(task_hash).unwrap().is_none());
    let job = super::action::PerformJob {
        view: Arc::clone(&view),
        round: Round(0),
        missed: vec![],
    };
    // No endpoint is reachable from here: nothing is checked.
    let checker = liveliness_health::Checker::new(liveliness_health::CheckerConfig::default());
    let event = super::performer::perform(
        job,
        checker,
        signer.clone(),
        Arc::clone(&store),
        1,
        crate::config::Misbehaviour::default(),
    )
    .await;
    let Event::Performed { msg, resumed, .. } = event else {
        panic!("not performed: {event:?}");
    };
    assert!(resumed);
    assert_eq!(*msg, signed);
    assert!(store.task(task_hash).unwrap().is_some());
}
