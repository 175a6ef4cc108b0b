//! Errors of the gossip transport.

use alloy_primitives::Address;
use libp2p::{gossipsub, Multiaddr, PeerId, TransportError};

use crate::topics::Topic;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while setting up or driving the swarm.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The noise security upgrade could not be set up.
    #[error("setting up the noise transport failed")]
    Noise(#[source] libp2p::noise::Error),
    /// The gossipsub configuration was rejected.
    #[error("invalid gossipsub configuration")]
    GossipsubConfig(#[source] gossipsub::ConfigBuilderError),
    /// Gossipsub refused to build or to take the peer-score parameters.
    #[error("gossipsub set-up failed: {reason}")]
    GossipsubSetup {
        /// The reason gossipsub gave (it reports these as plain strings).
        reason: String,
    },
    /// Subscribing to one of our topics failed.
    #[error("subscribing to {topic} failed")]
    Subscribe {
        /// The topic name.
        topic: String,
        /// What gossipsub said.
        #[source]
        source: gossipsub::SubscriptionError,
    },
    /// Listening on the configured address failed.
    #[error("listening on {addr} failed")]
    Listen {
        /// The configured address.
        addr: Multiaddr,
        /// What the transport said.
        #[source]
        source: TransportError<std::io::Error>,
    },
    /// The listener closed or failed before reporting an address.
    #[error("listener on {addr} reported no address")]
    NoListenAddr {
        /// The configured address.
        addr: Multiaddr,
        /// The listener's error, if it reported one.
        #[source]
        source: Option<std::io::Error>,
    },
    /// Gossipsub refused to publish a message.
    #[error("publishing on {topic} failed")]
    Publish {
        /// The topic we published on.
        topic: Topic,
        /// What gossipsub said.
        #[source]
        source: gossipsub::PublishError,
    },
    /// A payload is larger than the configured maximum.
    #[error("payload of {len} bytes exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// Payload length.
        len: usize,
        /// Configured maximum.
        max: usize,
    },
    /// The application tried to publish on a topic the transport owns.
    #[error("topic {0} is reserved for the transport")]
    ReservedTopic(Topic),
    /// Creating, encoding or checking a peer binding failed.
    #[error(transparent)]
    Binding(#[from] BindingError),
    /// The swarm task has stopped; the handle is of no further use.
    #[error("the p2p task has stopped")]
    Stopped,
}

/// Why a peer binding could not be made, decoded or accepted.
#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    /// The input ended before a field was complete.
    #[error("binding truncated in {field}: needed {needed} bytes, {remaining} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// Bytes follow the last field.
    #[error("{0} trailing bytes after the binding")]
    TrailingBytes(usize),
    /// The version byte is not one we understand.
    #[error("unsupported binding version {0}")]
    UnsupportedVersion(u8),
    /// The peer id length prefix is zero or above the maximum.
    #[error("peer id length {len} is outside 1..={max}")]
    PeerIdLength {
        /// The length read or given.
        len: usize,
        /// The maximum allowed.
        max: usize,
    },
    /// The peer id bytes are not a valid, canonically encoded peer id.
    #[error("invalid peer id bytes")]
    PeerId(#[source] libp2p::identity::ParseError),
    /// The peer id bytes parse, but do not re-encode to the same bytes.
    #[error("peer id bytes are not canonical")]
    NonCanonicalPeerId,
    /// The signature bytes are malformed (bad `v`).
    #[error("malformed signature")]
    Signature(#[source] alloy_primitives::SignatureError),
    /// The signature has a high `s` or a `v` other than 27 or 28.
    #[error("signature is not in canonical form (low s, v of 27 or 28)")]
    NonCanonicalSignature,
    /// Public-key recovery failed.
    #[error("recovering the signer failed")]
    Recover(#[source] alloy_primitives::SignatureError),
    /// The operator's key could not sign.
    #[error("signing the binding failed")]
    Sign(#[source] alloy::signers::Error),
    /// The signature is valid, but by someone other than the named operator.
    #[error("binding names operator {operator} but was signed by {recovered}")]
    WrongSigner {
        /// The operator the binding names.
        operator: Address,
        /// The address the signature recovers to.
        recovered: Address,
    },
    /// The binding is for another chain.
    #[error("binding is for chain {got}, expected {expected}")]
    WrongChain {
        /// Our chain id.
        expected: u64,
        /// The binding's chain id.
        got: u64,
    },
    /// The binding is for another AttestationCenter.
    #[error("binding is for attestation center {got}, expected {expected}")]
    WrongContract {
        /// Our AttestationCenter.
        expected: Address,
        /// The binding's AttestationCenter.
        got: Address,
    },
    /// The binding binds a peer other than the one that published it.
    #[error("binding is for peer {bound} but was published by {source_peer}")]
    PeerMismatch {
        /// The peer id inside the binding.
        bound: Box<PeerId>,
        /// The gossipsub source of the message that carried it.
        source_peer: Box<PeerId>,
    },
}
