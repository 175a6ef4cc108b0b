//! Starting and stopping a node.

use crate::{
    api::{self, ApiState, Status},
    essential::Essential,
    health_source::FollowerSource,
    node::{
        driver::{Driver, Writer},
        follower::{Follower, FollowerEvent},
        gossip::Received,
        Event, Node,
    },
    reader::Reader,
    NodeConfig,
};
use alloy::network::EthereumWallet;
use eyre::WrapErr;
use liveliness_health::{AlloyBlockSource, HealthServer, ServeLimits, ServerConfig};
use liveliness_p2p::{Keypair, Multiaddr, P2pConfig};
use liveliness_store::Store;
use std::{
    future::Future,
    path::Path,
    sync::{Arc, RwLock},
    time::Duration,
};
use tokio::{net::TcpListener, sync::mpsc};
use tracing::{debug, info, warn};

/// Most gossip messages handled in one batch.
const MAX_INBOUND_BATCH: usize = 256;

/// Runs the node until Ctrl-C or SIGTERM.
pub async fn run(config: NodeConfig) -> eyre::Result<()> {
    run_until(config, shutdown_signal()).await
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The libp2p identity, kept in the data directory so that the peer id
/// survives restarts.
fn p2p_identity(dir: &Path) -> eyre::Result<Keypair> {
    let path = dir.join("p2p-identity.key");
    if let Ok(bytes) = std::fs::read(&path) {
        return Keypair::from_protobuf_encoding(&bytes)
            .wrap_err_with(|| format!("corrupt libp2p identity {}", path.display()));
    }
    let key = Keypair::generate_ed25519();
    let bytes = key.to_protobuf_encoding()?;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&tmp)
        .wrap_err_with(|| format!("cannot write {}", tmp.display()))?;
    std::io::Write::write_all(&mut file, &bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(key)
}

/// Runs the node until `shutdown` completes.
pub async fn run_until(config: NodeConfig, shutdown: impl Future<Output = ()>) -> eyre::Result<()> {
    config.validate()?;
    raise_open_file_limit();
    let password = config.password()?;
    let signer = liveliness_keys::load_ecdsa(&config.ecdsa_keystore, &password)
        .wrap_err("cannot load the ECDSA keystore")?;
    let bls = liveliness_keys::load_bls(&config.bls_keystore, &password)
        .wrap_err("cannot load the BLS keystore")?;
    let operator = signer.address();
    std::fs::create_dir_all(&config.data_dir)
        .wrap_err_with(|| format!("cannot create {}", config.data_dir.display()))?;

    // One provider over every RPC URL: alloy's retry and fallback layers,
    // a timeout per request to one URL and a deadline per request
    // (liveliness_chain::rpc, PROTOCOL.md §11.2).
    let http = crate::rpc::http_client(config.rpc_ca_file.as_deref())?;
    let provider = liveliness_chain::rpc::connect(
        &config.rpc_urls,
        &http,
        &liveliness_chain::rpc::RpcConfig::default(),
        EthereumWallet::from(signer.clone()),
    )?;
    let block_source = AlloyBlockSource::new(provider.clone());
    let reader = Arc::new(Reader::new(
        provider,
        config.attestation_center,
        config.registry,
    ));
    let chain_id = reader.chain_id().await?;
    config.misbehaviour.check_allowed_on(chain_id)?;
    let store = Arc::new(
        Store::open(config.data_dir.join("store.redb")).wrap_err("cannot open the store")?,
    );
    info!(%operator, chain_id, attestation_center = %config.attestation_center, registry = %config.registry, run = store.run(), "starting liveliness node");

    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .wrap_err("cannot install the metrics recorder")?;

    // Health endpoint, answering from the follower's head (§7.3).
    let status = Arc::new(RwLock::new(Status::default()));
    let block_source = FollowerSource::new(Arc::clone(&status), block_source);
    let health = HealthServer::new(
        block_source,
        signer.clone(),
        ServerConfig {
            chain_id: Some(chain_id),
            ..ServerConfig::default()
        },
    )?;
    let health_listener = TcpListener::bind(config.health_listen)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", config.health_listen))?;
    info!(addr = %health_listener.local_addr()?, "health endpoint listening");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut stop = stop_rx.clone();
    // What the node cannot run without: if any of it ends, the node stops.
    let mut essential = Essential::new();
    essential.spawn("health endpoint", async move {
        health
            .serve_with_shutdown(health_listener, async move {
                let _ = stop.changed().await;
            })
            .await
    });

    // Gossip.
    let mut p2p_config = P2pConfig::new(
        config.p2p_listen.parse::<Multiaddr>()?,
        chain_id,
        config.attestation_center,
        p2p_identity(&config.data_dir)?,
        signer.clone(),
    );
    p2p_config.bootstrap = config
        .bootstrap
        .iter()
        .map(|a| a.parse::<Multiaddr>())
        .collect::<Result<_, _>>()?;
    let (p2p, mut inbound) = liveliness_p2p::spawn(p2p_config).await?;
    info!(peer_id = %p2p.local_peer_id(), addrs = ?p2p.listen_addrs().await?, "p2p listening");

    // Read API and metrics.
    let api_listener = TcpListener::bind(config.api_listen)
        .await
        .wrap_err_with(|| format!("cannot listen on {}", config.api_listen))?;
    info!(addr = %api_listener.local_addr()?, "metrics and read API listening");
    let router = api::router(ApiState {
        store: Arc::clone(&store),
        reader: Arc::clone(&reader),
        status: Arc::clone(&status),
        metrics,
        p2p: p2p.clone(),
    });
    let mut stop = stop_rx.clone();
    essential.spawn("API server", async move {
        liveliness_health::serve(api_listener, router, ServeLimits::default(), async move {
            let _ = stop.changed().await;
        })
        .await
    });

    let (events_tx, mut events) = mpsc::channel::<Event>(256);
    let poll = Duration::from_millis(config.poll_interval_ms);

    // The chain follower: every chain read, in a task of its own.
    let (follower_tx, mut follower) = mpsc::channel::<FollowerEvent>(64);
    let follower_task = Follower::new(
        Arc::clone(&reader),
        Arc::clone(&store),
        p2p.clone(),
        chain_id,
        follower_tx,
    );
    essential.spawn("chain follower", async move {
        follower_task.run(poll).await;
        Ok::<(), std::convert::Infallible>(())
    });

    let mut node = Node::new(config, chain_id, signer, bls, status);
    // Equivocations stored before a restart are proven again.
    let stored = {
        let store = Arc::clone(&store);
        tokio::task::spawn_blocking(move || crate::node::stored_evidence(&store)).await?
    };
    match stored {
        Ok(stored) => node.resume(stored),
        Err(e) => return Err(eyre::Report::new(e).wrap_err("cannot read the stored equivocations")),
    }
    let writer = Writer::spawn(Arc::clone(&store)).wrap_err("cannot start the store writer")?;
    let mut driver = Driver::new(
        node,
        Arc::clone(&store),
        Arc::clone(&reader),
        p2p.clone(),
        events_tx,
        &writer,
    );
    let writer_watch = writer.watch();
    essential.spawn("store writer", async move {
        writer_watch.closed().await;
        Ok::<(), std::convert::Infallible>(())
    });
    let mut peers = tokio::time::interval(poll.max(Duration::from_secs(1)));
    peers.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let outcome = loop {
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            // A node whose endpoint, API, follower or store writer is gone
            // is not half-alive: it stops.
            report = essential.ended() => break Err(report),
            Some(event) = follower.recv() => match event {
                FollowerEvent::Head(head) => driver.on_head(head).await,
                FollowerEvent::Loaded(loaded) => {
                    driver.core.on_epoch_loaded(*loaded);
                    driver.run_actions().await;
                }
                FollowerEvent::Dropped(b) => {
                    driver.core.on_epoch_dropped(b);
                    driver.run_actions().await;
                }
            },
            Some(msg) = inbound.recv() => {
                // Take whatever else is already queued, so that votes can be
                // verified together.
                let mut batch = vec![msg];
                while batch.len() < MAX_INBOUND_BATCH {
                    match inbound.try_recv() {
                        Ok(m) => batch.push(m),
                        Err(_) => break,
                    }
                }
                let received = batch
                    .iter()
                    .map(|i| Received {
                        topic: i.topic,
                        from: i.operator,
                        data: i.data.clone(),
                    })
                    .collect();
                let verdicts = driver.core.on_gossip(received);
                for (inbound, verdict) in batch.into_iter().zip(verdicts) {
                    if let Err(e) = p2p
                        .report(inbound.message_id, inbound.propagation_source, verdict)
                        .await
                    {
                        debug!(error = %e, "report failed");
                    }
                }
                driver.run_actions().await;
            }
            Some(event) = events.recv() => {
                driver.core.on_event(event);
                driver.run_actions().await;
            }
            Some(joined) = driver.jobs.join_next(), if !driver.jobs.is_empty() => {
                if let Err(e) = joined {
                    if e.is_panic() {
                        warn!(error = %e, "a node job panicked");
                        metrics::counter!("liveliness_job_panics_total").increment(1);
                    }
                }
            }
            _ = peers.tick() => {
                metrics::gauge!("liveliness_peers").set(p2p.peer_count().await.unwrap_or(0) as f64);
            }
        }
    };
    info!("shutting down");
    let _ = stop_tx.send(true);
    essential.abort_all();
    let _ = p2p.shutdown().await;
    // In-flight jobs stop; what they recorded is committed. Every queued
    // store write is applied before the node exits.
    drop(driver);
    writer.finish().await;
    outcome
}

/// Raises the soft open-file limit to the hard limit, so that the servers'
/// connection caps, not the process's descriptors, are what runs out first.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => info!(limit, "open-file limit raised to the hard limit"),
        Err(e) => warn!(error = %e, "cannot raise the open-file limit"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The libp2p identity is created once, readable by its owner only,
    /// and the same key is loaded afterwards; a corrupt file is an error,
    /// not a new identity.
    #[test]
    fn the_p2p_identity_is_private_and_survives_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let first = p2p_identity(dir.path()).unwrap();
        let path = dir.path().join("p2p-identity.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = p2p_identity(dir.path()).unwrap();
        assert_eq!(first.public(), again.public());
        std::fs::write(&path, b"not a key").unwrap();
        let err = p2p_identity(dir.path()).unwrap_err().to_string();
        assert!(err.contains("corrupt libp2p identity"), "{err}");
    }
}
