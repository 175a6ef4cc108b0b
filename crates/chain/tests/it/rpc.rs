//! The RPC transport against real servers: anvil, a port nobody listens on,
//! a server that accepts connections and never answers, and a forwarder to
//! anvil that first answers 503 or 429. Reads and sends fail over, retry
//! what is worth retrying, stay within their bounds and never quote a URL.

use crate::net::{Net, EPOCH_LENGTH};
use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    transports::http::reqwest,
};
use axum::{
    body::Bytes,
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use liveliness_chain::{
    rpc::{self, RpcConfig, DEADLINE, REQUEST_TIMEOUT, RPC_ERRORS_METRIC},
    test_utils::spawn_anvil,
    Reader,
};
use liveliness_primitives::EpochBlock;
use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex, OnceLock,
    },
    time::{Duration, Instant},
};
use tokio::net::TcpListener;

/// The HTTP client, as the node builds it (minus its extra TLS roots).
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(rpc::CONNECT_TIMEOUT)
        .build()
        .unwrap()
}

/// A reader over `urls` with the default transport and no wallet.
fn reader_over(urls: &[String], config: &RpcConfig) -> Reader {
    let client = rpc::rpc_client(urls, &http(), config).unwrap();
    let provider = ProviderBuilder::new().connect_client(client).erased();
    Reader::new(provider, Address::ZERO, Address::ZERO)
}

/// A loopback port that refuses connections (it was free a moment ago).
async fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// A server that accepts connections and never answers.
async fn hanging_rpc() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

#[derive(Clone)]
struct Flaky {
    upstream: String,
    /// Answers given instead of forwarding, first first; then every
    /// request is forwarded (or, with `forever`, the last one repeats).
    failures: Arc<Mutex<VecDeque<Response<String>>>>,
    forever: Option<(StatusCode, Option<&'static str>)>,
    seen: Arc<AtomicUsize>,
    client: reqwest::Client,
}

fn failure(status: StatusCode, retry_after: Option<&'static str>) -> Response<String> {
    let mut r = Response::builder().status(status);
    if let Some(secs) = retry_after {
        r = r.header(header::RETRY_AFTER, secs);
    }
    r.body("busy".to_owned()).unwrap()
}

async fn flaky(State(s): State<Flaky>, body: Bytes) -> Response {
    s.seen.fetch_add(1, Ordering::SeqCst);
    if let Some(r) = s.failures.lock().unwrap().pop_front() {
        return r.into_response();
    }
    if let Some((status, retry_after)) = s.forever {
        return failure(status, retry_after).into_response();
    }
    let answer = s
        .client
        .post(&s.upstream)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let bytes = answer.bytes().await.unwrap();
    ([(header::CONTENT_TYPE, "application/json")], bytes.to_vec()).into_response()
}

/// A forwarder to `upstream` that first answers with `failures`, then
/// forwards (or keeps answering `forever`). Its URL and request count.
async fn flaky_rpc(
    upstream: String,
    failures: Vec<Response<String>>,
    forever: Option<(StatusCode, Option<&'static str>)>,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let state = Flaky {
        upstream,
        failures: Arc::new(Mutex::new(failures.into())),
        forever,
        seen: Arc::clone(&seen),
        client: reqwest::Client::new(),
    };
    let app = Router::new().route("/", post(flaky)).with_state(state);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/"), seen)
}

/// `liveliness_rpc_errors_total` so far, as counted by a recorder installed
/// for this test binary (tests run in parallel: compare with `>=`).
fn rpc_errors() -> u64 {
    struct Errors(Arc<AtomicU64>);
    impl metrics::Recorder for Errors {
        fn describe_counter(
            &self,
            _: metrics::KeyName,
            _: Option<metrics::Unit>,
            _: metrics::SharedString,
        ) {
        }
        fn describe_gauge(
            &self,
            _: metrics::KeyName,
            _: Option<metrics::Unit>,
            _: metrics::SharedString,
        ) {
        }
        fn describe_histogram(
            &self,
            _: metrics::KeyName,
            _: Option<metrics::Unit>,
            _: metrics::SharedString,
        ) {
        }
        fn register_counter(
            &self,
            key: &metrics::Key,
            _: &metrics::Metadata<'_>,
        ) -> metrics::Counter {
            if key.name() == RPC_ERRORS_METRIC {
                metrics::Counter::from_arc(Arc::clone(&self.0))
            } else {
                metrics::Counter::noop()
            }
        }
        fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
            metrics::Gauge::noop()
        }
        fn register_histogram(
            &self,
            _: &metrics::Key,
            _: &metrics::Metadata<'_>,
        ) -> metrics::Histogram {
            metrics::Histogram::noop()
        }
    }
    static COUNT: OnceLock<Arc<AtomicU64>> = OnceLock::new();
    COUNT
        .get_or_init(|| {
            let count = Arc::new(AtomicU64::new(0));
            metrics::set_global_recorder(Errors(Arc::clone(&count))).unwrap();
            count
        })
        .load(Ordering::SeqCst)
}

/// (a) The first URL refuses connections, the second is the chain: every
/// read of the node and a send (filled and broadcast through the same
/// transport) succeed.
#[tokio::test]
async fn reads_and_sends_fail_over_from_a_refused_url() {
    let net = Net::start(2).await;
    let dead = format!("http://127.0.0.1:{}/", refused_port().await);
    let urls = [dead, net.rpc_url()];
    let sender = net.operators[0].signer.clone();
    let provider = rpc::connect(
        &urls,
        &http(),
        &RpcConfig::default(),
        EthereumWallet::from(sender),
    )
    .unwrap();
    let reader = Reader::new(
        provider,
        net.deployment.attestation_center,
        net.deployment.registry,
    );
    let errors_before = rpc_errors();

    assert_eq!(reader.chain_id().await.unwrap(), net.deployment.chain_id);
    assert_eq!(reader.head().await.unwrap(), net.block_number().await);
    let (EpochBlock(epoch), hash) = net.last_epoch_block().await;
    assert_eq!(reader.block_hash(epoch).await.unwrap(), Some(hash));
    assert_eq!(reader.block_hash(epoch + 1_000).await.unwrap(), None);
    assert_eq!(
        reader.params(epoch).await.unwrap().epoch_length,
        EPOCH_LENGTH
    );
    let operators = reader.operators(epoch).await.unwrap();
    assert_eq!(
        operators.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    for o in &operators {
        assert_eq!(o.address, net.operator(o.id).address());
        assert_eq!(o.pk_g2, *net.operator(o.id).keys.pk_g2());
        assert!(o
            .endpoint
            .as_deref()
            .unwrap()
            .starts_with("http://operator-"));
    }
    assert_eq!(reader.active_addresses(epoch).await.unwrap().len(), 2);
    assert!(!reader
        .submitted(B256::ZERO, EpochBlock(epoch))
        .await
        .unwrap());

    let to = Address::repeat_byte(0x42);
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_value(U256::from(1));
    let receipt = reader
        .provider()
        .send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let again = reader.receipt(receipt.transaction_hash).await.unwrap();
    assert_eq!(again.unwrap().block_number, receipt.block_number);
    assert_eq!(net.provider.get_balance(to).await.unwrap(), U256::from(1));
    // The refused URL was tried (at least once) and counted.
    assert!(rpc_errors() > errors_before);
}

/// (b) The first URL accepts connections and never answers, the second is
/// the chain: the first read costs one request timeout (well within the
/// deadline), later ones go to the live URL at once.
#[tokio::test]
async fn a_hung_url_costs_one_request_timeout_then_ranks_last() {
    let anvil = spawn_anvil(1);
    let hung = format!("http://{}/", hanging_rpc().await);
    let reader = reader_over(&[hung, anvil.endpoint()], &RpcConfig::default());

    let started = Instant::now();
    assert_eq!(reader.head().await.unwrap(), 0);
    let took = started.elapsed();
    assert!(took >= REQUEST_TIMEOUT, "{took:?}");
    assert!(took < REQUEST_TIMEOUT + Duration::from_secs(2), "{took:?}");
    assert!(took < DEADLINE);

    let started = Instant::now();
    assert_eq!(reader.chain_id().await.unwrap(), anvil.chain_id());
    assert!(reader.block_hash(0).await.unwrap().is_some());
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// (c) The only URL answers 503, then 429, then forwards to the chain: the
/// read is retried and succeeds, and both failures are counted.
#[tokio::test]
async fn throttled_and_unavailable_answers_are_retried() {
    let anvil = spawn_anvil(1);
    let (url, seen) = flaky_rpc(
        anvil.endpoint(),
        vec![
            failure(StatusCode::SERVICE_UNAVAILABLE, None),
            failure(StatusCode::TOO_MANY_REQUESTS, None),
        ],
        None,
    )
    .await;
    let reader = reader_over(&[url], &RpcConfig::default());
    let errors_before = rpc_errors();

    let started = Instant::now();
    assert_eq!(reader.chain_id().await.unwrap(), anvil.chain_id());
    assert_eq!(seen.load(Ordering::SeqCst), 3);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(rpc_errors() >= errors_before + 2);

    // With a second URL, a throttled one is failed over at once instead.
    let (busy, busy_seen) = flaky_rpc(
        anvil.endpoint(),
        vec![],
        Some((StatusCode::TOO_MANY_REQUESTS, None)),
    )
    .await;
    let reader = reader_over(&[busy, anvil.endpoint()], &RpcConfig::default());
    assert_eq!(reader.head().await.unwrap(), 0);
    assert_eq!(busy_seen.load(Ordering::SeqCst), 1);
}

/// A server asking to be retried much later does not hold a read past the
/// deadline.
#[tokio::test]
async fn a_long_retry_after_is_cut_at_the_deadline() {
    let anvil = spawn_anvil(1);
    let (url, _) = flaky_rpc(
        anvil.endpoint(),
        vec![],
        Some((StatusCode::TOO_MANY_REQUESTS, Some("3600"))),
    )
    .await;
    let config = RpcConfig {
        deadline: Duration::from_secs(1),
        ..RpcConfig::default()
    };
    let reader = reader_over(&[url], &config);
    let started = Instant::now();
    let e = reader.head().await.unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(e.to_string().contains("deadline"), "{e}");
}

/// A `MakeWriter` into a shared buffer, to read what was logged.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// (d) Every URL refuses connections: reads fail at once with an error that
/// says what failed and where, and neither the error nor the log quotes
/// the API keys in the URLs' paths, queries or userinfo.
#[tokio::test]
async fn every_url_dead_is_a_quick_error_without_the_keys() {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let urls = [
        format!("http://127.0.0.1:{}/v2/SECRETKEY", refused_port().await),
        format!(
            "http://user:SECRETPASS@127.0.0.1:{}/?apikey=SECRETQUERY",
            refused_port().await
        ),
    ];
    let reader = reader_over(&urls, &RpcConfig::default());

    let started = Instant::now();
    let e = reader.head().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    let text = format!("{e} / {e:?}");
    assert!(!text.contains("SECRET"), "{text}");
    assert!(text.starts_with("head: "), "{text}");
    assert!(text.contains("http://127.0.0.1:"), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");

    // A contract call's error (alloy's own wrapping) too.
    let e = reader.params(1).await.unwrap_err();
    let text = format!("{e} / {e:?}");
    assert!(!text.contains("SECRET"), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("rpc request failed"), "{logged}");
    assert!(!logged.contains("SECRET"), "{logged}");
}
