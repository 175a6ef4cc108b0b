//! [`Store`]: the operations, each one redb transaction.

use std::{borrow::Borrow, fmt, path::Path, sync::Arc};

use alloy_primitives::{Address, B256};
use liveliness_primitives::{EpochBlock, Round};
use redb::{
    Database, Key, Range, ReadTransaction, ReadableDatabase, ReadableTable, Table, TableDefinition,
    Value, WriteTransaction,
};

use crate::{
    error::{Error, Result},
    records::{
        Blob, CertificateRecord, DisputeRecord, DroppedEpoch, EpochRecord, HealthRecord, OwnVote,
        OwnVoteRecord, PutOutcome, Record, StoredSubmission, Submission, SubmissionClaim,
        SubmissionOutcome, TaskRecord, VoteRecord,
    },
    tables::{
        CERTIFICATES, DISPUTES, DOCUMENTS, EPOCHS, HEALTH, HEALTH_BY_EPOCH, META, OWN_VOTES,
        OWN_VOTES_SIGNED, OWN_VOTE_BY_TASK, RUN_KEY, SCHEMA, SCHEMA_VERSION, SCHEMA_VERSION_KEY,
        SUBMISSIONS, TASKS, TASKS_BY_ROUND, VOTES,
    },
};

const HASH_MIN: [u8; 32] = [0; 32];
const HASH_MAX: [u8; 32] = [0xff; 32];
const ADDRESS_MIN: [u8; 20] = [0; 20];
const ADDRESS_MAX: [u8; 20] = [0xff; 20];

/// The node's embedded store. Cheap to clone; clones share one database.
///
/// Every method runs one redb transaction and blocks on disk I/O (a write
/// waits for the commit to reach the disk), so async code calls it from a
/// blocking task. Writes are serialized by redb; reads see the last commit.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    /// This run's number: how many times the file has been opened.
    run: u64,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("run", &self.inner.run)
            .finish_non_exhaustive()
    }
}

/// Whether a write transaction changed anything worth committing.
/// What accepting a task stores ([`Store::put_accepted_task`]).
#[derive(Clone, Debug)]
pub struct AcceptedTask<'a> {
    /// The task's hash.
    pub task_hash: B256,
    /// Its epoch block.
    pub epoch_block: EpochBlock,
    /// Its round.
    pub round: Round,
    /// Its performer.
    pub performer: Address,
    /// The task message as received.
    pub bytes: &'a [u8],
    /// The document's CID.
    pub cid: &'a str,
    /// The document's bytes.
    pub document: &'a [u8],
    /// Health observations to record for the epoch: each operator with the
    /// failure reason, `None` when healthy.
    pub health: Vec<(Address, Option<String>)>,
}

enum Tx<T> {
    Commit(T),
    Abort(T),
}

impl Store {
    /// Opens the database at `path`, creating the file and its tables if
    /// needed, and starts a new run (see [`Store::begin_submission`]).
    ///
    /// Fails if another `Store` (in this or another process) has the file
    /// open, or if the file was written with another schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let db = Database::create(path.as_ref())?;
        let txn = db.begin_write()?;
        let run = {
            let mut schema = txn.open_table(SCHEMA)?;
            let found = schema.get(SCHEMA_VERSION_KEY)?.map(|v| v.value());
            match found {
                None => {
                    schema.insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION)?;
                }
                Some(SCHEMA_VERSION) => {}
                Some(found) => {
                    return Err(Error::SchemaMismatch {
                        found,
                        expected: SCHEMA_VERSION,
                    })
                }
            }
            let previous = schema.get(RUN_KEY)?.map_or(0, |v| v.value());
            let run = previous.saturating_add(1);
            schema.insert(RUN_KEY, run)?;
            run
        };
        txn.open_table(EPOCHS)?;
        txn.open_table(DOCUMENTS)?;
        txn.open_table(TASKS)?;
        txn.open_table(TASKS_BY_ROUND)?;
        txn.open_table(OWN_VOTES)?;
        txn.open_table(OWN_VOTE_BY_TASK)?;
        txn.open_table(OWN_VOTES_SIGNED)?;
        txn.open_table(VOTES)?;
        txn.open_table(DISPUTES)?;
        txn.open_table(CERTIFICATES)?;
        txn.open_table(SUBMISSIONS)?;
        txn.open_table(HEALTH)?;
        txn.open_table(HEALTH_BY_EPOCH)?;
        txn.open_table(META)?;
        txn.commit()?;
        Ok(Self {
            inner: Arc::new(Inner { db, run }),
        })
    }

    /// This run's number: 1 for the first open of the file, then one more
    /// for every reopen.
    pub fn run(&self) -> u64 {
        self.inner.run
    }

    fn read<T>(&self, f: impl FnOnce(&ReadTransaction) -> Result<T>) -> Result<T> {
        let txn = self.inner.db.begin_read()?;
        f(&txn)
    }

    /// Runs `f` in one write transaction. An error from `f` drops the
    /// transaction, so none of its writes happen.
    fn write<T>(&self, f: impl FnOnce(&WriteTransaction) -> Result<Tx<T>>) -> Result<T> {
        let txn = self.inner.db.begin_write()?;
        match f(&txn)? {
            Tx::Commit(out) => {
                txn.commit()?;
                Ok(out)
            }
            Tx::Abort(out) => {
                txn.abort()?;
                Ok(out)
            }
        }
    }

    // ---- epochs ---------------------------------------------------------

    /// Stores the epoch at `epoch_block`, replacing its bytes if it is
    /// already stored for the same `block_hash`.
    ///
    /// Refuses ([`Error::EpochHashMismatch`]) an epoch stored for another
    /// block hash: after a reorg, [`Store::drop_epoch`] it first so that
    /// nothing derived from the old block survives.
    pub fn put_epoch(&self, epoch_block: EpochBlock, block_hash: B256, bytes: &[u8]) -> Result<()> {
        let value = EpochRecord {
            epoch_block,
            block_hash,
            bytes: bytes.to_vec(),
        }
        .encode()?;
        self.write(|txn| {
            let mut epochs = txn.open_table(EPOCHS)?;
            if let Some(stored) = load::<_, EpochRecord, _>(&epochs, epoch_block.0)? {
                if stored.block_hash != block_hash {
                    return Err(Error::EpochHashMismatch {
                        epoch_block,
                        stored: stored.block_hash,
                        given: block_hash,
                    });
                }
            }
            epochs.insert(epoch_block.0, value.as_slice())?;
            Ok(Tx::Commit(()))
        })
    }

    /// The epoch at `epoch_block`.
    pub fn epoch(&self, epoch_block: EpochBlock) -> Result<Option<EpochRecord>> {
        self.read(|txn| load(&txn.open_table(EPOCHS)?, epoch_block.0))
    }

    /// Up to `limit` epochs, the highest epoch block first.
    pub fn latest_epochs(&self, limit: usize) -> Result<Vec<EpochRecord>> {
        self.read(|txn| {
            let epochs = txn.open_table(EPOCHS)?;
            epochs
                .range::<u64>(..)?
                .rev()
                .take(limit)
                .map(|entry| EpochRecord::decode(entry?.1.value()))
                .collect()
        })
    }

    /// Removes, in one transaction, the epoch at `epoch_block` and
    /// everything keyed by it: its tasks with their votes, disputes and
    /// submissions, the node's own vote slots in it, its certificate and its
    /// health observations. Used when the epoch block is reorged away, so
    /// that the node may act on the new block at the same height.
    ///
    /// Documents (content-addressed), votes or disputes for tasks the store
    /// never saw, and the record of every own vote signed (see
    /// [`record_own_vote`](Self::record_own_vote)) are kept.
    pub fn drop_epoch(&self, epoch_block: EpochBlock) -> Result<DroppedEpoch> {
        self.write(|txn| Ok(Tx::Commit(drop_epoch_in(txn, epoch_block)?.0)))
    }

    /// Removes an epoch the protocol can no longer use (older than the
    /// retention window), in one transaction: everything
    /// [`drop_epoch`](Self::drop_epoch) removes, and also the record of own
    /// votes signed for its tasks, the `documents` given (the CIDs of its
    /// tasks' documents, which the caller decodes) and the meta values whose
    /// key starts with one of `meta_prefixes`.
    pub fn prune_epoch(
        &self,
        epoch_block: EpochBlock,
        documents: &[String],
        meta_prefixes: &[String],
    ) -> Result<DroppedEpoch> {
        self.write(|txn| {
            let (dropped, task_hashes) = drop_epoch_in(txn, epoch_block)?;
            let mut signed = txn.open_table(OWN_VOTES_SIGNED)?;
            for hash in task_hashes {
                signed.remove(hash)?;
            }
            let mut table = txn.open_table(DOCUMENTS)?;
            for cid in documents {
                table.remove(cid.as_str())?;
            }
            let mut meta = txn.open_table(META)?;
            for prefix in meta_prefixes {
                let doomed: Vec<String> = meta
                    .range::<&str>(prefix.as_str()..)?
                    .map(|e| e.map(|(k, _)| k.value().to_owned()))
                    .take_while(|k| k.as_ref().map_or(true, |k| k.starts_with(prefix.as_str())))
                    .collect::<std::result::Result<_, _>>()?;
                for key in doomed {
                    meta.remove(key.as_str())?;
                }
            }
            Ok(Tx::Commit(dropped))
        })
    }

    /// The epoch blocks stored below `before`, oldest first, at most
    /// `limit`.
    pub fn epochs_before(&self, before: u64, limit: usize) -> Result<Vec<EpochBlock>> {
        self.read(|txn| {
            txn.open_table(EPOCHS)?
                .range(..before)?
                .take(limit)
                .map(|e| Ok(EpochBlock(e?.0.value())))
                .collect()
        })
    }

    // ---- documents ------------------------------------------------------

    /// Stores a document under its CID. Storing the same content again is a
    /// no-op ([`PutOutcome::AlreadyKnown`]); other content under a stored CID
    /// is refused ([`Error::DocumentConflict`]). The CID is not checked
    /// against the content: the caller derives it.
    pub fn put_document(&self, cid: &str, bytes: &[u8]) -> Result<PutOutcome> {
        let value = Blob(bytes.to_vec()).encode()?;
        self.write(|txn| {
            let mut documents = txn.open_table(DOCUMENTS)?;
            if let Some(Blob(stored)) = load::<_, Blob, _>(&documents, cid)? {
                if stored == bytes {
                    return Ok(Tx::Abort(PutOutcome::AlreadyKnown));
                }
                return Err(Error::DocumentConflict {
                    cid: cid.to_owned(),
                });
            }
            documents.insert(cid, value.as_slice())?;
            Ok(Tx::Commit(PutOutcome::Inserted))
        })
    }

    /// The document stored under `cid`.
    pub fn document(&self, cid: &str) -> Result<Option<Vec<u8>>> {
        self.read(|txn| Ok(load::<_, Blob, _>(&txn.open_table(DOCUMENTS)?, cid)?.map(|b| b.0)))
    }

    // ---- tasks ----------------------------------------------------------

    /// Stores a task unless one with the same hash is stored.
    pub fn put_task(
        &self,
        task_hash: B256,
        epoch_block: EpochBlock,
        round: Round,
        performer: Address,
        bytes: &[u8],
    ) -> Result<PutOutcome> {
        let value = TaskRecord {
            task_hash,
            epoch_block,
            round,
            performer,
            bytes: bytes.to_vec(),
        }
        .encode()?;
        self.write(|txn| {
            let mut tasks = txn.open_table(TASKS)?;
            if !insert_new(&mut tasks, task_hash.0, &value)? {
                return Ok(Tx::Abort(PutOutcome::AlreadyKnown));
            }
            txn.open_table(TASKS_BY_ROUND)?
                .insert((epoch_block.0, round.0, task_hash.0), ())?;
            Ok(Tx::Commit(PutOutcome::Inserted))
        })
    }

    /// Stores what accepting one task writes, in one transaction (one
    /// commit, one fsync): the task (unless stored), its document (an equal
    /// one stored is a no-op, other content refuses everything,
    /// [`Error::DocumentConflict`]) and one health observation per entry
    /// (replacing earlier ones of the epoch). Either all of it is stored or
    /// nothing. The outcome says whether the task was new.
    pub fn put_accepted_task(&self, task: &AcceptedTask<'_>) -> Result<PutOutcome> {
        self.put_accepted_task_checked(None, task)
    }

    /// [`put_accepted_task`](Self::put_accepted_task), in the epoch stored
    /// for `epoch_block_hash` only: if the epoch at the task's block is not
    /// stored, or is stored for another hash (a reorg dropped it while the
    /// write waited), nothing is written
    /// ([`Error::NotTheStoredEpoch`]).
    pub fn put_accepted_task_in(
        &self,
        epoch_block_hash: B256,
        task: &AcceptedTask<'_>,
    ) -> Result<PutOutcome> {
        self.put_accepted_task_checked(Some(epoch_block_hash), task)
    }

    fn put_accepted_task_checked(
        &self,
        epoch_block_hash: Option<B256>,
        task: &AcceptedTask<'_>,
    ) -> Result<PutOutcome> {
        let value = TaskRecord {
            task_hash: task.task_hash,
            epoch_block: task.epoch_block,
            round: task.round,
            performer: task.performer,
            bytes: task.bytes.to_vec(),
        }
        .encode()?;
        let document = Blob(task.document.to_vec()).encode()?;
        let health = task
            .health
            .iter()
            .map(|(operator, reason)| {
                let record = HealthRecord {
                    epoch_block: task.epoch_block,
                    operator: *operator,
                    healthy: reason.is_none(),
                    reason: reason.clone(),
                }
                .encode()?;
                Ok((operator.into_array(), record))
            })
            .collect::<Result<Vec<_>>>()?;
        self.write(|txn| {
            if let Some(hash) = epoch_block_hash {
                check_stored_epoch(txn, task.epoch_block, hash)?;
            }
            let outcome = {
                let mut tasks = txn.open_table(TASKS)?;
                if insert_new(&mut tasks, task.task_hash.0, &value)? {
                    txn.open_table(TASKS_BY_ROUND)?
                        .insert((task.epoch_block.0, task.round.0, task.task_hash.0), ())?;
                    PutOutcome::Inserted
                } else {
                    PutOutcome::AlreadyKnown
                }
            };
            {
                let mut documents = txn.open_table(DOCUMENTS)?;
                match load::<_, Blob, _>(&documents, task.cid)? {
                    Some(Blob(stored)) if stored == task.document => {}
                    Some(_) => {
                        return Err(Error::DocumentConflict {
                            cid: task.cid.to_owned(),
                        })
                    }
                    None => {
                        documents.insert(task.cid, document.as_slice())?;
                    }
                }
            }
            let mut by_operator = txn.open_table(HEALTH)?;
            let mut by_epoch = txn.open_table(HEALTH_BY_EPOCH)?;
            for (operator, record) in &health {
                by_operator.insert((*operator, task.epoch_block.0), record.as_slice())?;
                by_epoch.insert((task.epoch_block.0, *operator), ())?;
            }
            Ok(Tx::Commit(outcome))
        })
    }

    /// The task with this hash.
    pub fn task(&self, task_hash: B256) -> Result<Option<TaskRecord>> {
        self.read(|txn| load(&txn.open_table(TASKS)?, task_hash.0))
    }

    /// The tasks of one `(epoch, round)`, by task hash.
    pub fn tasks_for_round(
        &self,
        epoch_block: EpochBlock,
        round: Round,
    ) -> Result<Vec<TaskRecord>> {
        self.tasks_in(
            (epoch_block.0, round.0, HASH_MIN),
            (epoch_block.0, round.0, HASH_MAX),
            usize::MAX,
            false,
        )
    }

    /// The tasks of one epoch, by round then task hash.
    pub fn tasks_for_epoch(&self, epoch_block: EpochBlock) -> Result<Vec<TaskRecord>> {
        self.tasks_in(
            (epoch_block.0, 0, HASH_MIN),
            (epoch_block.0, u32::MAX, HASH_MAX),
            usize::MAX,
            false,
        )
    }

    /// Up to `limit` tasks, the latest `(epoch, round)` first.
    pub fn recent_tasks(&self, limit: usize) -> Result<Vec<TaskRecord>> {
        self.tasks_in(
            (0, 0, HASH_MIN),
            (u64::MAX, u32::MAX, HASH_MAX),
            limit,
            true,
        )
    }

    fn tasks_in(
        &self,
        from: (u64, u32, [u8; 32]),
        to: (u64, u32, [u8; 32]),
        limit: usize,
        newest_first: bool,
    ) -> Result<Vec<TaskRecord>> {
        self.read(|txn| {
            let index = txn.open_table(TASKS_BY_ROUND)?;
            let tasks = txn.open_table(TASKS)?;
            let range = index.range(from..=to)?;
            let entries: Box<dyn Iterator<Item = _>> = if newest_first {
                Box::new(range.rev())
            } else {
                Box::new(range)
            };
            entries
                .take(limit)
                .map(|entry| {
                    let (_, _, hash) = entry?.0.value();
                    load::<_, TaskRecord, _>(&tasks, hash)?.ok_or(Error::DanglingIndex {
                        index: "tasks_by_round",
                        record: TaskRecord::NAME,
                    })
                })
                .collect()
        })
    }

    // ---- own votes ------------------------------------------------------

    /// Records the node's own vote, atomically enforcing that the node votes
    /// at most once per task, ever, and for at most one task per
    /// `(epoch_block, round)` of the epoch block it holds.
    ///
    /// Returns [`OwnVote::Recorded`] if the vote was stored, or
    /// [`OwnVote::AlreadyVoted`] with the vote stored earlier (for this task,
    /// even in an epoch since dropped by [`drop_epoch`](Self::drop_epoch), or
    /// for this round) and stores nothing. Sign the vote before calling, and
    /// gossip only what this returns.
    pub fn record_own_vote(
        &self,
        epoch_block: EpochBlock,
        round: Round,
        task_hash: B256,
        bytes: &[u8],
    ) -> Result<OwnVote> {
        self.record_own_vote_checked(epoch_block, None, round, task_hash, bytes)
    }

    /// [`record_own_vote`](Self::record_own_vote), in the epoch stored for
    /// `epoch_block_hash` only: if the epoch is not stored, or is stored for
    /// another hash (a reorg dropped it while the vote was being recorded),
    /// nothing is recorded ([`Error::NotTheStoredEpoch`]), so that a vote of
    /// a dropped branch never takes the new branch's `(epoch, round)` slot.
    pub fn record_own_vote_in(
        &self,
        epoch_block: EpochBlock,
        epoch_block_hash: B256,
        round: Round,
        task_hash: B256,
        bytes: &[u8],
    ) -> Result<OwnVote> {
        self.record_own_vote_checked(epoch_block, Some(epoch_block_hash), round, task_hash, bytes)
    }

    fn record_own_vote_checked(
        &self,
        epoch_block: EpochBlock,
        epoch_block_hash: Option<B256>,
        round: Round,
        task_hash: B256,
        bytes: &[u8],
    ) -> Result<OwnVote> {
        let slot = (epoch_block.0, round.0);
        let value = OwnVoteRecord {
            epoch_block,
            round,
            task_hash,
            bytes: bytes.to_vec(),
        }
        .encode()?;
        self.write(|txn| {
            if let Some(hash) = epoch_block_hash {
                check_stored_epoch(txn, epoch_block, hash)?;
            }
            let mut own_votes = txn.open_table(OWN_VOTES)?;
            let mut by_task = txn.open_table(OWN_VOTE_BY_TASK)?;
            let mut signed = txn.open_table(OWN_VOTES_SIGNED)?;
            if let Some(previous) = load::<_, OwnVoteRecord, _>(&signed, task_hash.0)? {
                return Ok(Tx::Abort(OwnVote::AlreadyVoted(previous)));
            }
            if let Some(slot) = by_task.get(task_hash.0)?.map(|v| v.value()) {
                let previous =
                    load::<_, OwnVoteRecord, _>(&own_votes, slot)?.ok_or(Error::DanglingIndex {
                        index: "own_vote_by_task",
                        record: OwnVoteRecord::NAME,
                    })?;
                return Ok(Tx::Abort(OwnVote::AlreadyVoted(previous)));
            }
            if let Some(previous) = load::<_, OwnVoteRecord, _>(&own_votes, slot)? {
                return Ok(Tx::Abort(OwnVote::AlreadyVoted(previous)));
            }
            own_votes.insert(slot, value.as_slice())?;
            by_task.insert(task_hash.0, slot)?;
            signed.insert(task_hash.0, value.as_slice())?;
            Ok(Tx::Commit(OwnVote::Recorded))
        })
    }

    /// The node's own vote in `(epoch_block, round)`.
    pub fn own_vote(&self, epoch_block: EpochBlock, round: Round) -> Result<Option<OwnVoteRecord>> {
        self.read(|txn| load(&txn.open_table(OWN_VOTES)?, (epoch_block.0, round.0)))
    }

    /// The node's own vote for a task.
    pub fn own_vote_for_task(&self, task_hash: B256) -> Result<Option<OwnVoteRecord>> {
        self.read(|txn| {
            let Some(slot) = txn
                .open_table(OWN_VOTE_BY_TASK)?
                .get(task_hash.0)?
                .map(|v| v.value())
            else {
                return Ok(None);
            };
            load::<_, OwnVoteRecord, _>(&txn.open_table(OWN_VOTES)?, slot)?
                .ok_or(Error::DanglingIndex {
                    index: "own_vote_by_task",
                    record: OwnVoteRecord::NAME,
                })
                .map(Some)
        })
    }

    // ---- votes and disputes received -------------------------------------

    /// Stores a received vote unless one from the same operator for the same
    /// task is stored ([`PutOutcome::AlreadyKnown`]: a duplicate).
    pub fn put_vote(&self, task_hash: B256, operator_id: u64, bytes: &[u8]) -> Result<PutOutcome> {
        let value = VoteRecord {
            task_hash,
            operator_id,
            bytes: bytes.to_vec(),
        }
        .encode()?;
        self.put_by_operator(VOTES, task_hash, operator_id, &value)
    }

    /// Whether a vote from this operator for this task is stored: the cheap
    /// duplicate check to make before any cryptography.
    pub fn has_vote(&self, task_hash: B256, operator_id: u64) -> Result<bool> {
        self.read(|txn| {
            Ok(txn
                .open_table(VOTES)?
                .get((task_hash.0, operator_id))?
                .is_some())
        })
    }

    /// The votes received for a task, by operator id.
    pub fn votes(&self, task_hash: B256) -> Result<Vec<VoteRecord>> {
        self.read(|txn| {
            let votes = txn.open_table(VOTES)?;
            by_operator(&votes, task_hash)?
                .map(|entry| VoteRecord::decode(entry?.1.value()))
                .collect()
        })
    }

    /// How many votes were received for a task.
    pub fn vote_count(&self, task_hash: B256) -> Result<u64> {
        self.read(|txn| {
            let votes = txn.open_table(VOTES)?;
            by_operator(&votes, task_hash)?.try_fold(0u64, |n, entry| {
                entry?;
                Ok(n.saturating_add(1))
            })
        })
    }

    /// Stores a received dispute unless one from the same operator for the
    /// same task is stored ([`PutOutcome::AlreadyKnown`]: a duplicate).
    pub fn put_dispute(
        &self,
        task_hash: B256,
        operator_id: u64,
        bytes: &[u8],
    ) -> Result<PutOutcome> {
        let value = DisputeRecord {
            task_hash,
            operator_id,
            bytes: bytes.to_vec(),
        }
        .encode()?;
        self.put_by_operator(DISPUTES, task_hash, operator_id, &value)
    }

    /// The disputes received for a task, by operator id.
    pub fn disputes(&self, task_hash: B256) -> Result<Vec<DisputeRecord>> {
        self.read(|txn| {
            let disputes = txn.open_table(DISPUTES)?;
            by_operator(&disputes, task_hash)?
                .map(|entry| DisputeRecord::decode(entry?.1.value()))
                .collect()
        })
    }

    fn put_by_operator(
        &self,
        table: ByOperator,
        task_hash: B256,
        operator_id: u64,
        value: &[u8],
    ) -> Result<PutOutcome> {
        self.write(|txn| {
            let mut table = txn.open_table(table)?;
            Ok(
                if insert_new(&mut table, (task_hash.0, operator_id), value)? {
                    Tx::Commit(PutOutcome::Inserted)
                } else {
                    Tx::Abort(PutOutcome::AlreadyKnown)
                },
            )
        })
    }

    // ---- certificates ---------------------------------------------------

    /// Stores the certificate of an epoch. The first one stored is kept; a
    /// later one returns [`PutOutcome::AlreadyKnown`].
    pub fn put_certificate(
        &self,
        epoch_block: EpochBlock,
        task_hash: B256,
        bytes: &[u8],
    ) -> Result<PutOutcome> {
        let value = CertificateRecord {
            epoch_block,
            task_hash,
            bytes: bytes.to_vec(),
        }
        .encode()?;
        self.write(|txn| {
            let mut certificates = txn.open_table(CERTIFICATES)?;
            Ok(if insert_new(&mut certificates, epoch_block.0, &value)? {
                Tx::Commit(PutOutcome::Inserted)
            } else {
                Tx::Abort(PutOutcome::AlreadyKnown)
            })
        })
    }

    /// The certificate of an epoch.
    pub fn certificate_for_epoch(
        &self,
        epoch_block: EpochBlock,
    ) -> Result<Option<CertificateRecord>> {
        self.read(|txn| load(&txn.open_table(CERTIFICATES)?, epoch_block.0))
    }

    // ---- submissions ----------------------------------------------------

    /// Claims the on-chain submission of a task, atomically: of any number
    /// of concurrent callers, one gets [`SubmissionClaim::Begun`].
    ///
    /// A claim made in an earlier run (the node restarted mid-submission)
    /// passes to the first caller of this run as
    /// [`SubmissionClaim::Resumed`] with the transaction recorded so far;
    /// that caller must find out what became of it before sending another.
    /// Other callers get [`SubmissionClaim::InProgress`] or
    /// [`SubmissionClaim::Done`], and must not submit.
    ///
    /// The claim holder records its transaction hash with
    /// [`Store::set_submission_tx`] *before* broadcasting it, and ends with
    /// [`Store::finish_submission`], or [`Store::release_submission`] if it
    /// sent nothing.
    pub fn begin_submission(&self, task_hash: B256) -> Result<SubmissionClaim> {
        let run = self.inner.run;
        self.write(|txn| {
            let mut submissions = txn.open_table(SUBMISSIONS)?;
            let (claim, new) = match load::<_, StoredSubmission, _>(&submissions, task_hash.0)? {
                None => (
                    SubmissionClaim::Begun,
                    Some(StoredSubmission::InProgress { run, tx_hash: None }),
                ),
                Some(StoredSubmission::InProgress {
                    run: claimed_in,
                    tx_hash,
                }) if claimed_in == run => (SubmissionClaim::InProgress { tx_hash }, None),
                Some(StoredSubmission::InProgress { tx_hash, .. }) => (
                    SubmissionClaim::Resumed { tx_hash },
                    Some(StoredSubmission::InProgress { run, tx_hash }),
                ),
                Some(StoredSubmission::Done(outcome)) => (SubmissionClaim::Done(outcome), None),
            };
            match new {
                Some(record) => {
                    submissions.insert(task_hash.0, record.encode()?.as_slice())?;
                    Ok(Tx::Commit(claim))
                }
                None => Ok(Tx::Abort(claim)),
            }
        })
    }

    /// Records (or replaces, for a re-priced transaction) the transaction
    /// hash of a submission in progress.
    pub fn set_submission_tx(&self, task_hash: B256, tx_hash: B256) -> Result<()> {
        self.write(|txn| {
            let mut submissions = txn.open_table(SUBMISSIONS)?;
            match load::<_, StoredSubmission, _>(&submissions, task_hash.0)? {
                None => Err(Error::NoSubmissionInProgress { task_hash }),
                Some(StoredSubmission::Done(_)) => Err(Error::SubmissionFinished { task_hash }),
                Some(StoredSubmission::InProgress { run, .. }) => {
                    let record = StoredSubmission::InProgress {
                        run,
                        tx_hash: Some(tx_hash),
                    };
                    submissions.insert(task_hash.0, record.encode()?.as_slice())?;
                    Ok(Tx::Commit(()))
                }
            }
        })
    }

    /// Records the final outcome of a submission (claimed or not: a node
    /// that sees another's submission land may record it directly). Only
    /// final outcomes belong here: to retry after a revert, keep the claim
    /// and record the new transaction with [`Store::set_submission_tx`].
    ///
    /// Finishing again with the same outcome is a no-op; with another, an
    /// [`Error::SubmissionFinished`].
    pub fn finish_submission(&self, task_hash: B256, outcome: SubmissionOutcome) -> Result<()> {
        self.write(|txn| {
            let mut submissions = txn.open_table(SUBMISSIONS)?;
            match load::<_, StoredSubmission, _>(&submissions, task_hash.0)? {
                Some(StoredSubmission::Done(stored)) if stored == outcome => Ok(Tx::Abort(())),
                Some(StoredSubmission::Done(_)) => Err(Error::SubmissionFinished { task_hash }),
                None | Some(StoredSubmission::InProgress { .. }) => {
                    let record = StoredSubmission::Done(outcome);
                    submissions.insert(task_hash.0, record.encode()?.as_slice())?;
                    Ok(Tx::Commit(()))
                }
            }
        })
    }

    /// Gives up a submission in progress (nothing was sent), so that a later
    /// [`Store::begin_submission`] may claim it. Returns whether there was
    /// one; refuses a finished submission.
    pub fn release_submission(&self, task_hash: B256) -> Result<bool> {
        self.write(|txn| {
            let mut submissions = txn.open_table(SUBMISSIONS)?;
            match load::<_, StoredSubmission, _>(&submissions, task_hash.0)? {
                None => Ok(Tx::Abort(false)),
                Some(StoredSubmission::Done(_)) => Err(Error::SubmissionFinished { task_hash }),
                Some(StoredSubmission::InProgress { .. }) => {
                    submissions.remove(task_hash.0)?;
                    Ok(Tx::Commit(true))
                }
            }
        })
    }

    /// The state of a task's submission.
    pub fn submission(&self, task_hash: B256) -> Result<Option<Submission>> {
        let run = self.inner.run;
        let stored = self.read(|txn| load(&txn.open_table(SUBMISSIONS)?, task_hash.0))?;
        Ok(stored.map(|stored| match stored {
            StoredSubmission::InProgress {
                run: claimed_in,
                tx_hash,
            } => Submission::InProgress {
                tx_hash,
                before_restart: claimed_in != run,
            },
            StoredSubmission::Done(outcome) => Submission::Done(outcome),
        }))
    }

    // ---- health ---------------------------------------------------------

    /// Records one health observation, replacing an earlier one for the same
    /// operator and epoch.
    pub fn put_health(
        &self,
        epoch_block: EpochBlock,
        operator: Address,
        healthy: bool,
        reason: Option<&str>,
    ) -> Result<()> {
        let value = HealthRecord {
            epoch_block,
            operator,
            healthy,
            reason: reason.map(str::to_owned),
        }
        .encode()?;
        let operator = operator.into_array();
        self.write(|txn| {
            txn.open_table(HEALTH)?
                .insert((operator, epoch_block.0), value.as_slice())?;
            txn.open_table(HEALTH_BY_EPOCH)?
                .insert((epoch_block.0, operator), ())?;
            Ok(Tx::Commit(()))
        })
    }

    /// Up to `limit` health observations of an operator, the latest epoch
    /// first.
    pub fn health_history(&self, operator: Address, limit: usize) -> Result<Vec<HealthRecord>> {
        let operator = operator.into_array();
        self.read(|txn| {
            txn.open_table(HEALTH)?
                .range((operator, 0)..=(operator, u64::MAX))?
                .rev()
                .take(limit)
                .map(|entry| HealthRecord::decode(entry?.1.value()))
                .collect()
        })
    }

    /// The health observations of one epoch, by operator address.
    pub fn health_for_epoch(&self, epoch_block: EpochBlock) -> Result<Vec<HealthRecord>> {
        let epoch_block = epoch_block.0;
        self.read(|txn| {
            let index = txn.open_table(HEALTH_BY_EPOCH)?;
            let health = txn.open_table(HEALTH)?;
            index
                .range((epoch_block, ADDRESS_MIN)..=(epoch_block, ADDRESS_MAX))?
                .map(|entry| {
                    let (_, operator) = entry?.0.value();
                    load::<_, HealthRecord, _>(&health, (operator, epoch_block))?.ok_or(
                        Error::DanglingIndex {
                            index: "health_by_epoch",
                            record: HealthRecord::NAME,
                        },
                    )
                })
                .collect()
        })
    }

    // ---- meta -----------------------------------------------------------

    /// Sets a small value of the node's own (e.g. the last processed block).
    pub fn set_meta(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let value = Blob(bytes.to_vec()).encode()?;
        self.write(|txn| {
            txn.open_table(META)?.insert(key, value.as_slice())?;
            Ok(Tx::Commit(()))
        })
    }

    /// The value set under `key`.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.read(|txn| Ok(load::<_, Blob, _>(&txn.open_table(META)?, key)?.map(|b| b.0)))
    }

    /// Up to `limit` values whose key starts with `prefix`, in key order.
    pub fn meta_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>> {
        self.read(|txn| {
            let table = txn.open_table(META)?;
            let mut out = Vec::new();
            for entry in table.range::<&str>(prefix..)? {
                if out.len() >= limit {
                    break;
                }
                let (key, value) = entry?;
                let key = key.value();
                if !key.starts_with(prefix) {
                    break;
                }
                out.push((key.to_owned(), Blob::decode(value.value())?.0));
            }
            Ok(out)
        })
    }
}

/// [`Store::drop_epoch`] inside `txn`; also returns the hashes of the tasks
/// it removed.
/// Fails with [`Error::NotTheStoredEpoch`] unless the epoch at
/// `epoch_block` is stored for `hash`.
fn check_stored_epoch(txn: &WriteTransaction, epoch_block: EpochBlock, hash: B256) -> Result<()> {
    let epochs = txn.open_table(EPOCHS)?;
    match load::<_, EpochRecord, _>(&epochs, epoch_block.0)? {
        Some(stored) if stored.block_hash == hash => Ok(()),
        _ => Err(Error::NotTheStoredEpoch {
            epoch_block,
            given: hash,
        }),
    }
}

fn drop_epoch_in(
    txn: &WriteTransaction,
    epoch_block: EpochBlock,
) -> Result<(DroppedEpoch, Vec<[u8; 32]>)> {
    let epoch_block = epoch_block.0;
    let mut dropped = DroppedEpoch {
        epoch: txn.open_table(EPOCHS)?.remove(epoch_block)?.is_some(),
        certificate: txn.open_table(CERTIFICATES)?.remove(epoch_block)?.is_some(),
        ..DroppedEpoch::default()
    };

    let mut index = txn.open_table(TASKS_BY_ROUND)?;
    let mut tasks = txn.open_table(TASKS)?;
    let mut votes = txn.open_table(VOTES)?;
    let mut disputes = txn.open_table(DISPUTES)?;
    let mut submissions = txn.open_table(SUBMISSIONS)?;
    let task_keys = keys(
        index.range((epoch_block, 0, HASH_MIN)..=(epoch_block, u32::MAX, HASH_MAX))?,
        |key| key,
    )?;
    let mut task_hashes = Vec::with_capacity(task_keys.len());
    for key in task_keys {
        let (_, _, hash) = key;
        task_hashes.push(hash);
        index.remove(key)?;
        dropped.tasks = dropped.tasks.saturating_add(removed(tasks.remove(hash)?));
        dropped.votes = dropped
            .votes
            .saturating_add(remove_by_operator(&mut votes, hash)?);
        dropped.disputes = dropped
            .disputes
            .saturating_add(remove_by_operator(&mut disputes, hash)?);
        dropped.submissions = dropped
            .submissions
            .saturating_add(removed(submissions.remove(hash)?));
    }

    let mut own_votes = txn.open_table(OWN_VOTES)?;
    let mut own_vote_by_task = txn.open_table(OWN_VOTE_BY_TASK)?;
    let own_keys = keys(
        own_votes.range((epoch_block, 0)..=(epoch_block, u32::MAX))?,
        |key| key,
    )?;
    for key in own_keys {
        if let Some(value) = own_votes.remove(key)? {
            let vote = OwnVoteRecord::decode(value.value())?;
            own_vote_by_task.remove(vote.task_hash.0)?;
            dropped.own_votes = dropped.own_votes.saturating_add(1);
        }
    }

    let mut health = txn.open_table(HEALTH)?;
    let mut health_by_epoch = txn.open_table(HEALTH_BY_EPOCH)?;
    let health_keys = keys(
        health_by_epoch.range((epoch_block, ADDRESS_MIN)..=(epoch_block, ADDRESS_MAX))?,
        |key| key,
    )?;
    for key in health_keys {
        let (_, operator) = key;
        health_by_epoch.remove(key)?;
        dropped.health = dropped
            .health
            .saturating_add(removed(health.remove((operator, epoch_block))?));
    }
    Ok((dropped, task_hashes))
}

/// A table keyed by `(task_hash, operator_id)`: [`VOTES`] or [`DISPUTES`].
type ByOperator = TableDefinition<'static, OperatorKey, &'static [u8]>;

/// `(task_hash, operator_id)`.
type OperatorKey = ([u8; 32], u64);

/// Loads and decodes the record under `key`.
fn load<'k, K, R, T>(table: &T, key: impl Borrow<K::SelfType<'k>>) -> Result<Option<R>>
where
    K: Key + 'static,
    R: Record,
    T: ReadableTable<K, &'static [u8]>,
{
    match table.get(key)? {
        Some(value) => R::decode(value.value()).map(Some),
        None => Ok(None),
    }
}

/// Inserts `value` under `key` unless the key is taken; returns whether it
/// inserted.
fn insert_new<'k, K>(
    table: &mut Table<'_, K, &'static [u8]>,
    key: impl Borrow<K::SelfType<'k>>,
    value: &[u8],
) -> Result<bool>
where
    K: Key + 'static,
{
    let key = key.borrow();
    if table.get(key)?.is_some() {
        return Ok(false);
    }
    table.insert(key, value)?;
    Ok(true)
}

/// The entries of a `(task_hash, operator_id)` table for one task.
fn by_operator<T>(table: &T, task_hash: B256) -> Result<Range<'_, OperatorKey, &'static [u8]>>
where
    T: ReadableTable<OperatorKey, &'static [u8]>,
{
    Ok(table.range((task_hash.0, 0)..=(task_hash.0, u64::MAX))?)
}

/// Removes every entry of one task from a `(task_hash, operator_id)` table.
fn remove_by_operator(
    table: &mut Table<'_, OperatorKey, &'static [u8]>,
    task_hash: [u8; 32],
) -> Result<u64> {
    let keys = keys(
        table.range((task_hash, 0)..=(task_hash, u64::MAX))?,
        |key| key,
    )?;
    let mut count = 0u64;
    for key in keys {
        count = count.saturating_add(removed(table.remove(key)?));
    }
    Ok(count)
}

/// The keys of a range, collected (as owned keys) so that the table can be
/// changed.
fn keys<K, V, T>(range: Range<'_, K, V>, owned: impl Fn(K::SelfType<'_>) -> T) -> Result<Vec<T>>
where
    K: Key + 'static,
    V: Value + 'static,
{
    range.map(|entry| Ok(owned(entry?.0.value()))).collect()
}

fn removed<G>(guard: Option<G>) -> u64 {
    u64::from(guard.is_some())
}
