//! Gossip topic names.
//!
//! Every topic is namespaced by chain id and AttestationCenter address so that
//! two deployments never share a mesh:
//! `/liveliness/<chainId>/<attestationCenter as lower-case 0x hex>/<kind>/1`.

use std::fmt;

use alloy_primitives::{hex, Address};
use libp2p::gossipsub::{IdentTopic, TopicHash};

/// Version suffix of every topic name.
pub const TOPIC_VERSION: u32 = 1;

/// The kinds of gossip topic. The transport does not know what the payloads
/// mean, only which topic they travel on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Tasks published by performers.
    Tasks,
    /// Attesters' votes.
    Votes,
    /// Disputes of a task's entries.
    Disputes,
    /// Peer bindings; handled by the transport itself.
    Peers,
}

impl Topic {
    /// All topics, in a fixed order.
    pub const ALL: [Self; 4] = [Self::Tasks, Self::Votes, Self::Disputes, Self::Peers];

    /// The `<kind>` segment of the topic name.
    pub const fn kind(self) -> &'static str {
        match self {
            Self::Tasks => "tasks",
            Self::Votes => "votes",
            Self::Disputes => "disputes",
            Self::Peers => "peers",
        }
    }

    /// Parses a `<kind>` segment.
    pub fn from_kind(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.kind() == kind)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// The namespace of one deployment: chain id and AttestationCenter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TopicNamespace {
    chain_id: u64,
    attestation_center: Address,
}

impl TopicNamespace {
    /// The namespace of the deployment at `attestation_center` on `chain_id`.
    pub const fn new(chain_id: u64, attestation_center: Address) -> Self {
        Self {
            chain_id,
            attestation_center,
        }
    }

    /// The chain id.
    pub const fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The AttestationCenter address.
    pub const fn attestation_center(&self) -> Address {
        self.attestation_center
    }

    /// `/liveliness/<chainId>/<0x…ac>/` — the common prefix of every topic.
    fn prefix(&self) -> String {
        format!(
            "/liveliness/{}/0x{}/",
            self.chain_id,
            hex::encode(self.attestation_center)
        )
    }

    /// The full topic name, e.g. `/liveliness/1/0xabc…/tasks/1`.
    pub fn name(&self, topic: Topic) -> String {
        format!("{}{}/{}", self.prefix(), topic.kind(), TOPIC_VERSION)
    }

    /// Which topic of this namespace `name` is, if any.
    pub fn parse(&self, name: &str) -> Option<Topic> {
        let rest = name.strip_prefix(self.prefix().as_str())?;
        let (kind, version) = rest.split_once('/')?;
        if version != TOPIC_VERSION.to_string() {
            return None;
        }
        Topic::from_kind(kind)
    }

    /// The gossipsub topic (its hash is the name itself).
    pub(crate) fn gossip_topic(&self, topic: Topic) -> IdentTopic {
        IdentTopic::new(self.name(topic))
    }

    /// Which topic of this namespace a gossipsub topic hash is, if any.
    pub(crate) fn parse_hash(&self, hash: &TopicHash) -> Option<Topic> {
        self.parse(hash.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    const AC: Address = address!("0xABCDEF0123456789abcdef0123456789ABCDEF01");

    #[test]
    fn names_are_namespaced_and_lower_case() {
        let ns = TopicNamespace::new(31337, AC);
        assert_eq!(
            ns.name(Topic::Tasks),
            "/liveliness/31337/0xabcdef0123456789abcdef0123456789abcdef01/tasks/1"
        );
        assert_eq!(
            ns.name(Topic::Peers),
            "/liveliness/31337/0xabcdef0123456789abcdef0123456789abcdef01/peers/1"
        );
    }

    #[test]
    fn parse_round_trips_and_rejects_foreign_names() {
        let ns = TopicNamespace::new(1, AC);
        for topic in Topic::ALL {
            assert_eq!(ns.parse(&ns.name(topic)), Some(topic));
            assert_eq!(ns.parse_hash(&ns.gossip_topic(topic).hash()), Some(topic));
        }
        let other_chain = TopicNamespace::new(2, AC);
        assert_eq!(ns.parse(&other_chain.name(Topic::Votes)), None);
        let other_ac = TopicNamespace::new(1, Address::ZERO);
        assert_eq!(ns.parse(&other_ac.name(Topic::Votes)), None);
        let base = ns.name(Topic::Votes);
        assert_eq!(ns.parse(base.trim_end_matches('1')), None);
        assert_eq!(ns.parse(&format!("{}2", base.trim_end_matches('1'))), None);
        assert_eq!(ns.parse(&base.replace("votes", "blocks")), None);
        assert_eq!(ns.parse(&format!("{base}/x")), None);
    }
}
