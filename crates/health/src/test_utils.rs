//! Test helpers (feature `test-utils`): an in-memory chain.

use crate::{
    error::{Error, Result},
    source::BlockSource,
};
use alloy_primitives::{keccak256, B256};
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex, MutexGuard,
    },
};

/// An in-memory [`BlockSource`]: a head and the hashes of blocks up to it.
/// Blocks get [`MemoryBlockSource::default_hash`] unless set otherwise.
#[derive(Debug, Default)]
pub struct MemoryBlockSource {
    state: Mutex<State>,
    hash_reads: AtomicU64,
    reorgs: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    head: u64,
    hashes: BTreeMap<u64, B256>,
    failing: bool,
}

impl MemoryBlockSource {
    /// A chain whose blocks `0..=head` all exist.
    pub fn with_head(head: u64) -> Self {
        let source = Self::default();
        source.set_head(head);
        source
    }

    /// The hash block `number` gets by default: `keccak256(number as u64 BE)`.
    pub fn default_hash(number: u64) -> B256 {
        keccak256(number.to_be_bytes())
    }

    /// Moves the head to `head`, giving every new block its default hash.
    pub fn set_head(&self, head: u64) {
        let mut state = self.lock();
        let from = state
            .hashes
            .last_key_value()
            .map_or(0, |(n, _)| n.saturating_add(1));
        for n in from..=head {
            state.hashes.insert(n, Self::default_hash(n));
        }
        state.head = head;
    }

    /// Adds one block; returns the new head.
    pub fn advance(&self) -> u64 {
        let next = self.lock().head.saturating_add(1);
        self.set_head(next);
        next
    }

    /// Replaces the hash of block `number` (a reorg).
    pub fn set_hash(&self, number: u64, hash: B256) {
        self.lock().hashes.insert(number, hash);
    }

    /// Makes every call fail (or succeed again).
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }

    /// How many times [`BlockSource::block_hash`] was called.
    pub fn hash_reads(&self) -> u64 {
        self.hash_reads.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

impl MemoryBlockSource {
    /// Counts a reorg ([`BlockSource::reorgs`]).
    pub fn note_reorg(&self) {
        self.reorgs.fetch_add(1, Ordering::Relaxed);
    }
}

impl BlockSource for MemoryBlockSource {
    fn reorgs(&self) -> u64 {
        self.reorgs.load(Ordering::Relaxed)
    }

    async fn head(&self) -> Result<u64> {
        let state = self.lock();
        if state.failing {
            return Err(Error::from_source("memory source set to fail"));
        }
        Ok(state.head)
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>> {
        self.hash_reads.fetch_add(1, Ordering::Relaxed);
        let state = self.lock();
        if state.failing {
            return Err(Error::from_source("memory source set to fail"));
        }
        if number > state.head {
            return Ok(None);
        }
        Ok(state.hashes.get(&number).copied())
    }
}
