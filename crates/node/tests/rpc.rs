//! The node's RPC client: it speaks https (against anvil behind a TLS proxy
//! with a private CA, it reads the chain when that CA is configured and
//! refuses the connection when it is not), and a hung RPC costs a read no
//! more than its budget.

use alloy::providers::{Provider, ProviderBuilder};
use liveliness_chain::test_utils::spawn_anvil;
use liveliness_node::rpc::http_client;
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
    let tls = ProviderBuilder::new().connect_reqwest(client, url.clone());
    assert_eq!(tls.get_block_number().await.unwrap(), 3);
    assert_eq!(tls.get_chain_id().await.unwrap(), anvil.chain_id());

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

fn provider_for(url: &str) -> alloy::providers::DynProvider {
    ProviderBuilder::new()
        .connect_reqwest(http_client(None).unwrap(), url.parse().unwrap())
        .erased()
}

/// A hung RPC costs a read at most its budget, and a second URL takes over.
#[tokio::test]
async fn a_hung_rpc_is_given_up_within_the_read_budget_and_failed_over() {
    use liveliness_node::reader::{Reader, READ_BUDGET};
    let anvil = spawn_anvil(1);
    let hung = format!("http://{}/", hanging_rpc().await);
    let ac = alloy::primitives::Address::ZERO;

    let alone = Reader::new(vec![provider_for(&hung)], ac, ac);
    let started = std::time::Instant::now();
    let e = alone.head().await.unwrap_err();
    let took = started.elapsed();
    assert!(
        took < READ_BUDGET + std::time::Duration::from_secs(2),
        "{took:?}"
    );
    assert!(!e.to_string().is_empty());

    let with_backup = Reader::new(
        vec![provider_for(&hung), provider_for(&anvil.endpoint())],
        ac,
        ac,
    );
    assert_eq!(with_backup.head().await.unwrap(), 0);
}
