//! Connection caps and timeouts of the hardened server, against clients
//! holding idle and half-sent connections (several loopback addresses stand
//! for several clients).

use crate::{healthcheck, key};
use liveliness_health::{test_utils::MemoryBlockSource, HealthServer, ServeLimits, ServerConfig};
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
    time::timeout,
};

const HEAD: u64 = 1000;

async fn start(limits: ServeLimits) -> SocketAddr {
    let source = Arc::new(MemoryBlockSource::with_head(HEAD));
    let config = ServerConfig {
        rate_limit: None,
        limits,
        ..ServerConfig::default()
    };
    let server = HealthServer::new(source, key(1), config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.serve(listener));
    addr
}

/// A connection to `server` from the loopback address `from`.
async fn connect_from(from: IpAddr, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(server).await.unwrap()
}

/// Whether the server closes `stream` within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match timeout(within, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // A response (408, ...) before the close.
            Ok(Ok(_)) => continue,
        }
    }
}

/// One healthcheck from `from`; the HTTP status line's code.
async fn healthcheck_from(from: IpAddr, server: SocketAddr) -> u16 {
    let client = reqwest::Client::builder()
        .local_address(from)
        .build()
        .unwrap();
    let response = client
        .post(format!("http://{server}/"))
        .header("content-type", "application/json")
        .body(healthcheck(HEAD))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["result"]["signature"].is_string(), "{body}");
    status
}

#[tokio::test]
async fn one_client_cannot_hold_more_than_its_share() {
    let limits = ServeLimits {
        max_connections: 64,
        max_connections_per_client: 8,
        header_read_timeout: Duration::from_millis(800),
        request_timeout: Duration::from_secs(2),
        connection_lifetime: Duration::from_secs(20),
    };
    let server = start(limits).await;
    let attacker: IpAddr = "127.0.0.2".parse().unwrap();

    // 200 connections, every other one with a half-sent request.
    let mut held = Vec::new();
    for i in 0..200 {
        let mut stream = connect_from(attacker, server).await;
        if i % 2 == 0 {
            let _ = stream
                .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: app")
                .await;
        }
        held.push(stream);
    }
    // Another client is served meanwhile.
    assert_eq!(
        healthcheck_from("127.0.0.3".parse().unwrap(), server).await,
        200
    );

    // All but the attacker's 8 are closed at once ...
    let mut closed_at_once = 0;
    let mut kept = Vec::new();
    for mut stream in held {
        if closed_within(&mut stream, Duration::from_millis(300)).await {
            closed_at_once += 1;
        } else {
            kept.push(stream);
        }
    }
    assert!(closed_at_once >= 192, "closed at once: {closed_at_once}");
    assert!(kept.len() <= 8, "kept: {}", kept.len());
    // ... and those 8 within the header-read timeout.
    for stream in &mut kept {
        assert!(closed_within(stream, Duration::from_secs(3)).await);
    }
    // The attacker may connect again: nothing was left counted.
    assert_eq!(healthcheck_from(attacker, server).await, 200);
}

#[tokio::test]
async fn a_slow_body_gets_408_and_the_global_cap_holds() {
    let limits = ServeLimits {
        max_connections: 16,
        max_connections_per_client: 8,
        header_read_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_millis(800),
        connection_lifetime: Duration::from_secs(20),
    };
    let server = start(limits).await;

    // Headers in time, the body never.
    let mut slow = connect_from("127.0.0.4".parse().unwrap(), server).await;
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    let mut response = Vec::new();
    let _ = timeout(Duration::from_secs(3), slow.read_to_end(&mut response)).await;
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");

    // Two clients fill the global cap; a third client's connection is closed.
    let mut filling = Vec::new();
    for from in ["127.0.0.5", "127.0.0.6"] {
        for _ in 0..8 {
            filling.push(connect_from(from.parse().unwrap(), server).await);
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = connect_from("127.0.0.7".parse().unwrap(), server).await;
    assert!(closed_within(&mut third, Duration::from_secs(1)).await);
    drop(filling);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        healthcheck_from("127.0.0.7".parse().unwrap(), server).await,
        200
    );
}
