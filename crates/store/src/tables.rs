//! The table layout. Changing a table's name, key or value type is a schema
//! change: bump [`SCHEMA_VERSION`].
//!
//! Hashes are stored as `[u8; 32]`, addresses as `[u8; 20]`; values are
//! records in the [`codec`](crate::codec) encoding. Index tables have `()`
//! values and are written in the same transaction as the records they index.

use redb::TableDefinition;

/// Version of this table layout, stored in [`SCHEMA`].
pub(crate) const SCHEMA_VERSION: u64 = 1;

/// Internal bookkeeping: [`SCHEMA_VERSION_KEY`] and [`RUN_KEY`].
pub(crate) const SCHEMA: TableDefinition<'_, &str, u64> = TableDefinition::new("schema");
pub(crate) const SCHEMA_VERSION_KEY: &str = "version";
/// How many times the store was opened; the current run's number.
pub(crate) const RUN_KEY: &str = "run";

/// `epoch_block -> EpochRecord`.
pub(crate) const EPOCHS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("epochs");

/// `cid -> Blob`.
pub(crate) const DOCUMENTS: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("documents");

/// `task_hash -> TaskRecord`.
pub(crate) const TASKS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("tasks");

/// Index `(epoch_block, round, task_hash) -> ()` over [`TASKS`].
pub(crate) const TASKS_BY_ROUND: TableDefinition<'_, (u64, u32, [u8; 32]), ()> =
    TableDefinition::new("tasks_by_round");

/// `(epoch_block, round) -> OwnVoteRecord`: at most one own vote per round.
pub(crate) const OWN_VOTES: TableDefinition<'_, (u64, u32), &[u8]> =
    TableDefinition::new("own_votes");

/// Index `task_hash -> (epoch_block, round)` over [`OWN_VOTES`]: at most one
/// own vote per task.
pub(crate) const OWN_VOTE_BY_TASK: TableDefinition<'_, [u8; 32], (u64, u32)> =
    TableDefinition::new("own_vote_by_task");

/// `task_hash -> OwnVoteRecord`: every own vote ever signed, never removed
/// (not even when its epoch is reorged away), so that a task that comes back
/// gets the same vote again and never the opposite one.
pub(crate) const OWN_VOTES_SIGNED: TableDefinition<'_, [u8; 32], &[u8]> =
    TableDefinition::new("own_votes_signed");

/// `(task_hash, operator_id) -> VoteRecord`.
pub(crate) const VOTES: TableDefinition<'_, ([u8; 32], u64), &[u8]> = TableDefinition::new("votes");

/// `(task_hash, operator_id) -> DisputeRecord`.
pub(crate) const DISPUTES: TableDefinition<'_, ([u8; 32], u64), &[u8]> =
    TableDefinition::new("disputes");

/// `epoch_block -> CertificateRecord`.
pub(crate) const CERTIFICATES: TableDefinition<'_, u64, &[u8]> =
    TableDefinition::new("certificates");

/// `task_hash -> StoredSubmission`.
pub(crate) const SUBMISSIONS: TableDefinition<'_, [u8; 32], &[u8]> =
    TableDefinition::new("submissions");

/// `(operator, epoch_block) -> HealthRecord`.
pub(crate) const HEALTH: TableDefinition<'_, ([u8; 20], u64), &[u8]> =
    TableDefinition::new("health");

/// Index `(epoch_block, operator) -> ()` over [`HEALTH`].
pub(crate) const HEALTH_BY_EPOCH: TableDefinition<'_, (u64, [u8; 20]), ()> =
    TableDefinition::new("health_by_epoch");

/// `key -> Blob`: the node's own small values.
pub(crate) const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
