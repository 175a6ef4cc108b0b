//! Nodes on 127.0.0.1, port 0: binding exchange, delivery and forwarding,
//! the active-operator gate, and the size limit.

use std::{
    collections::HashSet,
    future::Future,
    time::{Duration, Instant},
};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::Address;
use eyre::{bail, ensure, eyre, Result};
use liveliness_p2p::{
    spawn, Error, Inbound, Keypair, Multiaddr, P2pConfig, P2pHandle, PeerId, Topic, Verdict,
};
use tokio::sync::mpsc;

const CHAIN: u64 = 31337;
const AC: Address = Address::repeat_byte(0x42);
/// Upper bound for any one wait in these tests.
const WAIT: Duration = Duration::from_secs(15);

struct Node {
    p2p: P2pHandle,
    inbound: mpsc::Receiver<Inbound>,
    operator: Address,
    /// A dialable address including `/p2p/<peer id>`.
    addr: Multiaddr,
}

impl Node {
    async fn start(bootstrap: Vec<Multiaddr>, max_message_bytes: usize) -> Result<Self> {
        init_tracing();
        let signer = PrivateKeySigner::random();
        let operator = signer.address();
        let mut config = P2pConfig::new(
            "/ip4/127.0.0.1/tcp/0".parse()?,
            CHAIN,
            AC,
            Keypair::generate_secp256k1(),
            signer,
        );
        config.bootstrap = bootstrap;
        config.max_message_bytes = max_message_bytes;
        let (p2p, inbound) = spawn(config).await?;
        let listen = p2p.listen_addrs().await?;
        let addr = listen
            .into_iter()
            .next()
            .ok_or_else(|| eyre!("no listen address"))?
            .with_p2p(p2p.local_peer_id())
            .map_err(|a| eyre!("address {a} already has a peer id"))?;
        ensure!(
            addr.to_string().starts_with("/ip4/127.0.0.1/tcp/"),
            "not on loopback: {addr}"
        );
        Ok(Self {
            p2p,
            inbound,
            operator,
            addr,
        })
    }

    fn peer(&self) -> PeerId {
        self.p2p.local_peer_id()
    }

    /// Waits until this node has verified the bindings of all of `others`.
    async fn wait_bound(&self, others: &[&Node]) -> Result<()> {
        eventually("bindings", || async {
            let bound = self.p2p.bound_peers().await?;
            Ok(others
                .iter()
                .all(|o| bound.get(&o.peer()) == Some(&o.operator)))
        })
        .await
    }

    async fn next_inbound(&mut self) -> Result<Inbound> {
        tokio::time::timeout(WAIT, self.inbound.recv())
            .await
            .map_err(|_| eyre!("no message within {WAIT:?}"))?
            .ok_or_else(|| eyre!("inbound channel closed"))
    }

    /// Asserts nothing arrives for `quiet`.
    async fn expect_nothing(&mut self, quiet: Duration) -> Result<()> {
        match tokio::time::timeout(quiet, self.inbound.recv()).await {
            Err(_) => Ok(()),
            Ok(None) => bail!("inbound channel closed"),
            Ok(Some(msg)) => bail!("unexpected message from {}: {:?}", msg.operator, msg.data),
        }
    }
}

async fn set_active(nodes: &[&Node], active: &HashSet<Address>) -> Result<()> {
    for node in nodes {
        node.p2p.set_active_operators(active.clone()).await?;
    }
    Ok(())
}

async fn shutdown(nodes: &[&Node]) -> Result<()> {
    for node in nodes {
        node.p2p.shutdown().await?;
    }
    Ok(())
}

/// Polls `check` every 50 ms until it holds or [`WAIT`] passes.
async fn eventually<F, Fut>(what: &str, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool>>,
{
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if check().await? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("timed out waiting for {what}")
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

const LIMIT: usize = 64 * 1024;

#[tokio::test]
async fn task_reaches_all_nodes_only_after_validation() -> Result<()> {
    let a = Node::start(vec![], LIMIT).await?;
    let mut b = Node::start(vec![a.addr.clone()], LIMIT).await?;
    let mut c = Node::start(vec![b.addr.clone()], LIMIT).await?;
    let active: HashSet<_> = [a.operator, b.operator, c.operator].into();
    set_active(&[&a, &b, &c], &active).await?;

    // C reaches A's binding only through B.
    b.wait_bound(&[&a, &c]).await?;
    c.wait_bound(&[&a, &b]).await?;
    a.wait_bound(&[&b, &c]).await?;
    assert_eq!(a.p2p.peer_count().await?, 1);
    assert_eq!(b.p2p.peer_count().await?, 2);

    let payload = b"task for epoch 7".to_vec();
    a.p2p.publish(Topic::Tasks, payload.clone()).await?;

    let at_b = b.next_inbound().await?;
    assert_eq!(at_b.topic, Topic::Tasks);
    assert_eq!(at_b.operator, a.operator);
    assert_eq!(at_b.source_peer, a.peer());
    assert_eq!(at_b.propagation_source, a.peer());
    assert_eq!(at_b.data, payload);

    // Until B accepts, C sees nothing.
    c.expect_nothing(Duration::from_millis(300)).await?;
    b.p2p
        .report(
            at_b.message_id.clone(),
            at_b.propagation_source,
            Verdict::Accept,
        )
        .await?;

    let at_c = c.next_inbound().await?;
    assert_eq!(at_c.topic, Topic::Tasks);
    assert_eq!(at_c.operator, a.operator);
    assert_eq!(at_c.source_peer, a.peer());
    assert_eq!(at_c.propagation_source, b.peer());
    assert_eq!(at_c.message_id, at_b.message_id);
    assert_eq!(at_c.data, payload);
    c.p2p
        .report(at_c.message_id, at_c.propagation_source, Verdict::Accept)
        .await?;

    shutdown(&[&a, &b, &c]).await?;
    assert!(matches!(a.p2p.peer_count().await, Err(Error::Stopped)));
    Ok(())
}

#[tokio::test]
async fn inactive_operator_is_ignored() -> Result<()> {
    let mut a = Node::start(vec![], LIMIT).await?;
    let b = Node::start(vec![a.addr.clone()], LIMIT).await?;
    let e = Node::start(vec![a.addr.clone()], LIMIT).await?;
    let everyone: HashSet<_> = [a.operator, b.operator, e.operator].into();
    set_active(&[&b, &e], &everyone).await?;
    set_active(&[&a], &[a.operator, b.operator].into()).await?;

    // A knows who E is; E is simply not active.
    a.wait_bound(&[&b, &e]).await?;
    b.wait_bound(&[&a]).await?;
    e.wait_bound(&[&a]).await?;

    e.p2p
        .publish(Topic::Tasks, b"from an inactive operator".to_vec())
        .await?;
    b.p2p
        .publish(Topic::Tasks, b"from an active operator".to_vec())
        .await?;

    let got = a.next_inbound().await?;
    assert_eq!(got.operator, b.operator);
    assert_eq!(got.data, b"from an active operator");
    a.p2p
        .report(got.message_id, got.propagation_source, Verdict::Accept)
        .await?;
    a.expect_nothing(Duration::from_millis(500)).await?;

    // Ignoring carries no penalty.
    let score = a.p2p.peer_score(e.peer()).await?.unwrap_or_default();
    assert!(score >= 0.0, "E was penalized: {score}");

    shutdown(&[&a, &b, &e]).await
}

#[tokio::test]
async fn oversized_message_is_rejected_and_scored_down() -> Result<()> {
    const SMALL_LIMIT: usize = 1024;
    let mut a = Node::start(vec![], SMALL_LIMIT).await?;
    // D allows itself more than the network does.
    let d = Node::start(vec![a.addr.clone()], 4 * SMALL_LIMIT).await?;
    set_active(&[&a, &d], &[a.operator, d.operator].into()).await?;
    a.wait_bound(&[&d]).await?;
    d.wait_bound(&[&a]).await?;

    // Refused locally, before it reaches the wire.
    let err = a
        .p2p
        .publish(Topic::Votes, vec![0; SMALL_LIMIT + 1])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::MessageTooLarge {
                len: 1025,
                max: 1024
            }
        ),
        "{err}"
    );
    let err = a.p2p.publish(Topic::Peers, vec![1]).await.unwrap_err();
    assert!(matches!(err, Error::ReservedTopic(Topic::Peers)), "{err}");

    d.p2p
        .publish(Topic::Votes, vec![7; 2 * SMALL_LIMIT])
        .await?;
    eventually("D scored down at A", || async {
        Ok(a.p2p.peer_score(d.peer()).await?.is_some_and(|s| s < 0.0))
    })
    .await?;

    d.p2p.publish(Topic::Votes, vec![8; SMALL_LIMIT]).await?;
    let got = a.next_inbound().await?;
    assert_eq!(got.operator, d.operator);
    assert_eq!(
        got.data,
        vec![8; SMALL_LIMIT],
        "the oversized message was delivered"
    );

    shutdown(&[&a, &d]).await
}
