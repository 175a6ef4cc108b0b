//! The command line: every subcommand and flag, with the help text `--help` shows.

use alloy::primitives::Address;
use clap::{Args, Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf};

/// Liveliness: a decentralized liveness oracle for EigenLayer AVSs.
///
/// Manage the node's keys, deploy the contracts, register operators, read
/// liveliness scores and run a node. Logs go to stderr (level from RUST_LOG,
/// default info); results go to stdout.
#[derive(Debug, Parser)]
#[command(name = "liveliness", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, import and inspect the encrypted ECDSA and BLS keystores of a node.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Deploy the AttestationCenter and the LivelinessRegistry and print the deployment as JSON.
    Deploy(DeployArgs),
    /// Register an operator, change its endpoint, leave, rejoin or unregister; set voting power (governance).
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Show the liveliness score, penalties and registration of one address.
    Score(ScoreArgs),
    /// Show all registered operators with their voting power, endpoint, penalties and score.
    Status(StatusArgs),
    /// Run a Liveliness node from a TOML configuration file, with overrides from flags and env.
    Node(NodeArgs),
    /// Run a local network: anvil with short blocks, the contracts, N operators with one node
    /// process each, and a live view of epochs, tasks, votes, penalties and scores.
    Devnet(DevnetArgs),
}

/// `liveliness devnet`.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// Number of operators (one node process each).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=200))]
    pub operators: u16,
    /// Take this many operators' health endpoints down partway through (their nodes keep
    /// running), so their penalties land and their scores fall while the others' grow.
    #[arg(long, default_value_t = 0)]
    pub faulty: u16,
    /// Epochs to wait before the faulty endpoints go down.
    #[arg(long, default_value_t = 2)]
    pub faulty_after_epochs: u64,
    /// Seconds per block.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub block_time: u64,
    /// Blocks per epoch.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(4..))]
    pub epoch_length: u32,
    /// Penalty factor C (score points per penalty).
    #[arg(long, default_value_t = 50)]
    pub c: u64,
    /// Also submit certificates that penalize nobody.
    #[arg(long)]
    pub submit_empty_tasks: bool,
    /// Working directory for keys, configs and stores (cleared at start).
    #[arg(long, default_value = ".devnet", value_name = "DIR")]
    pub dir: PathBuf,
    /// Log filter of the node processes (RUST_LOG syntax).
    #[arg(long, default_value = "info,liveliness_p2p=warn,libp2p=warn")]
    pub node_log: String,
}

// ---------------------------------------------------------------------------------------------
// Shared argument groups
// ---------------------------------------------------------------------------------------------

/// Where the keystore password comes from.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// File whose first line is the keystore password. Without it, the password is read
    /// from the environment variable LIVELINESS_KEYSTORE_PASSWORD.
    #[arg(long, env = "LIVELINESS_PASSWORD_FILE", value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

/// The chain to talk to.
#[derive(Debug, Args)]
pub struct RpcArgs {
    /// JSON-RPC URL of the chain (http:// or https://).
    #[arg(long, env = "LIVELINESS_RPC_URL", value_name = "URL")]
    pub rpc_url: String,
}

/// Where the contracts are.
#[derive(Debug, Args)]
pub struct ContractArgs {
    /// Deployment JSON written by `liveliness deploy --out`; supplies the contract addresses
    /// that are not given explicitly.
    #[arg(long, env = "LIVELINESS_DEPLOYMENT", value_name = "FILE")]
    pub deployment: Option<PathBuf>,
    /// Address of the AttestationCenter (default: from --deployment, else read from the
    /// registry).
    #[arg(long, env = "LIVELINESS_ATTESTATION_CENTER", value_name = "ADDRESS")]
    pub attestation_center: Option<Address>,
    /// Address of the LivelinessRegistry (default: from --deployment).
    #[arg(long, env = "LIVELINESS_REGISTRY", value_name = "ADDRESS")]
    pub registry: Option<Address>,
}

/// The account that signs transactions (deployer or governance owner).
#[derive(Debug, Args)]
pub struct SignerArgs {
    /// Encrypted ECDSA keystore of the sending account (password from --password-file or
    /// LIVELINESS_KEYSTORE_PASSWORD).
    #[arg(long, env = "LIVELINESS_ECDSA_KEYSTORE", value_name = "FILE")]
    pub ecdsa_keystore: Option<PathBuf>,
    /// Name of an environment variable that holds the sending account's private key as hex
    /// (for devnets; the key itself never appears on the command line). Takes precedence
    /// over --ecdsa-keystore.
    #[arg(long, value_name = "VAR")]
    pub private_key_env: Option<String>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// An operator's keys.
#[derive(Debug, Args)]
pub struct OperatorKeyArgs {
    /// Key directory holding ecdsa.json and bls.json, as written by `keys generate` or
    /// `keys import`.
    #[arg(long, env = "LIVELINESS_KEY_DIR", value_name = "DIR")]
    pub key_dir: Option<PathBuf>,
    /// Encrypted ECDSA keystore of the operator (overrides --key-dir).
    #[arg(long, env = "LIVELINESS_ECDSA_KEYSTORE", value_name = "FILE")]
    pub ecdsa_keystore: Option<PathBuf>,
    /// Encrypted BLS keystore of the operator (overrides --key-dir; only `register` uses it).
    #[arg(long, env = "LIVELINESS_BLS_KEYSTORE", value_name = "FILE")]
    pub bls_keystore: Option<PathBuf>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

// ---------------------------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------------------------

/// `liveliness keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Generate a new ECDSA key and a new BLS key into encrypted keystores DIR/ecdsa.json and
    /// DIR/bls.json, and print the operator address and the BLS public keys.
    Generate(GenerateArgs),
    /// Import existing secret keys into encrypted keystores in DIR. Secrets are read from a
    /// file or an environment variable, never from the command line. A key that is not
    /// given is generated fresh unless its keystore already exists in DIR.
    Import(ImportArgs),
    /// Show a keystore's public information (the address, or the BLS public keys) without
    /// its password.
    Show(ShowArgs),
}

/// `liveliness keys generate`
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to create the keystores in (created if missing; existing keys are never
    /// overwritten).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// `liveliness keys import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Directory to create the keystores in (DIR/ecdsa.json, DIR/bls.json).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// File holding the ECDSA (secp256k1) secret key as 64 hex digits, optional 0x.
    #[arg(long, value_name = "FILE", conflicts_with = "ecdsa_key_env")]
    pub ecdsa_key_file: Option<PathBuf>,
    /// Name of an environment variable holding the ECDSA secret key as hex.
    #[arg(long, value_name = "VAR")]
    pub ecdsa_key_env: Option<String>,
    /// File holding the BLS (BN254) secret key as 64 hex digits, big-endian, optional 0x.
    #[arg(long, value_name = "FILE", conflicts_with = "bls_key_env")]
    pub bls_key_file: Option<PathBuf>,
    /// Name of an environment variable holding the BLS secret key as hex.
    #[arg(long, value_name = "VAR")]
    pub bls_key_env: Option<String>,
    #[command(flatten)]
    pub password: PasswordArgs,
}

/// `liveliness keys show`
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The keystore file (ECDSA or BLS).
    #[arg(value_name = "KEYSTORE")]
    pub keystore: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

// ---------------------------------------------------------------------------------------------
// deploy
// ---------------------------------------------------------------------------------------------

/// `liveliness deploy`
#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub rpc: RpcArgs,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// Governance owner of both contracts. When it is not the deployer, ownership is offered
    /// to it and it must call acceptOwnership on each contract.
    #[arg(long, value_name = "ADDRESS")]
    pub owner: Option<Address>,
    /// How many blocks old a task certificate's reference block may be (1 to 256: the
    /// contract checks the epoch block's hash, which the EVM knows for 256 blocks).
    #[arg(long, value_name = "BLOCKS", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=256))]
    pub max_task_age: u32,
    /// Blocks per epoch (contract default 10).
    #[arg(long, value_name = "BLOCKS")]
    pub epoch_length: Option<u32>,
    /// Operators health-checked per epoch (contract default 8).
    #[arg(long, value_name = "N")]
    pub sample_size: Option<u32>,
    /// Blocks a performer round lasts before the next performer takes over (contract
    /// default 5).
    #[arg(long, value_name = "BLOCKS")]
    pub performer_timeout_blocks: Option<u32>,
    /// Blocks after the epoch block during which a task may be certified (contract
    /// default 40).
    #[arg(long, value_name = "BLOCKS")]
    pub task_validity_blocks: Option<u32>,
    /// Blocks a node waits before acting on a block (contract default 2).
    #[arg(long, value_name = "BLOCKS")]
    pub confirmation_depth: Option<u32>,
    /// Health-check timeout in milliseconds (contract default 2000).
    #[arg(long, value_name = "MS")]
    pub health_timeout_ms: Option<u32>,
    /// Penalty factor C: the score points an operator loses per penalty (contract default
    /// 1000).
    #[arg(long = "c", value_name = "POINTS")]
    pub c: Option<u64>,
    /// Also write the deployment JSON to this file (what --deployment reads).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

// ---------------------------------------------------------------------------------------------
// operator
// ---------------------------------------------------------------------------------------------

/// `liveliness operator …`
#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Register the operator: its BLS key in the AttestationCenter (when it has no operator
    /// id yet), then its health endpoint in the LivelinessRegistry, which starts its score.
    Register(EndpointArgs),
    /// Replace the operator's health endpoint in the LivelinessRegistry.
    ChangeEndpoint(EndpointArgs),
    /// Leave the AVS: set the operator's own voting power in the AttestationCenter to 0.
    /// Governance cannot give it power again until the operator runs `rejoin`.
    Leave(OperatorArgs),
    /// Consent to serve again after leaving: governance may then set the operator's voting
    /// power (it stays inactive until governance does).
    Rejoin(OperatorArgs),
    /// Remove the operator from the LivelinessRegistry (only once it has left the AVS).
    Unregister(OperatorArgs),
    /// Governance: set an operator's voting power in the AttestationCenter (signed by the
    /// contracts' owner); an operator is active while its power is above 0.
    SetPower(SetPowerArgs),
}

/// An operator transaction without arguments.
#[derive(Debug, Args)]
pub struct OperatorArgs {
    #[command(flatten)]
    pub rpc: RpcArgs,
    #[command(flatten)]
    pub contracts: ContractArgs,
    #[command(flatten)]
    pub keys: OperatorKeyArgs,
}

/// An operator transaction that sets the health endpoint.
#[derive(Debug, Args)]
pub struct EndpointArgs {
    /// The operator's health endpoint URL, e.g. http://node.example:8600/ (plain http://, at
    /// most 256 bytes, no '@', no spaces). Checked with the registry's own rules before
    /// anything is sent.
    #[arg(long, value_name = "URL")]
    pub endpoint: String,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

/// `liveliness operator set-power`
#[derive(Debug, Args)]
pub struct SetPowerArgs {
    /// Operator id in the AttestationCenter (printed by `operator register`).
    #[arg(long, value_name = "N")]
    pub id: u64,
    /// New voting power (0 deactivates the operator; at most 2^96 - 1).
    #[arg(long, value_name = "P")]
    pub power: u128,
    #[command(flatten)]
    pub rpc: RpcArgs,
    #[command(flatten)]
    pub contracts: ContractArgs,
    #[command(flatten)]
    pub signer: SignerArgs,
}

// ---------------------------------------------------------------------------------------------
// score, status
// ---------------------------------------------------------------------------------------------

/// `liveliness score`
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The operator address to look up.
    #[arg(value_name = "ADDRESS")]
    pub address: Address,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub rpc: RpcArgs,
    #[command(flatten)]
    pub contracts: ContractArgs,
}

/// `liveliness status`
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// How many operators to read per getRegisteredOperators call.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub page_size: u64,
    #[command(flatten)]
    pub rpc: RpcArgs,
    #[command(flatten)]
    pub contracts: ContractArgs,
}

// ---------------------------------------------------------------------------------------------
// node
// ---------------------------------------------------------------------------------------------

/// `liveliness node`
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The node's TOML configuration file.
    #[arg(long, env = "LIVELINESS_CONFIG", value_name = "FILE")]
    pub config: PathBuf,
    /// Chain JSON-RPC URL; repeat for fallbacks (replaces the file's rpc_urls; in the
    /// environment, comma-separated).
    #[arg(
        long = "rpc-url",
        env = "LIVELINESS_RPC_URL",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub rpc_urls: Vec<String>,
    /// Directory of the node's store (replaces the file's data_dir).
    #[arg(long, env = "LIVELINESS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Address the health endpoint listens on, e.g. 0.0.0.0:8600.
    #[arg(long, env = "LIVELINESS_HEALTH_LISTEN", value_name = "ADDR:PORT")]
    pub health_listen: Option<SocketAddr>,
    /// Address /metrics and the read API listen on, e.g. 127.0.0.1:9600.
    #[arg(long, env = "LIVELINESS_API_LISTEN", value_name = "ADDR:PORT")]
    pub api_listen: Option<SocketAddr>,
    /// libp2p listen multiaddr, e.g. /ip4/0.0.0.0/tcp/9700.
    #[arg(long, env = "LIVELINESS_P2P_LISTEN", value_name = "MULTIADDR")]
    pub p2p_listen: Option<String>,
    /// libp2p bootstrap peer multiaddr; repeat for more (replaces the file's bootstrap; in
    /// the environment, comma-separated).
    #[arg(
        long,
        env = "LIVELINESS_BOOTSTRAP",
        value_name = "MULTIADDR",
        value_delimiter = ','
    )]
    pub bootstrap: Vec<String>,
    /// Allow health checks of loopback addresses (devnet only).
    #[arg(long, env = "LIVELINESS_ALLOW_LOOPBACK", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_loopback: bool,
    /// Validate the configuration (file plus overrides), print it as TOML and exit without
    /// running the node.
    #[arg(long)]
    pub check_config: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
