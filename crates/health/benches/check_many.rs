//! One checker round against 1,000 endpoints on loopback.
//!
//! 900 endpoints are real health servers (one operator key each); 100 answer
//! only after twice the timeout. A checker with timeout `T` checks all of
//! them at once; the round must end within `T + 20 %`, i.e. the slow
//! endpoints cost their timeout and nothing more, and the fast ones are not
//! held up behind them.
//!
//! `cargo bench -p liveliness-health --bench check_many`

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::B256;
use axum::{routing::post, Router};
use liveliness_health::{
    test_utils::MemoryBlockSource, CheckOutcome, CheckRequest, Checker, CheckerConfig,
    HealthServer, ServerConfig,
};
use liveliness_primitives::FailureReason;
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::net::TcpListener;

const SLOW_EVERY: usize = 10;
const EPOCH_BLOCK: u64 = 1000;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and
    // then a small unoptimised smoke run checks that the bench still works.
    let full = std::env::args().any(|a| a == "--bench");
    let (endpoints, timeout_ms, rounds) = if full { (1000, 1000, 3) } else { (60, 3000, 1) };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(endpoints, timeout_ms, rounds));
}

async fn run(endpoints: usize, timeout_ms: u64, rounds: usize) {
    let timeout = Duration::from_millis(timeout_ms);
    let source = Arc::new(MemoryBlockSource::with_head(EPOCH_BLOCK + 10));
    let hash = MemoryBlockSource::default_hash(EPOCH_BLOCK);

    let setup = Instant::now();
    let mut items = Vec::with_capacity(endpoints);
    for i in 0..endpoints {
        let signer =
            PrivateKeySigner::from_bytes(&B256::from(alloy_primitives::U256::from(i + 1))).unwrap();
        let operator = signer.address();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind #{i} failed ({e}); raise `ulimit -n` above ~4000"));
        let addr = listener.local_addr().unwrap();
        if i % SLOW_EVERY == SLOW_EVERY - 1 {
            let slow = Router::new().route(
                "/",
                post(move || async move {
                    tokio::time::sleep(timeout * 2).await;
                    "too late"
                }),
            );
            tokio::spawn(async move { axum::serve(listener, slow).await });
        } else {
            let server =
                HealthServer::new(Arc::clone(&source), signer, ServerConfig::default()).unwrap();
            tokio::spawn(server.serve(listener));
        }
        items.push(CheckRequest {
            endpoint: format!("http://{addr}/"),
            operator,
            epoch_block: EPOCH_BLOCK,
            canonical_hash: hash,
        });
    }
    println!(
        "check_many: {endpoints} endpoints on loopback ({} slow), set up in {} ms",
        endpoints / SLOW_EVERY,
        setup.elapsed().as_millis()
    );

    let checker = Checker::new(CheckerConfig {
        health_timeout_ms: timeout_ms,
        allow_loopback: true,
        ..CheckerConfig::default()
    });

    let healthy_only: Vec<CheckRequest> = items
        .iter()
        .enumerate()
        .filter(|(i, _)| i % SLOW_EVERY != SLOW_EVERY - 1)
        .map(|(_, item)| item.clone())
        .collect();
    let started = Instant::now();
    let outcomes = checker.check_many(healthy_only.clone(), endpoints).await;
    let fast_round = started.elapsed();
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, CheckOutcome::Healthy(_))));
    println!(
        "  healthy endpoints only: {} checks in {:>6.1} ms (first contact: proofs signed)",
        healthy_only.len(),
        fast_round.as_secs_f64() * 1e3
    );

    let limit = timeout.mul_f64(1.2);
    let mut worst = Duration::ZERO;
    for round in 1..=rounds {
        let started = Instant::now();
        let outcomes = checker.check_many(items.clone(), endpoints).await;
        let wall = started.elapsed();
        worst = worst.max(wall);

        let healthy = outcomes
            .iter()
            .filter(|o| matches!(o, CheckOutcome::Healthy(_)))
            .count();
        let timed_out = outcomes
            .iter()
            .filter(|o| **o == CheckOutcome::Unhealthy(FailureReason::Timeout))
            .count();
        for (i, outcome) in outcomes.iter().enumerate() {
            let slow = i % SLOW_EVERY == SLOW_EVERY - 1;
            match outcome {
                CheckOutcome::Healthy(_) => assert!(!slow, "slow endpoint #{i} judged healthy"),
                CheckOutcome::Unhealthy(reason) => assert!(
                    slow && *reason == FailureReason::Timeout,
                    "endpoint #{i}: {reason:?}"
                ),
                CheckOutcome::Undetermined(fault) => {
                    panic!("endpoint #{i}: this node could not check ({fault:?})")
                }
            }
        }
        println!(
            "  round {round}: {endpoints} checks in {:>6.1} ms, T = {timeout_ms} ms, ratio {:.3} \
             ({healthy} healthy, {timed_out} timeout)",
            wall.as_secs_f64() * 1e3,
            wall.as_secs_f64() / timeout.as_secs_f64(),
        );
    }
    println!(
        "worst round {:.1} ms = {:.3} × T (bound 1.200 × T)",
        worst.as_secs_f64() * 1e3,
        worst.as_secs_f64() / timeout.as_secs_f64()
    );
    assert!(
        worst <= limit,
        "a round took {worst:?}, more than T + 20 % = {limit:?}"
    );
}
