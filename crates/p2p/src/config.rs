//! Configuration of the gossip transport.

use std::fmt;

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::Address;
use libp2p::{identity::Keypair, Multiaddr};

/// Default largest application payload: 64 KiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Everything [`crate::spawn`] needs.
pub struct P2pConfig {
    /// Address to listen on, e.g. `/ip4/0.0.0.0/tcp/9000` (`/ip4/127.0.0.1/tcp/0` in tests).
    pub listen: Multiaddr,
    /// Peers to dial at start and to redial, with backoff, whenever the
    /// connection drops. A trailing `/p2p/<peer id>` is optional.
    pub bootstrap: Vec<Multiaddr>,
    /// Chain of the deployment; namespaces topics and bindings.
    pub chain_id: u64,
    /// AttestationCenter of the deployment; namespaces topics and bindings.
    pub attestation_center: Address,
    /// The node's libp2p identity (signs gossip messages).
    pub identity: Keypair,
    /// The operator's ECDSA key (signs the peer binding).
    pub signer: PrivateKeySigner,
    /// Largest application payload; bigger inbound messages are rejected and
    /// their sender is scored down, bigger outbound ones are refused.
    pub max_message_bytes: usize,
}

impl P2pConfig {
    /// A configuration with no bootstrap peers and the default message limit.
    pub fn new(
        listen: Multiaddr,
        chain_id: u64,
        attestation_center: Address,
        identity: Keypair,
        signer: PrivateKeySigner,
    ) -> Self {
        Self {
            listen,
            bootstrap: Vec::new(),
            chain_id,
            attestation_center,
            identity,
            signer,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

impl fmt::Debug for P2pConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are shown by their public side only.
        f.debug_struct("P2pConfig")
            .field("listen", &self.listen)
            .field("bootstrap", &self.bootstrap)
            .field("chain_id", &self.chain_id)
            .field("attestation_center", &self.attestation_center)
            .field("peer_id", &self.identity.public().to_peer_id())
            .field("operator", &self.signer.address())
            .field("max_message_bytes", &self.max_message_bytes)
            .finish()
    }
}
