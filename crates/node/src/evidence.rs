//! Equivocation evidence a node keeps: two different tasks one performer
//! signed for one `(epoch, round)` (PROTOCOL.md §11.4 step 7), and one
//! operator's approve and reject votes on one task (§11.5). The messages are
//! kept whole, so that anyone can re-check the signatures.

use crate::wire::{Message, TaskMsg, VoteMsg};
use alloy_primitives::{Address, B256};
use liveliness_primitives::{EpochBlock, Round};

/// Store meta key prefix of task equivocations.
pub const TASK_EQUIVOCATION_PREFIX: &str = "equivocation/task/";
/// Store meta key prefix of vote equivocations.
pub const VOTE_EQUIVOCATION_PREFIX: &str = "equivocation/vote/";
/// Store meta key prefix of the outcomes of this node's submissions of vote
/// equivocations (a [`EvidenceOutcome`] label each).
pub const VOTE_EVIDENCE_SUBMITTED_PREFIX: &str = "evidence-submitted/vote/";
/// Store meta key prefix of the outcomes of this node's submissions of task
/// equivocations (a [`EvidenceOutcome`] label each).
pub const TASK_EVIDENCE_SUBMITTED_PREFIX: &str = "evidence-submitted/task/";

/// Two different tasks signed by one performer for one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskEquivocation {
    /// The task seen first.
    pub first: TaskMsg,
    /// The different task seen next.
    pub second: TaskMsg,
}

impl TaskEquivocation {
    /// The store key of the evidence against `performer` for `round` of the
    /// epoch at `epoch_block`.
    pub fn key(epoch_block: EpochBlock, round: Round, performer: Address) -> String {
        format!("{TASK_EQUIVOCATION_PREFIX}{epoch_block}/{round}/{performer:#x}")
    }

    /// Both task messages (§9.5 encoding), each prefixed with its length as
    /// a big-endian u32.
    pub fn encode(&self) -> Vec<u8> {
        encode_parts([
            Message::Task(self.first.clone()).encode(),
            Message::Task(self.second.clone()).encode(),
        ])
    }

    /// Reads what [`encode`](Self::encode) wrote; `None` if the bytes are not
    /// exactly two task messages.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (first, rest) = take_task(bytes)?;
        let (second, rest) = take_task(rest)?;
        rest.is_empty().then_some(Self { first, second })
    }

    /// The hashes of the two tasks, first seen first.
    pub fn task_hashes(&self) -> Option<[B256; 2]> {
        let hash = |m: &TaskMsg| m.task_info().ok().map(|t| t.task_hash());
        Some([hash(&self.first)?, hash(&self.second)?])
    }

    /// The epoch block both tasks name.
    pub fn epoch_block(&self) -> EpochBlock {
        self.first.document.epoch_block
    }

    /// The store key of this evidence.
    pub fn store_key(&self) -> String {
        Self::key(
            self.first.document.epoch_block,
            self.first.document.round,
            self.first.document.performer,
        )
    }

    /// The store key of the outcome of this node's submission of it.
    pub fn submitted_key(&self) -> String {
        let d = &self.first.document;
        format!(
            "{TASK_EVIDENCE_SUBMITTED_PREFIX}{}/{}/{:#x}",
            d.epoch_block, d.round, d.performer
        )
    }

    /// The arguments of `proveTaskEquivocation`; `None` unless both tasks
    /// are well formed, of one performer, epoch block and round, and
    /// different.
    pub fn to_chain(&self) -> Option<liveliness_chain::TaskEquivocation> {
        let (a, b) = (&self.first.document, &self.second.document);
        if a.performer != b.performer
            || a.epoch_block != b.epoch_block
            || a.epoch_block_hash != b.epoch_block_hash
            || a.round != b.round
        {
            return None;
        }
        let [task_hash_a, task_hash_b] = self.task_hashes()?;
        (task_hash_a != task_hash_b).then_some(())?;
        Some(liveliness_chain::TaskEquivocation {
            performer: a.performer,
            epoch_block: a.epoch_block,
            epoch_block_hash: a.epoch_block_hash,
            round: a.round,
            task_hash_a,
            signature_a: self.first.performer_signature,
            task_hash_b,
            signature_b: self.second.performer_signature,
        })
    }
}

/// Evidence this node proves on chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// Two tasks of one performer for one round.
    Task(TaskEquivocation),
    /// Opposite votes of one operator on one task.
    Vote(VoteEquivocation),
}

impl Evidence {
    /// `task` or `vote`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Task(_) => "task",
            Self::Vote(_) => "vote",
        }
    }

    /// The store key of the outcome of this node's submission of it.
    pub fn submitted_key(&self) -> String {
        match self {
            Self::Task(e) => e.submitted_key(),
            Self::Vote(e) => e.submitted_key(),
        }
    }

    /// The epoch block of the offence.
    pub fn epoch_block(&self) -> EpochBlock {
        match self {
            Self::Task(e) => e.epoch_block(),
            Self::Vote(e) => e.epoch_block(),
        }
    }
}

/// One operator's approve and reject votes on one task, both valid: what
/// `AttestationCenter.proveVoteEquivocation` needs, with the task message so
/// that anyone can recompute the task and check both signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoteEquivocation {
    /// The task both votes are on.
    pub task: TaskMsg,
    /// The operator's approve vote.
    pub approve: VoteMsg,
    /// The operator's reject vote.
    pub reject: VoteMsg,
}

impl VoteEquivocation {
    /// The pair of `earlier` and `later` (one approve, one reject, in either
    /// order) on `task`; `None` unless both are votes of one operator on that
    /// task at one epoch block, for opposite outcomes. Signatures are not
    /// checked here.
    pub fn new(task: TaskMsg, earlier: VoteMsg, later: VoteMsg) -> Option<Self> {
        let (approve, reject) = if earlier.is_approved {
            (earlier, later)
        } else {
            (later, earlier)
        };
        let e = Self {
            task,
            approve,
            reject,
        };
        e.is_consistent().then_some(e)
    }

    fn is_consistent(&self) -> bool {
        let (a, r) = (&self.approve, &self.reject);
        let Ok(info) = self.task.task_info() else {
            return false;
        };
        let task_hash = info.task_hash();
        a.is_approved
            && !r.is_approved
            && a.operator_id == r.operator_id
            && a.task_hash == task_hash
            && r.task_hash == task_hash
            && a.epoch_block == self.task.document.epoch_block
            && r.epoch_block == self.task.document.epoch_block
            && a.round == self.task.document.round
            && a.round == r.round
    }

    /// The store key of the evidence against `operator_id` on the task
    /// `task_hash` of the epoch at `epoch_block`.
    pub fn key(epoch_block: EpochBlock, task_hash: B256, operator_id: u64) -> String {
        format!("{VOTE_EQUIVOCATION_PREFIX}{epoch_block}/{task_hash:#x}/{operator_id}")
    }

    /// The store key of this evidence.
    pub fn store_key(&self) -> String {
        Self::key(
            self.approve.epoch_block,
            self.approve.task_hash,
            self.approve.operator_id,
        )
    }

    /// The store key of the outcome of this node's submission of it.
    pub fn submitted_key(&self) -> String {
        format!(
            "{VOTE_EVIDENCE_SUBMITTED_PREFIX}{}/{:#x}/{}",
            self.approve.epoch_block, self.approve.task_hash, self.approve.operator_id
        )
    }

    /// The operator that signed both votes.
    pub fn operator_id(&self) -> u64 {
        self.approve.operator_id
    }

    /// The epoch block: the reference block both votes name.
    pub fn epoch_block(&self) -> EpochBlock {
        self.approve.epoch_block
    }

    /// The task's hash.
    pub fn task_hash(&self) -> B256 {
        self.approve.task_hash
    }

    /// The arguments of `proveVoteEquivocation`.
    pub fn to_chain(&self) -> Option<liveliness_chain::VoteEquivocation> {
        Some(liveliness_chain::VoteEquivocation {
            task: self.task.task_info().ok()?,
            reference_block: self.epoch_block(),
            operator_id: self.operator_id(),
            approve: self.approve.signature,
            reject: self.reject.signature,
        })
    }

    /// The task message, the approve vote and the reject vote (§9.5
    /// encoding), each prefixed with its length as a big-endian u32.
    pub fn encode(&self) -> Vec<u8> {
        encode_parts([
            Message::Task(self.task.clone()).encode(),
            Message::Vote(self.approve.clone()).encode(),
            Message::Vote(self.reject.clone()).encode(),
        ])
    }

    /// Reads what [`encode`](Self::encode) wrote; `None` if the bytes are not
    /// exactly a task and two opposite votes of one operator on it.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (task, rest) = take_task(bytes)?;
        let (approve, rest) = take_vote(rest)?;
        let (reject, rest) = take_vote(rest)?;
        let e = Self {
            task,
            approve,
            reject,
        };
        (rest.is_empty() && e.is_consistent()).then_some(e)
    }
}

/// What became of this node's submission of a piece of evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceOutcome {
    /// Our transaction proved it.
    Landed,
    /// It was already proven (by another node).
    AlreadyProven,
    /// The contract refused it for good (e.g. the operator was not active at
    /// the reference block), or our transaction reverted.
    Refused,
    /// Given up after repeated failures.
    GaveUp,
}

impl EvidenceOutcome {
    /// The metric and store label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Landed => "landed",
            Self::AlreadyProven => "duplicate",
            Self::Refused => "reverted",
            Self::GaveUp => "gave_up",
        }
    }

    /// Reads a stored label.
    pub fn from_label(label: &[u8]) -> Option<Self> {
        [
            Self::Landed,
            Self::AlreadyProven,
            Self::Refused,
            Self::GaveUp,
        ]
        .into_iter()
        .find(|o| o.label().as_bytes() == label)
    }
}

fn encode_parts<const N: usize>(parts: [Vec<u8>; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    for part in parts {
        // Messages are bounded far below 4 GiB (MAX_DOCUMENT_BYTES).
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&part);
    }
    out
}

fn take_message(bytes: &[u8]) -> Option<(Message, &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    let (msg, rest) = rest.split_at(len);
    Some((Message::decode(msg).ok()?, rest))
}

fn take_task(bytes: &[u8]) -> Option<(TaskMsg, &[u8])> {
    match take_message(bytes)? {
        (Message::Task(t), rest) => Some((t, rest)),
        _ => None,
    }
}

fn take_vote(bytes: &[u8]) -> Option<(VoteMsg, &[u8])> {
    match take_message(bytes)? {
        (Message::Vote(v), rest) => Some((v, rest)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use liveliness_primitives::{Check, Document, FailureReason, SampleEntry};

    fn task(reason: FailureReason) -> TaskMsg {
        let doc = Document {
            chain_id: 31337,
            attestation_center: address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
            epoch_block: EpochBlock(120),
            epoch_block_hash: B256::repeat_byte(3),
            round: Round(1),
            performer: address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
            sample: vec![SampleEntry {
                operator: address!("0x000000000000000000000000000000000000dEaD"),
                operator_id: 3,
                endpoint: "http://dead.example/".into(),
                check: Check::Unhealthy(reason),
            }],
            missed_performers: vec![],
        };
        TaskMsg::new(1, [7; 65], doc).unwrap()
    }

    #[test]
    fn evidence_round_trips_and_names_both_tasks() {
        let e = TaskEquivocation {
            first: task(FailureReason::Timeout),
            second: task(FailureReason::Refused),
        };
        let bytes = e.encode();
        assert_eq!(TaskEquivocation::decode(&bytes), Some(e.clone()));
        let [a, b] = e.task_hashes().unwrap();
        assert_ne!(a, b);
        assert_eq!(a, e.first.task_info().unwrap().task_hash());
    }

    #[test]
    fn anything_but_exactly_two_tasks_is_refused() {
        let e = TaskEquivocation {
            first: task(FailureReason::Timeout),
            second: task(FailureReason::Refused),
        };
        let bytes = e.encode();
        for cut in [0, 3, 4, 10, bytes.len() - 1] {
            assert_eq!(
                TaskEquivocation::decode(&bytes[..cut]),
                None,
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(TaskEquivocation::decode(&longer), None);
        let mut lying_length = bytes;
        lying_length[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(TaskEquivocation::decode(&lying_length), None);
    }

    fn votes(task: &TaskMsg) -> (VoteMsg, VoteMsg) {
        let keys = liveliness_bls::KeyPair::random(&mut rand::rngs::OsRng);
        let info = task.task_info().unwrap();
        let ac = task.document.attestation_center;
        let b = task.document.epoch_block;
        let vote = |approve: bool| VoteMsg {
            task_hash: info.task_hash(),
            epoch_block: b,
            round: Round(1),
            operator_id: 4,
            is_approved: approve,
            signature: keys.sign(&info.vote_hash(ac, 31337, approve, b)),
        };
        (vote(true), vote(false))
    }

    #[test]
    fn vote_evidence_round_trips_in_either_arrival_order() {
        let t = task(FailureReason::Timeout);
        let (approve, reject) = votes(&t);
        let e = VoteEquivocation::new(t.clone(), reject.clone(), approve.clone()).unwrap();
        assert_eq!(e.approve, approve);
        assert_eq!(e.reject, reject);
        assert_eq!(
            VoteEquivocation::new(t.clone(), approve.clone(), reject.clone()),
            Some(e.clone())
        );
        let bytes = e.encode();
        assert_eq!(VoteEquivocation::decode(&bytes), Some(e.clone()));
        for cut in [0, 4, 10, bytes.len() - 1] {
            assert_eq!(VoteEquivocation::decode(&bytes[..cut]), None, "cut {cut}");
        }
        let chain = e.to_chain().unwrap();
        assert_eq!(chain.reference_block, EpochBlock(120));
        assert_eq!(chain.operator_id, 4);
        assert_eq!(chain.task.task_hash(), t.task_info().unwrap().task_hash());
        assert_eq!(chain.approve, approve.signature);
        assert_eq!(chain.reject, reject.signature);
        assert_eq!(
            e.store_key(),
            format!(
                "equivocation/vote/120/{:#x}/4",
                t.task_info().unwrap().task_hash()
            )
        );
        assert!(e.store_key().starts_with(VOTE_EQUIVOCATION_PREFIX));
        assert!(!e.submitted_key().starts_with(VOTE_EQUIVOCATION_PREFIX));
    }

    #[test]
    fn votes_that_are_no_equivocation_are_refused() {
        let t = task(FailureReason::Timeout);
        let (approve, reject) = votes(&t);
        // Same verdict twice.
        assert_eq!(
            VoteEquivocation::new(t.clone(), approve.clone(), approve.clone()),
            None
        );
        assert_eq!(
            VoteEquivocation::new(t.clone(), reject.clone(), reject.clone()),
            None
        );
        // Two operators.
        let mut other = reject.clone();
        other.operator_id = 5;
        assert_eq!(
            VoteEquivocation::new(t.clone(), approve.clone(), other),
            None
        );
        // Another task.
        let other_task = task(FailureReason::Refused);
        assert_eq!(
            VoteEquivocation::new(other_task.clone(), approve.clone(), reject.clone()),
            None
        );
        // Another epoch block.
        let mut moved = reject.clone();
        moved.epoch_block = EpochBlock(240);
        assert_eq!(
            VoteEquivocation::new(t.clone(), approve.clone(), moved),
            None
        );
        // Decoding re-checks it: a stored pair with the votes swapped.
        let swapped = encode_parts([
            Message::Task(t).encode(),
            Message::Vote(reject).encode(),
            Message::Vote(approve).encode(),
        ]);
        assert_eq!(VoteEquivocation::decode(&swapped), None);
    }

    #[test]
    fn evidence_outcomes_round_trip_their_labels() {
        for o in [
            EvidenceOutcome::Landed,
            EvidenceOutcome::AlreadyProven,
            EvidenceOutcome::Refused,
            EvidenceOutcome::GaveUp,
        ] {
            assert_eq!(EvidenceOutcome::from_label(o.label().as_bytes()), Some(o));
        }
        assert_eq!(EvidenceOutcome::from_label(b"pending"), None);
    }

    #[test]
    fn keys_sort_under_one_prefix() {
        let k = TaskEquivocation::key(
            EpochBlock(120),
            Round(2),
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        );
        assert_eq!(
            k,
            "equivocation/task/120/2/0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
        );
        assert!(k.starts_with(TASK_EQUIVOCATION_PREFIX));
    }
}
