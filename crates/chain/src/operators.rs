//! Deployment, governance and operator registration.

use crate::{
    bindings::{AttestationCenter, ILivelinessRegistry, LivelinessRegistry},
    error::{Error, Result},
    revert,
    tx::{confirm, send},
};
use alloy::{
    eips::BlockId,
    primitives::{Address, B256, U256},
    providers::Provider,
};
use liveliness_bls::{pop_sign, KeyPair, PublicKeyG1};
use liveliness_primitives::pop_message;

/// Registry parameters (PROTOCOL.md §5.7); `None` keeps the contract's
/// default ([`DEFAULT_REGISTRY_PARAMS`]). They are the registry's constructor
/// arguments, so they are in force from deployment (later changes wait
/// `PARAMETER_CHANGE_DELAY` blocks).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeployConfig {
    /// Governance owner of both contracts. When it is not the deploying
    /// account, ownership is offered to it (two-step: it must accept).
    pub owner: Option<Address>,
    /// How many blocks old a certificate's reference block may be.
    pub max_task_age: u32,
    /// Penalty factor `C`.
    pub c: Option<u64>,
    /// Blocks per epoch.
    pub epoch_length: Option<u32>,
    /// Operators checked per epoch.
    pub sample_size: Option<u32>,
    /// Blocks a performer round lasts before the next performer takes over.
    pub performer_timeout_blocks: Option<u32>,
    /// Blocks after the epoch block during which a task may be certified.
    pub task_validity_blocks: Option<u32>,
    /// Blocks a node waits before acting on a block.
    pub confirmation_depth: Option<u32>,
    /// Health-check timeout in milliseconds.
    pub health_timeout_ms: Option<u32>,
}

impl DeployConfig {
    /// Defaults with `max_task_age` blocks of certificate validity.
    pub fn new(max_task_age: u32) -> Self {
        Self {
            max_task_age,
            ..Self::default()
        }
    }
}

/// The registry's default parameters, as its `defaultParams()` returns them
/// (checked on anvil by the chain crate's tests).
pub const DEFAULT_REGISTRY_PARAMS: RegistryParams = RegistryParams {
    c: 1000,
    epoch_length: 10,
    sample_size: 8,
    performer_timeout_blocks: 5,
    task_validity_blocks: 40,
    confirmation_depth: 2,
    health_timeout_ms: 2000,
};

/// The registry's seven parameters (`ILivelinessRegistry.Params`); as JSON,
/// in camelCase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryParams {
    /// Penalty factor `C`.
    pub c: u64,
    /// Blocks per epoch.
    pub epoch_length: u32,
    /// Operators checked per epoch.
    pub sample_size: u32,
    /// Blocks a performer round lasts.
    pub performer_timeout_blocks: u32,
    /// Blocks after the epoch block during which a task may be certified.
    pub task_validity_blocks: u32,
    /// Blocks a node waits before acting on a block.
    pub confirmation_depth: u32,
    /// Health-check timeout in milliseconds.
    pub health_timeout_ms: u32,
}

impl RegistryParams {
    /// The contract's ABI struct.
    pub fn to_abi(self) -> ILivelinessRegistry::Params {
        ILivelinessRegistry::Params {
            C: self.c,
            epochLength: self.epoch_length,
            sampleSize: self.sample_size,
            performerTimeoutBlocks: self.performer_timeout_blocks,
            taskValidityBlocks: self.task_validity_blocks,
            confirmationDepth: self.confirmation_depth,
            healthTimeoutMs: self.health_timeout_ms,
        }
    }
}

impl From<ILivelinessRegistry::Params> for RegistryParams {
    fn from(p: ILivelinessRegistry::Params) -> Self {
        Self {
            c: p.C,
            epoch_length: p.epochLength,
            sample_size: p.sampleSize,
            performer_timeout_blocks: p.performerTimeoutBlocks,
            task_validity_blocks: p.taskValidityBlocks,
            confirmation_depth: p.confirmationDepth,
            health_timeout_ms: p.healthTimeoutMs,
        }
    }
}

impl DeployConfig {
    /// The registry parameters this configuration deploys with: each one
    /// given, else the default.
    pub fn registry_params(&self) -> RegistryParams {
        let d = DEFAULT_REGISTRY_PARAMS;
        RegistryParams {
            c: self.c.unwrap_or(d.c),
            epoch_length: self.epoch_length.unwrap_or(d.epoch_length),
            sample_size: self.sample_size.unwrap_or(d.sample_size),
            performer_timeout_blocks: self
                .performer_timeout_blocks
                .unwrap_or(d.performer_timeout_blocks),
            task_validity_blocks: self.task_validity_blocks.unwrap_or(d.task_validity_blocks),
            confirmation_depth: self.confirmation_depth.unwrap_or(d.confirmation_depth),
            health_timeout_ms: self.health_timeout_ms.unwrap_or(d.health_timeout_ms),
        }
    }
}

/// Where the contracts are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Deployment {
    /// Chain id of the network deployed to.
    pub chain_id: u64,
    /// The AttestationCenter.
    pub attestation_center: Address,
    /// The LivelinessRegistry (the AttestationCenter's AVS logic).
    pub registry: Address,
    /// Block of the registry's deployment (where event scans can start).
    pub deployed_at_block: u64,
}

/// An operator active in the AttestationCenter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveOperator {
    /// Operator id (from 1).
    pub id: u64,
    /// Operator address.
    pub address: Address,
    /// Voting power.
    pub voting_power: U256,
    /// BLS public key in G1.
    pub pk_g1: PublicKeyG1,
}

/// Sends a contract call after simulating it (so a revert comes back named).
macro_rules! send {
    ($call:expr) => {{
        let call = $call;
        call.call().await.map_err(revert::map)?;
        confirm(send(&call).await?).await?
    }};
}

/// Deploys the AttestationCenter and the registry from the provider's
/// account, wires the registry in as AVS logic, applies `config`'s parameters
/// and offers ownership to `config.owner` when it is another account.
pub async fn deploy<P: Provider>(provider: &P, config: &DeployConfig) -> Result<Deployment> {
    let deployer = provider
        .get_accounts()
        .await?
        .first()
        .copied()
        .ok_or(Error::NoAccount)?;
    deploy_from(provider, deployer, config).await
}

/// [`deploy`] with the deploying account given (for providers whose wallet
/// the node does not list through `eth_accounts`).
pub async fn deploy_from<P: Provider>(
    provider: &P,
    deployer: Address,
    config: &DeployConfig,
) -> Result<Deployment> {
    let chain_id = provider.get_chain_id().await?;
    let ac = AttestationCenter::deploy(provider, deployer, config.max_task_age, Address::ZERO)
        .await
        .map_err(revert::map)?;
    let registry = LivelinessRegistry::deploy(
        provider,
        *ac.address(),
        deployer,
        config.registry_params().to_abi(),
    )
    .await
    .map_err(revert::map)?;
    let deployed_at_block = provider.get_block_number().await?;
    send!(ac.setAvsLogic(*registry.address()));
    if let Some(owner) = config.owner.filter(|o| *o != deployer) {
        send!(ac.transferOwnership(owner));
        send!(registry.transferOwnership(owner));
    }
    Ok(Deployment {
        chain_id,
        attestation_center: *ac.address(),
        registry: *registry.address(),
        deployed_at_block,
    })
}

/// Registers `operator` (the provider's sending account) in the
/// AttestationCenter with `keys` and a proof of possession; returns its id.
pub async fn register_operator<P: Provider>(
    provider: &P,
    attestation_center: Address,
    operator: Address,
    keys: &KeyPair,
) -> Result<u64> {
    let chain_id = provider.get_chain_id().await?;
    let ac = AttestationCenter::new(attestation_center, provider);
    let pop = pop_sign(
        keys.sk(),
        &pop_message(operator, attestation_center, chain_id),
    );
    let call = ac
        .registerOperator(keys.pk_g1().to_abi(), keys.pk_g2().to_abi(), pop.to_abi())
        .from(operator);
    call.call().await.map_err(revert::map)?;
    let receipt = confirm(send(&call).await?).await?;
    // The id comes from the event: a simulation's return value is only right
    // when no other registration lands first.
    let event = receipt
        .decoded_log::<AttestationCenter::OperatorRegistered>()
        .ok_or(Error::MissingEvent("OperatorRegistered"))?;
    let id = event.data.operatorId;
    u64::try_from(id).map_err(|_| Error::OutOfRange(format!("operator id {id}")))
}

/// Governance: sets the voting power of each operator id.
pub async fn set_voting_powers<P: Provider>(
    provider: &P,
    attestation_center: Address,
    ids: &[u64],
    powers: &[u128],
) -> Result<B256> {
    let ac = AttestationCenter::new(attestation_center, provider);
    let ids = ids.iter().map(|&i| U256::from(i)).collect();
    let powers = powers
        .iter()
        .map(|&p| {
            alloy::primitives::Uint::<96, 2>::try_from(p)
                .map_err(|_| Error::OutOfRange(format!("voting power {p} exceeds uint96")))
        })
        .collect::<Result<Vec<_>>>()?;
    let receipt = send!(ac.setVotingPowers(ids, powers));
    Ok(receipt.transaction_hash)
}

/// Active operators read per `getActiveOperatorsDetailsPage` call: about
/// 8,400 gas each, so a page stays near 4.2 M gas, far below the usual
/// `eth_call` caps.
pub const ACTIVE_OPERATORS_PAGE: u64 = 500;

/// The operators active now, in id order.
pub async fn active_operators<P: Provider>(
    provider: &P,
    attestation_center: Address,
) -> Result<Vec<ActiveOperator>> {
    let block = provider.get_block_number().await?;
    active_operators_at(provider, attestation_center, BlockId::number(block)).await
}

/// The operators active at `block`, in id order. Pages through
/// `getActiveOperatorsDetailsPage` ([`ACTIVE_OPERATORS_PAGE`] per call), all
/// at `block`, so the set is consistent and no call's gas depends on how
/// many inactive operators ever registered.
pub async fn active_operators_at<P: Provider>(
    provider: &P,
    attestation_center: Address,
    block: BlockId,
) -> Result<Vec<ActiveOperator>> {
    active_operators_paged(provider, attestation_center, block, ACTIVE_OPERATORS_PAGE).await
}

/// [`active_operators_at`] with `page_size` operators per call (at least 1).
pub async fn active_operators_paged<P: Provider>(
    provider: &P,
    attestation_center: Address,
    block: BlockId,
    page_size: u64,
) -> Result<Vec<ActiveOperator>> {
    let ac = AttestationCenter::new(attestation_center, provider);
    let page = U256::from(page_size.max(1));
    let mut out: Vec<ActiveOperator> = Vec::new();
    loop {
        let offset = U256::from(out.len());
        let res = ac
            .getActiveOperatorsDetailsPage(offset, page)
            .block(block)
            .call()
            .await
            .map_err(revert::map)?;
        let got = res.page.len();
        for d in res.page {
            out.push(ActiveOperator {
                id: u64::try_from(d.operatorId)
                    .map_err(|_| Error::OutOfRange(format!("operator id {}", d.operatorId)))?,
                address: d.operator,
                voting_power: d.votingPower,
                pk_g1: PublicKeyG1::from_abi(d.pkG1)?,
            });
        }
        if got == 0 || U256::from(out.len()) >= res.total {
            break;
        }
    }
    out.sort_by_key(|o| o.id);
    Ok(out)
}
