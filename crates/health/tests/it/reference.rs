//! Interoperability with the reference implementation's health endpoints
//! (Othentic's liveness example), both ways:
//!
//! - an endpoint answering in the reference shape (no `blockNumber`, the
//!   address checksummed, extra fields) is judged healthy by our checker, and
//!   every tampering of it unhealthy with the right reason;
//! - our endpoint passes a validator that follows the reference rules, written
//!   here: `GET <endpoint>/healthcheck` must succeed, the answer's `blockHash`
//!   must equal the canonical hash *as a string*, and the address recovered
//!   from the signature over `keccak256(abi.encode(uint256(blockHash)))`,
//!   EIP-55 checksummed, must equal the answer's `address` *as a string*.

use crate::{key, loopback_checker, sign_proof, spawn_router, spawn_server};
use alloy_primitives::{keccak256, Signature, B256};
use alloy_sol_types::SolValue;
use axum::{routing::post, Json, Router};
use liveliness_health::{test_utils::MemoryBlockSource, CheckOutcome, ServerConfig};
use liveliness_primitives::{FailureReason, HealthProof};
use serde_json::{json, Value};
use std::sync::Arc;

const BLOCK: u64 = 100;

fn hash() -> B256 {
    MemoryBlockSource::default_hash(BLOCK)
}

/// `proof` as a reference endpoint sends it: `{blockHash, address, signature}`,
/// the address EIP-55 checksummed, no `blockNumber`.
fn reference_result(proof: &HealthProof) -> Value {
    json!({
        "blockHash": proof.block_hash.to_string(),
        "address": proof.address.to_checksum(None),
        "signature": format!("0x{}", alloy_primitives::hex::encode(proof.signature)),
    })
}

async fn endpoint(result: Value) -> String {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "result": result });
    spawn_router(Router::new().route("/", post(move || async move { Json(body) }))).await
}

async fn judge(result: Value) -> CheckOutcome {
    let url = endpoint(result).await;
    loopback_checker(2000)
        .check(&url, key(1).address(), BLOCK, hash())
        .await
}

#[tokio::test]
async fn a_reference_shaped_answer_is_healthy() {
    let proof = sign_proof(&key(1), BLOCK, hash());
    let exact = reference_result(&proof);
    assert!(exact.get("blockNumber").is_none());
    assert_eq!(
        judge(exact.clone()).await,
        CheckOutcome::Healthy(proof.clone())
    );

    // Extra fields are ignored; the address is bytes whatever its case.
    let mut extra = exact.clone();
    extra["version"] = json!("1.2.3");
    extra["peers"] = json!([1, 2]);
    assert_eq!(judge(extra).await, CheckOutcome::Healthy(proof.clone()));
    for address in [
        format!("{:x}", proof.address),
        format!("{:x}", proof.address)
            .to_uppercase()
            .replace("0X", "0x"),
    ] {
        let mut cased = exact.clone();
        cased["address"] = json!(address);
        assert_eq!(judge(cased).await, CheckOutcome::Healthy(proof.clone()));
    }
    // A `blockNumber` equal to the block asked for is fine too.
    let mut numbered = exact;
    numbered["blockNumber"] = json!(BLOCK);
    assert_eq!(judge(numbered).await, CheckOutcome::Healthy(proof));
}

#[tokio::test]
async fn each_tampering_of_a_reference_answer_has_its_reason() {
    let signer = key(1);
    let good = reference_result(&sign_proof(&signer, BLOCK, hash()));
    let tampered = |field: &str, value: Value| {
        let mut result = good.clone();
        result[field] = value;
        result
    };
    let cases: Vec<(&str, Value, FailureReason)> = vec![
        (
            "blockNumber of another block",
            tampered("blockNumber", json!(BLOCK + 1)),
            FailureReason::WrongBlock,
        ),
        (
            "blockNumber as a string",
            tampered("blockNumber", json!(BLOCK.to_string())),
            FailureReason::Malformed,
        ),
        (
            "another block's hash, signed",
            reference_result(&sign_proof(&signer, BLOCK, B256::repeat_byte(7))),
            FailureReason::WrongHash,
        ),
        (
            "another block's hash, signature kept",
            tampered("blockHash", json!(B256::repeat_byte(7).to_string())),
            FailureReason::WrongHash,
        ),
        (
            "another operator's answer",
            reference_result(&sign_proof(&key(2), BLOCK, hash())),
            FailureReason::WrongSigner,
        ),
        (
            "claims the operator, signed by another key",
            {
                let other = sign_proof(&key(2), BLOCK, hash());
                let mut result = reference_result(&other);
                result["address"] = json!(signer.address().to_checksum(None));
                result
            },
            FailureReason::BadSignature,
        ),
        (
            "signature corrupted",
            {
                let mut proof = sign_proof(&signer, BLOCK, hash());
                proof.signature[5] ^= 0x40;
                reference_result(&proof)
            },
            FailureReason::BadSignature,
        ),
        (
            "signature truncated",
            tampered("signature", json!("0x1234")),
            FailureReason::Malformed,
        ),
        (
            "no signature",
            {
                let mut result = good.clone();
                result.as_object_mut().unwrap().remove("signature");
                result
            },
            FailureReason::Malformed,
        ),
        (
            "no blockHash",
            {
                let mut result = good.clone();
                result.as_object_mut().unwrap().remove("blockHash");
                result
            },
            FailureReason::Malformed,
        ),
        (
            "address not hex",
            tampered("address", json!("0xnot-an-address")),
            FailureReason::Malformed,
        ),
    ];
    for (name, result, reason) in cases {
        assert_eq!(
            judge(result).await,
            CheckOutcome::Unhealthy(reason),
            "{name}"
        );
    }
}

/// The reference validator's rules, written here: string comparisons
/// included. Returns why the answer is refused.
fn reference_validate(result: &Value, canonical_hash: &str) -> Result<(), String> {
    let block_hash = result["blockHash"].as_str().ok_or("no blockHash")?;
    if block_hash != canonical_hash {
        return Err(format!("blockHash {block_hash} != {canonical_hash}"));
    }
    let word: B256 = block_hash.parse().map_err(|e| format!("blockHash: {e}"))?;
    let payload = alloy_primitives::U256::from_be_bytes(word.0).abi_encode();
    let message = keccak256(payload);
    let signature: Signature = result["signature"]
        .as_str()
        .ok_or("no signature")?
        .parse()
        .map_err(|e| format!("signature: {e}"))?;
    let recovered = signature
        .recover_address_from_msg(message.as_slice())
        .map_err(|e| format!("recover: {e}"))?
        .to_checksum(None);
    let claimed = result["address"].as_str().ok_or("no address")?;
    if recovered != claimed {
        return Err(format!("recovered {recovered} != address {claimed}"));
    }
    Ok(())
}

#[tokio::test]
async fn our_endpoint_passes_the_reference_rules() {
    let source = Arc::new(MemoryBlockSource::with_head(BLOCK + 2));
    let signer = key(3);
    let (url, _server) = spawn_server(source, signer.clone(), ServerConfig::default()).await;
    let client = reqwest::Client::new();

    // The reference pings `<endpoint>/healthcheck` first.
    let ping = client
        .get(format!("{url}/healthcheck"))
        .send()
        .await
        .unwrap();
    assert!(ping.status().is_success(), "{}", ping.status());

    // Then the JSON-RPC call, as ethers' provider.send frames it.
    let answer: Value = client
        .post(&url)
        .json(&json!({ "method": "healthcheck", "params": [BLOCK], "id": 1, "jsonrpc": "2.0" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let result = &answer["result"];
    let canonical = hash().to_string();
    reference_validate(result, &canonical).unwrap();
    assert_eq!(
        result["address"],
        json!(signer.address().to_checksum(None)),
        "the address is EIP-55 checksummed"
    );

    // The validator written here does refuse what it should.
    let mut lower = result.clone();
    lower["address"] = json!(format!("{:x}", signer.address()));
    assert!(reference_validate(&lower, &canonical).is_err());
    assert!(reference_validate(result, &B256::ZERO.to_string()).is_err());
}

/// Runs the validator in `tests/reference/validate.js` (the reference rules on
/// the real ethers v6, installed into `.tools/` by `scripts/install-tools.sh`)
/// against `endpoint`; returns its exit code and its JSON line.
async fn ethers_validate(endpoint: &str, block: u64, hash: B256) -> (i32, Value) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let modules = root.join(".tools/node_modules");
    assert!(
        modules.join("ethers/package.json").exists(),
        "ethers is not installed: run `bash scripts/install-tools.sh`"
    );
    let output = tokio::process::Command::new("node")
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/validate.js"))
        .arg(endpoint)
        .arg(block.to_string())
        .arg(hash.to_string())
        .env("NODE_PATH", &modules)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(30), output)
        .await
        .expect("the validator finishes within 30 s")
        .expect("node runs (Node.js is required, as for the tool install)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let report = serde_json::from_str(line).unwrap_or_else(|_| {
        panic!(
            "validator printed no JSON: {stdout} / {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

#[tokio::test]
async fn the_reference_validator_on_ethers_accepts_our_endpoint() {
    let source = Arc::new(MemoryBlockSource::with_head(BLOCK + 2));
    let signer = key(4);
    let config = ServerConfig {
        chain_id: Some(31337),
        ..ServerConfig::default()
    };
    let (url, _server) = spawn_server(source, signer.clone(), config).await;
    let (code, report) = ethers_validate(&url, BLOCK, hash()).await;
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        report["recovered"],
        json!(signer.address().to_checksum(None))
    );
}

#[tokio::test]
async fn the_reference_validator_refuses_a_lower_case_address() {
    // What this endpoint answered before: the same proof, address in lower
    // case. ethers' provider also needs eth_chainId and batches.
    let proof = sign_proof(&key(1), BLOCK, hash());
    let mut result = reference_result(&proof);
    result["address"] = json!(format!("{:x}", proof.address));
    let router = Router::new()
        .route(
            "/",
            post(move |Json(body): Json<Value>| {
                let result = result.clone();
                async move {
                    let answer = |call: &Value| match call["method"].as_str() {
                        Some("eth_chainId") => {
                            json!({"jsonrpc": "2.0", "id": call["id"], "result": "0x7a69"})
                        }
                        _ => json!({"jsonrpc": "2.0", "id": call["id"], "result": result}),
                    };
                    Json(match &body {
                        Value::Array(calls) => Value::Array(calls.iter().map(answer).collect()),
                        call => answer(call),
                    })
                }
            }),
        )
        .route("/healthcheck", axum::routing::get(|| async { "ok" }));
    let url = spawn_router(router).await;
    let (code, report) = ethers_validate(&url, BLOCK, hash()).await;
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["why"], json!("address differs"));
}
