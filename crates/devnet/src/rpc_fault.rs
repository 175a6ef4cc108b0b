//! A JSON-RPC forwarder that can be told to misbehave, put between a node
//! and anvil to test how the node lives through its RPC's faults: requests
//! that hang, `null` for blocks that exist, an outage.

use axum::{
    body::Bytes,
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use std::{
    net::SocketAddr,
    sync::{Arc, RwLock},
    time::Duration,
};
use tokio::net::TcpListener;

/// What the forwarder does with each request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RpcFault {
    /// Forwards every request and its answer.
    #[default]
    None,
    /// Never answers (the client's timeout ends the request).
    Hang,
    /// Answers `eth_getBlockByNumber` and `eth_getBlockByHash` with a
    /// `null` result, as a lagging backend behind a load balancer would;
    /// forwards everything else.
    NullBlocks,
    /// Answers every request with HTTP 503.
    Down,
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    fault: Arc<RwLock<RpcFault>>,
    client: reqwest::Client,
}

/// A running forwarder (on 127.0.0.1 unless started with
/// [`RpcProxy::start_on`]); it stops when dropped.
#[derive(Debug)]
pub struct RpcProxy {
    addr: SocketAddr,
    fault: Arc<RwLock<RpcFault>>,
    task: tokio::task::JoinHandle<()>,
}

impl RpcProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` (an
    /// `http://` URL).
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), upstream).await
    }

    /// Listens on `bind` and forwards to `upstream`.
    pub async fn start_on(bind: SocketAddr, upstream: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let fault = Arc::new(RwLock::new(RpcFault::None));
        let shared = Shared {
            upstream: upstream.to_owned(),
            fault: Arc::clone(&fault),
            client: reqwest::Client::new(),
        };
        let app = Router::new().route("/", post(handle)).with_state(shared);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, fault, task })
    }

    /// The URL nodes are given.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Switches what the forwarder does from the next request on.
    pub fn set(&self, fault: RpcFault) {
        *self.fault.write().expect("not poisoned") = fault;
    }
}

impl Drop for RpcProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(State(s): State<Shared>, body: Bytes) -> Response {
    let fault = *s.fault.read().expect("not poisoned");
    match fault {
        RpcFault::Down => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        RpcFault::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        RpcFault::NullBlocks => {
            if let Some(answer) = null_blocks(&body) {
                return json(answer);
            }
        }
        RpcFault::None => {}
    }
    let forwarded = s
        .client
        .post(&s.upstream)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    match forwarded {
        Ok(r) => match r.bytes().await {
            Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
            Err(_) => StatusCode::BAD_GATEWAY.into_response(),
        },
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// The `null` answer to a single block request; `None` for anything else
/// (batches included), which is forwarded.
fn null_blocks(body: &[u8]) -> Option<serde_json::Value> {
    let request: serde_json::Value = serde_json::from_slice(body).ok()?;
    let method = request.get("method")?.as_str()?;
    matches!(method, "eth_getBlockByNumber" | "eth_getBlockByHash").then(|| {
        serde_json::json!({
            "jsonrpc": "2.0",
            "id": request.get("id").cloned().unwrap_or(serde_json::Value::Null),
            "result": null,
        })
    })
}

fn json(value: serde_json::Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}
