//! What the core asks the driver to do.

use crate::{epoch::EpochView, evidence::Evidence, wire::VoteMsg};
use alloy::primitives::{Address, B256};
use liveliness_chain::Certificate;
use liveliness_health::CheckRequest;
use liveliness_p2p::Topic;
use liveliness_primitives::{Document, EpochBlock, EpochNumber, Round};
use liveliness_store::Store;
use std::sync::Arc;

/// One thing for the driver to do. Actions are carried out in the order
/// they were queued; store writes one at a time, in that order.
#[derive(Debug)]
pub(crate) enum Action {
    /// Gossip an own message from head `not_before` until `expires`, kept
    /// in the outbox while it cannot go out; with `once`, tried once at the
    /// current head and never kept (misbehaviour's floods, which must not
    /// cost their sender retries).
    Publish {
        topic: Topic,
        bytes: Vec<u8>,
        not_before: u64,
        expires: u64,
        once: bool,
    },
    /// Write to the store.
    Persist(Write),
    /// Check the epoch's sample for a round this node performs; the result
    /// comes back as [`Event::Performed`](super::Event::Performed) or
    /// [`Event::PerformFailed`](super::Event::PerformFailed).
    Perform(PerformJob),
    /// Re-check a task's unhealthy entries; the result comes back as
    /// [`Event::Judged`](super::Event::Judged).
    Recheck(RecheckJob),
    /// Record an own vote (at most one per task round, across restarts,
    /// and only in the epoch stored for `epoch_block_hash`); the recorded
    /// vote comes back as [`Event::Voted`](super::Event::Voted).
    RecordVote {
        vote: VoteMsg,
        epoch_block_hash: B256,
    },
    /// Sign and record an amended task (at most one task of this node per
    /// round); it comes back as [`Event::Amended`](super::Event::Amended).
    Amend {
        view: Arc<EpochView>,
        document: Document,
    },
    /// Submit a certificate; the outcome comes back as
    /// [`Event::Submitted`](super::Event::Submitted).
    Submit {
        epoch_block: EpochBlock,
        epoch: EpochNumber,
        task_hash: B256,
        certificate: Box<Certificate>,
    },
    /// Prove an equivocation on chain; the outcome comes back as
    /// [`Event::EvidenceSubmitted`](super::Event::EvidenceSubmitted).
    Prove {
        key: String,
        evidence: Box<Evidence>,
    },
    /// Remove the stored epochs before `cutoff` (retention).
    Prune { cutoff: u64 },
}

/// A round to perform.
#[derive(Debug)]
pub(crate) struct PerformJob {
    pub(crate) view: Arc<EpochView>,
    pub(crate) round: Round,
    /// Earlier rounds' performers whose task this node did not see in time.
    pub(crate) missed: Vec<Address>,
}

/// A task's entries to re-check.
#[derive(Debug)]
pub(crate) struct RecheckJob {
    pub(crate) view: Arc<EpochView>,
    pub(crate) task_hash: B256,
    /// The unhealthy entries not re-checked yet this epoch.
    pub(crate) requests: Vec<CheckRequest>,
    /// Disputed entries already known (earlier re-checks, missed performers
    /// whose task was seen in time).
    pub(crate) known: Vec<crate::wire::DisputeEntry>,
}

/// One store write. Each is one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Write {
    /// An accepted task, its document and the health records it carries.
    Task {
        task_hash: B256,
        epoch_block: EpochBlock,
        epoch_block_hash: B256,
        round: Round,
        performer: Address,
        bytes: Vec<u8>,
        cid: String,
        document: Vec<u8>,
        health: Vec<(Address, Option<String>)>,
    },
    /// A verified vote.
    Vote {
        task_hash: B256,
        operator_id: u64,
        bytes: Vec<u8>,
    },
    /// A verified dispute.
    Dispute {
        task_hash: B256,
        operator_id: u64,
        bytes: Vec<u8>,
    },
    /// A certificate formed.
    Certificate {
        epoch_block: EpochBlock,
        task_hash: B256,
        approved: bool,
    },
    /// A keyed record (evidence, outcomes).
    Meta { key: String, value: Vec<u8> },
}

impl Write {
    /// The metrics label of a failed write.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Self::Task { .. } => "task",
            Self::Vote { .. } => "vote",
            Self::Dispute { .. } => "dispute",
            Self::Certificate { .. } => "certificate",
            Self::Meta { .. } => "meta",
        }
    }

    /// Carries the write out. A task of an epoch whose block was reorged
    /// away while the write waited is not written (logged, no error).
    pub(crate) fn apply(&self, store: &Store) -> Result<(), liveliness_store::Error> {
        match self.apply_inner(store) {
            Err(liveliness_store::Error::NotTheStoredEpoch { epoch_block, given }) => {
                tracing::debug!(%epoch_block, hash = %given, "not written: its epoch block was reorged away");
                Ok(())
            }
            other => other,
        }
    }

    fn apply_inner(&self, store: &Store) -> Result<(), liveliness_store::Error> {
        match self {
            Self::Task {
                task_hash,
                epoch_block,
                epoch_block_hash,
                round,
                performer,
                bytes,
                cid,
                document,
                health,
            } => store
                .put_accepted_task_in(
                    *epoch_block_hash,
                    &liveliness_store::AcceptedTask {
                        task_hash: *task_hash,
                        epoch_block: *epoch_block,
                        round: *round,
                        performer: *performer,
                        bytes,
                        cid,
                        document,
                        health: health.clone(),
                    },
                )
                .map(|_| ()),
            Self::Vote {
                task_hash,
                operator_id,
                bytes,
            } => store.put_vote(*task_hash, *operator_id, bytes).map(|_| ()),
            Self::Dispute {
                task_hash,
                operator_id,
                bytes,
            } => store
                .put_dispute(*task_hash, *operator_id, bytes)
                .map(|_| ()),
            Self::Certificate {
                epoch_block,
                task_hash,
                approved,
            } => store
                .put_certificate(*epoch_block, *task_hash, &[u8::from(*approved)])
                .map(|_| ()),
            Self::Meta { key, value } => store.set_meta(key, value).map(|_| ()),
        }
    }
}
