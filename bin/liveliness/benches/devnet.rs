//! Devnet benchmarks (issue #3, 5b and 5c), against release node processes:
//!
//! - latency: on a 4-operator devnet with 1-second blocks, the number of
//!   blocks (and seconds) from each epoch block to its `TaskSubmitted`
//!   event; the median must be at most `confirmationDepth + 3` blocks;
//! - memory: resident set size of node processes while 100 operators are
//!   registered and active.
//!
//! `cargo bench -p liveliness --bench devnet` (takes a few minutes). Under
//! `cargo test` (no `--bench` flag) it only says so and exits.

use alloy::{providers::Provider, rpc::types::Filter, sol_types::SolEvent};
use liveliness_chain::bindings::AttestationCenter;
use liveliness_devnet::{Devnet, DevnetOptions};
use std::{collections::BTreeMap, path::PathBuf, time::Duration};

const LATENCY_EPOCHS: usize = 8;
const MEMORY_OPERATORS: usize = 100;
const MEMORY_NODES: usize = 4;

fn main() -> eyre::Result<()> {
    if !std::env::args().any(|a| a == "--bench") {
        println!("devnet bench: run with `cargo bench -p liveliness --bench devnet`");
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        latency().await?;
        memory().await
    })
}

fn options(n: usize, dir: &tempfile::TempDir) -> DevnetOptions {
    DevnetOptions::new(
        n,
        PathBuf::from(env!("CARGO_BIN_EXE_liveliness")),
        dir.path().join("devnet"),
    )
}

async fn latency() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut opts = options(4, &dir);
    opts.submit_empty_tasks = true; // every epoch goes on-chain
    let depth = u64::from(opts.confirmation_depth);
    let epoch_length = u64::from(opts.epoch_length);
    let net = Devnet::start(opts).await?;
    let start = net.head().await?;
    let first_epoch = (start / epoch_length + 2) * epoch_length; // nodes connected by then
    let last_epoch = first_epoch + (LATENCY_EPOCHS as u64 - 1) * epoch_length;
    println!(
        "latency: 4 operators, 1 s blocks, epoch {epoch_length} blocks, confirmation depth {depth}; \
         measuring epoch blocks {first_epoch}..={last_epoch}"
    );
    let mut landed: BTreeMap<u64, u64> = BTreeMap::new();
    let deadline = tokio::time::Instant::now()
        + Duration::from_secs((last_epoch - start + 3 * epoch_length) * net.options.block_time);
    while landed.len() < LATENCY_EPOCHS && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if net.head().await? < first_epoch {
            continue;
        }
        let filter = Filter::new()
            .address(net.deployment.attestation_center)
            .event_signature(AttestationCenter::TaskSubmitted::SIGNATURE_HASH)
            .from_block(first_epoch);
        for log in net.provider.get_logs(&filter).await? {
            let e = AttestationCenter::TaskSubmitted::decode_log(&log.inner)?;
            let reference = u64::from(e.data.referenceBlock);
            if (first_epoch..=last_epoch).contains(&reference) {
                landed
                    .entry(reference)
                    .or_insert(log.block_number.unwrap_or_default());
            }
        }
    }
    let mut delays: Vec<u64> = landed.iter().map(|(b, at)| at - b).collect();
    for (b, at) in &landed {
        println!(
            "  epoch block {b}: TaskSubmitted in block {at} (+{} blocks)",
            at - b
        );
    }
    let missing = LATENCY_EPOCHS - landed.len();
    delays.sort_unstable();
    let median = delays.get(delays.len() / 2).copied().unwrap_or(u64::MAX);
    let bar = depth + 3;
    println!(
        "latency: median {median} blocks (≈ {median} s) from epoch block to TaskSubmitted over {} epochs \
         ({missing} without a submission); bar: at most confirmation depth + 3 = {bar} blocks",
        landed.len()
    );
    assert_eq!(missing, 0, "some epochs never landed");
    assert!(median <= bar, "median {median} blocks exceeds {bar}");
    Ok(())
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn memory() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let opts = options(MEMORY_OPERATORS, &dir);
    let epoch_length = u64::from(opts.epoch_length);
    println!(
        "memory: registering {MEMORY_OPERATORS} operators, running {MEMORY_NODES} nodes for 3 epochs"
    );
    let mut net = Devnet::setup(opts).await?;
    for i in 0..MEMORY_NODES {
        net.start_node(i)?;
    }
    let until = net.head().await? + 3 * epoch_length;
    while net.head().await? < until {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let loaded = net.nodes[..MEMORY_NODES]
        .iter()
        .filter(|n| n.logged("operators=100"))
        .count();
    let rss: Vec<u64> = net.nodes[..MEMORY_NODES]
        .iter()
        .filter_map(|n| n.pid().and_then(rss_kib))
        .collect();
    let max = rss.iter().copied().max().unwrap_or(0);
    println!(
        "memory: node resident set with {MEMORY_OPERATORS} registered operators: {:?} KiB (max {:.1} MiB); \
         {loaded}/{MEMORY_NODES} nodes loaded an epoch with all 100",
        rss,
        max as f64 / 1024.0
    );
    assert_eq!(loaded, MEMORY_NODES);
    net.stop().await;
    Ok(())
}
