//! Name resolution: the name's failure is the operator's, the resolver's is
//! this node's. A small DNS server on loopback plays the resolver.

use crate::{key, spawn_server};
use hickory_resolver::proto::{
    op::{Message, MessageType, ResponseCode},
    rr::{rdata::A, RData, Record, RecordType},
};
use liveliness_health::{
    test_utils::MemoryBlockSource, CheckOutcome, Checker, CheckerConfig, LocalFault, ServerConfig,
};
use liveliness_primitives::FailureReason;
use std::{
    net::{Ipv4Addr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::net::UdpSocket;

const BLOCK: u64 = 100;

/// Starts a DNS server on 127.0.0.1 that answers `good.test` with
/// 127.0.0.1, `nx.test` with NXDOMAIN, `servfail.test` with SERVFAIL, never
/// answers `silent.test`, and answers the root zone's NS with an empty
/// NOERROR. With `dead`, it answers nothing at all.
async fn dns_server(dead: bool) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                return;
            };
            if dead {
                continue;
            }
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let Some(q) = query.queries.first().cloned() else {
                continue;
            };
            let mut reply = Message::new(
                query.metadata.id,
                MessageType::Response,
                query.metadata.op_code,
            );
            reply.metadata.recursion_desired = query.metadata.recursion_desired;
            reply.metadata.recursion_available = true;
            reply.add_query(q.clone());
            let name = q.name().to_ascii();
            match name.as_str() {
                "good.test." => {
                    if q.query_type() == RecordType::A {
                        reply.add_answer(Record::from_rdata(
                            q.name().clone(),
                            60,
                            RData::A(A(Ipv4Addr::LOCALHOST)),
                        ));
                    }
                }
                "." => {}
                "silent.test." => continue,
                "servfail.test." => reply.metadata.response_code = ResponseCode::ServFail,
                _ => reply.metadata.response_code = ResponseCode::NXDomain,
            }
            if let Ok(bytes) = reply.to_vec() {
                let _ = socket.send_to(&bytes, from).await;
            }
        }
    });
    addr
}

fn checker(resolver: SocketAddr, timeout_ms: u64) -> Checker {
    Checker::new(CheckerConfig {
        health_timeout_ms: timeout_ms,
        allow_loopback: true,
        name_servers: Some(vec![resolver]),
        ..CheckerConfig::default()
    })
}

async fn endpoint_port() -> u16 {
    let source = Arc::new(MemoryBlockSource::with_head(BLOCK + 2));
    let (url, _) = spawn_server(source, key(1), ServerConfig::default()).await;
    url.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn names_are_judged_by_what_the_resolver_says() {
    let port = endpoint_port().await;
    let checker = checker(dns_server(false).await, 1000);
    let hash = MemoryBlockSource::default_hash(BLOCK);
    let check = |host: &str| {
        let checker = checker.clone();
        let url = format!("http://{host}:{port}/");
        async move {
            let started = Instant::now();
            let outcome = checker.check(&url, key(1).address(), BLOCK, hash).await;
            (outcome, started.elapsed())
        }
    };

    let (outcome, _) = check("good.test").await;
    assert!(matches!(outcome, CheckOutcome::Healthy(_)), "{outcome:?}");

    let (outcome, _) = check("nx.test").await;
    assert_eq!(outcome, CheckOutcome::Unhealthy(FailureReason::Refused));

    // The resolver answered the probe, so a broken name is the operator's.
    let (outcome, _) = check("servfail.test").await;
    assert_eq!(outcome, CheckOutcome::Unhealthy(FailureReason::Refused));

    let (outcome, took) = check("silent.test").await;
    assert_eq!(outcome, CheckOutcome::Unhealthy(FailureReason::Timeout));
    assert!(took < Duration::from_millis(1200), "{took:?}");
}

#[tokio::test]
async fn a_dead_resolver_is_this_nodes_trouble() {
    let port = endpoint_port().await;
    let checker = checker(dns_server(true).await, 1000);
    let hash = MemoryBlockSource::default_hash(BLOCK);
    let started = Instant::now();
    let outcome = checker
        .check(
            &format!("http://good.test:{port}/"),
            key(1).address(),
            BLOCK,
            hash,
        )
        .await;
    assert_eq!(outcome, CheckOutcome::Undetermined(LocalFault::Resolver));
    assert!(started.elapsed() < Duration::from_millis(1200));

    // An address given as a literal needs no resolver.
    let outcome = checker
        .check(
            &format!("http://127.0.0.1:{port}/"),
            key(1).address(),
            BLOCK,
            hash,
        )
        .await;
    assert!(matches!(outcome, CheckOutcome::Healthy(_)), "{outcome:?}");
}
