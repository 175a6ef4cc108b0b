//! A checker whose process has no file descriptor left says "I don't know",
//! never "unhealthy". Its own test binary, because it lowers the process's
//! open-file limit.

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::B256;
use liveliness_health::{
    test_utils::MemoryBlockSource, CheckOutcome, Checker, CheckerConfig, HealthServer, LocalFault,
    ServerConfig,
};
use std::{fs::File, sync::Arc};

const BLOCK: u64 = 100;

#[test]
fn no_file_descriptor_left_is_undetermined_not_unhealthy() {
    // The endpoint runs in a runtime of its own, started before the limit
    // bites, so that it stays able to answer.
    let server_rt = tokio::runtime::Runtime::new().unwrap();
    let signer = PrivateKeySigner::from_bytes(&B256::with_last_byte(1)).unwrap();
    let operator = signer.address();
    let url = server_rt.block_on(async move {
        let source = Arc::new(MemoryBlockSource::with_head(BLOCK + 2));
        let server = HealthServer::new(source, signer, ServerConfig::default()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(server.serve(listener));
        url
    });
    let hash = MemoryBlockSource::default_hash(BLOCK);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let checker = Checker::new(CheckerConfig {
        health_timeout_ms: 2000,
        allow_loopback: true,
        ..CheckerConfig::default()
    });
    // Healthy while there are descriptors.
    let outcome = rt.block_on(checker.check(&url, operator, BLOCK, hash));
    assert!(matches!(outcome, CheckOutcome::Healthy(_)), "{outcome:?}");

    // Take every descriptor under a low soft limit.
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    rlimit::setrlimit(rlimit::Resource::NOFILE, 256.min(soft), hard).unwrap();
    let mut hoard = Vec::new();
    // Takes whatever descriptors are free (the runtime closes some lazily).
    let exhaust = |hoard: &mut Vec<File>| {
        while let Ok(file) = File::open("/dev/null") {
            hoard.push(file);
            assert!(hoard.len() < 100_000, "the limit does not bite");
        }
    };
    exhaust(&mut hoard);
    let outcome = rt.block_on(checker.check(&url, operator, BLOCK, hash));
    exhaust(&mut hoard);
    let many = rt.block_on(checker.check_many(
        (0..5).map(|_| liveliness_health::CheckRequest {
            endpoint: url.clone(),
            operator,
            epoch_block: BLOCK,
            canonical_hash: hash,
        }),
        5,
    ));
    drop(hoard);
    rlimit::setrlimit(rlimit::Resource::NOFILE, soft, hard).unwrap();

    assert_eq!(outcome, CheckOutcome::Undetermined(LocalFault::Resources));
    // The runtime frees a descriptor now and then (a dropped client), so a
    // check may get through; none may call the operator unhealthy.
    assert!(
        !many.iter().any(|o| matches!(o, CheckOutcome::Unhealthy(_))),
        "{many:?}"
    );
    let undetermined = many
        .iter()
        .filter(|o| **o == CheckOutcome::Undetermined(LocalFault::Resources))
        .count();
    assert!(undetermined >= 3, "{many:?}");

    // And healthy again once descriptors are back.
    let outcome = rt.block_on(checker.check(&url, operator, BLOCK, hash));
    assert!(matches!(outcome, CheckOutcome::Healthy(_)), "{outcome:?}");
    drop(server_rt);
}
