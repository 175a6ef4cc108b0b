//! Node configuration: a TOML file, overridable by environment variables and
//! command-line flags (the binary applies those on top of [`NodeConfig`]).

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, path::PathBuf};

/// The fewest epochs the store may keep: more than the node holds in memory
/// and than any task stays valid.
pub const MIN_RETENTION_EPOCHS: u64 = 8;

/// Everything a node needs to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// JSON-RPC URLs of the chain; the first that answers is used, the others
    /// are tried in turn on faults.
    pub rpc_urls: Vec<String>,
    /// PEM file of certificates trusted for `https://` RPC URLs besides the
    /// system's roots (an RPC behind a private CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc_ca_file: Option<PathBuf>,
    /// The AttestationCenter.
    pub attestation_center: Address,
    /// The LivelinessRegistry.
    pub registry: Address,
    /// Directory of the node's store.
    pub data_dir: PathBuf,
    /// Encrypted ECDSA keystore (operator address; signs proofs, tasks, txs).
    pub ecdsa_keystore: PathBuf,
    /// Encrypted BLS keystore (signs votes).
    pub bls_keystore: PathBuf,
    /// File holding the keystore password; when absent the password comes
    /// from `LIVELINESS_KEYSTORE_PASSWORD`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Where the health endpoint listens.
    #[serde(default = "defaults::health_listen")]
    pub health_listen: SocketAddr,
    /// Where `/metrics` and the read API listen.
    #[serde(default = "defaults::api_listen")]
    pub api_listen: SocketAddr,
    /// libp2p listen multiaddr.
    #[serde(default = "defaults::p2p_listen")]
    pub p2p_listen: String,
    /// libp2p bootstrap peers (multiaddrs).
    #[serde(default)]
    pub bootstrap: Vec<String>,
    /// Allow health checks of loopback addresses (devnet only).
    #[serde(default)]
    pub allow_loopback: bool,
    /// Allow health checks of private and CGNAT addresses. Link-local, cloud
    /// metadata and IPv6 transition addresses stay refused (PROTOCOL.md §7.4).
    #[serde(default)]
    pub allow_private: bool,
    /// How often the chain head is polled, in milliseconds.
    #[serde(default = "defaults::poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Submit certificates of tasks that penalize nobody (costs gas; scores
    /// grow without them).
    #[serde(default)]
    pub submit_empty_tasks: bool,
    /// Blocks between two aggregators' submission slots.
    #[serde(default = "defaults::aggregator_slot_blocks")]
    pub aggregator_slot_blocks: u64,
    /// The task definition id of liveness tasks.
    #[serde(default = "defaults::task_definition_id")]
    pub task_definition_id: u16,
    /// How many epochs the store keeps behind the head; older tasks,
    /// documents, votes, disputes, health records and evidence are pruned.
    #[serde(default = "defaults::retention_epochs")]
    pub retention_epochs: u64,
    /// Deliberate misbehaviour, for end-to-end tests and devnet demos only.
    /// Never set this on a real network: the node then lies as told.
    #[serde(default, skip_serializing_if = "Misbehaviour::is_honest")]
    pub misbehaviour: Misbehaviour,
}

/// What a deliberately faulty performer does (tests and demos only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Misbehaviour {
    /// Operators this node, as performer, calls unhealthy whatever it sees.
    #[serde(default)]
    pub call_unhealthy: Vec<Address>,
    /// As performer, leave the last sampled operator out of the document.
    #[serde(default)]
    pub wrong_sample: bool,
    /// As performer, call every unhealthy operator healthy with a proof
    /// signed by this node's own key.
    #[serde(default)]
    pub forge_proofs: bool,
    /// As performer, also gossip a second, different task for the same
    /// round (one sampled operator's verdict changed), signed all the same.
    #[serde(default)]
    pub equivocate: bool,
    /// At every tick, gossip this many votes for tasks nobody holds and as
    /// many tasks for the next epoch, each one different (a flood of
    /// messages receivers cannot judge yet and would buffer).
    #[serde(default)]
    pub flood: u32,
    /// As attester, after casting a vote on a task, also sign and gossip the
    /// opposite vote (an equivocation that other nodes prove on chain).
    #[serde(default)]
    pub vote_both: bool,
    /// As attester, after judging a task, also gossip a dispute of it,
    /// signed as it should be, whose entries are forged: every other
    /// sampled operator "reachable" with a health proof signed by this
    /// node's own key. Receivers refuse it (PROTOCOL.md §11.4).
    #[serde(default)]
    pub forge_disputes: bool,
}

impl Misbehaviour {
    /// No misbehaviour configured.
    pub fn is_honest(&self) -> bool {
        self == &Self::default()
    }

    /// Fault injection runs only on a local test chain: a node configured to
    /// misbehave refuses to start on any chain but anvil's default
    /// ([`TEST_CHAIN_ID`]), so that no production configuration can turn it
    /// on.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when misbehaviour is set and `chain_id` is
    /// another chain's.
    pub fn check_allowed_on(&self, chain_id: u64) -> Result<(), ConfigError> {
        if self.is_honest() || chain_id == TEST_CHAIN_ID {
            return Ok(());
        }
        Err(ConfigError::Invalid(format!(
            "misbehaviour is configured, but chain {chain_id} is not a local test chain \
             ({TEST_CHAIN_ID}): fault injection is for end-to-end tests and devnet demos only"
        )))
    }
}

/// The only chain on which [`Misbehaviour`] may be configured: anvil's (and
/// the devnet's) default chain id.
pub const TEST_CHAIN_ID: u64 = 31337;

mod defaults {
    use std::net::SocketAddr;

    pub(super) fn health_listen() -> SocketAddr {
        SocketAddr::from(([0, 0, 0, 0], 8600))
    }
    pub(super) fn api_listen() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 9600))
    }
    pub(super) fn p2p_listen() -> String {
        "/ip4/0.0.0.0/tcp/9700".to_owned()
    }
    pub(super) const fn poll_interval_ms() -> u64 {
        500
    }
    pub(super) const fn aggregator_slot_blocks() -> u64 {
        2
    }
    pub(super) const fn task_definition_id() -> u16 {
        1
    }
    pub(super) const fn retention_epochs() -> u64 {
        1000
    }
}

/// What can be wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown or missing keys.
    #[error("invalid config {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: toml::de::Error,
    },
    /// A value is out of range.
    #[error("invalid config: {0}")]
    Invalid(String),
    /// The password file cannot be read, is empty, or others can access it.
    #[error(transparent)]
    PasswordFile(liveliness_keys::Error),
}

impl NodeConfig {
    /// Reads and validates a TOML file.
    pub fn from_file(path: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let path = path.into();
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let config: Self =
            toml::from_str(&text).map_err(|source| ConfigError::Parse { path, source })?;
        config.validate()?;
        Ok(config)
    }

    /// The TOML text of this configuration.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a NodeConfig always serializes")
    }

    /// Checks the values that serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.rpc_urls.is_empty() {
            return Err(ConfigError::Invalid("rpc_urls is empty".into()));
        }
        for (i, url) in self.rpc_urls.iter().enumerate() {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                // The URL itself is not quoted: it may carry an API key.
                let scheme = url.split_once("://").map_or("none", |(s, _)| s);
                return Err(ConfigError::Invalid(format!(
                    "rpc_urls[{i}] is not http(s) (scheme {scheme:?})"
                )));
            }
        }
        if self.poll_interval_ms == 0 || self.poll_interval_ms > 60_000 {
            return Err(ConfigError::Invalid(format!(
                "poll_interval_ms {} is not in 1..=60000",
                self.poll_interval_ms
            )));
        }
        if self.retention_epochs < MIN_RETENTION_EPOCHS {
            return Err(ConfigError::Invalid(format!(
                "retention_epochs {} is below {MIN_RETENTION_EPOCHS}",
                self.retention_epochs
            )));
        }
        if self.aggregator_slot_blocks == 0 {
            return Err(ConfigError::Invalid("aggregator_slot_blocks is 0".into()));
        }
        if self
            .p2p_listen
            .parse::<liveliness_p2p::Multiaddr>()
            .is_err()
        {
            return Err(ConfigError::Invalid(format!(
                "p2p_listen {:?} is not a multiaddr",
                self.p2p_listen
            )));
        }
        for peer in &self.bootstrap {
            if peer.parse::<liveliness_p2p::Multiaddr>().is_err() {
                return Err(ConfigError::Invalid(format!(
                    "bootstrap peer {peer:?} is not a multiaddr"
                )));
            }
        }
        Ok(())
    }

    /// The keystore password: the password file's first line (the file must be private to
    /// its owner, [`liveliness_keys::read_password_file`]), else
    /// `LIVELINESS_KEYSTORE_PASSWORD`.
    pub fn password(&self) -> Result<String, ConfigError> {
        if let Some(path) = &self.password_file {
            return liveliness_keys::read_password_file(path).map_err(ConfigError::PasswordFile);
        }
        match std::env::var("LIVELINESS_KEYSTORE_PASSWORD") {
            Ok(p) if !p.is_empty() => Ok(p),
            Ok(_) => Err(ConfigError::Invalid(
                "LIVELINESS_KEYSTORE_PASSWORD is empty".into(),
            )),
            Err(_) => Err(ConfigError::Invalid(
                "no password_file and LIVELINESS_KEYSTORE_PASSWORD is not set".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
rpc_urls = ["http://127.0.0.1:8545"]
attestation_center = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
registry = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
data_dir = "data"
ecdsa_keystore = "keys/ecdsa.json"
bls_keystore = "keys/bls.json"
"#;

    fn parse(text: &str) -> Result<NodeConfig, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, text).unwrap();
        NodeConfig::from_file(path)
    }

    /// A configuration that misbehaves is refused on any chain but the
    /// local test chain; an honest one runs anywhere.
    #[test]
    fn misbehaviour_runs_only_on_the_local_test_chain() {
        let honest = parse(MINIMAL).unwrap();
        honest.misbehaviour.check_allowed_on(1).unwrap();
        let faulty = parse(&format!("{MINIMAL}\n[misbehaviour]\nequivocate = true\n")).unwrap();
        assert!(!faulty.misbehaviour.is_honest());
        faulty.misbehaviour.check_allowed_on(TEST_CHAIN_ID).unwrap();
        for chain in [1, 17_000, 8453] {
            let refused = faulty.misbehaviour.check_allowed_on(chain).unwrap_err();
            assert!(
                refused.to_string().contains("not a local test chain"),
                "{refused}"
            );
        }
    }

    #[test]
    fn minimal_file_gets_defaults_and_round_trips() {
        let c = parse(MINIMAL).unwrap();
        assert_eq!(c.health_listen.port(), 8600);
        assert!(!c.allow_loopback);
        assert_eq!(parse(&c.to_toml()).unwrap(), c);
    }

    #[test]
    fn empty_password_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut c = parse(MINIMAL).unwrap();
        c.password_file = Some(pw.clone());
        assert!(c.password().unwrap_err().to_string().contains("is empty"));
        std::fs::write(&pw, "secret\nignored").unwrap();
        assert_eq!(c.password().unwrap(), "secret");
    }

    #[cfg(unix)]
    #[test]
    fn password_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "secret\n").unwrap();
        let mut c = parse(MINIMAL).unwrap();
        c.password_file = Some(pw.clone());
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = c.password().unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::PasswordFile(liveliness_keys::Error::PasswordFileNotPrivate { .. })
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("chmod 600"), "{e}");
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(c.password().unwrap(), "secret");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_clear_errors() {
        let e = parse(&format!("{MINIMAL}\nfoo = 1\n")).unwrap_err();
        assert!(e.to_string().contains("unknown field `foo`"), "{e}");
        let e = parse(&MINIMAL.replace("http://127", "ftp://127")).unwrap_err();
        assert!(e.to_string().contains("is not http(s)"), "{e}");
        let e = parse(&format!("{MINIMAL}\np2p_listen = \"nonsense\"\n")).unwrap_err();
        assert!(e.to_string().contains("not a multiaddr"), "{e}");
        let e = parse(&MINIMAL.replace("registry = ", "x = ")).unwrap_err();
        assert!(e.to_string().contains("registry"), "{e}");
    }
}
