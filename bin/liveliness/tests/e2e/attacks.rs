//! Hostile clients against a node, with real processes on loopback.

use crate::{dump_logs, epochs, options};
use liveliness_devnet::{wait_for, Devnet, Mode};
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
}
