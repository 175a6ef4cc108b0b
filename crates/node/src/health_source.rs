//! The health endpoint's view of the chain, from the node's own follower.
//!
//! The endpoint needs the head and the hash of the block it is asked for.
//! Asking the RPC for the head on every request would let any client turn
//! its requests into RPC calls; instead the head is the one the node's chain
//! follower last saw (kept in its [`Status`]), and block hashes read from the
//! RPC are kept until the head moves or the follower sees a reorg, so that
//! the RPC is read at most once per block and head. Until the follower has
//! seen a head, the RPC answers.

use crate::api::Status;
use alloy_primitives::B256;
use liveliness_health::BlockSource;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
};

/// Most block hashes kept for one head.
const MAX_CACHED_HASHES: usize = 512;

/// A [`BlockSource`] with the follower's head and cached hashes over `rpc`.
#[derive(Debug)]
pub(crate) struct FollowerSource<S> {
    status: Arc<RwLock<Status>>,
    rpc: S,
    /// The head and the follower's reorg count the hashes were read at, and
    /// the hashes. Keyed by the reorg count too: after a reorg back to the
    /// same height, hashes read on the old branch must not come back.
    hashes: Mutex<((u64, u64), HashMap<u64, B256>)>,
}

impl<S> FollowerSource<S> {
    pub(crate) fn new(status: Arc<RwLock<Status>>, rpc: S) -> Self {
        Self {
            status,
            rpc,
            hashes: Mutex::new(((0, 0), HashMap::new())),
        }
    }

    fn followed_head(&self) -> u64 {
        self.status.read().map_or(0, |s| s.head)
    }

    /// The follower's head and reorg count.
    fn followed(&self) -> (u64, u64) {
        self.status.read().map_or((0, 0), |s| (s.head, s.reorgs))
    }
}

impl<S: BlockSource> BlockSource for FollowerSource<S> {
    async fn head(&self) -> liveliness_health::Result<u64> {
        match self.followed_head() {
            0 => self.rpc.head().await,
            head => Ok(head),
        }
    }

    async fn block_hash(&self, number: u64) -> liveliness_health::Result<Option<B256>> {
        let followed = self.followed();
        let head = followed.0;
        {
            let cache = self.hashes.lock().unwrap_or_else(|p| p.into_inner());
            if head != 0 && cache.0 == followed {
                if let Some(hash) = cache.1.get(&number) {
                    return Ok(Some(*hash));
                }
            }
        }
        let hash = self.rpc.block_hash(number).await?;
        if let (Some(hash), true) = (hash, head != 0) {
            let mut cache = self.hashes.lock().unwrap_or_else(|p| p.into_inner());
            if cache.0 != followed {
                *cache = (followed, HashMap::new());
            }
            if cache.1.len() < MAX_CACHED_HASHES {
                cache.1.insert(number, hash);
            }
        }
        Ok(hash)
    }

    fn reorgs(&self) -> u64 {
        self.followed().1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liveliness_health::test_utils::MemoryBlockSource;

    fn source(
        head: u64,
    ) -> (
        FollowerSource<Arc<MemoryBlockSource>>,
        Arc<MemoryBlockSource>,
    ) {
        let rpc = Arc::new(MemoryBlockSource::with_head(50));
        let status = Arc::new(RwLock::new(Status {
            head,
            ..Status::default()
        }));
        (FollowerSource::new(status, Arc::clone(&rpc)), rpc)
    }

    #[tokio::test]
    async fn head_comes_from_the_follower_and_hashes_are_read_once_per_head() {
        let (source, rpc) = source(40);
        assert_eq!(
            source.head().await.unwrap(),
            40,
            "the follower's head, not the RPC's"
        );
        for _ in 0..5 {
            assert_eq!(
                source.block_hash(39).await.unwrap(),
                Some(MemoryBlockSource::default_hash(39))
            );
        }
        assert_eq!(rpc.hash_reads(), 1);

        // The head moves: the hash is read again (a reorg may have changed it).
        source.status.write().unwrap().head = 41;
        rpc.set_hash(39, B256::repeat_byte(9));
        assert_eq!(
            source.block_hash(39).await.unwrap(),
            Some(B256::repeat_byte(9))
        );
        assert_eq!(rpc.hash_reads(), 2);

        // A reorg back to the same height: the follower counts it, and the
        // hash is read again although the head number is the same.
        rpc.set_hash(39, B256::repeat_byte(10));
        assert_eq!(
            source.block_hash(39).await.unwrap(),
            Some(B256::repeat_byte(9)),
            "same head, same reorg count: cached"
        );
        source.status.write().unwrap().reorgs = 1;
        assert_eq!(
            source.block_hash(39).await.unwrap(),
            Some(B256::repeat_byte(10))
        );
        assert_eq!(rpc.hash_reads(), 3);

        // A block the RPC does not have is not cached.
        assert_eq!(source.block_hash(60).await.unwrap(), None);
        assert_eq!(source.block_hash(60).await.unwrap(), None);
        assert_eq!(rpc.hash_reads(), 5);
    }

    #[tokio::test]
    async fn before_the_follower_has_a_head_the_rpc_answers() {
        let (source, rpc) = source(0);
        assert_eq!(source.head().await.unwrap(), 50);
        source.block_hash(10).await.unwrap();
        source.block_hash(10).await.unwrap();
        assert_eq!(rpc.hash_reads(), 2, "nothing cached without a head");
    }
}
