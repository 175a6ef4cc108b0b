//! The server over a real chain: `AlloyBlockSource` on anvil.

use crate::{bind, key, loopback_checker};
use alloy::{
    node_bindings::Anvil,
    providers::{Provider, ProviderBuilder},
};
use liveliness_health::{AlloyBlockSource, BlockSource, CheckOutcome, HealthServer, ServerConfig};
use liveliness_primitives::FailureReason;
use std::path::PathBuf;

/// `$LIVELINESS_ANVIL`, else the project's `.tools/bin/anvil`, else `anvil`.
fn anvil_path() -> PathBuf {
    if let Some(path) = std::env::var_os("LIVELINESS_ANVIL") {
        return PathBuf::from(path);
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/anvil");
    if local.exists() {
        local
    } else {
        PathBuf::from("anvil")
    }
}

#[tokio::test]
async fn serves_proofs_for_an_anvil_chain() {
    let anvil = Anvil::at(anvil_path())
        .host("127.0.0.1")
        .args(["--accounts", "1"])
        .timeout(60_000)
        .try_spawn()
        .unwrap_or_else(|e| panic!("cannot start anvil at {} ({e})", anvil_path().display()));
    let provider = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    let _: serde_json::Value = provider
        .raw_request("anvil_mine".into(), (5u64,))
        .await
        .unwrap();
    let source = AlloyBlockSource::new(provider.clone());

    let head = source.head().await.unwrap();
    assert_eq!(head, 5);
    let hash = source.block_hash(head).await.unwrap().unwrap();
    let block = provider
        .get_block_by_number(head.into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hash, block.header.hash);
    assert_eq!(source.block_hash(head + 1).await.unwrap(), None);

    let signer = key(7);
    let operator = signer.address();
    let server = HealthServer::new(source, signer, ServerConfig::default()).unwrap();
    let (listener, addr) = bind().await;
    tokio::spawn(server.serve(listener));
    let url = format!("http://{addr}/");

    let checker = loopback_checker(3000);
    let CheckOutcome::Healthy(proof) = checker.check(&url, operator, head, hash).await else {
        panic!("expected a healthy outcome");
    };
    assert_eq!(proof.block_hash, hash);
    let genesis = provider
        .get_block_by_number(0.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .hash;
    assert!(matches!(
        checker.check(&url, operator, 0, genesis).await,
        CheckOutcome::Healthy(_)
    ));
    assert_eq!(
        checker.check(&url, operator, head, genesis).await,
        CheckOutcome::Unhealthy(FailureReason::WrongHash)
    );
}
