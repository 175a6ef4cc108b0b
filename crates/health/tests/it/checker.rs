//! The checker against the real server and against misbehaving endpoints.

use crate::{
    bind, envelope, key, loopback_checker, sign_proof, spawn_router, spawn_server, stranger,
};
use alloy_primitives::B256;
use axum::{
    body::{Body, Bytes},
    http::{header, StatusCode},
    response::IntoResponse,
    routing::post,
    Json, Router,
};
use liveliness_health::{
    test_utils::MemoryBlockSource, CheckOutcome, CheckRequest, ServerConfig,
    DEFAULT_CHECK_CONCURRENCY,
};
use liveliness_primitives::FailureReason;
use serde_json::Value;
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use tokio::io::AsyncWriteExt;

const BLOCK: u64 = 100;

fn hash() -> B256 {
    MemoryBlockSource::default_hash(BLOCK)
}

/// An endpoint that answers every POST with `body` (status 200).
async fn answering(body: Value) -> String {
    spawn_router(Router::new().route("/", post(move || async move { Json(body) }))).await
}

async fn check(url: &str) -> CheckOutcome {
    loopback_checker(1000)
        .check(url, key(1).address(), BLOCK, hash())
        .await
}

fn unhealthy(reason: FailureReason) -> CheckOutcome {
    CheckOutcome::Unhealthy(reason)
}

#[tokio::test]
async fn round_trip_with_the_server() {
    let source = Arc::new(MemoryBlockSource::with_head(BLOCK + 3));
    let signer = key(1);
    let operator = signer.address();
    let (url, server) = spawn_server(source, signer, ServerConfig::default()).await;
    assert_eq!(server.address(), operator);

    let checker = loopback_checker(2000);
    let CheckOutcome::Healthy(proof) = checker.check(&url, operator, BLOCK, hash()).await else {
        panic!("expected a healthy outcome");
    };
    assert_eq!(proof.address, operator);
    assert_eq!(proof.block_number, BLOCK);
    assert_eq!(proof.block_hash, hash());
    assert!(
        matches!(proof.signature[64], 27 | 28),
        "v = {}",
        proof.signature[64]
    );

    // The same server judged against another hash or operator.
    assert_eq!(
        checker.check(&url, operator, BLOCK, B256::ZERO).await,
        unhealthy(FailureReason::WrongHash)
    );
    assert_eq!(
        checker.check(&url, stranger(), BLOCK, hash()).await,
        unhealthy(FailureReason::WrongSigner)
    );
    // Out of range: the server answers with a JSON-RPC error.
    assert_eq!(
        checker.check(&url, operator, BLOCK + 10, hash()).await,
        unhealthy(FailureReason::BadStatus)
    );
}

#[tokio::test]
async fn slow_endpoint_times_out_on_time() {
    let url = spawn_router(Router::new().route(
        "/",
        post(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    ))
    .await;
    let started = Instant::now();
    let outcome = loopback_checker(300)
        .check(&url, key(1).address(), BLOCK, hash())
        .await;
    let elapsed = started.elapsed();
    assert_eq!(outcome, unhealthy(FailureReason::Timeout));
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(900),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn slow_body_times_out() {
    // Headers come at once, the body never finishes.
    let url = spawn_router(Router::new().route(
        "/",
        post(|| async {
            let stream = futures::stream::unfold(0u8, |n| async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Some((Ok::<_, std::io::Error>(Bytes::from_static(b" ")), n))
            });
            Body::from_stream(stream)
        }),
    ))
    .await;
    assert_eq!(check(&url).await, unhealthy(FailureReason::Timeout));
}

#[tokio::test]
async fn closed_port_is_refused() {
    let (listener, addr) = bind().await;
    drop(listener);
    assert_eq!(
        check(&format!("http://{addr}/")).await,
        unhealthy(FailureReason::Refused)
    );
}

#[tokio::test]
async fn unusable_urls_are_refused() {
    let (_listener, addr) = bind().await;
    for url in [
        "not a url".to_owned(),
        format!("https://{addr}/"),
        format!("ftp://{addr}/"),
        format!("http://user:pw@{addr}/"),
        "http://".to_owned(),
    ] {
        assert_eq!(
            check(&url).await,
            unhealthy(FailureReason::Refused),
            "{url}"
        );
    }
}

#[tokio::test]
async fn error_status_is_bad_status() {
    let url = spawn_router(Router::new().route(
        "/",
        post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
    ))
    .await;
    assert_eq!(check(&url).await, unhealthy(FailureReason::BadStatus));
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    let proof = sign_proof(&key(1), BLOCK, hash());
    let target = spawn_router(Router::new().route(
        "/",
        post(move || async move {
            counted.fetch_add(1, Ordering::SeqCst);
            Json(envelope(&proof))
        }),
    ))
    .await;
    for status in [
        StatusCode::TEMPORARY_REDIRECT,
        StatusCode::PERMANENT_REDIRECT,
        StatusCode::FOUND,
    ] {
        let location = target.clone();
        let url = spawn_router(Router::new().route(
            "/",
            post(move || async move { (status, [(header::LOCATION, location)]) }),
        ))
        .await;
        assert_eq!(
            check(&url).await,
            unhealthy(FailureReason::BadStatus),
            "{status}"
        );
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    // The target itself is healthy.
    assert!(matches!(check(&target).await, CheckOutcome::Healthy(_)));
}

#[tokio::test]
async fn huge_bodies_are_oversized() {
    // Declared by Content-Length.
    let declared =
        spawn_router(Router::new().route("/", post(|| async { vec![b' '; 64 * 1024] }))).await;
    assert_eq!(check(&declared).await, unhealthy(FailureReason::Oversized));

    // Streamed without a length, endless: the checker stops reading.
    let endless = spawn_router(Router::new().route(
        "/",
        post(|| async {
            let chunk = Bytes::from(vec![b' '; 1024]);
            let stream =
                futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            Body::from_stream(stream)
        }),
    ))
    .await;
    assert_eq!(check(&endless).await, unhealthy(FailureReason::Oversized));

    // A valid proof padded just past the limit.
    let mut padded = serde_json::to_vec(&envelope(&sign_proof(&key(1), BLOCK, hash()))).unwrap();
    padded.resize(16 * 1024 + 1, b' ');
    let url = spawn_router(Router::new().route("/", post(move || async move { padded }))).await;
    assert_eq!(check(&url).await, unhealthy(FailureReason::Oversized));
}

#[tokio::test]
async fn garbage_is_malformed() {
    let text = spawn_router(Router::new().route("/", post(|| async { "hello" }))).await;
    assert_eq!(check(&text).await, unhealthy(FailureReason::Malformed));

    let mut proof = serde_json::to_value(sign_proof(&key(1), BLOCK, hash())).unwrap();
    proof["signature"] = "0x1234".into();
    let short_sig =
        answering(serde_json::json!({ "jsonrpc": "2.0", "id": 1, "result": proof })).await;
    assert_eq!(check(&short_sig).await, unhealthy(FailureReason::Malformed));

    let no_result = answering(serde_json::json!({ "jsonrpc": "2.0", "id": 1 })).await;
    assert_eq!(check(&no_result).await, unhealthy(FailureReason::Malformed));

    let rpc_error = answering(serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "error": { "code": -32000, "message": "nope" }
    }))
    .await;
    assert_eq!(check(&rpc_error).await, unhealthy(FailureReason::BadStatus));

    // Not HTTP at all.
    let (listener, addr) = bind().await;
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let _ = socket
                    .write_all(b"\x00\x01garbage that is not HTTP\r\n\r\n")
                    .await;
                let _ = socket.shutdown().await;
            });
        }
    });
    assert_eq!(
        check(&format!("http://{addr}/")).await,
        unhealthy(FailureReason::Malformed)
    );
}

#[tokio::test]
async fn wrong_proofs_have_their_reasons() {
    let signer = key(1);
    let cases = [
        (
            "wrong block",
            sign_proof(
                &signer,
                BLOCK - 1,
                MemoryBlockSource::default_hash(BLOCK - 1),
            ),
            FailureReason::WrongBlock,
        ),
        (
            "wrong hash",
            sign_proof(&signer, BLOCK, B256::repeat_byte(7)),
            FailureReason::WrongHash,
        ),
        (
            "another key",
            sign_proof(&key(2), BLOCK, hash()),
            FailureReason::WrongSigner,
        ),
        (
            "claims the operator, signed by another key",
            {
                let mut p = sign_proof(&key(2), BLOCK, hash());
                p.address = signer.address();
                p
            },
            FailureReason::BadSignature,
        ),
        (
            "corrupted signature",
            {
                let mut p = sign_proof(&signer, BLOCK, hash());
                p.signature[10] ^= 0xff;
                p
            },
            FailureReason::BadSignature,
        ),
        (
            "bad v",
            {
                let mut p = sign_proof(&signer, BLOCK, hash());
                p.signature[64] = 30;
                p
            },
            FailureReason::BadSignature,
        ),
    ];
    for (name, proof, reason) in cases {
        let url = answering(envelope(&proof)).await;
        assert_eq!(check(&url).await, unhealthy(reason), "{name}");
    }
    // And the untouched proof passes.
    let url = answering(envelope(&sign_proof(&signer, BLOCK, hash()))).await;
    assert!(matches!(check(&url).await, CheckOutcome::Healthy(_)));
}

#[tokio::test]
async fn check_many_keeps_input_order() {
    let source = Arc::new(MemoryBlockSource::with_head(BLOCK));
    let mut items = Vec::new();
    let mut expected = Vec::new();
    for i in 1..=6u8 {
        let signer = key(i);
        let operator = signer.address();
        let (url, _) = spawn_server(Arc::clone(&source), signer, ServerConfig::default()).await;
        // Every other endpoint is asked about the wrong operator.
        let (who, healthy) = if i % 2 == 0 {
            (stranger(), false)
        } else {
            (operator, true)
        };
        items.push(CheckRequest {
            endpoint: url,
            operator: who,
            epoch_block: BLOCK,
            canonical_hash: hash(),
        });
        expected.push(healthy);
    }
    let (closed, addr) = bind().await;
    drop(closed);
    items.push(CheckRequest {
        endpoint: format!("http://{addr}"),
        operator: key(9).address(),
        epoch_block: BLOCK,
        canonical_hash: hash(),
    });
    for concurrency in [1, 3, DEFAULT_CHECK_CONCURRENCY] {
        let outcomes = loopback_checker(2000)
            .check_many(items.clone(), concurrency)
            .await;
        assert_eq!(outcomes.len(), items.len());
        for (i, (outcome, healthy)) in outcomes.iter().zip(&expected).enumerate() {
            match outcome {
                CheckOutcome::Healthy(proof) => {
                    assert!(*healthy, "entry {i}");
                    assert_eq!(proof.address, items[i].operator);
                }
                CheckOutcome::Unhealthy(reason) => {
                    assert!(!*healthy, "entry {i}");
                    assert_eq!(*reason, FailureReason::WrongSigner);
                }
                CheckOutcome::Undetermined(fault) => panic!("entry {i}: {fault:?}"),
            }
        }
        assert_eq!(outcomes.last(), Some(&unhealthy(FailureReason::Refused)));
    }
    assert!(loopback_checker(100)
        .check_many(Vec::new(), 4)
        .await
        .is_empty());
}

#[tokio::test]
async fn json_rpc_error_from_a_status_200_is_not_malformed() {
    let url = spawn_router(Router::new().route(
        "/",
        post(|| async {
            (
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"method not found"}}"#,
            )
                .into_response()
        }),
    ))
    .await;
    assert_eq!(check(&url).await, unhealthy(FailureReason::BadStatus));
}

/// A check whose timer fires long after it should (this node's runtime was
/// stalled) is undetermined, not a timeout of the endpoint.
#[test]
fn a_stalled_runtime_is_not_the_endpoints_timeout() {
    // The slow endpoint lives on a runtime of its own.
    let endpoint_rt = tokio::runtime::Runtime::new().unwrap();
    let url = endpoint_rt.block_on(async {
        spawn_router(Router::new().route(
            "/",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        ))
        .await
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let checker = loopback_checker(400);
    let (stalled, _) = rt.block_on(async {
        tokio::join!(
            checker.check(&url, key(1).address(), BLOCK, hash()),
            async {
                // Let the check start, then hog the only thread for 1.5 s.
                tokio::time::sleep(Duration::from_millis(50)).await;
                std::thread::sleep(Duration::from_millis(1500));
            }
        )
    });
    assert_eq!(
        stalled,
        CheckOutcome::Undetermined(liveliness_health::LocalFault::Stalled)
    );
    // Unhindered, the same endpoint times out on time.
    let on_time = rt.block_on(checker.check(&url, key(1).address(), BLOCK, hash()));
    assert_eq!(on_time, unhealthy(FailureReason::Timeout));
    drop(endpoint_rt);
}
