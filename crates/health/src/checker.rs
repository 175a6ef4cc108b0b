//! The checker: queries an operator's health endpoint and judges the answer.

use crate::{
    address::AddressPolicy,
    dns::{Dns, ResolveFailure},
    rpc::healthcheck_request,
};
use alloy_primitives::{Address, B256};
use liveliness_primitives::{Check, FailureReason, HealthAnswer, HealthProof};
use serde::Deserialize;
use serde_json::Value;
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{sync::Semaphore, task::JoinSet};
use tracing::{debug, warn};
use url::{Host, Url};

/// How many checks [`Checker::check_many`] runs at once unless told.
pub const DEFAULT_CHECK_CONCURRENCY: usize = 256;

/// At most this many resolved addresses of one host are tried.
const MAX_ADDRESSES: usize = 4;

/// Why this node could not check an endpoint: its own trouble, never the
/// operator's. A check that ends this way is no evidence about the operator
/// and must not be reported as unhealthy (nor count as a re-check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LocalFault {
    /// The process or the host ran out of something: file descriptors,
    /// memory, buffers or local ports (`EMFILE`, `ENFILE`, `ENOMEM`,
    /// `ENOBUFS`, `EADDRNOTAVAIL`), or a local rule forbade the connection
    /// (`EPERM`, `EACCES`).
    Resources,
    /// This node's DNS resolver did not answer, and did not answer a probe
    /// of the root zone either.
    Resolver,
    /// The check's timer fired so late that this node's runtime was stalled
    /// (overload): the endpoint was not given its time.
    Stalled,
    /// The HTTP client or the resolver could not be set up.
    Setup,
}

impl LocalFault {
    /// A short label for logs and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Resources => "resources",
            Self::Resolver => "resolver",
            Self::Stalled => "stalled",
            Self::Setup => "setup",
        }
    }
}

/// The outcome of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The endpoint answered with a valid proof.
    Healthy(HealthProof),
    /// The endpoint failed, for a fixed [`FailureReason`] (never the
    /// response bytes).
    Unhealthy(FailureReason),
    /// This node could not check: "I don't know".
    Undetermined(LocalFault),
}

impl CheckOutcome {
    /// The document's verdict for this outcome; `None` when undetermined.
    pub fn into_check(self) -> Option<Check> {
        match self {
            Self::Healthy(proof) => Some(Check::Healthy(proof)),
            Self::Unhealthy(reason) => Some(Check::Unhealthy(reason)),
            Self::Undetermined(_) => None,
        }
    }

    /// A short label for logs and metrics: `healthy`, `unhealthy` or
    /// `undetermined`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Healthy(_) => "healthy",
            Self::Unhealthy(_) => "unhealthy",
            Self::Undetermined(_) => "undetermined",
        }
    }
}

/// How a fetch failed: the operator's fault or this node's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failure {
    Operator(FailureReason),
    Local(LocalFault),
}

impl From<FailureReason> for Failure {
    fn from(reason: FailureReason) -> Self {
        Self::Operator(reason)
    }
}

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
    /// DNS servers to resolve endpoint names with; `None` (the default) uses
    /// the system's configuration (`/etc/resolv.conf`, `/etc/hosts`).
    pub name_servers: Option<Vec<SocketAddr>>,
}

impl Default for CheckerConfig {
    fn default() -> Self {
        Self {
            health_timeout_ms: 2000,
            max_response_bytes: 16 * 1024,
            allow_loopback: false,
            allow_private: false,
            name_servers: None,
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
/// verifies the proof with [`HealthProof::verify`].
///
/// Failures that are this node's own ([`LocalFault`]: no descriptors or
/// memory, its resolver down, its runtime stalled) give
/// [`CheckOutcome::Undetermined`], never [`CheckOutcome::Unhealthy`].
#[derive(Clone, Debug)]
pub struct Checker {
    config: Arc<CheckerConfig>,
    dns: Arc<Dns>,
}

impl Checker {
    /// A checker with `config`.
    pub fn new(config: CheckerConfig) -> Self {
        let dns = Dns::new(config.name_servers.as_deref(), dns_budget(config.timeout()));
        Self {
            config: Arc::new(config),
            dns,
        }
    }

    /// The same checker (and resolver) with another timeout.
    pub fn with_timeout_ms(&self, health_timeout_ms: u64) -> Self {
        Self {
            config: Arc::new(CheckerConfig {
                health_timeout_ms,
                ..(*self.config).clone()
            }),
            dns: Arc::clone(&self.dns),
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
        let timeout = self.config.timeout();
        let fetched = match tokio::time::timeout(timeout, self.fetch(endpoint, epoch_block)).await {
            Ok(fetched) => fetched,
            Err(_) => {
                // The timer fired: was it on time? A runtime too busy to run
                // it for a long while did not give the endpoint its time.
                let late = started.elapsed().saturating_sub(timeout);
                if late > stall_tolerance(timeout) {
                    Err(Failure::Local(LocalFault::Stalled))
                } else {
                    Err(Failure::Operator(FailureReason::Timeout))
                }
            }
        };
        let outcome = fetched.and_then(|answer| {
            let proof = answer
                .into_proof(epoch_block)
                .map_err(|e| Failure::Operator(e.into()))?;
            proof
                .verify(operator, epoch_block, canonical_hash)
                .map_err(|e| Failure::Operator(e.into()))?;
            Ok(proof)
        });
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok(proof) => {
                debug!(target: "health", endpoint, %operator, block = epoch_block, elapsed_ms, "healthy");
                CheckOutcome::Healthy(proof)
            }
            Err(Failure::Operator(reason)) => {
                debug!(target: "health", endpoint, %operator, block = epoch_block, elapsed_ms, ?reason, "unhealthy");
                CheckOutcome::Unhealthy(reason)
            }
            Err(Failure::Local(fault)) => {
                warn!(target: "health", endpoint, %operator, block = epoch_block, elapsed_ms, fault = fault.as_str(), "could not check: this node's own trouble");
                CheckOutcome::Undetermined(fault)
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
            .map(|o| o.unwrap_or(CheckOutcome::Undetermined(LocalFault::Stalled)))
            .collect()
    }

    /// Resolves, connects, asks and reads; the proof is not verified yet.
    async fn fetch(&self, endpoint: &str, block: u64) -> Result<HealthAnswer, Failure> {
        let url = Url::parse(endpoint).map_err(|_| refused(endpoint, "unparsable URL"))?;
        // Plain http only, the one scheme the registry accepts (its
        // `_validateEndpoint` refuses `https://`); anything else is refused.
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(refused(
                    endpoint,
                    "https is not supported (endpoints are plain http)",
                )
                .into())
            }
            _ => return Err(refused(endpoint, "scheme is not http").into()),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(endpoint, "URL carries userinfo").into());
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| refused(endpoint, "no port"))?;
        let (domain, resolved): (Option<&str>, Vec<SocketAddr>) = match url.host() {
            Some(Host::Ipv4(ip)) => (None, vec![SocketAddr::new(IpAddr::V4(ip), port)]),
            Some(Host::Ipv6(ip)) => (None, vec![SocketAddr::new(IpAddr::V6(ip), port)]),
            Some(Host::Domain(domain)) => {
                let budget = dns_budget(self.config.timeout());
                let ips = self
                    .dns
                    .resolve(domain, budget)
                    .await
                    .map_err(|e| match e {
                        ResolveFailure::Name { timed_out: true } => {
                            debug!(target: "health", endpoint, "host does not resolve in time");
                            Failure::Operator(FailureReason::Timeout)
                        }
                        ResolveFailure::Name { timed_out: false } => {
                            refused(endpoint, "host does not resolve").into()
                        }
                        ResolveFailure::Local(fault) => Failure::Local(fault),
                    })?;
                (
                    Some(domain),
                    ips.into_iter()
                        .map(|ip| SocketAddr::new(ip, port))
                        .collect(),
                )
            }
            None => return Err(refused(endpoint, "no host").into()),
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
            return Err(FailureReason::Refused.into());
        }

        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .no_proxy()
            .pool_max_idle_per_host(0)
            .tcp_nodelay(true)
            // Endpoints are plain http (§7.1): no trust roots to load, so a
            // client per check costs no file reads (nor descriptors).
            .tls_certs_only(Vec::new())
            .user_agent(concat!("liveliness-health/", env!("CARGO_PKG_VERSION")));
        if let Some(domain) = domain {
            builder = builder.resolve_to_addrs(domain, &allowed);
        }
        let client = builder.build().map_err(|e| {
            warn!(target: "health", error = %e, "cannot build the HTTP client");
            Failure::Local(local_fault_in(&e).unwrap_or(LocalFault::Setup))
        })?;

        let mut response = client
            .post(url)
            .json(&healthcheck_request(block))
            .send()
            .await
            .map_err(|e| {
                if let Some(fault) = local_fault_in(&e) {
                    Failure::Local(fault)
                } else if e.is_connect() {
                    Failure::Operator(FailureReason::Refused)
                } else {
                    Failure::Operator(FailureReason::Malformed)
                }
            })?;
        if !response.status().is_success() {
            return Err(FailureReason::BadStatus.into());
        }
        let max = self.config.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(FailureReason::Oversized.into());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| {
            local_fault_in(&e).map_or(Failure::Operator(FailureReason::Malformed), Failure::Local)
        })? {
            if body.len().saturating_add(chunk.len()) > max {
                return Err(FailureReason::Oversized.into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(parse_response(&body)?)
    }
}

/// How long name resolution may take within a check's `timeout`: half of it
/// for the lookup, then at most a quarter for the probe of the resolver.
fn dns_budget(timeout: Duration) -> Duration {
    timeout / 2
}

/// How late a check's timer may fire before the runtime counts as stalled.
fn stall_tolerance(timeout: Duration) -> Duration {
    (timeout / 4).max(Duration::from_millis(250))
}

/// The [`LocalFault`] behind `error`, if an OS error in its source chain is
/// this node's own (out of descriptors, memory, buffers or local ports, or a
/// local rule refusing the connection).
fn local_fault_in(error: &(dyn std::error::Error + 'static)) -> Option<LocalFault> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(code) = io.raw_os_error() {
                if is_local_errno(code) {
                    return Some(LocalFault::Resources);
                }
            }
        }
        current = e.source();
    }
    None
}

/// OS errors that say "this host could not", not "the endpoint would not".
fn is_local_errno(code: i32) -> bool {
    [
        libc::EMFILE,
        libc::ENFILE,
        libc::ENOMEM,
        libc::ENOBUFS,
        libc::EADDRNOTAVAIL,
        libc::EPERM,
        libc::EACCES,
    ]
    .contains(&code)
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
