//! Faults of a node's own RPC, with real processes: its RPC answers `null`
//! for blocks that exist, then hangs, then is out for 30 s.

use crate::{dump_logs, epochs, options, report, Reliability};
use liveliness_devnet::{wait_for, Devnet, RpcFault};
use std::{net::SocketAddr, time::Duration};

/// The sum of the samples of `name` in a Prometheus text exposition.
pub(crate) fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

pub(crate) async fn metrics(api: SocketAddr) -> String {
    reqwest::get(format!("http://{api}/metrics"))
        .await
        .expect("the API answers")
        .text()
        .await
        .unwrap()
}

pub(crate) async fn node_head(api: SocketAddr) -> Option<u64> {
    let status: serde_json::Value = reqwest::get(format!("http://{api}/api/status"))
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    status["head"].as_u64()
}

/// Waits (two epochs at most) until node `i`'s head reaches `head`.
async fn caught_up(net: &Devnet, i: usize, head: u64) {
    let api = net.nodes[i].config.api_listen;
    let done = wait_for(epochs(net, 2), || async {
        (node_head(api).await? >= head).then_some(())
    })
    .await;
    if done.is_none() {
        dump_logs(net);
    }
    assert!(
        done.is_some(),
        "node {i} did not catch up with block {head}"
    );
}

/// A node's RPC misbehaves in turn: `null` for blocks (not a reorg: the
/// node keeps its epochs), requests that hang, a 30 s outage. The node
/// stays up and catches up afterwards, tasks keep landing, and no operator
/// but the one whose own RPC failed is penalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_rpc_faults_penalize_no_one_else_and_it_recovers() {
    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let mut net = Devnet::setup(opts).await.expect("devnet");
    net.put_rpc_proxy(0).await.unwrap();
    // A short retention, so that pruning happens within the test.
    for i in 0..net.nodes.len() {
        net.nodes[i].config.retention_epochs = 8;
        net.write_config(i).unwrap();
    }
    net.start_nodes().unwrap();
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();
    let victim = net.nodes[0].address();
    let api = net.nodes[0].config.api_listen;

    // Null for every block: looked at again later, never taken for a reorg.
    let fault_start = net.head().await.unwrap();
    net.set_rpc_fault(0, RpcFault::NullBlocks);
    tokio::time::sleep(epochs(&net, 2)).await;
    let m = metrics(api).await;
    assert!(
        metric(&m, "liveliness_rpc_missing_blocks_total") > 0.0,
        "the null answers were not seen:\n{m}"
    );
    assert_eq!(
        metric(&m, "liveliness_epochs_reorged_total"),
        0.0,
        "null answers were taken for a reorg"
    );

    // Requests that never end, then an outage.
    net.set_rpc_fault(0, RpcFault::Hang);
    tokio::time::sleep(Duration::from_secs(15)).await;
    net.set_rpc_fault(0, RpcFault::Down);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(net.nodes[0].exited().is_none(), "the node died");
    net.set_rpc_fault(0, RpcFault::None);
    let healed_at = std::time::Instant::now();
    let healed = net.head().await.unwrap();
    let m = metrics(api).await;
    assert!(metric(&m, "liveliness_rpc_errors_total") > 0.0, "{m}");

    // It catches up with the chain.
    caught_up(&net, 0, healed).await;
    let recovery = healed_at.elapsed();

    // Tasks land after the faults, and nobody else was penalized.
    let landed = wait_for(epochs(&net, 3), || async {
        let (approved, _) = net.landed_tasks().await.ok()?;
        approved.iter().any(|(b, _)| *b >= healed).then_some(())
    })
    .await;
    if landed.is_none() {
        dump_logs(&net);
    }
    assert!(landed.is_some(), "no task landed after the faults");
    let penalties = net.penalties().await.unwrap();
    let others: Vec<_> = penalties
        .iter()
        .filter(|(op, b, _)| *b >= ready && *op != victim)
        .collect();
    assert!(others.is_empty(), "others penalized: {others:?}");

    // Retention: another node pruned its store down to the last 8 epochs
    // (plus the one a pass may lag behind).
    let api1 = net.nodes[1].config.api_listen;
    let pruned = wait_for(epochs(&net, 3), || async {
        let m = metrics(api1).await;
        (metric(&m, "liveliness_epochs_pruned_total") > 0.0).then_some(())
    })
    .await;
    assert!(pruned.is_some(), "nothing pruned:\n{}", metrics(api1).await);
    let head = net.head().await.unwrap();
    let l = u64::from(net.options.epoch_length);
    let tasks: Vec<serde_json::Value> = reqwest::get(format!("http://{api1}/api/tasks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!tasks.is_empty());
    for t in &tasks {
        let b = t["epoch_block"].as_u64().unwrap();
        assert!(b + 9 * l >= head, "epoch {b} kept at head {head}");
    }

    let (approved, rejected) = net.landed_tasks().await.unwrap();
    report(
        &net,
        &Reliability {
            name: "rpc faults",
            injected: "one node's only RPC: `null` for every block for 2 epochs, then every request hanging for 15 s, then HTTP 503 for 30 s",
            epochs: healed.saturating_sub(fault_start).div_ceil(l),
            tasks_landed: approved
                .iter()
                .chain(&rejected)
                .filter(|(b, _)| *b >= fault_start)
                .count(),
            false_penalties: others.len(),
            recovery: Some(recovery),
        },
    );
    net.stop().await;
}

/// One node of four (under 1/3 of the power) is killed (SIGKILL) and
/// restarted every 12 s for about four epochs. Tasks keep landing, nobody
/// else is penalized, and once left alone it catches up with the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_and_restarted_repeatedly_penalizes_no_one_else() {
    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let mut net = Devnet::start(opts).await.expect("devnet");
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();
    let victim = net.nodes[3].address();
    let l = u64::from(net.options.epoch_length);
    let from = net.head().await.unwrap();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_secs(6)).await;
        net.stop_node(3).await.unwrap();
        tokio::time::sleep(Duration::from_secs(6)).await;
        net.start_node(3).unwrap();
    }
    let restarted_at = std::time::Instant::now();
    let healed = net.head().await.unwrap();
    caught_up(&net, 3, healed).await;
    let recovery = restarted_at.elapsed();

    let landed = wait_for(epochs(&net, 3), || async {
        let (approved, rejected) = net.landed_tasks().await.ok()?;
        let n = approved
            .iter()
            .chain(&rejected)
            .filter(|(b, _)| *b >= from)
            .count();
        (n >= 2).then_some(n)
    })
    .await;
    if landed.is_none() {
        dump_logs(&net);
    }
    let landed = landed.expect("tasks landed while a node was restarted");
    let penalties = net.penalties().await.unwrap();
    let others: Vec<_> = penalties
        .iter()
        .filter(|(op, b, _)| *b >= ready && *op != victim)
        .collect();
    assert!(others.is_empty(), "others penalized: {others:?}");
    report(
        &net,
        &Reliability {
            name: "kill and restart",
            injected:
                "one node of four killed (SIGKILL) and restarted, 6 s down and 6 s up, three times",
            epochs: healed.saturating_sub(from).div_ceil(l),
            tasks_landed: landed,
            false_penalties: others.len(),
            recovery: Some(recovery),
        },
    );
    net.stop().await;
}
