//! The checker: queries an operator's health endpoint and judges the answer.

use crate::{address::AddressPolicy, rpc::healthcheck_request};
use alloy_primitives::{Address, B256};
use liveliness_primitives::{Check, FailureReason, HealthAnswer};
use serde::Deserialize;
use serde_json::Value;
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{sync::Semaphore, task::JoinSet};
use tracing::debug;
use url::{Host, Url};

/// How many checks [`Checker::check_many`] runs at once unless told.
pub const DEFAULT_CHECK_CONCURRENCY: usize = 256;

/// At most this many resolved addresses of one host are tried.
const MAX_ADDRESSES: usize = 4;

/// The outcome of one check: [`Check::Healthy`] with the proof, or
/// [`Check::Unhealthy`] with a fixed [`FailureReason`] (never the response
/// bytes). It goes into the proof-of-task document as is.
pub type CheckOutcome = Check;

/// Checker settings. [`Default`] gives the protocol defaults with every
/// non-public address refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckerConfig {
    /// Bound on one whole check (resolve, connect, request, response), the
    /// registry's `healthTimeoutMs`.
    pub health_timeout_ms: u64,
    /// Largest response body read; a larger one fails as `oversized`.
    pub max_response_bytes: usize,
    /// Allow loopback endpoints (the local devnet).
    pub allow_loopback: bool,
    /// Allow private (RFC 1918, `fc00::/7`) and CGNAT (`100.64/10`)
    /// endpoints.
    pub allow_private: bool,
}

impl Default for CheckerConfig {
    fn default() -> Self {
        Self {
            health_timeout_ms: 2000,
            max_response_bytes: 16 * 1024,
            allow_loopback: false,
            allow_private: false,
        }
    }
}

impl CheckerConfig {
    /// The address policy these switches give.
    pub fn address_policy(&self) -> AddressPolicy {
        AddressPolicy {
            allow_loopback: self.allow_loopback,
            allow_private: self.allow_private,
        }
    }

    /// [`health_timeout_ms`](Self::health_timeout_ms) as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.health_timeout_ms)
    }
}

/// One check for [`Checker::check_many`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckRequest {
    /// The endpoint URL the operator registered.
    pub endpoint: String,
    /// The operator being checked.
    pub operator: Address,
    /// The epoch block `B`.
    pub epoch_block: u64,
    /// The canonical hash of `B`.
    pub canonical_hash: B256,
}

/// Queries health endpoints, as performers and attesters do.
///
/// Each check parses the URL (`http` only), resolves the host once, refuses
/// addresses the [`AddressPolicy`] does not allow, connects to the resolved
/// address itself (no second lookup, no proxy, no redirect, no retry), bounds
/// the whole exchange by the timeout and the body by the size limit, and
/// verifies the proof with [`HealthProof::verify`](liveliness_primitives::HealthProof::verify).
#[derive(Clone, Debug)]
pub struct Checker {
    config: Arc<CheckerConfig>,
}

impl Checker {
    /// A checker with `config`.
    pub fn new(config: CheckerConfig) -> Self {
        Self {
            config: Arc::new(config),
        }
    }

    /// Its settings.
    pub fn config(&self) -> &CheckerConfig {
        &self.config
    }

    /// Checks `operator`'s endpoint for the epoch block `epoch_block` whose
    /// canonical hash is `canonical_hash`.
    pub async fn check(
        &self,
        endpoint: &str,
        operator: Address,
        epoch_block: u64,
        canonical_hash: B256,
    ) -> CheckOutcome {
        let started = Instant::now();
        let fetched =
            tokio::time::timeout(self.config.timeout(), self.fetch(endpoint, epoch_block))
                .await
                .unwrap_or(Err(FailureReason::Timeout));
        let outcome = fetched.and_then(|answer| {
            let proof = answer.into_proof(epoch_block)?;
            proof.verify(operator, epoch_block, canonical_hash)?;
            Ok(proof)
        });
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok(proof) => {
                debug!(target: "health", endpoint, %operator, block = epoch_block, elapsed_ms, "healthy");
                Check::Healthy(proof)
            }
            Err(reason) => {
                debug!(target: "health", endpoint, %operator, block = epoch_block, elapsed_ms, ?reason, "unhealthy");
                Check::Unhealthy(reason)
            }
        }
    }

    /// Runs `items` with at most `concurrency` checks in flight and returns
    /// the outcomes in input order. Each check's time bound starts when it
    /// gets its slot, so a round takes about
    /// `ceil(items / concurrency) × timeout` at worst.
    pub async fn check_many<I>(&self, items: I, concurrency: usize) -> Vec<CheckOutcome>
    where
        I: IntoIterator<Item = CheckRequest>,
    {
        let slots = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let mut count = 0usize;
        for (index, item) in items.into_iter().enumerate() {
            let checker = self.clone();
            let slots = Arc::clone(&slots);
            tasks.spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail.
                let _slot = slots.acquire_owned().await;
                let outcome = checker
                    .check(
                        &item.endpoint,
                        item.operator,
                        item.epoch_block,
                        item.canonical_hash,
                    )
                    .await;
                (index, outcome)
            });
            count = index.saturating_add(1);
        }
        let mut outcomes: Vec<Option<CheckOutcome>> = vec![None; count];
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, outcome)) => {
                    if let Some(slot) = outcomes.get_mut(index) {
                        *slot = Some(outcome);
                    }
                }
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Cancelled: only when the runtime shuts down.
                Err(_) => {}
            }
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or(Check::Unhealthy(FailureReason::Timeout)))
            .collect()
    }

    /// Resolves, connects, asks and reads; the proof is not verified yet.
    async fn fetch(&self, endpoint: &str, block: u64) -> Result<HealthAnswer, FailureReason> {
        let url = Url::parse(endpoint).map_err(|_| refused(endpoint, "unparsable URL"))?;
        // Plain http only, the one scheme the registry accepts (its
        // `_validateEndpoint` refuses `https://`); anything else is refused.
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(refused(
                    endpoint,
                    "https is not supported (endpoints are plain http)",
                ))
            }
            _ => return Err(refused(endpoint, "scheme is not http")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(endpoint, "URL carries userinfo"));
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| refused(endpoint, "no port"))?;
        let (domain, resolved): (Option<&str>, Vec<SocketAddr>) = match url.host() {
            Some(Host::Ipv4(ip)) => (None, vec![SocketAddr::new(IpAddr::V4(ip), port)]),
            Some(Host::Ipv6(ip)) => (None, vec![SocketAddr::new(IpAddr::V6(ip), port)]),
            Some(Host::Domain(domain)) => {
                let found = tokio::net::lookup_host((domain, port))
                    .await
                    .map_err(|_| refused(endpoint, "host does not resolve"))?;
                (Some(domain), found.collect())
            }
            None => return Err(refused(endpoint, "no host")),
        };
        let policy = self.config.address_policy();
        let allowed: Vec<SocketAddr> = resolved
            .iter()
            .copied()
            .filter(|a| policy.allows(a.ip()))
            .take(MAX_ADDRESSES)
            .collect();
        if allowed.is_empty() {
            debug!(target: "health", endpoint, addresses = ?resolved, "no allowed address");
            return Err(FailureReason::Refused);
        }

        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .no_proxy()
            .pool_max_idle_per_host(0)
            .tcp_nodelay(true)
            .user_agent(concat!("liveliness-health/", env!("CARGO_PKG_VERSION")));
        if let Some(domain) = domain {
            builder = builder.resolve_to_addrs(domain, &allowed);
        }
        let client = builder
            .build()
            .map_err(|_| refused(endpoint, "cannot build client"))?;

        let mut response = client
            .post(url)
            .json(&healthcheck_request(block))
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    FailureReason::Refused
                } else {
                    FailureReason::Malformed
                }
            })?;
        if !response.status().is_success() {
            return Err(FailureReason::BadStatus);
        }
        let max = self.config.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(FailureReason::Oversized);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| FailureReason::Malformed)?
        {
            if body.len().saturating_add(chunk.len()) > max {
                return Err(FailureReason::Oversized);
            }
            body.extend_from_slice(&chunk);
        }
        parse_response(&body)
    }
}

/// Logs why an endpoint is not even tried and returns `refused`.
fn refused(endpoint: &str, why: &'static str) -> FailureReason {
    debug!(target: "health", endpoint, why, "endpoint refused");
    FailureReason::Refused
}

/// The JSON-RPC envelope of an answer. `id` and `jsonrpc` are not judged:
/// the proof itself carries everything that matters.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

/// The answer in `body` (see [`HealthAnswer`] for what is accepted).
fn parse_response(body: &[u8]) -> Result<HealthAnswer, FailureReason> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|_| FailureReason::Malformed)?;
    if envelope.error.is_some() {
        return Err(FailureReason::BadStatus);
    }
    let result = envelope.result.ok_or(FailureReason::Malformed)?;
    serde_json::from_value(result).map_err(|_| FailureReason::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope() {
        assert_eq!(parse_response(b"nope"), Err(FailureReason::Malformed));
        assert_eq!(parse_response(b"[]"), Err(FailureReason::Malformed));
        assert_eq!(
            parse_response(br#"{"jsonrpc":"2.0","id":1}"#),
            Err(FailureReason::Malformed)
        );
        assert_eq!(
            parse_response(br#"{"jsonrpc":"2.0","id":1,"result":null}"#),
            Err(FailureReason::Malformed)
        );
        assert_eq!(
            parse_response(br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"x"}}"#),
            Err(FailureReason::BadStatus)
        );
        assert_eq!(
            parse_response(br#"{"jsonrpc":"2.0","id":1,"result":{"address":"0x00"}}"#),
            Err(FailureReason::Malformed)
        );
    }
}
