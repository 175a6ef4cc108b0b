//! The one `NetworkBehaviour` of the node: gossipsub for the topics, identify
//! for peer information. Also the gossipsub and peer-score parameters.

use std::{
    collections::HashSet,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    time::Duration,
};

use alloy_primitives::keccak256;
use libp2p::{
    gossipsub::{
        self, score_parameter_decay, MessageAuthenticity, MessageId, PeerScoreParams,
        PeerScoreThresholds, TopicScoreParams, ValidationMode,
    },
    identify,
    identity::Keypair,
    swarm::NetworkBehaviour,
};

use crate::{
    error::{Error, Result},
    topics::{Topic, TopicNamespace},
};

/// Identify protocol version string.
const IDENTIFY_PROTOCOL: &str = "/liveliness/id/1";
/// Room above the payload limit for the gossipsub envelope (source, seqno,
/// signature, key, topic) and for control messages sharing a frame.
const ENVELOPE_HEADROOM: usize = 4 * 1024;
/// Gossipsub heartbeat.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// Gossipsub plus identify.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) identify: identify::Behaviour,
}

impl Behaviour {
    /// Builds the behaviour, with scoring on and every topic of `namespace`
    /// subscribed.
    pub(crate) fn new(
        key: &Keypair,
        namespace: &TopicNamespace,
        max_message_bytes: usize,
    ) -> Result<Self> {
        let config = gossipsub::ConfigBuilder::default()
            .validation_mode(ValidationMode::Strict)
            .validate_messages()
            .message_id_fn(content_id)
            .max_transmit_size(max_message_bytes.saturating_add(ENVELOPE_HEADROOM))
            .heartbeat_interval(HEARTBEAT)
            .build()
            .map_err(Error::GossipsubConfig)?;
        let mut gossipsub =
            gossipsub::Behaviour::new(MessageAuthenticity::Signed(key.clone()), config).map_err(
                |reason| Error::GossipsubSetup {
                    reason: reason.to_owned(),
                },
            )?;
        gossipsub
            .with_peer_score(score_params(namespace), score_thresholds())
            .map_err(|reason| Error::GossipsubSetup { reason })?;
        for topic in Topic::ALL {
            let gossip_topic = namespace.gossip_topic(topic);
            gossipsub
                .subscribe(&gossip_topic)
                .map_err(|source| Error::Subscribe {
                    topic: gossip_topic.to_string(),
                    source,
                })?;
        }
        let identify = identify::Behaviour::new(identify::Config::new(
            IDENTIFY_PROTOCOL.to_owned(),
            key.public(),
        ));
        Ok(Self {
            gossipsub,
            identify,
        })
    }
}

/// Message id: the first 20 bytes of `keccak256(len(topic) ‖ topic ‖ data)`,
/// so the same payload on the same topic is one message whoever sends it.
fn content_id(message: &gossipsub::Message) -> MessageId {
    let topic = message.topic.as_str().as_bytes();
    let topic_len = u32::try_from(topic.len()).unwrap_or(u32::MAX);
    let mut preimage = Vec::with_capacity(4 + topic.len() + message.data.len());
    preimage.extend_from_slice(&topic_len.to_be_bytes());
    preimage.extend_from_slice(topic);
    preimage.extend_from_slice(&message.data);
    let hash = keccak256(&preimage);
    MessageId::new(hash.get(..20).unwrap_or(hash.as_slice()))
}

/// Score parameters: our topics carry few messages, so delivery-rate
/// penalties (P3, P3b) are off; invalid messages (P4) weigh heavily.
fn score_params(namespace: &TopicNamespace) -> PeerScoreParams {
    let mut params = PeerScoreParams {
        // Positive topic contributions together never outweigh more than two
        // invalid messages.
        topic_score_cap: 20.0,
        // Local devnets run many nodes on one host.
        ip_colocation_factor_whitelist: HashSet::from([
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]),
        ..PeerScoreParams::default()
    };
    for topic in Topic::ALL {
        params
            .topics
            .insert(namespace.gossip_topic(topic).hash(), topic_score_params());
    }
    params
}

/// One invalid message takes a peer to the gossip threshold (-10), two to
/// -40, three below the graylist threshold; the count decays over ~10 min.
fn topic_score_params() -> TopicScoreParams {
    TopicScoreParams {
        topic_weight: 1.0,
        // P1: a little credit for staying in the mesh, at most 3.
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 300.0,
        // P2: credit for first deliveries.
        first_message_deliveries_weight: 1.0,
        first_message_deliveries_decay: score_parameter_decay(Duration::from_secs(600)),
        first_message_deliveries_cap: 20.0,
        // P3 and P3b: off; tasks and votes are too sparse for rate targets.
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        // P4: invalid messages, squared.
        invalid_message_deliveries_weight: -10.0,
        invalid_message_deliveries_decay: score_parameter_decay(Duration::from_secs(600)),
        ..TopicScoreParams::default()
    }
}

fn score_thresholds() -> PeerScoreThresholds {
    PeerScoreThresholds {
        gossip_threshold: -10.0,
        publish_threshold: -50.0,
        graylist_threshold: -80.0,
        accept_px_threshold: 10.0,
        opportunistic_graft_threshold: 5.0,
    }
}
