//! Where the health server learns the chain: the [`BlockSource`] trait and
//! its alloy implementation.

use crate::error::{Error, Result};
use alloy::{
    network::{primitives::HeaderResponse, BlockResponse, Ethereum, Network},
    providers::Provider,
};
use alloy_primitives::B256;
use std::{future::Future, marker::PhantomData, sync::Arc};

/// The chain as the health server needs it: the head block number and the
/// canonical hash of a block.
///
/// The node wires its RPC provider ([`AlloyBlockSource`]) or its epoch
/// follower's view of the chain to it. Both calls are made on every
/// `healthcheck` (rate limiting bounds how often), so a source that already
/// tracks the head should answer from memory.
pub trait BlockSource: Send + Sync + 'static {
    /// The number of the newest block the source knows.
    fn head(&self) -> impl Future<Output = Result<u64>> + Send;

    /// The canonical hash of block `number`, or `None` if the source does not
    /// have that block (yet).
    fn block_hash(&self, number: u64) -> impl Future<Output = Result<Option<B256>>> + Send;

    /// How many reorgs the source has seen (0 if it does not count them).
    /// When it changes, whatever was read before it is not reused: the
    /// server drops its cached proofs.
    fn reorgs(&self) -> u64 {
        0
    }
}

impl<S: BlockSource> BlockSource for Arc<S> {
    fn head(&self) -> impl Future<Output = Result<u64>> + Send {
        (**self).head()
    }

    fn block_hash(&self, number: u64) -> impl Future<Output = Result<Option<B256>>> + Send {
        (**self).block_hash(number)
    }

    fn reorgs(&self) -> u64 {
        (**self).reorgs()
    }
}

/// A [`BlockSource`] over an alloy [`Provider`]: `eth_blockNumber` and
/// `eth_getBlockByNumber` (without transactions).
#[derive(Debug, Clone)]
pub struct AlloyBlockSource<P, N = Ethereum> {
    provider: P,
    _network: PhantomData<fn() -> N>,
}

impl<P, N> AlloyBlockSource<P, N>
where
    P: Provider<N>,
    N: Network,
{
    /// Wraps `provider`.
    pub fn new(provider: P) -> Self {
        Self {
            provider,
            _network: PhantomData,
        }
    }

    /// The wrapped provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }
}

impl<P, N> BlockSource for AlloyBlockSource<P, N>
where
    P: Provider<N> + Send + Sync + 'static,
    N: Network,
{
    async fn head(&self) -> Result<u64> {
        self.provider
            .get_block_number()
            .await
            .map_err(Error::from_source)
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(Error::from_source)?;
        Ok(block.map(|b| b.header().hash()))
    }
}
