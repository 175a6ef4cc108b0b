//! The health server's JSON-RPC surface, range, waiting, cache and limits.

use crate::{healthcheck, key, post, spawn_server};
use alloy_primitives::B256;
use liveliness_health::{
    codes, test_utils::MemoryBlockSource, HealthServer, RateLimit, ServerConfig, LOOKBACK_BLOCKS,
};
use liveliness_primitives::HealthProof;
use serde_json::{json, Value};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

const HEAD: u64 = 1000;

async fn server(config: ServerConfig) -> (String, Arc<MemoryBlockSource>) {
    let source = Arc::new(MemoryBlockSource::with_head(HEAD));
    let (url, _) = spawn_server(Arc::clone(&source), key(1), config).await;
    (url, source)
}

fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error in {answer}"))
}

fn proof_of(answer: &Value) -> HealthProof {
    serde_json::from_value(answer["result"].clone()).unwrap_or_else(|e| panic!("{e}: {answer}"))
}

#[tokio::test]
async fn answers_in_range_and_refuses_outside() {
    let (url, _) = server(ServerConfig::default()).await;
    for block in [HEAD - LOOKBACK_BLOCKS, HEAD - 1, HEAD] {
        let (status, answer) = post(&url, healthcheck(block)).await;
        assert_eq!(status, 200);
        assert_eq!(answer["jsonrpc"], "2.0");
        assert_eq!(answer["id"], 1);
        let proof = proof_of(&answer);
        assert_eq!(proof.block_number, block);
        assert_eq!(proof.block_hash, MemoryBlockSource::default_hash(block));
        proof
            .verify(
                key(1).address(),
                block,
                MemoryBlockSource::default_hash(block),
            )
            .unwrap();
    }
    for block in [0, HEAD - LOOKBACK_BLOCKS - 1, HEAD + 2, u64::MAX] {
        let (status, answer) = post(&url, healthcheck(block)).await;
        assert_eq!(status, 200);
        assert_eq!(error_code(&answer), codes::BLOCK_OUT_OF_RANGE, "{block}");
        assert!(answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("out of range"));
    }
}

#[tokio::test]
async fn waits_for_the_next_block() {
    let (url, source) = server(ServerConfig::default()).await;
    let advancing = Arc::clone(&source);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        advancing.advance();
    });
    let started = Instant::now();
    let (_, answer) = post(&url, healthcheck(HEAD + 1)).await;
    let elapsed = started.elapsed();
    assert_eq!(proof_of(&answer).block_number, HEAD + 1);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1000), "{elapsed:?}");
}

#[tokio::test]
async fn gives_up_after_one_second() {
    let (url, _) = server(ServerConfig::default()).await;
    let started = Instant::now();
    let (_, answer) = post(&url, healthcheck(HEAD + 1)).await;
    let elapsed = started.elapsed();
    assert_eq!(error_code(&answer), codes::BLOCK_UNAVAILABLE);
    assert!(
        elapsed >= Duration::from_millis(1000) && elapsed < Duration::from_millis(1600),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn caches_proofs_and_follows_reorgs_near_the_head() {
    let source = Arc::new(MemoryBlockSource::with_head(HEAD));
    let config = ServerConfig {
        reorg_depth: 6,
        ..ServerConfig::default()
    };
    let (url, _) = spawn_server(Arc::clone(&source), key(1), config).await;

    // Deep block: the second answer comes from the cache, no chain read.
    let (_, first) = post(&url, healthcheck(HEAD - 100)).await;
    let reads = source.hash_reads();
    let (_, second) = post(&url, healthcheck(HEAD - 100)).await;
    assert_eq!(source.hash_reads(), reads);
    assert_eq!(first["result"], second["result"]);

    // Near the head: the hash is read again, and a reorg gives a new proof.
    let (_, before) = post(&url, healthcheck(HEAD)).await;
    let reorged = B256::repeat_byte(0xab);
    source.set_hash(HEAD, reorged);
    let (_, after) = post(&url, healthcheck(HEAD)).await;
    assert_eq!(
        proof_of(&before).block_hash,
        MemoryBlockSource::default_hash(HEAD)
    );
    let proof = proof_of(&after);
    assert_eq!(proof.block_hash, reorged);
    proof.verify(key(1).address(), HEAD, reorged).unwrap();

    // A deep reorg the source counts: the cached deep proof is dropped and
    // the block's new hash signed, although the block is far below the head.
    let deep = B256::repeat_byte(0xcd);
    source.set_hash(HEAD - 100, deep);
    let (_, stale) = post(&url, healthcheck(HEAD - 100)).await;
    assert_eq!(
        proof_of(&stale).block_hash,
        proof_of(&first).block_hash,
        "uncounted: the cache answers"
    );
    source.note_reorg();
    let (_, fresh) = post(&url, healthcheck(HEAD - 100)).await;
    assert_eq!(proof_of(&fresh).block_hash, deep);
}

#[tokio::test]
async fn rate_limits_per_client() {
    let limit = RateLimit {
        per_second: 0.5,
        burst: 3,
        max_clients: 16,
    };
    let (url, _) = server(ServerConfig {
        rate_limit: Some(limit),
        ..ServerConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(post(&url, healthcheck(HEAD)).await.0, 200);
    }
    let response = reqwest::Client::new()
        .post(&url)
        .body(healthcheck(HEAD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
    // Invalid requests count too.
    assert_eq!(post(&url, "{").await.0, 429);
    // The liveness probe is not limited.
    let probe = reqwest::get(format!("{url}/health")).await.unwrap();
    assert_eq!(probe.status().as_u16(), 200);
    assert_eq!(probe.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn malformed_json_rpc_gets_proper_errors() {
    let (url, _) = server(ServerConfig::default()).await;
    let cases: [(&str, i64, Value); 10] = [
        ("{not json", codes::PARSE_ERROR, Value::Null),
        ("", codes::PARSE_ERROR, Value::Null),
        ("[]", codes::INVALID_REQUEST, Value::Null),
        (
            r#"[{"jsonrpc":"2.0","id":1,"method":"healthcheck","params":[1000]},{},{},{},{}]"#,
            codes::INVALID_REQUEST,
            Value::Null,
        ),
        (r#""healthcheck""#, codes::INVALID_REQUEST, Value::Null),
        (
            r#"{"id":4,"method":"healthcheck","params":[1000]}"#,
            codes::INVALID_REQUEST,
            json!(4),
        ),
        (
            r#"{"jsonrpc":"2.0","id":"x","method":"eth_blockNumber","params":[]}"#,
            codes::METHOD_NOT_FOUND,
            json!("x"),
        ),
        (
            r#"{"jsonrpc":"2.0","id":5,"method":"healthcheck","params":["0x3e8"]}"#,
            codes::INVALID_PARAMS,
            json!(5),
        ),
        (
            r#"{"jsonrpc":"2.0","id":6,"method":"healthcheck","params":1000}"#,
            codes::INVALID_PARAMS,
            json!(6),
        ),
        (
            r#"{"jsonrpc":"2.0","id":7,"method":"healthcheck","params":[1000,1]}"#,
            codes::INVALID_PARAMS,
            json!(7),
        ),
    ];
    for (body, code, id) in cases {
        let (status, answer) = post(&url, body).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(error_code(&answer), code, "{body}");
        assert_eq!(answer["id"], id, "{body}");
        assert_eq!(answer["jsonrpc"], "2.0");
    }

    // The request id is echoed, whatever its type.
    let (_, answer) = post(
        &url,
        r#"{"jsonrpc":"2.0","id":"abc","method":"healthcheck","params":[1000]}"#,
    )
    .await;
    assert_eq!(answer["id"], "abc");
    assert_eq!(proof_of(&answer).block_number, 1000);

    // A notification gets no body.
    let response = reqwest::Client::new()
        .post(&url)
        .body(r#"{"jsonrpc":"2.0","method":"healthcheck","params":[1000]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);

    // Bodies past 4 KiB are refused before parsing.
    let padded = format!("{}{}", healthcheck(HEAD), " ".repeat(4096));
    assert_eq!(post(&url, padded).await.0, 413);

    // Only POST at `/`.
    assert_eq!(reqwest::get(&url).await.unwrap().status().as_u16(), 405);
}

#[tokio::test]
async fn chain_source_failure_is_an_internal_error() {
    let (url, source) = server(ServerConfig::default()).await;
    source.set_failing(true);
    let (status, answer) = post(&url, healthcheck(HEAD)).await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&answer), codes::INTERNAL_ERROR);
    source.set_failing(false);
    assert_eq!(
        proof_of(&post(&url, healthcheck(HEAD)).await.1).block_number,
        HEAD
    );
}

#[test]
fn refuses_unworkable_config() {
    let source = Arc::new(MemoryBlockSource::with_head(1));
    let bad = [
        ServerConfig {
            max_body_bytes: 0,
            ..ServerConfig::default()
        },
        ServerConfig {
            poll_interval: Duration::ZERO,
            ..ServerConfig::default()
        },
        ServerConfig {
            rate_limit: Some(RateLimit {
                per_second: 0.0,
                ..RateLimit::default()
            }),
            ..ServerConfig::default()
        },
        ServerConfig {
            max_in_flight: 0,
            ..ServerConfig::default()
        },
        ServerConfig {
            limits: liveliness_health::ServeLimits {
                max_connections: 0,
                ..Default::default()
            },
            ..ServerConfig::default()
        },
    ];
    for config in bad {
        assert!(HealthServer::new(Arc::clone(&source), key(1), config).is_err());
    }
}

#[tokio::test]
async fn batches_and_chain_id_are_answered_call_by_call() {
    // Without a chain id, eth_chainId is not served.
    let (url, _) = server(ServerConfig::default()).await;
    let (_, answer) = post(
        &url,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#,
    )
    .await;
    assert_eq!(error_code(&answer), codes::METHOD_NOT_FOUND);

    let (url, _) = server(ServerConfig {
        chain_id: Some(31337),
        ..ServerConfig::default()
    })
    .await;
    let (status, answer) = post(
        &url,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["result"], json!("0x7a69"));

    // ethers' first request: eth_chainId and the call together; a bad call
    // and a notification in the same batch.
    let body = format!(
        "[{},{},{},{}]",
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"healthcheck","params":[1000]}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"nope","params":[]}"#,
        r#"{"jsonrpc":"2.0","method":"healthcheck","params":[1000]}"#,
    );
    let (status, answer) = post(&url, body).await;
    assert_eq!(status, 200);
    let replies = answer.as_array().unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(replies.len(), 3, "the notification gets no reply: {answer}");
    assert_eq!(replies[0]["id"], 1);
    assert_eq!(replies[0]["result"], json!("0x7a69"));
    assert_eq!(replies[1]["id"], 2);
    assert_eq!(proof_of(&replies[1]).block_number, 1000);
    assert_eq!(replies[2]["id"], 3);
    assert_eq!(error_code(&replies[2]), codes::METHOD_NOT_FOUND);

    // Only notifications: nothing to answer.
    let (status, _) = post(
        &url,
        r#"[{"jsonrpc":"2.0","method":"healthcheck","params":[1000]}]"#,
    )
    .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn every_call_of_a_batch_costs_a_token() {
    let (url, _) = server(ServerConfig {
        rate_limit: Some(liveliness_health::RateLimit {
            per_second: 0.001,
            burst: 5,
            max_clients: 10,
        }),
        ..ServerConfig::default()
    })
    .await;
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"healthcheck","params":[1000]}"#;
    let batch = format!("[{call},{call},{call},{call}]");
    let (status, _) = post(&url, batch.clone()).await;
    assert_eq!(status, 200, "4 of 5 tokens");
    let (status, _) = post(&url, batch).await;
    assert_eq!(status, 429, "the 5th token and no more");
}

#[tokio::test]
async fn calls_in_flight_are_capped() {
    let (url, source) = server(ServerConfig {
        max_in_flight: 1,
        ..ServerConfig::default()
    })
    .await;
    // The next block does not come: this call holds the one slot for 1 s.
    let waiting = tokio::spawn({
        let url = url.clone();
        async move { post(&url, healthcheck(HEAD + 1)).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, answer) = post(&url, healthcheck(HEAD)).await;
    assert_eq!(status, 200);
    assert_eq!(error_code(&answer), codes::BUSY);
    let (_, first) = waiting.await.unwrap();
    assert_eq!(error_code(&first), codes::BLOCK_UNAVAILABLE);
    // The slot is free again.
    let (_, answer) = post(&url, healthcheck(HEAD)).await;
    assert_eq!(proof_of(&answer).block_number, HEAD);
    drop(source);
}
