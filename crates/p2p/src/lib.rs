//! Gossip transport of the Liveliness network.
//!
//! This crate moves opaque, size-bounded payloads between nodes over libp2p
//! gossipsub (TCP, noise, yamux) and enforces who may speak. It knows nothing
//! of tasks, votes or roles.
//!
//! - Topics are namespaced by chain id and AttestationCenter
//!   (`/liveliness/<chainId>/<ac>/<kind>/1`, see [`TopicNamespace`]).
//! - Each node signs a [`PeerBinding`] of its peer id with its operator's
//!   ECDSA key and gossips it on the `peers` topic; the transport keeps the
//!   verified peer → operator map itself.
//! - On the application topics, messages whose signing peer is bound to no
//!   active operator (see [`P2pHandle::set_active_operators`]) are ignored,
//!   oversized ones are rejected and their sender scored down, and the rest
//!   reach the application as [`Inbound`], which answers with
//!   [`P2pHandle::report`]: only accepted messages are forwarded.
//!
//! ```no_run
//! # async fn run(config: liveliness_p2p::P2pConfig) -> liveliness_p2p::Result<()> {
//! use liveliness_p2p::{spawn, Topic, Verdict};
//!
//! let (p2p, mut inbound) = spawn(config).await?;
//! p2p.publish(Topic::Votes, b"vote".to_vec()).await?;
//! while let Some(msg) = inbound.recv().await {
//!     let verdict = if msg.data.is_empty() { Verdict::Reject } else { Verdict::Accept };
//!     p2p.report(msg.message_id, msg.propagation_source, verdict).await?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! One tokio task owns the swarm; [`P2pHandle`] talks to it over channels.
//! All logs use the `p2p` tracing target.

mod behaviour;
mod binding;
mod bootstrap;
mod config;
mod error;
mod service;
mod table;
mod topics;

pub use binding::{
    binding_digest, PeerBinding, BINDING_DOMAIN, BINDING_VERSION, MAX_BINDING_LEN, MAX_PEER_ID_LEN,
    SIGNATURE_LEN,
};
pub use config::{P2pConfig, DEFAULT_MAX_MESSAGE_BYTES};
pub use error::{BindingError, Error, Result};
pub use service::{spawn, Inbound, P2pHandle, Verdict, INBOUND_CAPACITY};
pub use topics::{Topic, TopicNamespace, TOPIC_VERSION};

pub use libp2p::{gossipsub::MessageId, identity::Keypair, Multiaddr, PeerId};
