//! The health endpoint: JSON-RPC `healthcheck` over HTTP POST.

use crate::{
    error::{Error, Result},
    rate_limit::{RateLimit, RateLimiter},
    rpc::{codes, error_response, parse_body, result_response, Body, Call, Method, RpcError},
    serve::ServeLimits,
    source::BlockSource,
};
use alloy::signers::{local::PrivateKeySigner, SignerSync};
use alloy_primitives::{Address, B256};
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use futures::future::join_all;
use liveliness_primitives::{health_message, HealthAnswer, HealthProof};
use serde_json::Value;
use std::{
    collections::BTreeMap,
    fmt,
    future::Future,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{net::TcpListener, time::Instant};
use tracing::{debug, info, warn};

/// How far below the head the endpoint still answers (the EVM's
/// `blockhash` window).
pub const LOOKBACK_BLOCKS: u64 = 256;

/// How long the endpoint waits for a block it has not seen yet.
pub const MAX_WAIT: Duration = Duration::from_secs(1);

/// Health server settings. [`Default`] gives the production values.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerConfig {
    /// Per-client rate limit; `None` turns it off.
    pub rate_limit: Option<RateLimit>,
    /// Largest request body accepted (HTTP 413 beyond).
    pub max_body_bytes: usize,
    /// How many blocks' proofs are cached (oldest block evicted first).
    pub cache_blocks: usize,
    /// A cached proof for a block at least this many blocks below the head
    /// is served as is; nearer the head the block hash is read again, so
    /// that a reorg never leaves a stale proof behind.
    pub reorg_depth: u64,
    /// How often the head is polled while waiting for the next block.
    pub poll_interval: Duration,
    /// Bound on all chain work for one request (waiting included).
    pub request_timeout: Duration,
    /// The chain id answered to `eth_chainId` (JSON-RPC clients such as
    /// ethers' provider ask for it first); `None` answers "method not found".
    pub chain_id: Option<u64>,
    /// Connection caps and HTTP timeouts ([`serve`](crate::serve)).
    pub limits: ServeLimits,
    /// `healthcheck` calls being answered at once, all clients together;
    /// beyond, a call is refused at once with -32002 (busy) instead of
    /// queueing chain work.
    pub max_in_flight: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            rate_limit: Some(RateLimit::default()),
            max_body_bytes: 4096,
            cache_blocks: 512,
            reorg_depth: 6,
            poll_interval: Duration::from_millis(50),
            request_timeout: Duration::from_secs(3),
            chain_id: None,
            limits: ServeLimits::default(),
            max_in_flight: 64,
        }
    }
}

/// Why the endpoint gives no proof for a block.
#[derive(Debug)]
enum Refusal {
    OutOfRange { head: u64 },
    Unavailable,
    Failed(Error),
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Self::Failed(e)
    }
}

/// The operator's health endpoint.
///
/// Answers `healthcheck` with a [`HealthProof`] signed by the operator's
/// ECDSA key for any block in `[head − 256, head + 1]`, waiting up to
/// [`MAX_WAIT`] for a block it has not seen, caching proofs per block and
/// rate-limiting per client address. JSON-RPC is served at `/`; `GET /health`
/// is a plain liveness probe for process supervisors.
pub struct HealthServer<S> {
    inner: Arc<Inner<S>>,
}

struct Inner<S> {
    source: S,
    signer: PrivateKeySigner,
    config: ServerConfig,
    /// The source's reorg count the proofs were made at, and the proofs.
    cache: Mutex<(u64, BTreeMap<u64, HealthProof>)>,
    limiter: Option<RateLimiter>,
    in_flight: tokio::sync::Semaphore,
}

impl<S> Clone for HealthServer<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<S> fmt::Debug for HealthServer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthServer")
            .field("address", &self.inner.signer.address())
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl<S: BlockSource> HealthServer<S> {
    /// A server answering for `signer`'s address from `source`'s chain.
    pub fn new(source: S, signer: PrivateKeySigner, config: ServerConfig) -> Result<Self> {
        if config.max_body_bytes == 0 {
            return Err(Error::InvalidConfig("max_body_bytes must not be zero"));
        }
        config.limits.validate().map_err(Error::InvalidConfig)?;
        if config.max_in_flight == 0 {
            return Err(Error::InvalidConfig("max_in_flight must not be zero"));
        }
        if config.poll_interval.is_zero() {
            return Err(Error::InvalidConfig("poll_interval must not be zero"));
        }
        if let Some(limit) = &config.rate_limit {
            if !(limit.per_second.is_finite() && limit.per_second > 0.0) || limit.burst == 0 {
                return Err(Error::InvalidConfig("rate limit must be positive"));
            }
            if limit.max_clients == 0 {
                return Err(Error::InvalidConfig(
                    "rate limit max_clients must not be zero",
                ));
            }
        }
        let limiter = config.rate_limit.map(RateLimiter::new);
        let config_in_flight = config.max_in_flight;
        let inner = Inner {
            source,
            signer,
            config,
            cache: Mutex::new((0, BTreeMap::new())),
            limiter,
            in_flight: tokio::sync::Semaphore::new(config_in_flight),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The operator address proofs are signed for.
    pub fn address(&self) -> Address {
        self.inner.signer.address()
    }

    /// The axum router: `POST /` (JSON-RPC), and `GET /health` and
    /// `GET /healthcheck` (plain liveness probes).
    ///
    /// Rate limiting keys on the client address from
    /// [`ConnectInfo<SocketAddr>`], which [`crate::serve`] (used by
    /// [`serve`](Self::serve)) and axum's
    /// `into_make_service_with_connect_info::<SocketAddr>()` provide; served
    /// otherwise, every client shares one bucket.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", post(handle::<S>))
            .route("/health", get(|| async { "ok" }))
            // The reference validator GETs `<endpoint>/healthcheck` before
            // its JSON-RPC call and gives up unless it succeeds.
            .route("/healthcheck", get(|| async { "ok" }))
            .with_state(Arc::clone(&self.inner))
    }

    /// Serves on `listener` until the process ends.
    pub async fn serve(self, listener: TcpListener) -> Result<()> {
        self.serve_with_shutdown(listener, std::future::pending())
            .await
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the
    /// requests in flight.
    pub async fn serve_with_shutdown<F>(self, listener: TcpListener, shutdown: F) -> Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let local = listener.local_addr().map_err(Error::Io)?;
        info!(target: "health", address = %self.address(), listen = %local, "health endpoint serving");
        let limits = self.inner.config.limits;
        crate::serve(listener, self.router(), limits, shutdown)
            .await
            .map_err(Error::Io)
    }
}

impl<S: BlockSource> Inner<S> {
    /// The proof for `block`, within the request time bound.
    async fn answer(&self, block: u64) -> Result<HealthProof, Refusal> {
        match tokio::time::timeout(self.config.request_timeout, self.proof(block)).await {
            Ok(answer) => answer,
            Err(_) => Err(Refusal::Failed(Error::SourceTimeout)),
        }
    }

    async fn proof(&self, block: u64) -> Result<HealthProof, Refusal> {
        let head = self.source.head().await?;
        if block.saturating_add(LOOKBACK_BLOCKS) < head || block > head.saturating_add(1) {
            return Err(Refusal::OutOfRange { head });
        }
        let cached = self.cached(block);
        if let Some(proof) = &cached {
            if block.saturating_add(self.config.reorg_depth) <= head {
                return Ok(proof.clone());
            }
        }
        let hash = self.wait_for_hash(block, head).await?;
        if let Some(proof) = cached {
            if proof.block_hash == hash {
                return Ok(proof);
            }
        }
        let signature = self
            .signer
            .sign_message_sync(health_message(hash).as_slice())
            .map_err(Error::Signing)?;
        let proof = HealthProof::new(self.signer.address(), block, hash, signature.as_bytes());
        self.store(proof.clone(), head);
        Ok(proof)
    }

    /// The canonical hash of `block`, polling for up to [`MAX_WAIT`] while
    /// the source has not got it.
    async fn wait_for_hash(&self, block: u64, mut head: u64) -> Result<B256, Refusal> {
        let deadline = Instant::now() + MAX_WAIT;
        loop {
            if block <= head {
                if let Some(hash) = self.source.block_hash(block).await? {
                    return Ok(hash);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Refusal::Unavailable);
            }
            tokio::time::sleep(self.config.poll_interval.min(deadline - now)).await;
            if block > head {
                head = self.source.head().await?;
            }
        }
    }

    fn cached(&self, block: u64) -> Option<HealthProof> {
        let mut cache = match self.cache.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        };
        let reorgs = self.source.reorgs();
        if cache.0 != reorgs {
            // Proofs made before a reorg may sign hashes of a dropped branch.
            *cache = (reorgs, BTreeMap::new());
            return None;
        }
        cache.1.get(&block).cloned()
    }

    fn store(&self, proof: HealthProof, head: u64) {
        if self.config.cache_blocks == 0 {
            return;
        }
        let mut cache = match self.cache.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        };
        let reorgs = self.source.reorgs();
        if cache.0 != reorgs {
            *cache = (reorgs, BTreeMap::new());
        }
        let oldest_in_range = head.saturating_sub(LOOKBACK_BLOCKS);
        let proofs = &mut cache.1;
        proofs.insert(proof.block_number, proof);
        *proofs = proofs.split_off(&oldest_in_range);
        while proofs.len() > self.config.cache_blocks {
            proofs.pop_first();
        }
    }
}

/// `POST /`.
async fn handle<S: BlockSource>(State(inner): State<Arc<Inner<S>>>, request: Request) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    if let Some(limiter) = &inner.limiter {
        if !limiter.try_acquire(client, std::time::Instant::now()) {
            return too_many_requests(client);
        }
    }
    let max = inner.config.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), max).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let answer = match parse_body(&body) {
        Body::Single(call) => inner.reply(call, client).await,
        Body::Batch(calls) => {
            // Every call of a batch beyond the first costs a token too.
            if let Some(limiter) = &inner.limiter {
                let now = std::time::Instant::now();
                if !(1..calls.len()).all(|_| limiter.try_acquire(client, now)) {
                    return too_many_requests(client);
                }
            }
            let replies = join_all(calls.into_iter().map(|call| inner.reply(call, client))).await;
            let replies: Vec<Value> = replies.into_iter().flatten().collect();
            (!replies.is_empty()).then_some(Value::Array(replies))
        }
    };
    match answer {
        Some(answer) => json(answer),
        // Only notifications: nothing to answer.
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

fn too_many_requests(client: IpAddr) -> Response {
    debug!(target: "health", %client, "rate limited");
    let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

impl<S: BlockSource> Inner<S> {
    /// The answer to one call; `None` for a notification, which gets none.
    async fn reply(&self, call: Result<Call, (Value, RpcError)>, client: IpAddr) -> Option<Value> {
        let call = match call {
            Ok(call) => call,
            Err((id, error)) => {
                debug!(target: "health", %client, code = error.code, "invalid request");
                return Some(error_response(id, &error));
            }
        };
        // A notification gets no answer, so there is nothing to compute.
        let id = call.id?;
        let block = match call.method {
            Method::ChainId => {
                return Some(match self.config.chain_id {
                    Some(chain_id) => result_response(id, Value::String(format!("{chain_id:#x}"))),
                    None => error_response(
                        id,
                        &RpcError::new(codes::METHOD_NOT_FOUND, "method not found"),
                    ),
                })
            }
            Method::Healthcheck(block) => block,
        };
        let Ok(_slot) = self.in_flight.try_acquire() else {
            debug!(target: "health", %client, block, "busy");
            return Some(error_response(
                id,
                &RpcError::new(codes::BUSY, "server busy; retry later"),
            ));
        };
        Some(match self.answer(block).await {
            Ok(proof) => {
                debug!(target: "health", %client, block, "served health proof");
                match serde_json::to_value(HealthAnswer::from_proof(&proof)) {
                    Ok(result) => result_response(id, result),
                    Err(e) => {
                        warn!(target: "health", error = %e, "cannot encode health proof");
                        error_response(id, &RpcError::new(codes::INTERNAL_ERROR, "internal error"))
                    }
                }
            }
            Err(refusal) => {
                let error = match refusal {
                    Refusal::OutOfRange { head } => RpcError::new(
                        codes::BLOCK_OUT_OF_RANGE,
                        format!(
                            "block {block} out of range [{}, {}]",
                            head.saturating_sub(LOOKBACK_BLOCKS),
                            head.saturating_add(1)
                        ),
                    ),
                    Refusal::Unavailable => RpcError::new(
                        codes::BLOCK_UNAVAILABLE,
                        format!("block {block} not available"),
                    ),
                    Refusal::Failed(e) => {
                        warn!(target: "health", block, error = %e, cause = ?std::error::Error::source(&e), "cannot answer healthcheck");
                        RpcError::new(codes::INTERNAL_ERROR, "chain source unavailable")
                    }
                };
                debug!(target: "health", %client, block, code = error.code, "refused healthcheck");
                error_response(id, &error)
            }
        })
    }
}

fn json(value: Value) -> Response {
    (StatusCode::OK, Json(value)).into_response()
}
