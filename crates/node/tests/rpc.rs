//! The node's RPC client: it speaks https (against anvil behind a TLS proxy
//! with a private CA, it reads the chain when that CA is configured and
//! refuses the connection when it is not), and a hung RPC costs a read no
//! more than its timeout, and a second URL takes over.

use alloy::providers::{Provider, ProviderBuilder};
use liveliness_chain::{
    rpc::{RpcConfig, DEADLINE},
    test_utils::spawn_anvil,
};
use liveliness_node::{reader::Reader, rpc::http_client};
use std::{net::SocketAddr, sync::Arc};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A TLS terminator on 127.0.0.1 in front of `upstream`, with a certificate
/// for `localhost` and 127.0.0.1 signed by a fresh CA. Returns its address
/// and the CA's PEM.
async fn tls_proxy(upstream: SocketAddr) -> (SocketAddr, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut up) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
            });
        }
    });
    (addr, ca.pem())
}

#[tokio::test]
async fn https_rpc_with_a_private_ca() {
    let anvil = spawn_anvil(1);
    let upstream: SocketAddr = format!("127.0.0.1:{}", anvil.port()).parse().unwrap();
    let (proxy, ca_pem) = tls_proxy(upstream).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let url: reqwest::Url = format!("https://localhost:{}/", proxy.port())
        .parse()
        .unwrap();

    // Trusted: the chain is read through TLS.
    let plain = ProviderBuilder::new().connect_http(anvil.endpoint_url());
    let _: serde_json::Value = plain
        .raw_request("anvil_mine".into(), (3u64,))
        .await
        .unwrap();
    let client = http_client(Some(&ca_file)).unwrap();
    let tls = ProviderBuilder::new().connect_reqwest(client.clone(), url.clone());
    assert_eq!(tls.get_block_number().await.unwrap(), 3);
    assert_eq!(tls.get_chain_id().await.unwrap(), anvil.chain_id());
    // And through the transport the node reads with.
    let reader = reader_for(&[url.to_string()], &client);
    assert_eq!(reader.head().await.unwrap(), 3);

    // Not trusted (system roots only): the handshake fails, nothing is read.
    let client = http_client(None).unwrap();
    let untrusted = ProviderBuilder::new().connect_reqwest(client, url);
    let err = untrusted.get_block_number().await.unwrap_err();
    let chain = format!("{:?}", eyre::Report::new(err));
    assert!(chain.contains("certificate"), "{chain}");
}

#[test]
fn a_bad_ca_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let e = http_client(Some(&missing)).unwrap_err();
    assert!(e.to_string().contains("cannot read rpc_ca_file"), "{e}");

    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let e = http_client(Some(&empty)).unwrap_err();
    assert!(e.to_string().contains("holds no certificate"), "{e}");
}

/// A server that accepts connections and never answers.
async fn hanging_rpc() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    addr
}

/// A reader over `urls` as the node builds one: its HTTP client, the
/// chain crate's transport (retries, failover, timeouts, deadline).
fn reader_for(urls: &[String], client: &reqwest::Client) -> Reader {
    let rpc = liveliness_chain::rpc::rpc_client(urls, client, &RpcConfig::default()).unwrap();
    let ac = alloy::primitives::Address::ZERO;
    Reader::new(ProviderBuilder::new().connect_client(rpc).erased(), ac, ac)
}

/// A hung RPC costs a read at most its per-request timeout (well within the
/// deadline), and a second URL takes over.
#[tokio::test]
async fn a_hung_rpc_is_given_up_within_the_deadline_and_failed_over() {
    let anvil = spawn_anvil(1);
    let hung = format!("http://{}/", hanging_rpc().await);
    let client = http_client(None).unwrap();

    let alone = reader_for(std::slice::from_ref(&hung), &client);
    let started = std::time::Instant::now();
    let e = alone.head().await.unwrap_err();
    let took = started.elapsed();
    assert!(took < DEADLINE, "{took:?}");
    assert!(e.to_string().contains("no answer"), "{e}");

    let with_backup = reader_for(&[hung, anvil.endpoint()], &client);
    assert_eq!(with_backup.head().await.unwrap(), 0);
}
