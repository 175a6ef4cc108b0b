//! The records the store keeps, and their encoding.
//!
//! The `bytes` of every record are opaque to the store: the node encodes
//! them. The other fields are the keys and state the store needs to keep its
//! invariants.

use alloy_primitives::{Address, B256};
use liveliness_primitives::{EpochBlock, Round};
use serde::{Deserialize, Serialize};

use crate::{
    codec::{DecodeError, Reader, TooLong, Writer},
    error::{Error, Result},
};

/// What a `put_*` call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PutOutcome {
    /// The record was new and is now stored.
    Inserted,
    /// A record under the same key was already stored and was kept as is
    /// (for votes and disputes: a duplicate `(task, operator)`).
    AlreadyKnown,
}

impl PutOutcome {
    /// Whether the record was new.
    pub const fn is_inserted(self) -> bool {
        matches!(self, Self::Inserted)
    }
}

/// An epoch the node acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// The epoch block `B`.
    pub epoch_block: EpochBlock,
    /// The hash of block `B` the epoch was derived from.
    pub block_hash: B256,
    /// The node's encoding of the epoch.
    pub bytes: Vec<u8>,
}

/// A task seen in gossip or performed by the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The task hash.
    pub task_hash: B256,
    /// The task's epoch block.
    pub epoch_block: EpochBlock,
    /// The performer round.
    pub round: Round,
    /// The performer that signed it.
    pub performer: Address,
    /// The node's encoding of the task.
    pub bytes: Vec<u8>,
}

/// The node's own vote for a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnVoteRecord {
    /// The task's epoch block.
    pub epoch_block: EpochBlock,
    /// The performer round.
    pub round: Round,
    /// The task voted on.
    pub task_hash: B256,
    /// The signed vote as the node gossips it.
    pub bytes: Vec<u8>,
}

/// The outcome of [`Store::record_own_vote`](crate::Store::record_own_vote).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OwnVote {
    /// The vote is recorded: sign nothing else for this task or round.
    Recorded,
    /// The node already voted for this task or in this `(epoch, round)`:
    /// here is that vote, to gossip again instead of signing a new one.
    AlreadyVoted(OwnVoteRecord),
}

/// A vote received from an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteRecord {
    /// The task voted on.
    pub task_hash: B256,
    /// The voting operator.
    pub operator_id: u64,
    /// The vote as received.
    pub bytes: Vec<u8>,
}

/// A dispute received from an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeRecord {
    /// The disputed task.
    pub task_hash: B256,
    /// The disputing operator.
    pub operator_id: u64,
    /// The dispute as received.
    pub bytes: Vec<u8>,
}

/// An aggregated quorum for an epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRecord {
    /// The epoch block.
    pub epoch_block: EpochBlock,
    /// The certified task.
    pub task_hash: B256,
    /// The node's encoding of the certificate.
    pub bytes: Vec<u8>,
}

/// How an on-chain submission ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SubmissionStatus {
    /// The node's transaction landed and succeeded.
    Landed,
    /// The node's transaction landed and reverted.
    Reverted,
    /// Another node submitted the task first.
    AlreadySubmittedByOther,
}

/// The final outcome of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionOutcome {
    /// How it ended.
    pub status: SubmissionStatus,
    /// The transaction that decided it, if known.
    pub tx_hash: Option<B256>,
    /// The block it landed in, if known.
    pub block: Option<u64>,
    /// Gas the node's transaction used, if it sent one.
    pub gas_used: Option<u64>,
}

/// What [`Store::begin_submission`](crate::Store::begin_submission) found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubmissionClaim {
    /// Nobody had claimed the task: the caller now holds the claim.
    Begun,
    /// A claim left by an earlier run of the node (before a restart) is now
    /// the caller's. If `tx_hash` is set, that transaction may be pending or
    /// mined: look it up before sending anything.
    Resumed {
        /// The transaction recorded before the restart.
        tx_hash: Option<B256>,
    },
    /// Someone in this run holds the claim: do not submit.
    InProgress {
        /// The transaction recorded so far.
        tx_hash: Option<B256>,
    },
    /// The submission is over.
    Done(SubmissionOutcome),
}

/// The state of a task's submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Submission {
    /// Claimed and not finished.
    InProgress {
        /// The transaction recorded so far.
        tx_hash: Option<B256>,
        /// Whether the claim was made before the last restart.
        before_restart: bool,
    },
    /// Finished.
    Done(SubmissionOutcome),
}

/// One health observation of an operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthRecord {
    /// The epoch block the check was for.
    pub epoch_block: EpochBlock,
    /// The operator checked.
    pub operator: Address,
    /// The verdict.
    pub healthy: bool,
    /// The fixed failure reason, if unhealthy.
    pub reason: Option<String>,
}

/// What [`Store::drop_epoch`](crate::Store::drop_epoch) removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedEpoch {
    /// Whether the epoch record itself was stored.
    pub epoch: bool,
    /// Tasks of the epoch.
    pub tasks: u64,
    /// Votes received for those tasks.
    pub votes: u64,
    /// Disputes received for those tasks.
    pub disputes: u64,
    /// Submissions of those tasks.
    pub submissions: u64,
    /// The node's own votes in the epoch.
    pub own_votes: u64,
    /// Whether a certificate was stored.
    pub certificate: bool,
    /// Health observations for the epoch.
    pub health: u64,
}

/// A submission as stored: the run that claimed it decides whether a later
/// claim resumes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredSubmission {
    InProgress { run: u64, tx_hash: Option<B256> },
    Done(SubmissionOutcome),
}

/// A record with a stored encoding.
pub(crate) trait Record: Sized {
    /// Name used in errors.
    const NAME: &'static str;

    fn write(&self, w: &mut Writer) -> Result<(), TooLong>;

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    fn encode(&self) -> Result<Vec<u8>> {
        let mut w = Writer::new();
        self.write(&mut w).map_err(|TooLong(len)| Error::TooLarge {
            field: Self::NAME,
            len,
        })?;
        Ok(w.finish())
    }

    fn decode(value: &[u8]) -> Result<Self> {
        let read = || {
            let mut r = Reader::new(value)?;
            let record = Self::read(&mut r)?;
            r.finish()?;
            Ok(record)
        };
        read().map_err(|source| Error::Decode {
            record: Self::NAME,
            source,
        })
    }
}

/// Opaque bytes (documents, meta values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blob(pub(crate) Vec<u8>);

impl Record for Blob {
    const NAME: &'static str = "blob";

    fn write(&self, w: &mut Writer) -> Result<(), TooLong> {
        w.bytes(&self.0).map(drop)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.bytes("bytes").map(Self)
    }
}

impl Record for EpochRecord {
    const NAME: &'static str = "epoch";

    fn write(&self, w: &mut Writer) -> Result<(), TooLong> {
        w.u64(self.epoch_block.0)
            .b256(&self.block_hash)
            .bytes(&self.bytes)
            .map(drop)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            epoch_block: EpochBlock(r.u64("epoch_block")?),
            block_hash: r.b256("block_hash")?,
            bytes: r.bytes("bytes")?,
        })
    }
}

impl Record for TaskRecord {
    const NAME: &'static str = "task";

    fn write(&self, w: &mut Writer) -> Result<(), TooLong> {
        w.b256(&self.task_hash)
            .u64(self.epoch_block.0)
            .u32(self.round.0)
            .address(&self.performer)
            .bytes(&self.bytes)
            .map(drop)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            task_hash: r.b256("task_hash")?,
            epoch_block: EpochBlock(r.u64("epoch_block")?),
            round: Round(r.u32("round")?),
            performer: r.address("performer")?,
            bytes: r.bytes("bytes")?,
        })
    }
}

impl Record for OwnVoteRecord {
    const NAME: &'static str = "own vote";

    fn write(&self, w: &mut Writer) -> Result<(), TooLong> {
        w.u64(self.epoch_block.0)
            .u32(self.round.0)
            .b256(&self.task_hash)
            .bytes(&self.bytes)
            .map(drop)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            epoch_block: EpochBlock(r.u64("epoch_block")?),
            round: Round(r.u32("round")?),
            task_hash: r.b256("task_hash")?,
            bytes: r.bytes("bytes")?,
        })
    }
}

impl Record for VoteRecord {
    const NAME: &'static str = "vote";

    fn write(&self, w: &mut Writer) -> Result<(), TooLong> {
        w.b256(&self.task_hash)
            .u64(self.operator_id)
            .bytes(&self.bytes)
            .map(drop)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            task_hash: r.b256("task_hash")?,
            operator_id: r.u64("operator_id")?,
            bytes: r.bytes("bytes")?,
        })
    }
}

impl Record for DisputeRecord {
    const NAME: &'static str = "dispute";

    fn write(&self, w: &mut Writer) -> Result<(), TooLong> {
        w.b256(&self.task_hash)
            .u64(self.operator_id)
            .bytes(&self.bytes)
            .map(drop)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            task_hash: r.b256("task_hash")?,
            operator_id: r.u64("operator_id")?,
            bytes: r.bytes("bytes")?,
        })
    }
}

impl Record for CertificateRecord {
    const NAME: &'static str = "certificate";

    fn write(&self, w: &mut Writer) -> Result<(), TooLong> {
        w.u64(self.epoch_block.0)
            .b256(&self.task_hash)
            .bytes(&self.bytes)
            .map(drop)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            epoch_block: EpochBlock(r.u64("epoch_block")?),
            task_hash: r.b256("task_hash")?,
            bytes: r.bytes("bytes")?,
        })
    }
}

const SUBMISSION_IN_PROGRESS: u8 = 0;
const SUBMISSION_DONE: u8 = 1;

const STATUS_LANDED: u8 = 0;
const STATUS_REVERTED: u8 = 1;
const STATUS_BY_OTHER: u8 = 2;

impl Record for StoredSubmission {
    const NAME: &'static str = "submission";

    fn write(&self, w: &mut Writer) -> Result<(), TooLong> {
        match self {
            Self::InProgress { run, tx_hash } => {
                w.u8(SUBMISSION_IN_PROGRESS)
                    .u64(*run)
                    .opt_b256(tx_hash.as_ref());
            }
            Self::Done(outcome) => {
                let status = match outcome.status {
                    SubmissionStatus::Landed => STATUS_LANDED,
                    SubmissionStatus::Reverted => STATUS_REVERTED,
                    SubmissionStatus::AlreadySubmittedByOther => STATUS_BY_OTHER,
                };
                w.u8(SUBMISSION_DONE)
                    .u8(status)
                    .opt_b256(outcome.tx_hash.as_ref())
                    .opt_u64(outcome.block)
                    .opt_u64(outcome.gas_used);
            }
        }
        Ok(())
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        match r.u8("state")? {
            SUBMISSION_IN_PROGRESS => Ok(Self::InProgress {
                run: r.u64("run")?,
                tx_hash: r.opt_b256("tx_hash")?,
            }),
            SUBMISSION_DONE => {
                let status = match r.u8("status")? {
                    STATUS_LANDED => SubmissionStatus::Landed,
                    STATUS_REVERTED => SubmissionStatus::Reverted,
                    STATUS_BY_OTHER => SubmissionStatus::AlreadySubmittedByOther,
                    tag => {
                        return Err(DecodeError::InvalidTag {
                            field: "status",
                            tag,
                        })
                    }
                };
                Ok(Self::Done(SubmissionOutcome {
                    status,
                    tx_hash: r.opt_b256("tx_hash")?,
                    block: r.opt_u64("block")?,
                    gas_used: r.opt_u64("gas_used")?,
                }))
            }
            tag => Err(DecodeError::InvalidTag {
                field: "state",
                tag,
            }),
        }
    }
}

impl Record for HealthRecord {
    const NAME: &'static str = "health";

    fn write(&self, w: &mut Writer) -> Result<(), TooLong> {
        w.u64(self.epoch_block.0)
            .address(&self.operator)
            .bool(self.healthy)
            .opt_str(self.reason.as_deref())
            .map(drop)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            epoch_block: EpochBlock(r.u64("epoch_block")?),
            operator: r.address("operator")?,
            healthy: r.bool("healthy")?,
            reason: r.opt_string("reason")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submission_round_trips() {
        let records = [
            StoredSubmission::InProgress {
                run: 3,
                tx_hash: None,
            },
            StoredSubmission::InProgress {
                run: 4,
                tx_hash: Some(B256::repeat_byte(9)),
            },
            StoredSubmission::Done(SubmissionOutcome {
                status: SubmissionStatus::AlreadySubmittedByOther,
                tx_hash: None,
                block: Some(12),
                gas_used: None,
            }),
        ];
        for record in records {
            let bytes = record.encode().unwrap();
            assert_eq!(StoredSubmission::decode(&bytes).unwrap(), record);
        }
    }

    #[test]
    fn decode_names_the_record() {
        let err = TaskRecord::decode(&[1, 2, 3]).unwrap_err();
        assert!(matches!(err, Error::Decode { record: "task", .. }));
    }
}
