//! Hostile clients against a node, with real processes on loopback.

use crate::{dump_logs, epochs, options, report, Reliability};
use liveliness_devnet::{wait_for, Devnet, Mode};
use liveliness_primitives::EpochBlock;
use std::{
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};
use tokio::{io::AsyncWriteExt, net::TcpSocket};

/// Opens `count` connections from `from` to `to`, every other one with a
/// half-sent request, and keeps trying to hold `count` open until `until`,
/// re-opening at most 20 of those the server closes every 200 ms. Returns
/// how many connections it opened.
async fn hold_connections(from: IpAddr, to: SocketAddr, count: usize, until: Instant) -> usize {
    let mut held = Vec::with_capacity(count);
    let mut opened = 0usize;
    let mut budget = count;
    while Instant::now() < until {
        // Forget the connections the server closed.
        held.retain(|s: &tokio::net::TcpStream| {
            let mut buf = [0u8; 64];
            match s.try_read(&mut buf) {
                Ok(0) => false,
                Ok(_) => true,
                Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
            }
        });
        while held.len() < count && budget > 0 && Instant::now() < until {
            budget -= 1;
            let Ok(socket) = TcpSocket::new_v4() else {
                break;
            };
            if socket.bind(SocketAddr::new(from, 0)).is_err() {
                break;
            }
            let Ok(Ok(mut stream)) =
                tokio::time::timeout(Duration::from_millis(500), socket.connect(to)).await
            else {
                break;
            };
            opened += 1;
            if held.len() % 2 == 0 {
                let _ = stream
                    .write_all(b"POST / HTTP/1.1\r\nHost: victim\r\nContent-Length: 64\r\n")
                    .await;
            }
            held.push(stream);
        }
        budget = 20;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    opened
}

/// The attack of issue #6: an anonymous client holds about 1,100 idle and
/// half-sent connections on one node's health and API ports while that node
/// runs under an open-file limit of 1,024 (soft and hard, so it cannot raise
/// it). No operator whose endpoint is up is penalized, tasks keep landing,
/// and the attacked node keeps serving other clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_cannot_get_honest_operators_penalized() {
    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let mut net = Devnet::setup(opts).await.expect("devnet");
    net.nodes[0].open_file_limit = Some(1024);
    // One endpoint really down, so that a penalty is due somewhere.
    net.set_endpoint(3, Mode::Down);
    net.start_nodes().unwrap();
    let down = net.nodes[3].address();
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();

    let attacker: IpAddr = "127.0.0.2".parse().unwrap();
    let victim_health = net.health_addr(0);
    let victim_api = net.nodes[0].config.api_listen;
    let attack_for = epochs(&net, 4);
    let until = Instant::now() + attack_for;
    let health_attack = tokio::spawn(hold_connections(attacker, victim_health, 550, until));
    let api_attack = tokio::spawn(hold_connections(attacker, victim_api, 550, until));

    // While the attack goes on, the victim still answers another client.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let client = reqwest::Client::builder()
        .local_address("127.0.0.3".parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let head = net.head().await.unwrap();
    let answer: serde_json::Value = client
        .post(format!("http://{victim_health}/"))
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "healthcheck", "params": [head]}))
        .send()
        .await
        .expect("the attacked health endpoint answers")
        .json()
        .await
        .unwrap();
    assert!(answer["result"]["signature"].is_string(), "{answer}");
    let metrics = client
        .get(format!("http://{victim_api}/metrics"))
        .send()
        .await
        .expect("the attacked API answers")
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("liveliness_http_connections_refused_total"));

    let opened = health_attack.await.unwrap() + api_attack.await.unwrap();
    assert!(
        opened >= 1100,
        "the attacker opened only {opened} connections"
    );
    assert!(net.nodes[0].exited().is_none(), "the attacked node died");

    // Tasks landed during the attack, and only the down operator was
    // penalized.
    let (approved, _) = net.landed_tasks().await.unwrap();
    let landed = approved.iter().filter(|(b, _)| *b >= ready).count();
    let penalties = net.penalties().await.unwrap();
    let after: Vec<_> = penalties.iter().filter(|(_, b, _)| *b >= ready).collect();
    if landed < 2 || after.iter().any(|(op, _, _)| *op != down) {
        dump_logs(&net);
    }
    assert!(landed >= 2, "tasks landed during the attack: {landed}");
    assert!(
        after.iter().all(|(op, _, fault)| *op == down && !fault),
        "{after:?}"
    );
    let penalized_down = wait_for(epochs(&net, 2), || async {
        let p = net.penalties().await.ok()?;
        p.iter()
            .any(|(op, b, _)| *op == down && *b >= ready)
            .then_some(())
    })
    .await;
    assert!(
        penalized_down.is_some(),
        "the down operator was not penalized"
    );
    report(
        &net,
        &Reliability {
            name: "idle connections",
            injected: "1,100 idle and half-sent HTTP connections from one address on one node's health and API ports, the node under a 1,024 open-file limit",
            epochs: 4,
            tasks_landed: landed,
            false_penalties: after.iter().filter(|(op, _, _)| *op != down).count(),
            recovery: None,
        },
    );
}

/// The equivocations node `i` serves on `/api/equivocations`.
async fn equivocations(net: &Devnet, i: usize) -> Option<Vec<serde_json::Value>> {
    let api = net.nodes[i].config.api_listen;
    reqwest::get(format!("http://{api}/api/equivocations"))
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// Performers that sign two different tasks for their round: every other
/// node keeps the pair as evidence a third party can check (both signatures
/// recover to the performer) and serves it on its API; further tasks of that
/// round are dropped; the epochs still get their tasks; and the one honest
/// node, whose endpoint is up, is never penalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_performer_signing_two_tasks_for_a_round_is_caught() {
    use alloy::primitives::Signature;
    use liveliness_node::evidence::TaskEquivocation;

    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let mut net = Devnet::setup(opts).await.expect("devnet");
    // Three of four equivocate, so that one of them performs round 0 of an
    // epoch soon (3/4 per epoch); node 3 is honest.
    for i in 0..3 {
        net.nodes[i].config.misbehaviour.equivocate = true;
        net.write_config(i).unwrap();
    }
    net.start_nodes().unwrap();
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();
    let honest = net.nodes[3].address();

    let caught = wait_for(epochs(&net, 8), || async {
        equivocations(&net, 3)
            .await?
            .into_iter()
            .find(|e| e["epochBlock"].as_u64().is_some_and(|b| b >= ready.0))
    })
    .await;
    let Some(caught) = caught else {
        dump_logs(&net);
        panic!("the honest node kept no equivocation evidence");
    };
    let epoch_block = EpochBlock(caught["epochBlock"].as_u64().unwrap());
    let performer: alloy::primitives::Address =
        caught["performer"].as_str().unwrap().parse().unwrap();
    let p = net
        .nodes
        .iter()
        .position(|n| n.address() == performer)
        .expect("a devnet operator");
    assert!(p < 3, "the honest node was called an equivocator");

    // A third party re-checks the evidence: two different tasks of one round,
    // both signed by the performer.
    let bytes = alloy::primitives::hex::decode(caught["evidence"].as_str().unwrap()).unwrap();
    let evidence = TaskEquivocation::decode(&bytes).expect("two task messages");
    let [first, second] = evidence.task_hashes().unwrap();
    assert_ne!(first, second);
    assert_eq!(caught["taskHashes"][0].as_str().unwrap(), first.to_string());
    for task in [&evidence.first, &evidence.second] {
        assert_eq!(task.document.epoch_block, epoch_block);
        assert_eq!(task.document.round, evidence.first.document.round);
        let digest = task.task_info().unwrap().task_signing_digest(
            net.deployment.chain_id,
            net.deployment.attestation_center,
            epoch_block,
            task.document.epoch_block_hash,
            task.document.round,
        );
        let signature = Signature::try_from(&task.performer_signature[..]).unwrap();
        assert_eq!(
            signature.recover_address_from_msg(digest).unwrap(),
            performer,
            "a signature of the evidence is not the performer's"
        );
    }

    // Every node but the equivocator holds the same evidence.
    for i in (0..4).filter(|i| *i != p) {
        let held = wait_for(epochs(&net, 1), || async {
            equivocations(&net, i).await?.into_iter().find(|e| {
                e["epochBlock"].as_u64() == Some(epoch_block.0)
                    && e["performer"] == caught["performer"]
            })
        })
        .await;
        assert!(
            held.is_some(),
            "node {i} kept no evidence for {epoch_block}"
        );
    }

    // The offence is proven on chain through the evidence path
    // (proveTaskEquivocation), once: every other node settles its
    // submission, exactly one of them with its own transaction, and the
    // performer gets a performer-fault penalty for that epoch.
    let round = evidence.first.document.round.0;
    let ac = liveliness_chain::bindings::AttestationCenter::new(
        net.deployment.attestation_center,
        &net.provider,
    );
    let performer_id = ac.operatorsIdsByAddress(performer).call().await.unwrap();
    let offence = ac
        .taskEquivocationKey(
            performer_id,
            epoch_block.to_u32().unwrap(),
            evidence.first.document.epoch_block_hash,
            round,
        )
        .call()
        .await
        .unwrap();
    let mut submissions = Vec::new();
    for i in (0..4).filter(|i| *i != p) {
        let settled = wait_for(epochs(&net, 3), || async {
            equivocations(&net, i).await?.into_iter().find(|e| {
                e["kind"] == "task"
                    && e["epochBlock"].as_u64() == Some(epoch_block.0)
                    && e["performer"] == caught["performer"]
                    && e["submission"] != "pending"
            })
        })
        .await;
        let Some(row) = settled else {
            dump_logs(&net);
            panic!("node {i} did not settle its proof of the task equivocation");
        };
        submissions.push(row["submission"].as_str().unwrap().to_owned());
    }
    assert!(
        ac.taskEquivocationProven(offence).call().await.unwrap(),
        "the task equivocation is not proven on chain"
    );
    submissions.sort();
    assert_eq!(
        submissions,
        ["duplicate", "duplicate", "landed"],
        "each offence is proven by exactly one node"
    );
    let penalties = net.penalties().await.unwrap();
    assert!(
        penalties.contains(&(performer, epoch_block, true)),
        "no performer-fault penalty for {performer} at {epoch_block}: {penalties:?}"
    );

    // The epoch, or the next one, still gets a task on chain.
    let landed = wait_for(epochs(&net, 3), || async {
        let (approved, rejected) = net.landed_tasks().await.ok()?;
        approved
            .iter()
            .chain(&rejected)
            .any(|(b, _)| *b >= epoch_block)
            .then_some(())
    })
    .await;
    if landed.is_none() {
        dump_logs(&net);
    }
    assert!(landed.is_some(), "no task landed after the equivocation");
    let penalties = net.penalties().await.unwrap();
    assert!(
        penalties.iter().all(|(op, _, _)| *op != honest),
        "the honest operator was penalized: {penalties:?}"
    );
    let (approved, rejected) = net.landed_tasks().await.unwrap();
    let l = u64::from(net.options.epoch_length);
    report(
        &net,
        &Reliability {
            name: "equivocating performers",
            injected: "three of four performers gossip a second, different signed task for each round they perform",
            epochs: net.head().await.unwrap().saturating_sub(ready.0).div_ceil(l),
            tasks_landed: approved
                .iter()
                .chain(&rejected)
                .filter(|(b, _)| *b >= ready)
                .count(),
            false_penalties: 0,
            recovery: None,
        },
    );
    net.stop().await;
}

/// An operator floods its peers with messages they cannot judge yet: votes
/// for tasks nobody holds and tasks for the next epoch, each one different.
/// Its share of every buffer is capped, the buffers stay bounded, tasks keep
/// landing, and no other operator is penalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unjudgeable_messages_fills_only_the_senders_share() {
    use crate::faults::{metric, metrics};
    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let mut net = Devnet::setup(opts).await.expect("devnet");
    net.start_nodes().unwrap();
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();
    // The flooder restarts with the misbehaviour, once the others hold its
    // binding and an epoch.
    net.stop_node(0).await.unwrap();
    net.nodes[0].config.misbehaviour.flood = 40;
    net.write_config(0).unwrap();
    net.start_nodes().unwrap();
    let flood_from = net.head().await.unwrap();
    let l = u64::from(net.options.epoch_length);

    // Every other node refuses the flooder's messages beyond its share.
    let refused = wait_for(epochs(&net, 5), || async {
        for i in 1..4 {
            let m = metrics(net.nodes[i].config.api_listen).await;
            if metric(&m, "liveliness_buffer_refused_total") == 0.0 {
                return None;
            }
        }
        Some(())
    })
    .await;
    if refused.is_none() {
        dump_logs(&net);
    }
    assert!(refused.is_some(), "no node refused the flood");
    tokio::time::sleep(epochs(&net, 2)).await;
    for i in 1..4 {
        let m = metrics(net.nodes[i].config.api_listen).await;
        let buffered = metric(&m, "liveliness_buffered_messages");
        assert!(buffered <= 4096.0, "node {i} buffers {buffered}");
    }

    // Tasks kept landing, and nobody but the flooder was penalized.
    let (approved, rejected) = net.landed_tasks().await.unwrap();
    let landed = approved
        .iter()
        .chain(&rejected)
        .filter(|(b, _)| b.0 >= flood_from)
        .count();
    let flooder = net.nodes[0].address();
    let penalties = net.penalties().await.unwrap();
    let others: Vec<_> = penalties
        .iter()
        .filter(|(op, b, _)| *b >= ready && *op != flooder)
        .collect();
    if landed < 2 || !others.is_empty() {
        dump_logs(&net);
    }
    assert!(landed >= 2, "tasks landed during the flood: {landed}");
    assert!(others.is_empty(), "others penalized: {others:?}");
    report(
        &net,
        &Reliability {
            name: "gossip flood",
            injected: "one operator gossips 40 votes for unknown tasks and 40 tasks for the next epoch every 250 ms",
            epochs: net.head().await.unwrap().saturating_sub(flood_from).div_ceil(l),
            tasks_landed: landed,
            false_penalties: others.len(),
            recovery: None,
        },
    );
    net.stop().await;
}

/// The `VoteEquivocationProven` events since the deployment:
/// `(operator, task hash, reference block)`, in chain order.
async fn proven_vote_equivocations(
    net: &Devnet,
) -> Option<Vec<(alloy::primitives::Address, alloy::primitives::B256, u64)>> {
    use alloy::{providers::Provider, rpc::types::Filter, sol_types::SolEvent};
    use liveliness_chain::bindings::AttestationCenter::VoteEquivocationProven;
    let filter = Filter::new()
        .address(net.deployment.attestation_center)
        .event_signature(VoteEquivocationProven::SIGNATURE_HASH)
        .from_block(net.deployment.deployed_at_block);
    let logs = net.provider.get_logs(&filter).await.ok()?;
    logs.iter()
        .map(|l| {
            let e = VoteEquivocationProven::decode_log(&l.inner).ok()?;
            Some((
                e.data.operator,
                e.data.taskHash,
                u64::from(e.data.referenceBlock),
            ))
        })
        .collect()
}

/// The vote offences of `offender` that the other nodes hold evidence of,
/// from their `/api/equivocations`: `(task hash, epoch block)`.
async fn held_vote_offences(
    net: &Devnet,
    offender: usize,
) -> std::collections::BTreeSet<(alloy::primitives::B256, u64)> {
    let mut held = std::collections::BTreeSet::new();
    for i in (0..net.nodes.len()).filter(|i| *i != offender) {
        for e in equivocations(net, i).await.unwrap_or_default() {
            if e["kind"] != "vote" || e["operatorId"].as_u64() != Some(net.nodes[offender].id) {
                continue;
            }
            if let (Some(t), Some(b)) = (
                e["taskHash"].as_str().and_then(|t| t.parse().ok()),
                e["epochBlock"].as_u64(),
            ) {
                held.insert((t, b));
            }
        }
    }
    held
}

/// Issue 7 item 10 (i): a node that, as attester, signs both outcomes of
/// every task it votes on. The other nodes keep each pair as evidence, serve
/// it on their API, and prove it on chain through `proveVoteEquivocation`:
/// every offence the other nodes caught is proven exactly once and costs it
/// exactly one penalty, and no honest operator is ever penalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_signing_both_outcomes_of_a_task_is_penalized_through_evidence() {
    use alloy::primitives::B256;
    use liveliness_node::evidence::VoteEquivocation;
    use std::collections::{BTreeMap, BTreeSet};

    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let mut net = Devnet::setup(opts).await.expect("devnet");
    let bad = 1;
    net.nodes[bad].config.misbehaviour.vote_both = true;
    net.write_config(bad).unwrap();
    net.start_nodes().unwrap();
    let EpochBlock(ready) = net.wait_ready(epochs(&net, 6)).await.unwrap();
    let offender = net.nodes[bad].address();
    let offender_id = net.nodes[bad].id;
    let l = u64::from(net.options.epoch_length);

    // Offences of a few epochs after the nodes are ready.
    let some = wait_for(epochs(&net, 8), || async {
        let proven = proven_vote_equivocations(&net).await?;
        (proven.iter().filter(|(_, _, b)| *b >= ready).count() >= 3).then_some(())
    })
    .await;
    if some.is_none() {
        dump_logs(&net);
        panic!(
            "fewer than 3 vote equivocations proven on chain: {:?}",
            proven_vote_equivocations(&net).await
        );
    }
    // Every offence the other nodes caught in epochs [ready, last] is
    // proven, once.
    let last = net.head().await.unwrap() / l * l;
    let committed: BTreeSet<(B256, u64)> = held_vote_offences(&net, bad)
        .await
        .into_iter()
        .filter(|(_, b)| (ready..=last).contains(b))
        .collect();
    assert!(
        !committed.is_empty(),
        "no node holds evidence of an offence"
    );
    let all_proven = wait_for(epochs(&net, 4), || async {
        let proven: BTreeSet<(B256, u64)> = proven_vote_equivocations(&net)
            .await?
            .into_iter()
            .map(|(_, t, b)| (t, b))
            .collect();
        committed.is_subset(&proven).then_some(())
    })
    .await;
    let proven = proven_vote_equivocations(&net).await.unwrap();
    if all_proven.is_none() {
        dump_logs(&net);
        panic!("offences {committed:?} not all proven: {proven:?}");
    }
    assert!(
        proven.iter().all(|(op, _, _)| *op == offender),
        "an honest operator was proven an equivocator: {proven:?}"
    );
    let mut times: BTreeMap<(B256, u64), usize> = BTreeMap::new();
    for (_, t, b) in &proven {
        *times.entry((*t, *b)).or_default() += 1;
    }
    assert!(
        times.values().all(|n| *n == 1),
        "an offence was proven twice: {times:?}"
    );
    let held = held_vote_offences(&net, bad).await;
    assert!(
        times.keys().all(|k| held.contains(k)),
        "proven offences no node holds evidence of: {times:?} vs {held:?}"
    );

    // The registry: one penalty per proven offence for the offender (its
    // endpoint is up and it performs honestly, so it earns no other), none
    // for anyone else.
    let penalties = net.penalties().await.unwrap();
    let offender_penalties = penalties
        .iter()
        .filter(|(op, _, _)| *op == offender)
        .count();
    if offender_penalties != proven.len() || penalties.iter().any(|(op, _, _)| *op != offender) {
        dump_logs(&net);
    }
    assert!(
        penalties.iter().all(|(op, _, _)| *op == offender),
        "an honest operator was penalized: {penalties:?}"
    );
    assert_eq!(
        offender_penalties,
        proven.len(),
        "penalties {penalties:?} for proofs {proven:?}"
    );

    // Every other node lists evidence against the offender, which a third
    // party can check: opposite votes of the offender on one task. Once
    // their slots passed, one of them proved it and the others found it
    // proven.
    let (offence_task, offence_block) = *committed.iter().next().unwrap();
    let mut submissions = Vec::new();
    for i in (0..4).filter(|i| *i != bad) {
        let held = wait_for(epochs(&net, 1), || async {
            equivocations(&net, i).await?.into_iter().find(|e| {
                e["kind"] == "vote"
                    && e["epochBlock"].as_u64() == Some(offence_block)
                    && e["taskHash"].as_str() == Some(&offence_task.to_string())
                    && e["submission"] != "pending"
            })
        })
        .await;
        let Some(row) = held else {
            dump_logs(&net);
            panic!("node {i} lists no evidence of the offence on {offence_task}");
        };
        assert_eq!(row["operatorId"].as_u64(), Some(offender_id));
        submissions.push(row["submission"].as_str().unwrap().to_owned());
        let bytes = alloy::primitives::hex::decode(row["evidence"].as_str().unwrap()).unwrap();
        let evidence = VoteEquivocation::decode(&bytes).expect("a task and two opposite votes");
        assert_eq!(evidence.operator_id(), offender_id);
        assert_eq!(evidence.task_hash(), offence_task);
        let key = liveliness_chain::bindings::AttestationCenter::new(
            net.deployment.attestation_center,
            &net.provider,
        )
        .getOperator(alloy::primitives::U256::from(offender_id))
        .call()
        .await
        .unwrap()
        .pkG2;
        let key = liveliness_bls::PublicKeyG2::from_abi(key).unwrap();
        for (vote, approve) in [(&evidence.approve, true), (&evidence.reject, false)] {
            let hash = evidence.task.task_info().unwrap().vote_hash(
                net.deployment.attestation_center,
                net.deployment.chain_id,
                approve,
                EpochBlock(offence_block),
            );
            assert!(
                liveliness_bls::verify(&key, &hash, &vote.signature),
                "a vote of the evidence is not the offender's"
            );
        }
    }

    submissions.sort();
    assert_eq!(
        submissions,
        ["duplicate", "duplicate", "landed"],
        "what each honest node's proof of {offence_task} came to"
    );

    // A node killed and restarted keeps the evidence it holds and what its
    // proofs came to.
    let h = (0..4).find(|i| *i != bad).unwrap();
    let settled: BTreeSet<String> = equivocations(&net, h)
        .await
        .expect("the API answers")
        .into_iter()
        .filter(|e| e["kind"] == "vote" && e["submission"] != "pending")
        .filter_map(|e| e["taskHash"].as_str().map(str::to_owned))
        .collect();
    assert!(settled.contains(&offence_task.to_string()));
    net.stop_node(h).await.unwrap();
    let head = net.head().await.unwrap();
    net.start_node(h).unwrap();
    let api = net.nodes[h].config.api_listen;
    let restarted = wait_for(epochs(&net, 2), || async {
        (crate::faults::node_head(api).await? >= head).then_some(())
    })
    .await;
    assert!(restarted.is_some(), "node {h} did not restart");
    let after_restart = equivocations(&net, h).await.expect("the API answers");
    for t in &settled {
        assert!(
            after_restart
                .iter()
                .any(|e| e["taskHash"].as_str() == Some(t.as_str()) && e["submission"] != "pending"),
            "node {h} lost the evidence or outcome of {t} across a restart"
        );
    }

    let (approved, rejected) = net.landed_tasks().await.unwrap();
    report(
        &net,
        &Reliability {
            name: "equivocating voter",
            injected: "one of four nodes signs and gossips both the approve and the reject vote of every task it votes on",
            epochs: net.head().await.unwrap().saturating_sub(ready).div_ceil(l),
            tasks_landed: approved
                .iter()
                .chain(&rejected)
                .filter(|(b, _)| b.0 >= ready)
                .count(),
            false_penalties: penalties.iter().filter(|(op, _, _)| *op != offender).count(),
            recovery: None,
        },
    );
    net.stop().await;
}

/// Issue 7 item 3: a node that, as attester, also gossips for every task it
/// judges a dispute signed by itself whose entries are forged (every other
/// sampled operator "reachable", with a health proof signed by its own
/// key). Every other node refuses each such dispute as `bad_proof` or
/// `not_unhealthy` (counted in `liveliness_disputes_invalid_total`), tasks
/// keep landing approved, and no honest operator is penalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disputes_with_forged_entries_are_refused() {
    use crate::faults::{metric, metrics};

    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true; // so that approved tasks land
    let mut net = Devnet::setup(opts).await.expect("devnet");
    let bad = 2;
    net.nodes[bad].config.misbehaviour.forge_disputes = true;
    net.write_config(bad).unwrap();
    net.start_nodes().unwrap();
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();
    let forger = net.nodes[bad].address();
    let honest: Vec<usize> = (0..4).filter(|i| *i != bad).collect();

    // Every other node refuses forged disputes, and a task of an epoch
    // from `ready` on lands approved all the same.
    let refused = wait_for(epochs(&net, 6), || async {
        for &i in &honest {
            let m = metrics(net.nodes[i].config.api_listen).await;
            if metric(&m, "liveliness_disputes_invalid_total") < 2.0 {
                return None;
            }
        }
        let (approved, _) = net.landed_tasks().await.ok()?;
        approved.iter().any(|(b, _)| *b >= ready).then_some(())
    })
    .await;
    if refused.is_none() {
        dump_logs(&net);
        panic!("the forged disputes were not refused by every other node, or no task landed");
    }
    for &i in &honest {
        let m = metrics(net.nodes[i].config.api_listen).await;
        let total = metric(&m, "liveliness_disputes_invalid_total");
        let forged = metric(
            &m,
            "liveliness_disputes_invalid_total{reason=\"bad_proof\"}",
        ) + metric(
            &m,
            "liveliness_disputes_invalid_total{reason=\"not_unhealthy\"}",
        );
        assert!(
            total > 0.0 && forged == total,
            "op{}: {total} invalid disputes, {forged} of them for forged entries",
            i + 1
        );
    }
    // No honest operator is penalized, and nothing is rejected.
    let penalties = net.penalties().await.unwrap();
    if penalties
        .iter()
        .any(|(op, b, _)| *b >= ready && *op != forger)
    {
        dump_logs(&net);
        panic!("an honest operator was penalized: {penalties:?}");
    }
    let (_, rejected) = net.landed_tasks().await.unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    net.stop().await;
}

/// Most peers one operator may have bound at once at a node (p2p's
/// `MAX_PEERS_PER_OPERATOR`, PROTOCOL.md §9.4).
const MAX_PEERS_PER_OPERATOR: usize = 4;

/// Throwaway identities per wave of the binding attack, half of them bound
/// to the attacker's operator: more than its share of 4.
const PER_WAVE: usize = 12;

/// An attacker that runs one operator (op4, whose node stays up) connects
/// to one node with three waves of 12 throwaway libp2p identities, one
/// epoch each: half bound to op4 (it holds that key), half to fresh keys of
/// no operator. The node's binding table (`/api/peers`) never holds more
/// than 4 peers of any operator, drops the bindings of non-operators when
/// it refreshes its active set, and keeps every honest operator bound;
/// tasks keep landing and no honest operator is penalized.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throwaway_peer_identities_stay_within_the_binding_caps() {
    use crate::{assert_memory_bounded, landed_in, penalties_from};
    use alloy::{primitives::Address, signers::local::PrivateKeySigner};
    use liveliness_p2p::{Keypair, Multiaddr, P2pConfig};
    use std::collections::BTreeMap;

    let (mut opts, _dir) = options(4);
    opts.submit_empty_tasks = true;
    let mut net = Devnet::start(opts).await.expect("devnet");
    let ready = net.wait_ready(epochs(&net, 6)).await.unwrap();
    let l = u64::from(net.options.epoch_length);
    let victim = 0;
    let target: Multiaddr = net.nodes[victim].config.p2p_listen.parse().unwrap();
    let attacker = net.nodes[3].signer.clone();
    let operators: Vec<Address> = net.nodes.iter().map(|n| n.address()).collect();
    let from = net.head().await.unwrap();

    // The attacker runs on its own thread and runtime, so that its load
    // does not stall this process's endpoint switches (which would make
    // every endpoint look down).
    let wave_for = epochs(&net, 1);
    let (chain_id, ac) = (net.deployment.chain_id, net.deployment.attestation_center);
    let signer = attacker.clone();
    let attack = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut identities = 0usize;
            for _wave in 0..3 {
                let mut wave = Vec::new();
                for k in 0..PER_WAVE {
                    let key = if k % 2 == 0 {
                        signer.clone()
                    } else {
                        PrivateKeySigner::random()
                    };
                    let mut config = P2pConfig::new(
                        "/ip4/127.0.0.1/tcp/0".parse().unwrap(),
                        chain_id,
                        ac,
                        Keypair::generate_ed25519(),
                        key,
                    );
                    config.bootstrap = vec![target.clone()];
                    wave.push(
                        liveliness_p2p::spawn(config)
                            .await
                            .expect("an attacker peer"),
                    );
                    identities += 1;
                }
                tokio::time::sleep(wave_for).await;
                for (handle, _inbound) in wave {
                    let _ = handle.shutdown().await;
                }
            }
            identities
        })
    });
    let mut most: BTreeMap<Address, usize> = BTreeMap::new();
    let mut non_operators_seen = 0usize;
    while !attack.is_finished() {
        if let Some(bound) = net.nodes[victim].bound_operators().await {
            for (op, n) in &bound {
                let m = most.entry(*op).or_default();
                *m = (*m).max(*n);
                if !operators.contains(op) {
                    non_operators_seen += n;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let identities = attack.join().expect("the attacker thread");
    let attack_end = net.head().await.unwrap();

    // Within the caps at every look, and the attack really reached the
    // table: op4 at its cap, non-operators bound for a while.
    let over: Vec<_> = most
        .iter()
        .filter(|(_, n)| **n > MAX_PEERS_PER_OPERATOR)
        .collect();
    assert!(over.is_empty(), "over the per-operator cap: {over:?}");
    assert_eq!(
        most.get(&attacker.address()).copied(),
        Some(MAX_PEERS_PER_OPERATOR),
        "the attacker's bindings never filled op4's share: {most:?}"
    );
    assert!(
        non_operators_seen > 0,
        "no binding of a non-operator ever reached the node: {most:?}"
    );

    // An epoch later: no non-operator binding is left, every honest
    // operator (and the attacker's own node, which rebinds every 30 s) is
    // bound, and the table is back to the operators.
    let settled = wait_for(epochs(&net, 4), || async {
        let bound = net.nodes[victim].bound_operators().await?;
        let clean = bound.keys().all(|op| operators.contains(op))
            && operators[1..].iter().all(|op| bound.contains_key(op))
            && bound.values().all(|n| *n <= MAX_PEERS_PER_OPERATOR);
        clean.then_some(bound)
    })
    .await;
    if settled.is_none() {
        dump_logs(&net);
    }
    assert!(
        settled.is_some(),
        "the binding table did not settle: {:?}",
        net.nodes[victim].bound_operators().await
    );

    // Tasks kept landing, no honest operator was penalized, memory stayed
    // bounded. The attacker's own operator may be: its throwaway bindings
    // take its own node's share at every node, so that node's tasks may
    // go unheard (a performer named missed: §15 limitation 24). That is
    // the attacker's trouble, and evidence only against it.
    let landed = landed_in(&net, from..=attack_end).await;
    let attacker_address = attacker.address();
    let penalized: Vec<_> = penalties_from(&net, ready)
        .await
        .into_iter()
        .filter(|(op, _, _)| *op != attacker_address)
        .collect();
    if landed < 2 || !penalized.is_empty() {
        dump_logs(&net);
    }
    assert!(landed >= 2, "tasks landed during the attack: {landed}");
    assert!(penalized.is_empty(), "penalized: {penalized:?}");
    assert!(net.nodes[victim].exited().is_none(), "the node died");
    assert_memory_bounded(&net);
    report(
        &net,
        &Reliability {
            name: "throwaway peer bindings",
            injected: &format!(
                "{identities} fresh libp2p identities in 3 waves of one epoch on one node, half bound to an operator the attacker runs, half to fresh non-operator keys"
            ),
            epochs: attack_end.saturating_sub(from).div_ceil(l),
            tasks_landed: landed,
            false_penalties: penalized.len(),
            recovery: None,
        },
    );
    net.stop().await;
}
