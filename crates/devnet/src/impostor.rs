//! Health endpoints that answer wrongly on purpose, for demos and tests: a
//! proof signed by another key, or a proof for another block's hash.

use alloy::{
    primitives::B256,
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use liveliness_health::{BlockSource, HealthServer, ServerConfig};
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// How the impostor lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lie {
    /// Signs with a key that is not the operator's.
    OtherKey,
    /// Signs with the operator's key, but the hash of the block before.
    OtherBlock,
    /// No lie: a stand-in that answers correctly with the operator's key
    /// while its node is stopped (so a stopped node is not also unhealthy).
    StandIn,
}

/// The chain seen one block late: block `n`'s hash is reported as that of
/// `n − 1`.
#[derive(Debug, Clone)]
struct ShiftedSource(DynProvider);

impl BlockSource for ShiftedSource {
    async fn head(&self) -> liveliness_health::Result<u64> {
        self.0
            .get_block_number()
            .await
            .map_err(liveliness_health::Error::from_source)
    }

    async fn block_hash(&self, number: u64) -> liveliness_health::Result<Option<B256>> {
        let Some(prev) = number.checked_sub(1) else {
            return Ok(None);
        };
        let block = self
            .0
            .get_block_by_number(prev.into())
            .await
            .map_err(liveliness_health::Error::from_source)?;
        Ok(block.map(|b| b.header.hash))
    }
}

/// Starts a lying health endpoint on 127.0.0.1; returns its address.
pub async fn start(
    lie: Lie,
    provider: DynProvider,
    operator: PrivateKeySigner,
) -> eyre::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = ServerConfig {
        rate_limit: None,
        ..ServerConfig::default()
    };
    match lie {
        Lie::OtherKey => {
            let server = HealthServer::new(
                liveliness_health::AlloyBlockSource::new(provider),
                PrivateKeySigner::random(),
                config,
            )?;
            tokio::spawn(server.serve(listener));
        }
        Lie::StandIn => {
            let server = HealthServer::new(
                liveliness_health::AlloyBlockSource::new(provider),
                operator,
                config,
            )?;
            tokio::spawn(server.serve(listener));
        }
        Lie::OtherBlock => {
            let server = HealthServer::new(ShiftedSource(provider), operator, config)?;
            tokio::spawn(server.serve(listener));
        }
    }
    Ok(addr)
}
