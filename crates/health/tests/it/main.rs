//! Integration tests: server and checker over real sockets on 127.0.0.1.

mod address;
mod anvil;
mod checker;
mod dns;
mod reference;
mod serve;
mod server;

use alloy::signers::{local::PrivateKeySigner, SignerSync};
use alloy_primitives::{Address, B256};
use axum::Router;
use liveliness_health::{
    test_utils::MemoryBlockSource, Checker, CheckerConfig, HealthServer, ServerConfig,
};
use liveliness_primitives::{health_message, HealthProof};
use serde_json::{json, Value};
use std::{net::SocketAddr, sync::Arc};
use tokio::net::TcpListener;

/// A deterministic operator key.
pub(crate) fn key(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::with_last_byte(n)).unwrap()
}

/// A proof signed by `signer` for `block` with `hash`.
pub(crate) fn sign_proof(signer: &PrivateKeySigner, block: u64, hash: B256) -> HealthProof {
    let sig = signer
        .sign_message_sync(health_message(hash).as_slice())
        .unwrap();
    HealthProof::new(signer.address(), block, hash, sig.as_bytes())
}

/// The JSON-RPC answer carrying `proof`.
pub(crate) fn envelope(proof: &HealthProof) -> Value {
    json!({ "jsonrpc": "2.0", "id": 1, "result": proof })
}

/// Binds 127.0.0.1:0.
pub(crate) async fn bind() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Serves `router` on a fresh loopback port; returns its URL.
pub(crate) async fn spawn_router(router: Router) -> String {
    let (listener, addr) = bind().await;
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/")
}

/// Starts a health server for `signer` over `source`; returns its URL.
pub(crate) async fn spawn_server(
    source: Arc<MemoryBlockSource>,
    signer: PrivateKeySigner,
    config: ServerConfig,
) -> (String, HealthServer<Arc<MemoryBlockSource>>) {
    let server = HealthServer::new(source, signer, config).unwrap();
    let (listener, addr) = bind().await;
    tokio::spawn(server.clone().serve(listener));
    (format!("http://{addr}"), server)
}

/// A checker that may reach loopback, with `timeout_ms`.
pub(crate) fn loopback_checker(timeout_ms: u64) -> Checker {
    Checker::new(CheckerConfig {
        health_timeout_ms: timeout_ms,
        allow_loopback: true,
        ..CheckerConfig::default()
    })
}

/// Posts `body` to `url`; returns the status and the body as JSON (null
/// when empty or not JSON).
pub(crate) async fn post(url: &str, body: impl Into<String>) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.into())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The `healthcheck` request body for `block`.
pub(crate) fn healthcheck(block: u64) -> String {
    json!({ "jsonrpc": "2.0", "id": 1, "method": "healthcheck", "params": [block] }).to_string()
}

/// An address nobody signs for.
pub(crate) fn stranger() -> Address {
    Address::repeat_byte(0x55)
}
