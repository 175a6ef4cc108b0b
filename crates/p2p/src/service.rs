//! The swarm task and the handle the rest of the node talks to it through.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::Address;
use futures::StreamExt;
use libp2p::{
    gossipsub::{self, MessageAcceptance, MessageId, PublishError},
    identify, noise,
    swarm::SwarmEvent,
    tcp, yamux, Multiaddr, PeerId, Swarm, SwarmBuilder,
};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, trace, warn};

use crate::{
    behaviour::{Behaviour, BehaviourEvent},
    binding::{PeerBinding, MAX_BINDING_LEN},
    bootstrap::Bootstrap,
    config::P2pConfig,
    error::{Error, Result},
    table::{BindingTable, Inserted},
    topics::{Topic, TopicNamespace},
};

/// Capacity of the inbound message channel. When the application falls this
/// far behind, further messages are ignored (not forwarded, not penalized).
pub const INBOUND_CAPACITY: usize = 1024;
/// Capacity of the command channel.
const COMMAND_CAPACITY: usize = 256;
/// How often the own binding is re-published in any case.
const BINDING_REPUBLISH: Duration = Duration::from_secs(30);
/// Shortest gap between two publications of the own binding.
const BINDING_MIN_GAP: Duration = Duration::from_secs(1);
/// Most bindings remembered; protects memory against peer-id spam (see
/// [`BindingTable`] for who gives way when it is full).
const MAX_BINDINGS: usize = 10_000;
/// Period of the maintenance tick (binding schedule, bootstrap redials).
const TICK: Duration = Duration::from_millis(250);
/// How long `spawn` waits for the listener to report an address.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle connections are kept this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// A message on an application topic, from a peer bound to an active
/// operator. The application must answer it with [`P2pHandle::report`].
#[derive(Debug, Clone)]
pub struct Inbound {
    /// Topic it arrived on (never [`Topic::Peers`]).
    pub topic: Topic,
    /// Gossipsub message id (content-derived).
    pub message_id: MessageId,
    /// The peer that forwarded it to us.
    pub propagation_source: PeerId,
    /// The peer that created and signed it.
    pub source_peer: PeerId,
    /// The operator `source_peer` is bound to.
    pub operator: Address,
    /// The payload.
    pub data: Vec<u8>,
}

/// The application's judgement of an [`Inbound`] message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: forward it to the mesh.
    Accept,
    /// Provably invalid: drop it and score the propagation source down.
    Reject,
    /// Not useful (duplicate, stale, not decidable): drop it, no penalty.
    Ignore,
}

impl From<Verdict> for MessageAcceptance {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Accept => Self::Accept,
            Verdict::Reject => Self::Reject,
            Verdict::Ignore => Self::Ignore,
        }
    }
}

enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<MessageId>>,
    },
    Report {
        message_id: MessageId,
        propagation_source: PeerId,
        verdict: Verdict,
    },
    SetActive(HashSet<Address>),
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    PeerCount(oneshot::Sender<usize>),
    BoundPeers(oneshot::Sender<HashMap<PeerId, Address>>),
    PeerScore(PeerId, oneshot::Sender<Option<f64>>),
    Shutdown(oneshot::Sender<()>),
}

/// Cheap, cloneable handle to the swarm task.
#[derive(Debug, Clone)]
pub struct P2pHandle {
    commands: mpsc::Sender<Command>,
    local_peer_id: PeerId,
    operator: Address,
    max_message_bytes: usize,
}

impl P2pHandle {
    /// Our libp2p peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// Our operator address (the one our binding names).
    pub fn operator(&self) -> Address {
        self.operator
    }

    async fn send(&self, command: Command) -> Result<()> {
        self.commands
            .send(command)
            .await
            .map_err(|_| Error::Stopped)
    }

    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T> {
        let (tx, rx) = oneshot::channel();
        self.send(make(tx)).await?;
        rx.await.map_err(|_| Error::Stopped)
    }

    /// Publishes `data` on `topic`. Refuses [`Topic::Peers`], which the
    /// transport owns, and payloads above the configured limit.
    pub async fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<MessageId> {
        if topic == Topic::Peers {
            return Err(Error::ReservedTopic(topic));
        }
        if data.len() > self.max_message_bytes {
            return Err(Error::MessageTooLarge {
                len: data.len(),
                max: self.max_message_bytes,
            });
        }
        self.ask(|reply| Command::Publish { topic, data, reply })
            .await?
    }

    /// Reports the application's verdict on an [`Inbound`] message:
    /// `Accept` forwards it, `Reject` drops it and scores
    /// `propagation_source` down, `Ignore` drops it.
    pub async fn report(
        &self,
        message_id: MessageId,
        propagation_source: PeerId,
        verdict: Verdict,
    ) -> Result<()> {
        self.send(Command::Report {
            message_id,
            propagation_source,
            verdict,
        })
        .await
    }

    /// Replaces the set of active operators; messages from peers bound to
    /// any other operator are ignored from now on.
    pub async fn set_active_operators(&self, operators: HashSet<Address>) -> Result<()> {
        self.send(Command::SetActive(operators)).await
    }

    /// Addresses we listen on.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>> {
        self.ask(Command::ListenAddrs).await
    }

    /// Number of connected peers.
    pub async fn peer_count(&self) -> Result<usize> {
        self.ask(Command::PeerCount).await
    }

    /// Peers with a verified binding, and the operator each is bound to
    /// (active or not).
    pub async fn bound_peers(&self) -> Result<HashMap<PeerId, Address>> {
        self.ask(Command::BoundPeers).await
    }

    /// Gossipsub's score of `peer`, if it knows the peer.
    pub async fn peer_score(&self, peer: PeerId) -> Result<Option<f64>> {
        self.ask(|reply| Command::PeerScore(peer, reply)).await
    }

    /// Stops the swarm task, closing all connections and listeners, and waits
    /// for it. Later calls on any clone return [`Error::Stopped`].
    pub async fn shutdown(&self) -> Result<()> {
        self.ask(Command::Shutdown).await
    }
}

/// Builds the swarm, starts listening, and runs it in a new tokio task.
///
/// Returns once the listener has an address. The receiver yields the
/// messages the application must judge; the task stops when
/// [`P2pHandle::shutdown`] is called or every handle is dropped.
pub async fn spawn(config: P2pConfig) -> Result<(P2pHandle, mpsc::Receiver<Inbound>)> {
    let P2pConfig {
        listen,
        bootstrap,
        chain_id,
        attestation_center,
        identity,
        signer,
        max_message_bytes,
    } = config;
    let namespace = TopicNamespace::new(chain_id, attestation_center);
    let behaviour = Behaviour::new(&identity, &namespace, max_message_bytes)?;
    let mut swarm = SwarmBuilder::with_existing_identity(identity)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(Error::Noise)?
        .with_behaviour(|_| behaviour)
        .unwrap_or_else(|never| match never {})
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_TIMEOUT))
        .build();

    swarm
        .listen_on(listen.clone())
        .map_err(|source| Error::Listen {
            addr: listen.clone(),
            source,
        })?;
    let first_addr = tokio::time::timeout(LISTEN_TIMEOUT, async {
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::NewListenAddr { address, .. } => return Ok(address),
                SwarmEvent::ListenerClosed { reason, .. } => {
                    return Err(Error::NoListenAddr {
                        addr: listen.clone(),
                        source: reason.err(),
                    })
                }
                SwarmEvent::ListenerError { error, .. } => {
                    return Err(Error::NoListenAddr {
                        addr: listen.clone(),
                        source: Some(error),
                    })
                }
                _ => {}
            }
        }
    })
    .await
    .map_err(|_| Error::NoListenAddr {
        addr: listen.clone(),
        source: None,
    })??;

    let local_peer_id = *swarm.local_peer_id();
    let operator = signer.address();
    info!(target: "p2p", peer = %local_peer_id, %operator, addr = %first_addr, "listening");

    let (command_tx, command_rx) = mpsc::channel(COMMAND_CAPACITY);
    let (inbound_tx, inbound_rx) = mpsc::channel(INBOUND_CAPACITY);
    let now = Instant::now();
    let node = Node {
        bootstrap: Bootstrap::new(&bootstrap, local_peer_id, now),
        swarm,
        namespace,
        signer,
        max_message_bytes,
        inbound: inbound_tx,
        bindings: BindingTable::new(MAX_BINDINGS),
        active: HashSet::new(),
        binding_due: now,
        binding_last: None,
        binding_issued_at: 0,
    };
    tokio::spawn(node.run(command_rx));
    let handle = P2pHandle {
        commands: command_tx,
        local_peer_id,
        operator,
        max_message_bytes,
    };
    Ok((handle, inbound_rx))
}

/// State owned by the swarm task.
struct Node {
    swarm: Swarm<Behaviour>,
    namespace: TopicNamespace,
    signer: PrivateKeySigner,
    max_message_bytes: usize,
    inbound: mpsc::Sender<Inbound>,
    bootstrap: Bootstrap,
    /// Verified bindings: peer → operator.
    bindings: BindingTable,
    /// Operators whose peers may speak on the application topics.
    active: HashSet<Address>,
    /// When the own binding is next published.
    binding_due: Instant,
    /// When it was last published.
    binding_last: Option<Instant>,
    /// `issued_at` of the last publication; strictly increasing so that every
    /// publication has a new content id.
    binding_issued_at: u64,
}

impl Node {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let shutdown_ack = loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Shutdown(ack)) => break Some(ack),
                    Some(command) => self.on_command(command),
                    None => break None,
                },
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                _ = tick.tick() => self.maintain(),
            }
        };
        info!(target: "p2p", peer = %self.swarm.local_peer_id(), "shutting down");
        drop(self);
        if let Some(ack) = shutdown_ack {
            let _ = ack.send(());
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { topic, data, reply } => {
                let _ = reply.send(self.publish(topic, data));
            }
            Command::Report {
                message_id,
                propagation_source,
                verdict,
            } => {
                let found = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(
                        &message_id,
                        &propagation_source,
                        verdict.into(),
                    );
                debug!(target: "p2p", %message_id, peer = %propagation_source, ?verdict, found, "verdict");
            }
            Command::SetActive(operators) => {
                debug!(target: "p2p", count = operators.len(), "active operators updated");
                // Bindings of operators no longer active go: they can send
                // nothing that counts, and should they come back, their
                // bindings are published again (BINDING_REPUBLISH).
                self.bindings.retain_active(&operators);
                self.active = operators;
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::PeerCount(reply) => {
                let _ = reply.send(self.swarm.connected_peers().count());
            }
            Command::BoundPeers(reply) => {
                let _ = reply.send(self.bindings.snapshot());
            }
            Command::PeerScore(peer, reply) => {
                let _ = reply.send(self.swarm.behaviour().gossipsub.peer_score(&peer));
            }
            Command::Shutdown(_) => {} // handled by the loop
        }
    }

    fn publish(&mut self, topic: Topic, data: Vec<u8>) -> Result<MessageId> {
        let len = data.len();
        let gossip_topic = self.namespace.gossip_topic(topic);
        let id = self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(gossip_topic, data)
            .map_err(|source| Error::Publish { topic, source })?;
        debug!(target: "p2p", %topic, message_id = %id, len, "published");
        Ok(id)
    }

    /// Periodic work: the own binding and bootstrap redials.
    fn maintain(&mut self) {
        let now = Instant::now();
        if now >= self.binding_due {
            self.publish_binding(now);
        }
        let swarm = &mut self.swarm;
        self.bootstrap.dial_due(
            now,
            |opts| swarm.dial(opts),
            |addr, error| debug!(target: "p2p", %addr, %error, "bootstrap dial failed"),
        );
    }

    /// Asks for the own binding to be published soon, at most once per
    /// [`BINDING_MIN_GAP`].
    fn schedule_binding(&mut self) {
        let earliest = match self.binding_last {
            Some(last) => last + BINDING_MIN_GAP,
            None => Instant::now(),
        };
        self.binding_due = self.binding_due.min(earliest.max(Instant::now()));
    }

    fn publish_binding(&mut self, now: Instant) {
        self.binding_due = now + BINDING_REPUBLISH;
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let issued_at = unix.max(self.binding_issued_at.saturating_add(1));
        self.binding_issued_at = issued_at;
        let binding = match PeerBinding::sign(
            &self.signer,
            *self.swarm.local_peer_id(),
            self.namespace.chain_id(),
            self.namespace.attestation_center(),
            issued_at,
        ) {
            Ok(binding) => binding,
            Err(error) => {
                warn!(target: "p2p", %error, "signing own binding failed");
                return;
            }
        };
        let topic = self.namespace.gossip_topic(Topic::Peers);
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(topic, binding.encode())
        {
            Ok(id) => {
                // Only a publication that went out counts against the rate limit.
                self.binding_last = Some(now);
                debug!(target: "p2p", message_id = %id, issued_at, "binding published");
            }
            Err(PublishError::NoPeersSubscribedToTopic) => {
                trace!(target: "p2p", "no peers for own binding yet")
            }
            Err(error) => debug!(target: "p2p", %error, "publishing own binding failed"),
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        let now = Instant::now();
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(event)) => self.on_gossipsub(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                debug!(target: "p2p", peer = %peer_id, agent = %info.agent_version, protocol = %info.protocol_version, "identified");
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                self.bootstrap.on_connected(peer_id, connection_id);
                debug!(target: "p2p", peer = %peer_id, addr = %endpoint.get_remote_address(), connections = num_established.get(), "connected");
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                cause,
                ..
            } => {
                if num_established == 0 {
                    self.bootstrap.on_disconnected(peer_id, now);
                }
                debug!(target: "p2p", peer = %peer_id, connections = num_established, cause = ?cause, "connection closed");
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                peer_id,
                error,
            } => {
                self.bootstrap.on_dial_failed(connection_id, now);
                debug!(target: "p2p", peer = ?peer_id, %error, "dial failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(target: "p2p", addr = %address, "listening");
            }
            SwarmEvent::ListenerError { error, .. } => {
                warn!(target: "p2p", %error, "listener error");
            }
            _ => {}
        }
    }

    fn on_gossipsub(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let verdict = self.on_message(propagation_source, &message_id, message);
                if let Some(verdict) = verdict {
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            verdict.into(),
                        );
                }
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                trace!(target: "p2p", peer = %peer_id, %topic, "peer subscribed");
                if self.namespace.parse_hash(&topic) == Some(Topic::Peers) {
                    self.schedule_binding();
                }
            }
            gossipsub::Event::GossipsubNotSupported { peer_id } => {
                debug!(target: "p2p", peer = %peer_id, "peer does not speak gossipsub");
            }
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => {
                warn!(target: "p2p", peer = %peer_id, ?failed_messages, "slow peer");
            }
            _ => {}
        }
    }

    /// Judges a message. `Some(verdict)` is reported at once; `None` means it
    /// went to the application, which reports later.
    fn on_message(
        &mut self,
        propagation_source: PeerId,
        message_id: &MessageId,
        message: gossipsub::Message,
    ) -> Option<Verdict> {
        let Some(topic) = self.namespace.parse_hash(&message.topic) else {
            debug!(target: "p2p", %message_id, topic = %message.topic, "message on a foreign topic");
            return Some(Verdict::Ignore);
        };
        let Some(source_peer) = message.source else {
            // Strict validation makes this unreachable; be safe anyway.
            return Some(Verdict::Reject);
        };
        if topic == Topic::Peers {
            return Some(self.on_binding(source_peer, message_id, &message.data));
        }
        if message.data.len() > self.max_message_bytes {
            warn!(target: "p2p", %message_id, %topic, peer = %propagation_source, source = %source_peer, len = message.data.len(), max = self.max_message_bytes, "oversized message rejected");
            return Some(Verdict::Reject);
        }
        let Some(&operator) = self.bindings.get(&source_peer) else {
            debug!(target: "p2p", %message_id, %topic, source = %source_peer, "message from unbound peer ignored");
            return Some(Verdict::Ignore);
        };
        if !self.active.contains(&operator) {
            debug!(target: "p2p", %message_id, %topic, source = %source_peer, %operator, "message from inactive operator ignored");
            return Some(Verdict::Ignore);
        }
        let inbound = Inbound {
            topic,
            message_id: message_id.clone(),
            propagation_source,
            source_peer,
            operator,
            data: message.data,
        };
        match self.inbound.try_send(inbound) {
            Ok(()) => {
                trace!(target: "p2p", %message_id, %topic, %operator, "delivered");
                None
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                warn!(target: "p2p", %message_id, %topic, "application is behind; message ignored");
                Some(Verdict::Ignore)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Some(Verdict::Ignore),
        }
    }

    /// Validates and records a binding from the peers topic. Valid bindings
    /// of active operators are forwarded; valid ones of others are recorded
    /// but not forwarded.
    fn on_binding(&mut self, source: PeerId, message_id: &MessageId, data: &[u8]) -> Verdict {
        if data.len() > MAX_BINDING_LEN {
            debug!(target: "p2p", %message_id, %source, len = data.len(), "oversized binding rejected");
            return Verdict::Reject;
        }
        let binding = match PeerBinding::decode(data).and_then(|b| {
            b.verify(
                self.namespace.chain_id(),
                self.namespace.attestation_center(),
                &source,
            )?;
            Ok(b)
        }) {
            Ok(binding) => binding,
            Err(error) => {
                debug!(target: "p2p", %message_id, %source, %error, "invalid binding rejected");
                return Verdict::Reject;
            }
        };
        let operator = binding.operator;
        match self.bindings.insert(source, operator, &self.active) {
            Inserted::Known => {}
            Inserted::New => {
                info!(target: "p2p", peer = %source, %operator, issued_at = binding.issued_at, "peer bound");
                // A newcomer: let it learn our binding too.
                self.schedule_binding();
            }
            Inserted::Full => {
                warn!(target: "p2p", %source, %operator, "binding table full of active operators' bindings; binding ignored");
                return Verdict::Ignore;
            }
        }
        if self.active.contains(&operator) {
            Verdict::Accept
        } else {
            Verdict::Ignore
        }
    }
}
