//! `liveliness deploy`: the AttestationCenter and the LivelinessRegistry, wired together.

use crate::{
    chain::{chain_error, signer, Chain},
    cli::DeployArgs,
};
use eyre::{Result, WrapErr};
use liveliness_chain::DeployConfig;

/// Deploys the contracts and prints the `Deployment` as JSON (and writes it to `--out`).
pub async fn run(args: DeployArgs) -> Result<()> {
    let signer = signer(&args.signer)?;
    let chain = Chain::with_signer(&args.rpc.rpc_url, signer).await?;
    let deployer = chain.sender()?;
    let config = DeployConfig {
        owner: args.owner,
        max_task_age: args.max_task_age,
        c: args.c,
        epoch_length: args.epoch_length,
        sample_size: args.sample_size,
        performer_timeout_blocks: args.performer_timeout_blocks,
        task_validity_blocks: args.task_validity_blocks,
        confirmation_depth: args.confirmation_depth,
        health_timeout_ms: args.health_timeout_ms,
    };
    // The registry takes penalties for the 32 epochs up to the current one (PROTOCOL.md §5.6); an
    // older certificate that the AttestationCenter would still accept is refused when it penalizes.
    let window = 31 * u64::from(config.registry_params().epoch_length);
    if u64::from(config.max_task_age) > window {
        tracing::warn!(
            max_task_age = config.max_task_age,
            window,
            "maxTaskAge exceeds 31 epochs: certificates older than that which penalize anyone \
             will revert EpochOutsidePenaltyWindow"
        );
    }
    tracing::info!(%deployer, chain_id = chain.chain_id, "deploying the contracts");
    tracing::debug!(?config, "deployment parameters");
    let deployment = liveliness_chain::deploy_from(&chain.provider, deployer, &config)
        .await
        .map_err(|e| chain_error("deploying the contracts", e))?;
    let json = serde_json::to_string_pretty(&deployment)?;
    println!("{json}");
    if let Some(owner) = config.owner.filter(|o| *o != deployer) {
        tracing::warn!(%owner, "ownership offered: the owner must call acceptOwnership on both contracts");
    }
    if let Some(path) = &args.out {
        std::fs::write(path, format!("{json}\n"))
            .wrap_err_with(|| format!("cannot write the deployment to {}", path.display()))?;
        tracing::info!(path = %path.display(), "deployment written");
    }
    Ok(())
}
