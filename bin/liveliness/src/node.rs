//! `liveliness node`: the configuration file plus overrides, then the node runtime.

use crate::cli::NodeArgs;
use eyre::{Result, WrapErr};
use liveliness_node::NodeConfig;

/// Loads the configuration, applies the overrides, validates and runs the node.
pub async fn run(args: NodeArgs) -> Result<()> {
    let mut config = NodeConfig::from_file(&args.config)?;
    apply_overrides(&mut config, &args);
    config.validate().wrap_err(
        "invalid configuration after applying the command-line and environment overrides",
    )?;
    if args.check_config {
        print!("{}", config.to_toml());
        return Ok(());
    }
    tracing::info!(
        config = %args.config.display(),
        rpc_urls = ?config.rpc_urls,
        registry = %config.registry,
        attestation_center = %config.attestation_center,
        "starting the node"
    );
    run_node(config).await
}

/// Flags and `LIVELINESS_*` environment variables replace the file's values.
fn apply_overrides(config: &mut NodeConfig, args: &NodeArgs) {
    if !args.rpc_urls.is_empty() {
        config.rpc_urls.clone_from(&args.rpc_urls);
    }
    if let Some(dir) = &args.data_dir {
        config.data_dir.clone_from(dir);
    }
    if let Some(addr) = args.health_listen {
        config.health_listen = addr;
    }
    if let Some(addr) = args.api_listen {
        config.api_listen = addr;
    }
    if let Some(addr) = &args.p2p_listen {
        config.p2p_listen.clone_from(addr);
    }
    if !args.bootstrap.is_empty() {
        config.bootstrap.clone_from(&args.bootstrap);
    }
    if args.allow_loopback {
        config.allow_loopback = true;
    }
}

/// Runs the node until Ctrl-C or SIGTERM.
async fn run_node(config: NodeConfig) -> Result<()> {
    liveliness_node::run(config).await
}
