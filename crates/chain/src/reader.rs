//! The node's chain reads. Each is one or a few JSON-RPC requests through
//! the provider's transport (see [`crate::rpc`]), which retries, fails over
//! between the configured URLs and bounds every request by a deadline; a
//! read that still fails is a [`ReadError`] (with any URL redacted), and the
//! caller tries again on its next tick.

use crate::{bindings::AttestationCenter, bindings::LivelinessRegistry, redact::redact_urls};
use alloy::{
    eips::BlockId,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionReceipt,
};
use liveliness_bls::PublicKeyG2;
use liveliness_primitives::EpochBlock;
use std::{collections::HashMap, sync::Mutex};

/// The registry parameters in force at a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// Penalty factor.
    pub c: u64,
    /// Blocks per epoch.
    pub epoch_length: u64,
    /// Operators checked per epoch.
    pub sample_size: u64,
    /// Blocks per performer round.
    pub performer_timeout_blocks: u64,
    /// Blocks after `B` during which a task may be certified.
    pub task_validity_blocks: u64,
    /// Depth before a node acts on a block.
    pub confirmation_depth: u64,
    /// Health-check timeout.
    pub health_timeout_ms: u64,
}

/// An operator active in the AttestationCenter at a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorInfo {
    /// Operator id.
    pub id: u64,
    /// Operator address.
    pub address: Address,
    /// Voting power at `B`.
    pub power: u128,
    /// BLS key in G2 (aggregated into `apkG2`).
    pub pk_g2: PublicKeyG2,
    /// Endpoint registered in the registry at `B`, if any.
    pub endpoint: Option<String>,
}

/// A chain read failed (after the transport's retries and failover).
#[derive(Debug, thiserror::Error)]
#[error("{what}: {message}")]
pub struct ReadError {
    /// What was being read.
    pub what: String,
    /// The error, URLs redacted.
    pub message: String,
}

impl ReadError {
    fn new(what: impl Into<String>, error: impl std::fmt::Display) -> Self {
        Self {
            what: what.into(),
            message: redact_urls(&error.to_string()),
        }
    }
}

/// `outcome` with its error as a [`ReadError`] about `what`.
fn read<T, E: std::fmt::Display>(what: &str, outcome: Result<T, E>) -> Result<T, ReadError> {
    outcome.map_err(|e| ReadError::new(what, e))
}

/// Reads the contracts through one provider (whose transport holds every
/// RPC URL; see [`crate::rpc::connect`]).
#[derive(Debug)]
pub struct Reader {
    provider: DynProvider,
    /// The AttestationCenter.
    pub attestation_center: Address,
    /// The registry.
    pub registry: Address,
    g2_keys: Mutex<HashMap<u64, PublicKeyG2>>,
}

impl Reader {
    /// A reader over `provider`.
    pub fn new(provider: DynProvider, attestation_center: Address, registry: Address) -> Self {
        Self {
            provider,
            attestation_center,
            registry,
            g2_keys: Mutex::new(HashMap::new()),
        }
    }

    /// The provider, for sends and other calls (they go through the same
    /// retrying, failing-over transport).
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The chain id.
    pub async fn chain_id(&self) -> Result<u64, ReadError> {
        read("chain id", self.provider.get_chain_id().await)
    }

    /// The head block number.
    pub async fn head(&self) -> Result<u64, ReadError> {
        read("head", self.provider.get_block_number().await)
    }

    /// The hash of block `number` (None when it does not exist yet).
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, ReadError> {
        let block = self.provider.get_block_by_number(number.into()).await;
        read("block hash", block.map(|b| b.map(|b| b.header.hash)))
    }

    /// The receipt of transaction `tx` (None while it is unknown or pending).
    pub async fn receipt(&self, tx: B256) -> Result<Option<TransactionReceipt>, ReadError> {
        read("receipt", self.provider.get_transaction_receipt(tx).await)
    }

    /// The registry parameters at `block`.
    pub async fn params(&self, block: u64) -> Result<Params, ReadError> {
        let p = read(
            "registry params",
            LivelinessRegistry::new(self.registry, &self.provider)
                .params()
                .block(BlockId::number(block))
                .call()
                .await,
        )?;
        Ok(Params {
            c: p.C,
            epoch_length: u64::from(p.epochLength),
            sample_size: u64::from(p.sampleSize),
            performer_timeout_blocks: u64::from(p.performerTimeoutBlocks),
            task_validity_blocks: u64::from(p.taskValidityBlocks),
            confirmation_depth: u64::from(p.confirmationDepth),
            health_timeout_ms: u64::from(p.healthTimeoutMs),
        })
    }

    /// The operators active at `block`, in id order, with their endpoints
    /// registered at `block` and their G2 keys. The active set is read in
    /// pages (`getActiveOperatorsDetailsPage`), so its cost does not depend on
    /// how many inactive operators ever registered.
    pub async fn operators(&self, block: u64) -> Result<Vec<OperatorInfo>, ReadError> {
        let at = BlockId::number(block);
        let active = read(
            "active operators",
            crate::active_operators_at(&self.provider, self.attestation_center, at).await,
        )?;
        let registry = LivelinessRegistry::new(self.registry, &self.provider);
        let count = read(
            "registered operators count",
            registry.registeredOperatorsCount().block(at).call().await,
        )?;
        let mut endpoints: HashMap<Address, String> = HashMap::new();
        let page = U256::from(200);
        let mut offset = U256::ZERO;
        while offset < count {
            let list = read(
                "registered operators",
                registry
                    .getRegisteredOperators(offset, page)
                    .block(at)
                    .call()
                    .await,
            )?;
            if list.operators.is_empty() {
                break;
            }
            offset += U256::from(list.operators.len());
            endpoints.extend(list.operators.into_iter().zip(list.endpoints));
        }
        let mut out = Vec::with_capacity(active.len());
        for d in active {
            out.push(OperatorInfo {
                id: d.id,
                address: d.address,
                power: u128::try_from(d.voting_power).unwrap_or(u128::MAX),
                pk_g2: self.g2_key(d.id).await?,
                endpoint: endpoints.get(&d.address).cloned(),
            });
        }
        Ok(out)
    }

    /// The addresses of the operators active at `block`.
    pub async fn active_addresses(&self, block: u64) -> Result<Vec<Address>, ReadError> {
        let active = read(
            "active operators",
            crate::active_operators_at(
                &self.provider,
                self.attestation_center,
                BlockId::number(block),
            )
            .await,
        )?;
        Ok(active.into_iter().map(|d| d.address).collect())
    }

    /// An operator's G2 key (immutable once registered; cached).
    async fn g2_key(&self, id: u64) -> Result<PublicKeyG2, ReadError> {
        if let Some(k) = self.g2_keys.lock().expect("not poisoned").get(&id) {
            return Ok(*k);
        }
        let op = read(
            "operator keys",
            AttestationCenter::new(self.attestation_center, &self.provider)
                .getOperator(U256::from(id))
                .call()
                .await,
        )?;
        let key = PublicKeyG2::from_abi(op.pkG2)
            .map_err(|e| ReadError::new(format!("G2 key of operator {id}"), e))?;
        self.g2_keys.lock().expect("not poisoned").insert(id, key);
        Ok(key)
    }

    /// Whether a certificate for a task at a reference block (its epoch
    /// block) landed on-chain.
    pub async fn submitted(
        &self,
        task_hash: B256,
        reference_block: EpochBlock,
    ) -> Result<bool, ReadError> {
        let reference = reference_block
            .to_u32()
            .map_err(|e| ReadError::new("submitted", e))?;
        read(
            "submitted",
            AttestationCenter::new(self.attestation_center, &self.provider)
                .submitted(task_hash, reference)
                .call()
                .await,
        )
    }
}
