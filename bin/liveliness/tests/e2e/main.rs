//! End-to-end tests: a real anvil, real `liveliness node` processes, real
//! HTTP health endpoints and libp2p gossip on 127.0.0.1. Each test runs its
//! own devnet.

mod attacks;
mod faults;
mod scenarios;

use liveliness_devnet::{Devnet, DevnetOptions, Standing};
use liveliness_primitives::{EpochBlock, Round};
use std::{path::PathBuf, time::Duration};

/// A devnet of `n` operators for one test, in a fresh temporary directory.
pub fn options(n: usize) -> (DevnetOptions, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut opts = DevnetOptions::new(
        n,
        PathBuf::from(env!("CARGO_BIN_EXE_liveliness")),
        dir.path().join("devnet"),
    );
    opts.log_filter = "info,liveliness_p2p=warn,libp2p=warn".into();
    // Debug builds of four nodes share two cores with anvil and the test:
    // give a performer six blocks for its round rather than four.
    opts.performer_timeout_blocks = 6;
    opts.echo_logs = std::env::var_os("E2E_ECHO").is_some();
    (opts, dir)
}

/// Blocks of one epoch, as wall time with 1-second blocks.
pub fn epochs(net: &Devnet, count: u64) -> Duration {
    Duration::from_secs(count * u64::from(net.options.epoch_length) * net.options.block_time)
}

/// Dumps every node's log (on failure, to see why).
pub fn dump_logs(net: &Devnet) {
    for node in &net.nodes {
        eprintln!("===== op{} =====", node.index + 1);
        for line in node.log.lock().unwrap().iter() {
            eprintln!("{line}");
        }
    }
}

/// The standings, by node index.
pub async fn standings(net: &Devnet) -> Vec<Standing> {
    net.standings().await.expect("standings")
}

/// The node index of the performer of `round` in the epoch starting at
/// block `b` (every operator active, as in these tests).
pub async fn performer_of(net: &Devnet, b: u64, round: Round) -> usize {
    use alloy::providers::Provider;
    let hash = net
        .provider
        .get_block_by_number(b.into())
        .await
        .unwrap()
        .expect("epoch block mined")
        .header
        .hash;
    let seed = liveliness_primitives::epoch_seed(
        net.deployment.chain_id,
        net.deployment.attestation_center,
        hash,
    );
    let ids: Vec<u64> = net.nodes.iter().map(|n| n.id).collect();
    let order = liveliness_primitives::performer_order(&ids, seed).unwrap();
    let id = liveliness_primitives::round_performer(&order, round).unwrap();
    net.nodes.iter().position(|n| n.id == id).unwrap()
}

/// Waits for the next epoch block to be mined; returns it.
pub async fn next_epoch_block(net: &Devnet) -> u64 {
    let l = u64::from(net.options.epoch_length);
    let head = net.head().await.unwrap();
    let b = (head / l + 1) * l;
    liveliness_devnet::wait_for(epochs(net, 2), || async {
        (net.head().await.ok()? >= b).then_some(())
    })
    .await
    .expect("chain advances");
    b
}

/// One row of docs/RELIABILITY.md: what a test injected and what happened.
#[derive(Debug)]
pub struct Reliability<'a> {
    pub name: &'a str,
    pub injected: &'a str,
    /// Epochs the attack or fault lasted.
    pub epochs: u64,
    /// Tasks that landed (approved or rejected) from its start to the end of
    /// the test.
    pub tasks_landed: usize,
    /// Penalties of operators whose endpoint was up and who did nothing
    /// wrong.
    pub false_penalties: usize,
    /// From the end of the fault until the node caught up, if measured.
    pub recovery: Option<Duration>,
}

/// Appends `r` as a markdown table row to the file named by
/// `LIVELINESS_RELIABILITY_OUT` (set by scripts/reliability.sh), with the
/// peak resident memory of the devnet's nodes; does nothing otherwise.
pub fn report(net: &Devnet, r: &Reliability<'_>) {
    use std::io::Write;
    let Some(path) = std::env::var_os("LIVELINESS_RELIABILITY_OUT") else {
        return;
    };
    let peak = net
        .nodes
        .iter()
        .filter_map(liveliness_devnet::DevnetNode::peak_memory_kib)
        .max()
        .map_or("–".to_owned(), |k| format!("{:.0}", k as f64 / 1024.0));
    let recovery = r
        .recovery
        .map_or("–".to_owned(), |d| format!("{:.0}", d.as_secs_f64()));
    let row = format!(
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        r.name, r.injected, r.epochs, r.tasks_landed, r.false_penalties, recovery, peak
    );
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("reliability output");
    file.write_all(row.as_bytes()).expect("reliability output");
}

/// Largest peak resident memory (`VmHWM`) any node may reach in these
/// tests, in MiB: they run at about 45.
pub const MEMORY_BOUND_MIB: u64 = 256;

/// Asserts that every running node's peak resident memory is within
/// [`MEMORY_BOUND_MIB`].
pub fn assert_memory_bounded(net: &Devnet) {
    for node in &net.nodes {
        if let Some(kib) = node.peak_memory_kib() {
            assert!(
                kib / 1024 <= MEMORY_BOUND_MIB,
                "op{} peaked at {} MiB",
                node.index + 1,
                kib / 1024
            );
        }
    }
}

/// Penalties of epochs from `from` on, as `(operator, epoch block,
/// performer fault)`.
pub async fn penalties_from(
    net: &Devnet,
    from: EpochBlock,
) -> Vec<(alloy::primitives::Address, EpochBlock, bool)> {
    net.penalties()
        .await
        .expect("penalties")
        .into_iter()
        .filter(|(_, b, _)| *b >= from)
        .collect()
}

/// Tasks (approved or rejected) landed for epoch blocks in `range`.
pub async fn landed_in(net: &Devnet, range: std::ops::RangeInclusive<u64>) -> usize {
    let (approved, rejected) = net.landed_tasks().await.expect("landed tasks");
    approved
        .iter()
        .chain(&rejected)
        .filter(|(b, _)| range.contains(&b.0))
        .count()
}

/// Waits (two epochs at most) until every running node's head reaches
/// `head` and it holds the epoch that contains it (`/api/status`); returns
/// how long that took.
pub async fn all_caught_up(net: &Devnet, head: u64) -> Duration {
    let l = u64::from(net.options.epoch_length);
    let epoch = head / l * l;
    let started = std::time::Instant::now();
    let done = liveliness_devnet::wait_for(epochs(net, 2), || async {
        for n in net.nodes.iter().filter(|n| n.is_running()) {
            let (h, held) = n.head_and_epochs().await?;
            if h < head || !held.contains(&EpochBlock(epoch)) {
                return None;
            }
        }
        Some(())
    })
    .await;
    if done.is_none() {
        dump_logs(net);
        panic!("not every node caught up with block {head} (epoch {epoch})");
    }
    started.elapsed()
}
