//! `liveliness devnet`: start the network and show, live, what happens.

use crate::{Devnet, DevnetOptions, Mode};
use alloy::{providers::Provider, rpc::types::Filter, sol_types::SolEvent};
use liveliness_chain::bindings::{registry::LivelinessRegistry as Reg, AttestationCenter};
use std::time::Duration;

/// What `--faulty` does.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    /// How many operators' endpoints go down (the last ones).
    pub operators: usize,
    /// After how many epochs.
    pub after_epochs: u64,
}

/// Runs the devnet until Ctrl-C, printing node logs, on-chain events and a
/// scoreboard every epoch.
pub async fn run(mut options: DevnetOptions, faults: Faults) -> eyre::Result<()> {
    if faults.operators >= options.operators {
        eyre::bail!(
            "--faulty {} must leave at least one of {} operators healthy",
            faults.operators,
            options.operators
        );
    }
    options.echo_logs = true;
    println!(
        "devnet: starting anvil ({} s blocks), deploying, registering {} operators in {}",
        options.block_time,
        options.operators,
        options.dir.display()
    );
    let epoch_length = u64::from(options.epoch_length);
    let mut net = Devnet::start(options).await?;
    println!("devnet: rpc {}", net.rpc_url);
    println!(
        "devnet: AttestationCenter {}  LivelinessRegistry {}",
        net.deployment.attestation_center, net.deployment.registry
    );
    for node in &net.nodes {
        println!(
            "devnet: op{} {} id {} endpoint {} api http://{}",
            node.index + 1,
            node.address(),
            node.id,
            node.proxy.url(),
            node.config.api_listen
        );
    }
    let first_epoch = net.head().await? / epoch_length;
    let mut last_epoch = None;
    let mut last_block = net.deployment.deployed_at_block;
    let mut faults_applied = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        for node in &mut net.nodes {
            if let Some(status) = node.exited() {
                println!(
                    "devnet: !!! op{} node process exited ({status}); see its output above",
                    node.index + 1
                );
            }
        }
        let head = match net.head().await {
            Ok(h) => h,
            Err(e) => {
                println!("devnet: cannot read the chain: {e}");
                continue;
            }
        };
        if head > last_block {
            if let Err(e) = print_events(&net, last_block + 1, head).await {
                println!("devnet: cannot read events: {e}");
            }
            last_block = head;
        }
        let epoch = head / epoch_length;
        if last_epoch != Some(epoch) {
            last_epoch = Some(epoch);
            print_scoreboard(&net, head, epoch).await;
            if faults.operators > 0 && !faults_applied && epoch >= first_epoch + faults.after_epochs
            {
                faults_applied = true;
                for node in net.nodes.iter().rev().take(faults.operators) {
                    node.proxy.set(Mode::Down);
                    println!(
                        "devnet: >>> op{} ({}) endpoint is now DOWN; its node keeps running",
                        node.index + 1,
                        node.address()
                    );
                }
            }
        }
    }
    println!("devnet: stopping nodes and anvil");
    net.stop().await;
    Ok(())
}

async fn print_events(net: &Devnet, from: u64, to: u64) -> eyre::Result<()> {
    let filter = Filter::new()
        .address(vec![
            net.deployment.attestation_center,
            net.deployment.registry,
        ])
        .from_block(from)
        .to_block(to);
    for log in net.provider.get_logs(&filter).await? {
        let block = log.block_number.unwrap_or_default();
        let name = |a: alloy::primitives::Address| {
            net.nodes
                .iter()
                .find(|n| n.address() == a)
                .map(|n| format!("op{}", n.index + 1))
                .unwrap_or_else(|| a.to_string())
        };
        if let Ok(e) = AttestationCenter::TaskSubmitted::decode_log(&log.inner) {
            println!(
                "devnet: block {block}: task APPROVED on-chain (performer {}, reference block {})",
                name(e.data.performer),
                e.data.referenceBlock
            );
        } else if let Ok(e) = AttestationCenter::TaskRejected::decode_log(&log.inner) {
            println!(
                "devnet: block {block}: task REJECTED on-chain (performer {} penalized)",
                name(e.data.performer)
            );
        } else if let Ok(e) = Reg::OperatorPenalized::decode_log(&log.inner) {
            println!(
                "devnet: block {block}: PENALTY for {} (epoch block {}, {} points{})",
                name(e.data.op),
                e.data.epochBlock,
                e.data.points,
                if e.data.performerFault {
                    ", performer fault"
                } else {
                    ""
                }
            );
        }
    }
    Ok(())
}

async fn print_scoreboard(net: &Devnet, head: u64, epoch: u64) {
    let standings = match net.standings().await {
        Ok(s) => s,
        Err(e) => {
            println!("devnet: cannot read scores: {e}");
            return;
        }
    };
    println!("devnet: ---- epoch {epoch} (block {head}) ----");
    println!(
        "devnet: {:<5} {:<42} {:>9} {:>7} {:>7}  endpoint",
        "op", "address", "penalties", "points", "score"
    );
    for (node, s) in net.nodes.iter().zip(standings) {
        let state = match node.proxy.mode() {
            Mode::Down => "down",
            Mode::Forward(_) => "up",
        };
        println!(
            "devnet: op{:<3} {:<42} {:>9} {:>7} {:>7}  {state}",
            node.index + 1,
            s.operator,
            s.penalties,
            s.points,
            s.score
        );
    }
}
