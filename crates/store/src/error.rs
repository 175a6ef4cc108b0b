//! The store's error type.

use alloy_primitives::B256;

use crate::codec::DecodeError;

/// `Result` with the store's [`Error`] as its default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database file could not be opened or created.
    #[error("cannot open the database")]
    Open(#[from] redb::DatabaseError),
    /// A transaction could not be started.
    #[error("cannot begin a transaction")]
    Transaction(#[from] redb::TransactionError),
    /// A table could not be opened.
    #[error("cannot open a table")]
    Table(#[from] redb::TableError),
    /// Reading or writing a table failed.
    #[error("storage failure")]
    Storage(#[from] redb::StorageError),
    /// A transaction could not be committed; none of its writes happened.
    #[error("cannot commit a transaction")]
    Commit(#[from] redb::CommitError),
    /// A stored record could not be decoded: the file is corrupted or was
    /// written by an incompatible build.
    #[error("corrupted {record} record")]
    Decode {
        /// Which kind of record.
        record: &'static str,
        /// What is wrong with it.
        #[source]
        source: DecodeError,
    },
    /// An index names a record that is not there (the file is corrupted).
    #[error("{index} index names a missing {record} record")]
    DanglingIndex {
        /// The index table.
        index: &'static str,
        /// The record table.
        record: &'static str,
    },
    /// The file was written with another table layout.
    #[error("database schema version {found}, this build reads {expected}")]
    SchemaMismatch {
        /// Version found in the file.
        found: u64,
        /// Version this build reads and writes.
        expected: u64,
    },
    /// A byte field is longer than the encoding allows (4 GiB).
    #[error("{field} is {len} bytes, more than a record can hold")]
    TooLarge {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
    },
    /// A document with other content is already stored under this CID.
    #[error("document {cid} is already stored with different content")]
    DocumentConflict {
        /// The content identifier.
        cid: String,
    },
    /// The epoch is already stored for another block hash: drop it first.
    #[error("epoch {epoch_block} is stored with block hash {stored}, not {given}")]
    EpochHashMismatch {
        /// The epoch block number.
        epoch_block: liveliness_primitives::EpochBlock,
        /// Hash already stored.
        stored: B256,
        /// Hash given.
        given: B256,
    },
    /// A write for an epoch block whose stored epoch is missing or has
    /// another block hash (its block was reorged away): nothing written.
    #[error("epoch {epoch_block} is not stored for block hash {given}")]
    NotTheStoredEpoch {
        /// The epoch block number.
        epoch_block: liveliness_primitives::EpochBlock,
        /// Hash given.
        given: B256,
    },
    /// The operation needs a submission in progress and there is none.
    #[error("no submission in progress for task {task_hash}")]
    NoSubmissionInProgress {
        /// The task.
        task_hash: B256,
    },
    /// The submission already has a (different) final outcome.
    #[error("submission for task {task_hash} is already finished")]
    SubmissionFinished {
        /// The task.
        task_hash: B256,
    },
}
