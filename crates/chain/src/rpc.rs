//! The JSON-RPC transport: every request, read or send, goes through alloy's
//! own layers over one HTTP transport per configured URL.
//!
//! From the outside in:
//!
//! 1. [`Deadline`]: one request, every URL and retry included, gets an answer
//!    within [`RpcConfig::deadline`] (10 s) or fails. A hung or throttling
//!    RPC therefore holds a caller (the node's loop) for at most that long
//!    per request, whatever a server's `Retry-After` asks for.
//! 2. alloy's [`RetryBackoffLayer`]: a request that failed with a retryable
//!    error (HTTP 429 or 503, a `Retry-After`, a provider's rate-limit
//!    JSON-RPC error) on every URL is sent again, at most
//!    [`RpcConfig::retries`] (2) times, [`RpcConfig::retry_backoff`]
//!    (250 ms) apart unless the server asks for longer. Other errors
//!    (refused connections, timeouts, reverts) are not retried here: the URLs
//!    behind are tried instead, and the caller tries again on its next tick.
//! 3. alloy's [`FallbackLayer`]: the URLs are tried one after another, best
//!    ranked first (alloy ranks them by recent success rate and latency, in
//!    the configured order until they have a record), until one answers.
//!    Every method the node uses is in the sequential set, so a request goes
//!    to one URL at a time rather than racing on all of them (which would
//!    multiply the load on metered RPCs, and send a transaction to several
//!    nodes at once).
//! 4. [`Endpoint`], one per URL: each request to the URL is bounded by
//!    [`RpcConfig::request_timeout`] (3 s, connecting included), a
//!    rate-limit answer counts as a failure (so that the next URL is tried),
//!    every failure increments `liveliness_rpc_errors_total` and is logged,
//!    and error messages are stripped of the URL (which often holds an API
//!    key): they name the URL only as its scheme, host and port.
//!
//! Worst cases with the defaults: a dead URL (refused) costs milliseconds; a
//! hung one costs 3 s once, then it ranks last; with every URL hung, a
//! request fails after 3 s per URL or at the 10 s deadline, whichever comes
//! first (the retry layer does not retry timeouts).

use crate::redact::redact_urls;
use alloy::{
    network::EthereumWallet,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::{
        client::{ClientBuilder, RpcClient},
        json_rpc::{RequestPacket, ResponsePacket},
    },
    transports::{
        http::{reqwest, Http},
        layers::{FallbackLayer, RetryBackoffLayer},
        utils::guess_local_url,
        RpcError, TransportError, TransportErrorKind, TransportFut,
    },
};
use std::{
    collections::HashSet,
    error::Error as StdError,
    num::NonZeroUsize,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};
use tower::{Layer, Service};
use tracing::warn;

/// Bound on one request to one URL, connecting included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// Bound on connecting (TCP and TLS) to one URL; for the HTTP client.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a request every URL refused as throttled or unavailable is sent
/// again.
pub const RETRIES: u32 = 2;
/// Pause before such a retry, unless the server asks for a longer one.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(250);
/// Bound on one request, every URL, retry and backoff included.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The counter of failed RPC requests (one per failed request to one URL,
/// and one per request that ran out of its deadline).
pub const RPC_ERRORS_METRIC: &str = "liveliness_rpc_errors_total";

/// The methods sent to one URL at a time (see the module docs). A method
/// not listed here is sent to every URL at once, the first answer winning.
pub const SEQUENTIAL_METHODS: &[&str] = &[
    "eth_accounts",
    "eth_blockNumber",
    "eth_call",
    "eth_chainId",
    "eth_estimateGas",
    "eth_feeHistory",
    "eth_gasPrice",
    "eth_getBalance",
    "eth_getBlockByHash",
    "eth_getBlockByNumber",
    "eth_getBlockReceipts",
    "eth_getCode",
    "eth_getLogs",
    "eth_getStorageAt",
    "eth_getTransactionByHash",
    "eth_getTransactionCount",
    "eth_getTransactionReceipt",
    "eth_maxPriorityFeePerGas",
    "eth_sendRawTransaction",
    "eth_sendRawTransactionSync",
    "eth_sendTransaction",
    "eth_sendTransactionSync",
    "eth_syncing",
    "net_version",
    "web3_clientVersion",
];

/// Timeouts and retries of the RPC transport; the defaults are the
/// constants of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcConfig {
    /// Bound on one request to one URL.
    pub request_timeout: Duration,
    /// Retries of a request every URL refused as throttled or unavailable.
    pub retries: u32,
    /// Pause before such a retry.
    pub retry_backoff: Duration,
    /// Bound on one request, everything included.
    pub deadline: Duration,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            request_timeout: REQUEST_TIMEOUT,
            retries: RETRIES,
            retry_backoff: RETRY_BACKOFF,
            deadline: DEADLINE,
        }
    }
}

/// An error building the transport.
#[derive(Debug, thiserror::Error)]
pub enum RpcSetupError {
    /// No URL was given.
    #[error("no rpc url configured")]
    NoUrl,
    /// The URL at this index does not parse. It is not quoted: it may
    /// carry an API key.
    #[error("rpc url #{0} is not a valid URL")]
    BadUrl(usize),
}

/// An [`RpcClient`] over `urls` (tried in this order until they have a
/// record), each spoken to with `http` (which brings TLS roots and the
/// connect timeout), with the layers of the module docs.
///
/// # Errors
/// When `urls` is empty or one does not parse.
pub fn rpc_client<U: AsRef<str>>(
    urls: &[U],
    http: &reqwest::Client,
    config: &RpcConfig,
) -> Result<RpcClient, RpcSetupError> {
    if urls.is_empty() {
        return Err(RpcSetupError::NoUrl);
    }
    let mut endpoints = Vec::with_capacity(urls.len());
    for (index, url) in urls.iter().enumerate() {
        let parsed: url::Url = url
            .as_ref()
            .parse()
            .map_err(|_| RpcSetupError::BadUrl(index))?;
        let name: Arc<str> = redact_urls(parsed.as_str()).into();
        endpoints.push(Endpoint {
            inner: Http::with_client(http.clone(), parsed),
            name,
            timeout: config.request_timeout,
        });
    }
    // Polling (receipts, new blocks) is fast only when every URL is local.
    let is_local = urls.iter().all(|u| guess_local_url(u.as_ref()));
    let count = NonZeroUsize::new(endpoints.len()).expect("not empty");
    let fallback = FallbackLayer::default()
        .with_active_transport_count(count)
        .with_sequential_methods(sequential_methods())
        .layer(endpoints);
    let retry = RetryBackoffLayer::new(
        config.retries,
        u64::try_from(config.retry_backoff.as_millis()).unwrap_or(u64::MAX),
        // No compute-unit budgeting: throttling is the server's to signal.
        u64::MAX,
    );
    Ok(ClientBuilder::default()
        .layer(DeadlineLayer {
            deadline: config.deadline,
        })
        .layer(retry)
        .transport(fallback, is_local))
}

/// The provider the node reads and sends through: [`rpc_client`] with the
/// fillers a sender needs. Nonces come from the RPC's pending count at each
/// send, never a local cache that a failed send leaves ahead of the chain
/// (this crate sends one transaction at a time); gas is estimated; the chain
/// id is fetched once.
///
/// # Errors
/// As [`rpc_client`].
pub fn connect<U: AsRef<str>>(
    urls: &[U],
    http: &reqwest::Client,
    config: &RpcConfig,
    wallet: EthereumWallet,
) -> Result<DynProvider, RpcSetupError> {
    let client = rpc_client(urls, http, config)?;
    Ok(ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(wallet)
        .connect_client(client)
        .erased())
}

/// One URL's transport: a timeout per request, failures counted and logged,
/// errors without the URL. See the module docs.
#[derive(Clone, Debug)]
pub struct Endpoint<S> {
    inner: S,
    /// The URL, redacted.
    name: Arc<str>,
    timeout: Duration,
}

impl<S> Service<RequestPacket> for Endpoint<S>
where
    S: Service<
            RequestPacket,
            Response = ResponsePacket,
            Error = TransportError,
            Future = TransportFut<'static>,
        > + Clone
        + Send
        + 'static,
{
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        let method = method_of(&request);
        let answer = self.inner.call(request);
        let (name, timeout) = (Arc::clone(&self.name), self.timeout);
        Box::pin(async move {
            let error = match tokio::time::timeout(timeout, answer).await {
                Ok(Ok(packet)) => match packet.as_error() {
                    // Throttled: let the next URL answer.
                    Some(e) if e.is_retry_err() => RpcError::ErrorResp(e.clone()),
                    _ => return Ok(packet),
                },
                Ok(Err(e)) => without_url(e, &name),
                Err(_) => TransportErrorKind::custom_str(&format!(
                    "no answer within {timeout:?} (rpc {name})"
                )),
            };
            metrics::counter!(RPC_ERRORS_METRIC).increment(1);
            warn!(rpc = %name, method, error = %error, "rpc request failed");
            Err(error)
        })
    }
}

/// `error` with any URL in its message redacted, followed by `name`. Only
/// custom errors (those of the HTTP client) can quote a URL; the others
/// (HTTP status, JSON-RPC error, decoding) keep their kind, which decides
/// whether they are retried.
fn without_url(error: TransportError, name: &str) -> TransportError {
    let RpcError::Transport(TransportErrorKind::Custom(inner)) = error else {
        return error;
    };
    let inner: Box<dyn StdError + Send + Sync> = match inner.downcast::<reqwest::Error>() {
        Ok(e) => Box::new(e.without_url()),
        Err(other) => other,
    };
    let mut message = inner.to_string();
    let mut source = inner.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    TransportErrorKind::custom_str(&format!("{} (rpc {name})", redact_urls(&message)))
}

/// The request's method, for logs (the first of a batch).
fn method_of(request: &RequestPacket) -> String {
    request.method_names().next().unwrap_or("?").to_owned()
}

/// Bounds each request, everything behind it included, by a deadline.
#[derive(Clone, Copy, Debug)]
pub struct DeadlineLayer {
    deadline: Duration,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline {
            inner,
            deadline: self.deadline,
        }
    }
}

/// See [`DeadlineLayer`].
#[derive(Clone, Debug)]
pub struct Deadline<S> {
    inner: S,
    deadline: Duration,
}

impl<S> Service<RequestPacket> for Deadline<S>
where
    S: Service<
            RequestPacket,
            Response = ResponsePacket,
            Error = TransportError,
            Future = TransportFut<'static>,
        > + Clone
        + Send
        + 'static,
{
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        let method = method_of(&request);
        let answer = self.inner.call(request);
        let deadline = self.deadline;
        Box::pin(async move {
            match tokio::time::timeout(deadline, answer).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    metrics::counter!(RPC_ERRORS_METRIC).increment(1);
                    warn!(method, ?deadline, "rpc request ran out of its deadline");
                    Err(TransportErrorKind::custom_str(&format!(
                        "{method}: no answer within the {deadline:?} deadline (every rpc url and retry included)"
                    )))
                }
            }
        })
    }
}

/// The set form of [`SEQUENTIAL_METHODS`].
fn sequential_methods() -> HashSet<String> {
    SEQUENTIAL_METHODS.iter().map(|m| (*m).to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_errors_do_not_quote_the_url() {
        let http = reqwest::Client::new();
        let config = RpcConfig::default();
        let e = rpc_client::<&str>(&[], &http, &config).unwrap_err();
        assert!(matches!(e, RpcSetupError::NoUrl));
        let urls = ["http://127.0.0.1:8545/", "http://[::1/SECRET"];
        let e = rpc_client(&urls, &http, &config).unwrap_err();
        assert!(matches!(e, RpcSetupError::BadUrl(1)), "{e:?}");
        assert!(!e.to_string().contains("SECRET"), "{e}");
    }

    #[test]
    fn the_bounds_hold_together() {
        // A hung URL costs one request timeout; three of them still fit
        // in the deadline, and a retry's pause is short beside it.
        let c = RpcConfig::default();
        assert!(c.request_timeout * 3 < c.deadline);
        assert!(CONNECT_TIMEOUT < c.request_timeout);
        assert!(c.retry_backoff * c.retries < c.request_timeout);
    }
}
