use crate::faults::{metric, metrics};
use crate::{dump_logs, epochs, options, standings};
use crate::{next_epoch_block, performer_of};
use liveliness_devnet::{wait_for, Devnet, Lie, Mode};
use liveliness_primitives::{EpochBlock, Round};
use std::time::Duration;

/// Four operators, one endpoint down: within a few epochs only that one is
/// penalized, and the healthy operators' scores keep growing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_endpoint_down_only_that_operator_is_penalized() {
    let (opts, _dir) = options(4);
    let mut net = Devnet::setup(opts).await.expect("devnet");
    net.set_endpoint(3, Mode::Down);
    net.start_nodes().unwrap();
    let down = net.nodes[3].address();
    // Epochs before every node runs may count a late starter as a missed
    // performer: judge from the first epoch with all nodes up.
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();

    let penalized = wait_for(epochs(&net, 4), || async {
        let p = net.penalties().await.ok()?;
        p.iter()
            .any(|(op, b, _)| *op == down && *b >= ready)
            .then_some(())
    })
    .await;
    if penalized.is_none() {
        dump_logs(&net);
        panic!("operator 4 was not penalized within 4 epochs");
    }
    let first = standings(&net).await;
    let penalties = net.penalties().await.unwrap();
    assert!(
        penalties
            .iter()
            .filter(|(_, b, _)| *b >= ready)
            .all(|(op, _, fault)| *op == down && !fault),
        "{penalties:?}"
    );

    // The read API and the metrics tell the same story.
    let api = format!("http://{}", net.nodes[0].config.api_listen);
    let http = reqwest::Client::new();
    let metrics = http
        .get(format!("{api}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "liveliness_votes_cast_total",
        "liveliness_checks_total",
        "liveliness_head_block",
    ] {
        assert!(
            metrics.contains(name),
            "{name} missing from /metrics:\n{metrics}"
        );
    }
    let tasks: serde_json::Value = http
        .get(format!("{api}/api/tasks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cid = tasks[0]["proof_of_task"]
        .as_str()
        .expect("a task with a CID")
        .to_owned();
    let doc = http
        .get(format!("{api}/api/documents/{cid}"))
        .send()
        .await
        .unwrap();
    assert!(doc.status().is_success());
    let bytes = doc.bytes().await.unwrap();
    assert_eq!(
        liveliness_primitives::cid_v1_raw(&bytes),
        cid,
        "document does not match its CID"
    );
    let missing = http
        .get(format!("{api}/api/documents/bnotacid"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), reqwest::StatusCode::NOT_FOUND);
    let operators: serde_json::Value = http
        .get(format!("{api}/api/operators"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(operators.as_array().map(Vec::len), Some(4), "{operators}");

    // Another epoch later: healthy scores grew, the penalized one is behind.
    tokio::time::sleep(epochs(&net, 1)).await;
    let later = standings(&net).await;
    for i in 0..3 {
        assert!(
            later[i].score > first[i].score,
            "score of op{} did not grow",
            i + 1
        );
        assert_eq!(later[i].penalties, 0);
        assert!(later[i].score > later[3].score);
    }
    net.stop().await;
}

/// Endpoints that answer with a proof signed by another key, or for another
/// block's hash, are penalized like dead ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_by_another_key_or_for_another_block_are_penalized() {
    let (opts, _dir) = options(4);
    let mut net = Devnet::setup(opts).await.expect("devnet");
    net.impersonate(2, Lie::OtherKey).await.unwrap();
    net.impersonate(3, Lie::OtherBlock).await.unwrap();
    net.start_nodes().unwrap();
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();
    let (liar_key, liar_block) = (net.nodes[2].address(), net.nodes[3].address());
    let done = wait_for(epochs(&net, 4), || async {
        let p = net.penalties().await.ok()?;
        let hit = |a| p.iter().any(|(op, b, _)| *op == a && *b >= ready);
        (hit(liar_key) && hit(liar_block)).then_some(p)
    })
    .await;
    let Some(p) = done else {
        dump_logs(&net);
        panic!("the lying endpoints were not penalized within 4 epochs");
    };
    assert!(
        p.iter()
            .filter(|(_, b, _)| *b >= ready)
            .all(|(op, _, fault)| (*op == liar_key || *op == liar_block) && !fault),
        "{p:?}"
    );
    net.stop().await;
}

/// Performers that call a healthy operator unhealthy get it no penalty:
/// attesters reach it, dispute and abstain; the performer then publishes an
/// amended task for the next round, which lands without it; the liars are
/// not penalized for it either (nobody can prove the performer lied).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_operator_called_unhealthy_is_not_penalized() {
    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true; // so that the amended task goes on-chain
    let mut net = Devnet::setup(opts).await.expect("devnet");
    let victim = net.nodes[1].address();
    let liars: Vec<_> = [0, 2, 3].iter().map(|&i| net.nodes[i].address()).collect();
    for i in [0, 2, 3] {
        net.nodes[i].config.misbehaviour.call_unhealthy = vec![victim];
        net.write_config(i).unwrap();
    }
    net.start_nodes().unwrap();
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();
    // An epoch from `ready` on whose round-0 performer is a liar, and whose
    // amended task (round 1, same performer) landed.
    let landed = wait_for(epochs(&net, 6), || async {
        let mut amended = false;
        for n in &net.nodes {
            let m = metrics(n.config.api_listen).await;
            amended |= metric(&m, "liveliness_tasks_amended_total") > 0.0;
        }
        let (approved, _) = net.landed_tasks().await.ok()?;
        approved
            .into_iter()
            .find(|(b, p)| *b >= ready && liars.contains(p) && amended)
    })
    .await;
    if landed.is_none() {
        dump_logs(&net);
        panic!("no amended task by a lying performer landed within 6 epochs");
    }
    let mut disputes = 0;
    for n in &net.nodes {
        let m = metrics(n.config.api_listen).await;
        if metric(&m, "liveliness_disputes_sent_total") > 0.0 {
            disputes += 1;
        }
    }
    assert!(disputes >= 2, "only {disputes} nodes disputed");
    let penalties = net.penalties().await.unwrap();
    assert!(
        penalties.iter().all(|(_, b, _)| *b < ready),
        "penalties after all nodes were up: {penalties:?}"
    );
    let (_, rejected) = net.landed_tasks().await.unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    net.stop().await;
}

/// A performer whose task is provably wrong (its sample is not the epoch's)
/// is rejected by more than 2/3 of voting power and penalized on-chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_with_the_wrong_sample_is_rejected_and_its_performer_penalized() {
    let (opts, _dir) = options(4);
    let mut net = Devnet::setup(opts).await.expect("devnet");
    for i in 0..4 {
        net.nodes[i].config.misbehaviour.wrong_sample = true;
        net.write_config(i).unwrap();
    }
    net.start_nodes().unwrap();
    let (epoch_block, performer) = first_rejection(&net, 4).await;
    assert_performer_penalized(&net, performer, epoch_block).await;
    net.stop().await;
}

/// Issue 7, item 1: a reject certificate the nodes built and landed, moved to
/// an earlier epoch block (one in which its performer may already have been
/// penalized), is refused on chain: the performer's signature and the votes
/// commit to the task's own epoch block. Re-signed by the performer for the
/// earlier block, it still fails on the votes, and nothing was burnt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backdated_reject_certificate_is_refused() {
    use alloy::{
        consensus::Transaction as _, providers::Provider, rpc::types::Filter, signers::SignerSync,
        sol_types::SolCall, sol_types::SolEvent,
    };
    use liveliness_chain::bindings::AttestationCenter::{self, submitTaskCall, TaskRejected};

    let (opts, _dir) = options(4);
    let mut net = Devnet::setup(opts).await.expect("devnet");
    for i in 0..4 {
        net.nodes[i].config.misbehaviour.wrong_sample = true;
        net.write_config(i).unwrap();
    }
    net.start_nodes().unwrap();
    // Rejected tasks in two epochs: e1 < e2.
    let two = wait_for(epochs(&net, 8), || async {
        let (_, rejected) = net.landed_tasks().await.ok()?;
        let e1 = rejected.first()?.0;
        rejected
            .iter()
            .find(|(b, _)| *b > e1)
            .map(|&(e2, p)| (e1, e2, p))
    })
    .await;
    let Some((EpochBlock(e1), EpochBlock(e2), performer)) = two else {
        dump_logs(&net);
        panic!("no two rejected tasks in two epochs within 8 epochs");
    };
    net.stop().await; // the chain stays up; nothing else is sent

    // The landed certificate of e2, from its transaction.
    let ac_address = net.deployment.attestation_center;
    let filter = Filter::new()
        .address(ac_address)
        .event_signature(TaskRejected::SIGNATURE_HASH)
        .from_block(e2);
    let log = net
        .provider
        .get_logs(&filter)
        .await
        .unwrap()
        .into_iter()
        .find(|l| {
            TaskRejected::decode_log(&l.inner).is_ok_and(|e| u64::from(e.data.referenceBlock) == e2)
        })
        .expect("the TaskRejected of e2");
    let tx = net
        .provider
        .get_transaction_by_hash(log.transaction_hash.unwrap())
        .await
        .unwrap()
        .unwrap();
    let landed = submitTaskCall::abi_decode(tx.input()).unwrap();
    assert!(!landed.isApproved);
    assert_eq!(landed.task.taskPerformer, performer);

    // Back-dated to e1, with the hints of e1.
    let ac = AttestationCenter::new(ac_address, &net.provider);
    let e1_32 = u32::try_from(e1).unwrap();
    let mut att = landed.att.clone();
    // The hash of e1, as a submitter would pass it (a wrong one is refused
    // before the signatures are looked at).
    let e1_hash = net
        .provider
        .get_block_by_number(e1.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .hash;
    att.referenceBlock = e1_32;
    att.apkHint = ac.apkHintAt(e1_32).call().await.unwrap();
    let performer_id = ac.operatorsIdsByAddress(performer).call().await.unwrap();
    att.performerHint = ac.operatorHintAt(performer_id, e1_32).call().await.unwrap();
    let mut hints = Vec::new();
    for id in &att.nonSignerIds {
        hints.push(ac.operatorHintAt(*id, e1_32).call().await.unwrap());
    }
    att.nonSignerHints = hints;
    // The hash-to-G1 hint of the reject vote hash at e1, as a submitter
    // back-dating the certificate would give it.
    let backdated_vote_hash = liveliness_primitives::TaskInfo {
        proof_of_task: landed.task.proofOfTask.clone(),
        data: landed.task.data.clone(),
        task_performer: landed.task.taskPerformer,
        task_definition_id: landed.task.taskDefinitionId,
    }
    .vote_hash(ac_address, net.deployment.chain_id, false, EpochBlock(e1));
    att.h2cHint = liveliness_bls::hash_to_g1_hint(&backdated_vote_hash);
    let refusal = |sig: alloy::primitives::Bytes| {
        let call = ac.submitTask(
            landed.task.clone(),
            false,
            sig,
            landed.round,
            e1_hash,
            att.clone(),
        );
        async move {
            let err = call
                .call()
                .await
                .expect_err("a back-dated certificate is refused");
            let data = err.as_revert_data().expect("revert data");
            liveliness_chain::revert::decode(&data)
                .expect("a known error")
                .0
        }
    };
    // With the performer's signature, which commits to e2.
    assert_eq!(
        refusal(landed.tpSignature.clone()).await,
        "InvalidPerformerSignature"
    );
    // Re-signed by the performer for e1: the votes commit to e2.
    let task = liveliness_primitives::TaskInfo {
        proof_of_task: landed.task.proofOfTask.clone(),
        data: landed.task.data.clone(),
        task_performer: landed.task.taskPerformer,
        task_definition_id: landed.task.taskDefinitionId,
    };
    let node = net.nodes.iter().find(|n| n.address() == performer).unwrap();
    let digest = task.task_signing_digest(
        net.deployment.chain_id,
        ac_address,
        EpochBlock(e1),
        e1_hash,
        Round(landed.round),
    );
    let resigned = node.signer.sign_message_sync(digest.as_slice()).unwrap();
    assert_eq!(
        refusal(resigned.as_bytes().to_vec().into()).await,
        "InvalidBlsSignature"
    );
    // The task is on chain at e2 only.
    let th = task.task_hash();
    assert!(ac
        .submitted(th, u32::try_from(e2).unwrap())
        .call()
        .await
        .unwrap());
    assert!(!ac.submitted(th, e1_32).call().await.unwrap());
}

/// A "healthy" entry with a forged proof (signed by the performer, not the
/// operator) gets the task rejected and its performer penalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_health_proof_gets_the_task_rejected() {
    let (opts, _dir) = options(4);
    let mut net = Devnet::setup(opts).await.expect("devnet");
    net.set_endpoint(3, Mode::Down);
    for i in 0..3 {
        net.nodes[i].config.misbehaviour.forge_proofs = true;
        net.write_config(i).unwrap();
    }
    net.start_nodes().unwrap();
    let (epoch_block, performer) = first_rejection(&net, 5).await;
    assert_ne!(performer, net.nodes[3].address());
    assert_performer_penalized(&net, performer, epoch_block).await;
    net.stop().await;
}

/// The epoch's performer is stopped: the next one in the fallback order
/// performs, and the missed performer is penalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_performer_is_replaced_by_the_fallback_and_penalized() {
    let (opts, _dir) = options(4);
    let mut net = Devnet::start(opts).await.expect("devnet");
    // Let the nodes connect first.
    next_epoch_block(&net).await;
    let b = next_epoch_block(&net).await;
    let p = performer_of(&net, b, Round(0)).await;
    // Its endpoint stays up (a stand-in answers for it): only the missed
    // round counts against it.
    net.impersonate(p, Lie::StandIn).await.unwrap();
    net.stop_node(p).await.unwrap();
    let missed = net.nodes[p].address();
    let fallback = net.nodes[performer_of(&net, b, Round(1)).await].address();
    let performer = approved_for(&net, b).await;
    assert_eq!(performer, fallback);
    let penalties = net.penalties().await.unwrap();
    assert!(
        penalties.contains(&(missed, EpochBlock(b), true)),
        "missed performer {missed} not penalized for {b}: {penalties:?}"
    );
    net.stop().await;
}

/// The designated aggregator (first in the aggregator order: the performer
/// of the next round) is stopped as the epoch starts: the next one in the
/// order submits, exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_aggregator_is_replaced_by_the_next_one() {
    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let mut net = Devnet::start(opts).await.expect("devnet");
    net.wait_ready(epochs(&net, 6)).await.unwrap();
    let b = next_epoch_block(&net).await;
    let a = performer_of(&net, b, Round(1)).await;
    // A stand-in keeps its endpoint healthy: the task penalizes nobody and
    // lands only because empty tasks are submitted here.
    net.impersonate(a, Lie::StandIn).await.unwrap();
    net.stop_node(a).await.unwrap();
    approved_for(&net, b).await;
    // Who sent it: the transaction's sender, read from the chain.
    let senders = submitters(&net, b).await;
    assert_eq!(senders.len(), 1, "one submission landed: {senders:?}");
    assert_ne!(
        senders[0],
        net.nodes[a].address(),
        "the stopped node submitted"
    );
    assert!(net.nodes.iter().any(|n| n.address() == senders[0]));
    net.stop().await;
}

/// A node killed mid-epoch (after voting) and restarted resumes from its
/// store: it does not vote or perform again in that epoch, it keeps its task,
/// and nothing is submitted twice. Judged through the nodes' API (a
/// restarted process counts its metrics from zero) and the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_node_resumes_and_repeats_nothing() {
    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let mut net = Devnet::start(opts).await.expect("devnet");
    net.wait_ready(epochs(&net, 6)).await.unwrap();
    let l = u64::from(net.options.epoch_length);
    // The votes every node cast so far, read while the coming epoch block
    // `b` is still ahead and the current epoch's round 0 is long voted.
    let b = loop {
        let head = net.head().await.unwrap();
        let b = (head / l + 1) * l;
        if head % l >= 6 && b - head >= 2 {
            break b;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut before = Vec::new();
    for n in &net.nodes {
        before.push(metric(
            &metrics(n.config.api_listen).await,
            "liveliness_votes_cast_total",
        ));
    }
    wait_for(epochs(&net, 1), || async {
        (net.head().await.ok()? >= b).then_some(())
    })
    .await
    .expect("the chain advances");
    let p = performer_of(&net, b, Round(0)).await;
    // The performer itself: it performed and voted in round 0, and may hold
    // the first submission slot when it dies.
    let api = net.nodes[p].config.api_listen;
    let voted = wait_for(epochs(&net, 1), || async {
        let cast = metric(&metrics(api).await, "liveliness_votes_cast_total");
        let own = own_round0_tasks(&net, p, b).await?;
        (cast > before[p] && own == 1).then_some(())
    })
    .await;
    if voted.is_none() {
        dump_logs(&net);
        panic!("op{} did not perform and vote in epoch {b}", p + 1);
    }
    net.stop_node(p).await.unwrap();
    net.start_node(p).unwrap();

    // Until the next epoch, the new process casts no vote and performs no
    // task (each read is of the metrics first, then of the head: a count
    // seen with a head still in epoch `b` was cast in it).
    let next = b + l;
    let resumed = wait_for(epochs(&net, 3), || async {
        let m = metrics_opt(api).await?;
        let head = crate::faults::node_head(api).await?;
        let cast = metric(&m, "liveliness_votes_cast_total");
        let performed = metric(&m, "liveliness_tasks_performed_total");
        if head < next {
            assert_eq!(cast, 0.0, "the restarted node voted again in epoch {b}");
            assert_eq!(
                performed, 0.0,
                "the restarted node performed again in epoch {b}"
            );
            return None;
        }
        // It keeps working: it votes in a later epoch.
        (cast > 0.0).then_some(())
    })
    .await;
    if resumed.is_none() {
        dump_logs(&net);
        panic!("the restarted node did not vote after epoch {b}");
    }
    // It kept its task across the restart, and every node holds one task
    // of round 0 of `b`.
    assert_eq!(own_round0_tasks(&net, p, b).await, Some(1));
    for i in 0..net.nodes.len() {
        let tasks = net.nodes[i].api_json("/api/tasks").await.unwrap();
        let round0: std::collections::BTreeSet<&str> = tasks
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["epoch_block"].as_u64() == Some(b) && t["round"].as_u64() == Some(0))
            .filter_map(|t| t["task_hash"].as_str())
            .collect();
        assert_eq!(
            round0.len(),
            1,
            "op{} holds {round0:?} for round 0 of {b}",
            i + 1
        );
    }

    // On chain: one certificate for `b`, and no node sent two submissions
    // for it.
    approved_for(&net, b).await;
    let (approved, rejected) = net.landed_tasks().await.unwrap();
    assert_eq!(
        approved
            .iter()
            .chain(&rejected)
            .filter(|(r, _)| r.0 == b)
            .count(),
        1
    );
    let sent = submissions_sent(&net, b).await;
    assert!(
        sent.values().all(|n| *n == 1),
        "submissions of the certificate of {b} by sender: {sent:?}"
    );
    // No node claims more landings than the chain holds (the restarted
    // node's count restarted from zero).
    let mut claimed = 0.0;
    for n in &net.nodes {
        claimed += crate::faults::metric_with(
            &metrics(n.config.api_listen).await,
            "liveliness_submissions_total",
            "outcome=\"landed\"",
        );
    }
    assert!(
        claimed <= (approved.len() + rejected.len()) as f64,
        "nodes claim {claimed} landings, the chain holds {}",
        approved.len() + rejected.len()
    );
    net.stop().await;
}

/// `/metrics` of the node at `api`, if it answers.
async fn metrics_opt(api: std::net::SocketAddr) -> Option<String> {
    reqwest::get(format!("http://{api}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()
}

/// How many tasks of round 0 of `b` node `p` holds with itself as
/// performer (`/api/tasks`).
async fn own_round0_tasks(net: &Devnet, p: usize, b: u64) -> Option<usize> {
    let me = net.nodes[p].address().to_string().to_lowercase();
    let tasks = net.nodes[p].api_json("/api/tasks").await?;
    Some(
        tasks
            .as_array()?
            .iter()
            .filter(|t| {
                t["epoch_block"].as_u64() == Some(b)
                    && t["round"].as_u64() == Some(0)
                    && t["performer"].as_str().map(str::to_lowercase) == Some(me.clone())
            })
            .count(),
    )
}

/// The `submitTask` transactions for reference block `b` mined since `b`
/// (landed or reverted), counted by sender.
async fn submissions_sent(
    net: &Devnet,
    b: u64,
) -> std::collections::BTreeMap<alloy::primitives::Address, usize> {
    use alloy::{
        consensus::Transaction as _, network::TransactionResponse as _, providers::Provider,
        sol_types::SolCall,
    };
    use liveliness_chain::bindings::AttestationCenter::submitTaskCall;
    let mut out = std::collections::BTreeMap::new();
    let head = net.head().await.unwrap();
    for number in b..=head {
        let block = net
            .provider
            .get_block_by_number(number.into())
            .full()
            .await
            .unwrap()
            .expect("a mined block");
        for tx in block.transactions.into_transactions() {
            if tx.to() != Some(net.deployment.attestation_center) {
                continue;
            }
            let Ok(call) = submitTaskCall::abi_decode(tx.input()) else {
                continue;
            };
            if u64::from(call.att.referenceBlock) == b {
                *out.entry(tx.from()).or_default() += 1;
            }
        }
    }
    out
}

/// An epoch block reorged away (anvil snapshot/revert) is dropped by the
/// nodes, which then follow the new chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_epoch_reorged_away_is_dropped_and_the_new_one_followed() {
    use alloy::providers::Provider;
    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let net = Devnet::start(opts).await.expect("devnet");
    let l = u64::from(net.options.epoch_length);
    next_epoch_block(&net).await;
    let head = net.head().await.unwrap();
    let b = (head / l + 1) * l;
    wait_for(epochs(&net, 1), || async {
        (net.head().await.ok()? >= b - 2).then_some(())
    })
    .await
    .unwrap();
    let snapshot: alloy::primitives::U256 = net
        .provider
        .raw_request("evm_snapshot".into(), ())
        .await
        .unwrap();
    if wait_for(epochs(&net, 1), || async {
        for n in &net.nodes {
            if !held_epochs(n.config.api_listen).await?.contains(&b) {
                return None;
            }
        }
        Some(())
    })
    .await
    .is_none()
    {
        dump_logs(&net);
        panic!("nodes did not start epoch {b}");
    }
    let reverted: bool = net
        .provider
        .raw_request("evm_revert".into(), (snapshot,))
        .await
        .unwrap();
    assert!(reverted);
    // Every node dropped the epoch (its metric) and holds the new block at
    // the same height (its status).
    let dropped = wait_for(epochs(&net, 2), || async {
        for n in &net.nodes {
            let m = metrics(n.config.api_listen).await;
            if metric(&m, "liveliness_epochs_reorged_total") < 1.0
                || !held_epochs(n.config.api_listen).await?.contains(&b)
            {
                return None;
            }
        }
        Some(())
    })
    .await;
    if dropped.is_none() {
        dump_logs(&net);
        panic!("the reorged epoch was not dropped and reloaded by every node");
    }
    // The performer of b signed its task again, for the new block hash. That
    // is no equivocation: a task of the new epoch lands, no node keeps task
    // equivocation evidence, nothing is proven on chain and nobody (every
    // endpoint is up) is penalized.
    let landed = wait_for(epochs(&net, 3), || async {
        let (approved, _) = net.landed_tasks().await.ok()?;
        approved.iter().any(|(e, _)| e.0 == b).then_some(())
    })
    .await;
    if landed.is_none() {
        dump_logs(&net);
        panic!("no task of the new epoch {b} landed");
    }
    tokio::time::sleep(epochs(&net, 1)).await;
    for n in &net.nodes {
        let rows: Vec<serde_json::Value> =
            reqwest::get(format!("http://{}/api/equivocations", n.config.api_listen))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
        assert!(
            rows.iter().all(|r| r["kind"] != "task"),
            "node {} keeps task equivocation evidence: {rows:?}",
            n.index
        );
    }
    let filter = alloy::rpc::types::Filter::new()
        .address(net.deployment.attestation_center)
        .event_signature(
            <liveliness_chain::bindings::AttestationCenter::TaskEquivocationProven as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
        )
        .from_block(net.deployment.deployed_at_block);
    assert!(
        net.provider.get_logs(&filter).await.unwrap().is_empty(),
        "a task equivocation was proven"
    );
    let penalties = net.penalties().await.unwrap();
    if !penalties.is_empty() {
        dump_logs(&net);
    }
    assert!(penalties.is_empty(), "penalized: {penalties:?}");
}

/// `liveliness devnet` runs the network, prints the scoreboard and on-chain
/// events, and stops cleanly on Ctrl-C (SIGINT).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devnet_command_runs_and_stops_on_ctrl_c() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_liveliness"))
        .args([
            "devnet",
            "--operators",
            "3",
            "--faulty",
            "1",
            "--faulty-after-epochs",
            "1",
        ])
        .args(["--epoch-length", "6", "--c", "5", "--dir"])
        .arg(dir.path().join("net"))
        .env("LIVELINESS_ANVIL", liveliness_devnet::anvil_path())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let found = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push(line.clone());
            if line.contains("PENALTY for op3") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        found,
        Ok(true),
        "no penalty for the faulty op3:\n{}",
        seen.join("\n")
    );
    assert!(seen.iter().any(|l| l.contains("devnet: ---- epoch")));
    assert!(seen.iter().any(|l| l.contains("endpoint is now DOWN")));
    // op1's node follows the chain: its API (address from its written
    // configuration) holds an epoch.
    let config = std::fs::read_to_string(dir.path().join("net/op1/node.toml")).unwrap();
    let api = config
        .lines()
        .find_map(|l| l.strip_prefix("api_listen = "))
        .expect("api_listen in op1's configuration")
        .trim_matches('"')
        .to_owned();
    let status: serde_json::Value = reqwest::get(format!("http://{api}/api/status"))
        .await
        .expect("op1's API answers")
        .json()
        .await
        .unwrap();
    assert!(
        status["epochs"].as_array().is_some_and(|e| !e.is_empty()),
        "op1 holds no epoch: {status}"
    );
    let pid = child.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .expect("devnet exits after Ctrl-C")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    let rest: Vec<String> = {
        let mut v = Vec::new();
        while let Ok(Some(l)) = lines.next_line().await {
            v.push(l);
        }
        v
    };
    assert!(
        rest.iter().any(|l| l.contains("stopping nodes and anvil")),
        "{rest:?}"
    );
}

/// The first task rejected on-chain within `epochs_bound` epochs:
/// `(reference block, performer)`.
async fn first_rejection(net: &Devnet, epochs_bound: u64) -> (u64, alloy::primitives::Address) {
    let rejected = wait_for(epochs(net, epochs_bound), || async {
        let (_, rejected) = net.landed_tasks().await.ok()?;
        rejected.first().map(|(b, p)| (b.0, *p))
    })
    .await;
    rejected.unwrap_or_else(|| {
        dump_logs(net);
        panic!("no rejected task within {epochs_bound} epochs")
    })
}

/// `performer` carries a performer-fault penalty for `epoch_block`.
async fn assert_performer_penalized(
    net: &Devnet,
    performer: alloy::primitives::Address,
    epoch_block: u64,
) {
    let penalties = net.penalties().await.unwrap();
    assert!(
        penalties
            .iter()
            .any(|(op, b, fault)| *op == performer && b.0 == epoch_block && *fault),
        "{penalties:?}"
    );
}

/// The senders of the transactions that emitted `TaskSubmitted` for the
/// epoch starting at `b`.
async fn submitters(net: &Devnet, b: u64) -> Vec<alloy::primitives::Address> {
    use alloy::{
        network::TransactionResponse as _, providers::Provider, rpc::types::Filter,
        sol_types::SolEvent,
    };
    use liveliness_chain::bindings::AttestationCenter::TaskSubmitted;
    let filter = Filter::new()
        .address(net.deployment.attestation_center)
        .event_signature(TaskSubmitted::SIGNATURE_HASH)
        .from_block(b);
    let mut out = Vec::new();
    for log in net.provider.get_logs(&filter).await.unwrap() {
        let event = TaskSubmitted::decode_log(&log.inner).unwrap();
        if u64::from(event.data.referenceBlock) != b {
            continue;
        }
        let tx = net
            .provider
            .get_transaction_by_hash(log.transaction_hash.unwrap())
            .await
            .unwrap()
            .unwrap();
        out.push(tx.from());
    }
    out
}

/// Waits (two epochs at most) for the approved task of the epoch starting at
/// `b` to land; returns its performer.
async fn approved_for(net: &Devnet, b: u64) -> alloy::primitives::Address {
    let landed = wait_for(epochs(net, 2), || async {
        let (approved, _) = net.landed_tasks().await.ok()?;
        approved.into_iter().find(|(r, _)| r.0 == b)
    })
    .await;
    let Some((_, performer)) = landed else {
        dump_logs(net);
        panic!("no approved task landed for epoch block {b}");
    };
    performer
}

/// The epoch blocks node `api` holds, from its `/api/status`.
async fn held_epochs(api: std::net::SocketAddr) -> Option<Vec<u64>> {
    let status: serde_json::Value = reqwest::get(format!("http://{api}/api/status"))
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    status["epochs"]
        .as_array()?
        .iter()
        .map(|e| e["epoch_block"].as_u64())
        .collect()
}
