//! Chain reads with retries: every call goes to the current RPC provider and,
//! on a transport fault, is retried with exponential backoff, rotating
//! through the configured URLs.

use crate::epoch::{OperatorInfo, Params};
use alloy::{
    eips::BlockId,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
};
use liveliness_bls::PublicKeyG2;
use liveliness_chain::bindings::{AttestationCenter, LivelinessRegistry};
use std::{
    collections::HashMap,
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};
use tracing::warn;

/// How many attempts a read makes before giving up (the caller retries on
/// its next tick).
const ATTEMPTS: u32 = 5;
/// First backoff; doubles per attempt.
const BACKOFF: Duration = Duration::from_millis(200);
/// Longest one read may take, every attempt and backoff included, so that a
/// hung RPC holds the node's loop (and the gossip waiting behind it) for at
/// most this long per tick.
pub const READ_BUDGET: Duration = Duration::from_secs(10);

/// A chain read failed after every retry.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {message}")]
pub struct ReadError {
    /// What was being read.
    pub what: String,
    /// The last error.
    pub message: String,
}

/// Reads the contracts through one of several providers.
#[derive(Debug)]
pub struct Reader {
    providers: Vec<DynProvider>,
    current: AtomicUsize,
    /// The AttestationCenter.
    pub attestation_center: Address,
    /// The registry.
    pub registry: Address,
    g2_keys: Mutex<HashMap<u64, PublicKeyG2>>,
}

impl Reader {
    /// A reader over `providers` (at least one).
    pub fn new(
        providers: Vec<DynProvider>,
        attestation_center: Address,
        registry: Address,
    ) -> Self {
        assert!(!providers.is_empty(), "at least one provider");
        Self {
            providers,
            current: AtomicUsize::new(0),
            attestation_center,
            registry,
            g2_keys: Mutex::new(HashMap::new()),
        }
    }

    /// The provider in use.
    pub fn provider(&self) -> &DynProvider {
        &self.providers[self.current.load(Ordering::Relaxed) % self.providers.len()]
    }

    /// Runs `f` against the current provider, retrying with backoff and
    /// moving to the next provider after each failure.
    pub async fn retry<T, E, F, Fut>(&self, what: &str, f: F) -> Result<T, ReadError>
    where
        F: Fn(DynProvider) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let started = Instant::now();
        let mut delay = BACKOFF;
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            let left = READ_BUDGET.saturating_sub(started.elapsed());
            let outcome = match tokio::time::timeout(left, f(self.provider().clone())).await {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => crate::redact::redact_urls(&e.to_string()),
                Err(_) => format!("no answer within the {READ_BUDGET:?} read budget"),
            };
            last = outcome;
            warn!(what, attempt, error = %last, "chain read failed; retrying");
            metrics::counter!("liveliness_rpc_errors_total").increment(1);
            self.current.fetch_add(1, Ordering::Relaxed);
            if attempt == ATTEMPTS || started.elapsed().saturating_add(delay) >= READ_BUDGET {
                break;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        Err(ReadError {
            what: what.to_owned(),
            message: last,
        })
    }

    /// The chain id.
    pub async fn chain_id(&self) -> Result<u64, ReadError> {
        self.retry("chain id", |p| async move { p.get_chain_id().await })
            .await
    }

    /// The head block number.
    pub async fn head(&self) -> Result<u64, ReadError> {
        self.retry("head", |p| async move { p.get_block_number().await })
            .await
    }

    /// The hash of block `number` (None when it does not exist yet).
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, ReadError> {
        self.retry("block hash", |p| async move {
            p.get_block_by_number(number.into())
                .await
                .map(|b| b.map(|b| b.header.hash))
        })
        .await
    }

    /// The registry parameters at `block`.
    pub async fn params(&self, block: u64) -> Result<Params, ReadError> {
        let registry = self.registry;
        let p = self
            .retry("registry params", |p| async move {
                LivelinessRegistry::new(registry, p)
                    .params()
                    .block(BlockId::number(block))
                    .call()
                    .await
            })
            .await?;
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
        let (ac, registry) = (self.attestation_center, self.registry);
        let at = BlockId::number(block);
        let active = self
            .retry("active operators", |p| async move {
                liveliness_chain::active_operators_at(&p, ac, at).await
            })
            .await?;
        let count = self
            .retry("registered operators count", |p| async move {
                LivelinessRegistry::new(registry, p)
                    .registeredOperatorsCount()
                    .block(at)
                    .call()
                    .await
            })
            .await?;
        let mut endpoints: HashMap<Address, String> = HashMap::new();
        let page = U256::from(200);
        let mut offset = U256::ZERO;
        while offset < count {
            let list = self
                .retry("registered operators", |p| async move {
                    LivelinessRegistry::new(registry, p)
                        .getRegisteredOperators(offset, page)
                        .block(at)
                        .call()
                        .await
                })
                .await?;
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
        let ac = self.attestation_center;
        let active = self
            .retry("active operators", |p| async move {
                liveliness_chain::active_operators_at(&p, ac, BlockId::number(block)).await
            })
            .await?;
        Ok(active.into_iter().map(|d| d.address).collect())
    }

    /// An operator's G2 key (immutable once registered; cached).
    async fn g2_key(&self, id: u64) -> Result<PublicKeyG2, ReadError> {
        if let Some(k) = self.g2_keys.lock().expect("not poisoned").get(&id) {
            return Ok(*k);
        }
        let ac = self.attestation_center;
        let op = self
            .retry("operator keys", |p| async move {
                AttestationCenter::new(ac, p)
                    .getOperator(U256::from(id))
                    .call()
                    .await
            })
            .await?;
        let key = PublicKeyG2::from_abi(op.pkG2).map_err(|e| ReadError {
            what: format!("G2 key of operator {id}"),
            message: e.to_string(),
        })?;
        self.g2_keys.lock().expect("not poisoned").insert(id, key);
        Ok(key)
    }

    /// Whether a certificate for a task at a reference block (its epoch
    /// block) landed on-chain.
    pub async fn submitted(
        &self,
        task_hash: B256,
        reference_block: u64,
    ) -> Result<bool, ReadError> {
        let ac = self.attestation_center;
        let reference = u32::try_from(reference_block).map_err(|_| ReadError {
            what: "submitted".into(),
            message: format!("block {reference_block} exceeds uint32"),
        })?;
        self.retry("submitted", |p| async move {
            AttestationCenter::new(ac, p)
                .submitted(task_hash, reference)
                .call()
                .await
        })
        .await
    }
}
