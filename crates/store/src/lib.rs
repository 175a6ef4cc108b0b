//! The Liveliness node's embedded transactional store, on [redb].
//!
//! It keeps what a node must not lose across a restart: epochs, proof-of-task
//! documents by CID, tasks, the votes and disputes it received, certificates,
//! on-chain submissions, health history and a few values of its own. It
//! knows nothing of roles: record payloads are opaque bytes the node encodes;
//! the store only keeps the keys and state it needs for its invariants, each
//! enforced inside one transaction:
//!
//! - **No double vote.** [`Store::record_own_vote`] stores the node's vote
//!   only if it has voted neither for that task nor for any task in that
//!   `(epoch, round)`; otherwise it returns the earlier vote, to gossip again.
//! - **No double submission.** [`Store::begin_submission`] hands the claim on
//!   a task's submission to exactly one caller; a claim interrupted by a
//!   restart is handed back, with its transaction hash, to one caller of the
//!   next run.
//! - **Reorgs.** [`Store::drop_epoch`] removes an epoch and everything keyed
//!   by it at once.
//! - **Duplicates.** A second vote or dispute from the same operator for the
//!   same task, or a second task with the same hash, is reported and not
//!   stored; [`Store::has_vote`] checks before any cryptography.
//!
//! Values are stored with a versioned binary encoding; a value that does not
//! decode yields [`Error::Decode`], never a panic.
//!
//! ```no_run
//! use liveliness_store::{OwnVote, Store};
//! # fn main() -> liveliness_store::Result<()> {
//! # use liveliness_primitives::{EpochBlock, Round};
//! # let (epoch_block, round, task_hash, signed_vote) = (EpochBlock(0), Round(0), Default::default(), &[][..]);
//! let store = Store::open("node.redb")?;
//! match store.record_own_vote(epoch_block, round, task_hash, signed_vote)? {
//!     OwnVote::Recorded => { /* gossip `signed_vote` */ }
//!     OwnVote::AlreadyVoted(earlier) => { /* gossip `earlier.bytes` again */ }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Calls block on disk I/O (every write is committed durably before it
//! returns): call them from a blocking task in async code.
//!
//! [redb]: https://docs.rs/redb

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]

mod codec;
mod error;
mod records;
mod store;
mod tables;

pub use codec::DecodeError;
pub use error::{Error, Result};
pub use records::{
    CertificateRecord, DisputeRecord, DroppedEpoch, EpochRecord, HealthRecord, OwnVote,
    OwnVoteRecord, PutOutcome, Submission, SubmissionClaim, SubmissionOutcome, SubmissionStatus,
    TaskRecord, VoteRecord,
};
pub use store::{AcceptedTask, Store};
