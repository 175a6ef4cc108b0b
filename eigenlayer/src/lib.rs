//! EigenLayer's core contracts on a local chain, for the cross-boundary tests
//! of Liveliness as an EigenLayer AVS.
//!
//! [`EigenLayer::deploy`] deploys DelegationManager, StrategyManager,
//! AVSDirectory, EigenPodManager (with its EigenPod beacon), AllocationManager
//! and PermissionController behind transparent upgradeable proxies owned by
//! one ProxyAdmin, with a PauserRegistry, the way EigenLayer's own local
//! deployment script of core v1.3.0 does
//! (`script/deploy/local/deploy_from_scratch.slashing.s.sol`): empty proxies
//! first, then the implementations pointing at the proxies, then
//! `upgradeAndCall` with each `initialize`. [`EigenLayer::deploy_strategy`]
//! puts a StrategyBase over a token behind its own proxy and whitelists it for
//! deposits in the StrategyManager.
//!
//! The bytecode and the bindings are those of the `eigenlayer-contract-deployer`
//! crate (EigenLayer core v1.3.0, compiled with solc 0.8.27; see
//! `docs/EIGENLAYER.md`). Its own `deploy_core_contracts` sends through a
//! provider without gas filling, which runs out of gas on anvil; here every
//! deployment goes through an ordinary alloy wallet provider with an explicit
//! gas limit, and every receipt's gas and every contract's code size are kept
//! in [`EigenLayer::deployments`].

use std::fmt;

use alloy::{
    contract::{CallBuilder, CallDecoder, RawCallBuilder},
    network::{Ethereum, EthereumWallet},
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
    transports::http::reqwest::Url,
};
use eigenlayer_contract_deployer::bindings::{
    AVSDirectory, AllocationManager, DelegationManager, EigenPod, EigenPodManager, EmptyContract,
    PauserRegistry, PermissionController, ProxyAdmin, StrategyBase, StrategyManager,
    TransparentUpgradeableProxy, UpgradeableBeacon,
};
use eyre::{ensure, eyre, Result, WrapErr};

pub use eigenlayer_contract_deployer::bindings;

/// Contracts of the EigenLayer tests that are not EigenLayer's, compiled from
/// `contracts/test/eigenlayer/` into `eigenlayer/artifacts/` by
/// `scripts/artifacts.sh`.
pub mod test_contracts {
    #![allow(missing_docs, clippy::too_many_arguments)]

    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        TestERC20,
        "artifacts/TestERC20.json"
    );

    alloy::sol!(
        #[sol(rpc)]
        #[derive(Debug, PartialEq, Eq)]
        TestAVSRegistrar,
        "artifacts/TestAVSRegistrar.json"
    );
}

/// The EigenLayer core release whose bytecode this crate deploys, passed to
/// every contract's constructor as its `version()` (mainnet passes the bare
/// semver; `SignatureUtilsMixin` puts its first two characters, "1.", in the
/// EIP-712 domain).
pub const EIGENLAYER_VERSION: &str = "1.3.0";

/// Gas limit of every deployment transaction. The largest, DelegationManager
/// and AllocationManager, use about 5.3 M.
pub const DEPLOY_GAS: u64 = 10_000_000;

/// The Ethereum deposit contract, which EigenPodManager and EigenPod are built
/// with (nothing is deployed there on anvil; no test restakes beacon-chain ETH).
pub const ETH_POS_DEPOSIT: Address =
    alloy::primitives::address!("00000000219ab540356cBB839Cbe05303d7705Fa");

/// Mainnet's beacon chain genesis time, EigenPod's `GENESIS_TIME`.
pub const BEACON_GENESIS_TIME: u64 = 1_606_824_023;

/// 1.0 in EigenLayer's fixed point (magnitudes, slashing factors).
pub const WAD: u64 = 1_000_000_000_000_000_000;

/// The immutable delays of a deployment, in blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// DelegationManager's `MIN_WITHDRAWAL_DELAY_BLOCKS`: how long a queued
    /// withdrawal stays slashable.
    pub min_withdrawal_delay: u32,
    /// AllocationManager's `DEALLOCATION_DELAY`: how long deallocated
    /// magnitude stays slashable.
    pub deallocation_delay: u32,
    /// AllocationManager's `ALLOCATION_CONFIGURATION_DELAY`: how long before an
    /// operator's (first or changed) allocation delay applies. An operator
    /// cannot allocate before its first one applies.
    pub allocation_configuration_delay: u32,
}

impl Config {
    /// The values of Ethereum mainnet since the slashing release (core v1.3.0,
    /// `script/configs/mainnet.json`): 14 days for withdrawals and
    /// deallocations, 17.5 days for allocation delay changes, at 12 s a block.
    pub const MAINNET: Self = Self {
        min_withdrawal_delay: 100_800,
        deallocation_delay: 100_800,
        allocation_configuration_delay: 126_000,
    };

    /// Short delays for tests: long enough that a test must mine past each
    /// (`anvil_mine`), short enough to do so at once.
    pub const TEST: Self = Self {
        min_withdrawal_delay: 50,
        deallocation_delay: 50,
        allocation_configuration_delay: 20,
    };
}

/// One contract creation: what it cost and how large the code it left is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// What was deployed, e.g. `AllocationManager (implementation)`.
    pub name: String,
    /// Where.
    pub address: Address,
    /// Gas used by the creation transaction.
    pub gas_used: u64,
    /// Size of the runtime code, in bytes.
    pub code_size: usize,
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<40} {:>10} gas {:>7} bytes  {}",
            self.name, self.gas_used, self.code_size, self.address
        )
    }
}

/// The implementation behind each proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Implementations {
    pub delegation_manager: Address,
    pub strategy_manager: Address,
    pub avs_directory: Address,
    pub eigen_pod_manager: Address,
    pub allocation_manager: Address,
    pub permission_controller: Address,
    /// The EigenPod implementation behind `eigen_pod_beacon`.
    pub eigen_pod: Address,
    /// The StrategyBase implementation behind every strategy proxy.
    pub strategy_base: Address,
}

/// EigenLayer's core contracts as deployed on one chain. The addresses of the
/// proxied contracts are the proxies', the ones to call.
#[derive(Debug, Clone)]
pub struct EigenLayer {
    /// Owner of every contract, of the ProxyAdmin, the only pauser and the
    /// unpauser, and the StrategyManager's strategy whitelister.
    pub owner: Address,
    /// The delays the contracts were built with.
    pub config: Config,
    pub proxy_admin: Address,
    pub pauser_registry: Address,
    pub delegation_manager: Address,
    pub strategy_manager: Address,
    pub avs_directory: Address,
    pub eigen_pod_manager: Address,
    pub eigen_pod_beacon: Address,
    pub allocation_manager: Address,
    pub permission_controller: Address,
    pub implementations: Implementations,
    /// Every creation, in order, with its gas and code size.
    pub deployments: Vec<Deployment>,
}

/// A provider that signs with `signer` and fills nonce, gas price, chain id
/// and, unless given, the gas limit (by estimation).
///
/// The nonce is read from the node for every transaction
/// (`with_simple_nonce_management`), not cached: with alloy's default cached
/// nonce manager a transaction that fails before it is sent (a revert found
/// by gas estimation, as the tests provoke on purpose) still consumes its
/// nonce, and every later transaction of that account waits in anvil's queue
/// forever.
pub fn wallet_provider(url: Url, signer: PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url)
        .erased()
}

/// The signer of anvil's `index`-th pre-funded account.
pub fn anvil_signer(anvil: &AnvilInstance, index: usize) -> PrivateKeySigner {
    anvil.keys()[index].clone().into()
}

/// Where anvil is: `$LIVELINESS_ANVIL`, else the project's pinned
/// `.tools/bin/anvil` (`scripts/install-tools.sh`), else `anvil` on the `PATH`.
pub fn anvil_path() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("LIVELINESS_ANVIL") {
        return p.into();
    }
    let local = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/bin/anvil");
    if local.exists() {
        return local;
    }
    "anvil".into()
}

/// Starts anvil on a loopback port the OS picks, with instant mining and
/// `accounts` pre-funded accounts; it is killed when the handle drops.
pub fn spawn_anvil(accounts: u32) -> Result<AnvilInstance> {
    Anvil::at(anvil_path())
        .host("127.0.0.1")
        .args(["--accounts", &accounts.to_string()])
        .args(["--gas-limit", "100000000"])
        .timeout(60_000)
        .try_spawn()
        .wrap_err_with(|| format!("cannot start anvil at {}", anvil_path().display()))
}

/// Mines `blocks` empty blocks at once (`anvil_mine`).
pub async fn mine(provider: &DynProvider, blocks: u64) -> Result<()> {
    let _: serde_json::Value = provider
        .raw_request("anvil_mine".into(), (U256::from(blocks),))
        .await
        .wrap_err("anvil_mine")?;
    Ok(())
}

/// How long [`send`] waits for a receipt. Anvil mines at once; a transaction
/// still unmined after this is stuck (a nonce gap, say), and a test had better
/// fail than hang.
pub const RECEIPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Sends a call, waits for its receipt (at most [`RECEIPT_TIMEOUT`]) and
/// fails unless it succeeded.
pub async fn send<P, D>(what: &str, call: CallBuilder<P, D, Ethereum>) -> Result<TransactionReceipt>
where
    P: Provider<Ethereum>,
    D: CallDecoder,
{
    let receipt = call
        .send()
        .await
        .wrap_err_with(|| format!("{what}: not sent"))?
        .with_timeout(Some(RECEIPT_TIMEOUT))
        .get_receipt()
        .await
        .wrap_err_with(|| format!("{what}: no receipt"))?;
    ensure!(
        receipt.status(),
        "{what}: reverted in {}",
        receipt.transaction_hash
    );
    Ok(receipt)
}

/// Records contract creations.
struct Deployer<'a> {
    provider: &'a DynProvider,
    deployments: Vec<Deployment>,
}

impl Deployer<'_> {
    async fn deploy(
        &mut self,
        name: impl Into<String>,
        builder: RawCallBuilder<&DynProvider, Ethereum>,
    ) -> Result<Address> {
        let name = name.into();
        let receipt = send(&name, builder.gas(DEPLOY_GAS)).await?;
        let address = receipt
            .contract_address
            .ok_or_else(|| eyre!("{name}: no contract address in the receipt"))?;
        let code = self.provider.get_code_at(address).await?;
        ensure!(!code.is_empty(), "{name}: no code at {address}");
        self.deployments.push(Deployment {
            name,
            address,
            gas_used: receipt.gas_used,
            code_size: code.len(),
        });
        Ok(address)
    }

    /// A TransparentUpgradeableProxy over `EmptyContract`, owned by `admin`.
    async fn empty_proxy(&mut self, name: &str, empty: Address, admin: Address) -> Result<Address> {
        self.deploy(
            format!("{name} (proxy)"),
            TransparentUpgradeableProxy::deploy_builder(self.provider, empty, admin, Bytes::new()),
        )
        .await
    }
}

impl EigenLayer {
    /// Deploys and wires the core contracts. `provider` signs as `owner`,
    /// which ends up owning every contract and the ProxyAdmin and is the only
    /// pauser and the unpauser. Nothing starts paused.
    pub async fn deploy(provider: &DynProvider, owner: Address, config: Config) -> Result<Self> {
        let mut d = Deployer {
            provider,
            deployments: Vec::new(),
        };
        let version = || EIGENLAYER_VERSION.to_string();

        let proxy_admin = d
            .deploy("ProxyAdmin", ProxyAdmin::deploy_builder(provider))
            .await?;
        let pauser_registry = d
            .deploy(
                "PauserRegistry",
                PauserRegistry::deploy_builder(provider, vec![owner], owner),
            )
            .await?;

        // The proxies first, over an empty implementation, so that every
        // implementation can be built with the others' (final) addresses.
        let empty = d
            .deploy("EmptyContract", EmptyContract::deploy_builder(provider))
            .await?;
        let delegation_manager = d
            .empty_proxy("DelegationManager", empty, proxy_admin)
            .await?;
        let strategy_manager = d.empty_proxy("StrategyManager", empty, proxy_admin).await?;
        let avs_directory = d.empty_proxy("AVSDirectory", empty, proxy_admin).await?;
        let eigen_pod_manager = d.empty_proxy("EigenPodManager", empty, proxy_admin).await?;
        let allocation_manager = d
            .empty_proxy("AllocationManager", empty, proxy_admin)
            .await?;
        let permission_controller = d
            .empty_proxy("PermissionController", empty, proxy_admin)
            .await?;

        let eigen_pod = d
            .deploy(
                "EigenPod (implementation)",
                EigenPod::deploy_builder(
                    provider,
                    ETH_POS_DEPOSIT,
                    eigen_pod_manager,
                    BEACON_GENESIS_TIME,
                    version(),
                ),
            )
            .await?;
        let eigen_pod_beacon = d
            .deploy(
                "EigenPod beacon (UpgradeableBeacon)",
                UpgradeableBeacon::deploy_builder(provider, eigen_pod),
            )
            .await?;
        let implementations = Implementations {
            delegation_manager: d
                .deploy(
                    "DelegationManager (implementation)",
                    DelegationManager::deploy_builder(
                        provider,
                        strategy_manager,
                        eigen_pod_manager,
                        allocation_manager,
                        pauser_registry,
                        permission_controller,
                        config.min_withdrawal_delay,
                        version(),
                    ),
                )
                .await?,
            strategy_manager: d
                .deploy(
                    "StrategyManager (implementation)",
                    StrategyManager::deploy_builder(
                        provider,
                        delegation_manager,
                        pauser_registry,
                        version(),
                    ),
                )
                .await?,
            avs_directory: d
                .deploy(
                    "AVSDirectory (implementation)",
                    AVSDirectory::deploy_builder(
                        provider,
                        delegation_manager,
                        pauser_registry,
                        version(),
                    ),
                )
                .await?,
            eigen_pod_manager: d
                .deploy(
                    "EigenPodManager (implementation)",
                    EigenPodManager::deploy_builder(
                        provider,
                        ETH_POS_DEPOSIT,
                        eigen_pod_beacon,
                        delegation_manager,
                        pauser_registry,
                        version(),
                    ),
                )
                .await?,
            allocation_manager: d
                .deploy(
                    "AllocationManager (implementation)",
                    AllocationManager::deploy_builder(
                        provider,
                        delegation_manager,
                        pauser_registry,
                        permission_controller,
                        config.deallocation_delay,
                        config.allocation_configuration_delay,
                        version(),
                    ),
                )
                .await?,
            permission_controller: d
                .deploy(
                    "PermissionController (implementation)",
                    PermissionController::deploy_builder(provider, version()),
                )
                .await?,
            eigen_pod,
            strategy_base: d
                .deploy(
                    "StrategyBase (implementation)",
                    StrategyBase::deploy_builder(
                        provider,
                        strategy_manager,
                        pauser_registry,
                        version(),
                    ),
                )
                .await?,
        };

        // Point each proxy at its implementation and initialize it through
        // the proxy, in the order of EigenLayer's script.
        let admin = ProxyAdmin::new(proxy_admin, provider);
        let paused = U256::ZERO;
        let upgrades: [(&str, Address, Address, Bytes); 6] = [
            (
                "DelegationManager",
                delegation_manager,
                implementations.delegation_manager,
                DelegationManager::initializeCall {
                    initialOwner: owner,
                    initialPausedStatus: paused,
                }
                .abi_encode()
                .into(),
            ),
            (
                "StrategyManager",
                strategy_manager,
                implementations.strategy_manager,
                StrategyManager::initializeCall {
                    initialOwner: owner,
                    initialStrategyWhitelister: owner,
                    initialPausedStatus: paused,
                }
                .abi_encode()
                .into(),
            ),
            (
                "AVSDirectory",
                avs_directory,
                implementations.avs_directory,
                AVSDirectory::initializeCall {
                    initialOwner: owner,
                    initialPausedStatus: paused,
                }
                .abi_encode()
                .into(),
            ),
            (
                "EigenPodManager",
                eigen_pod_manager,
                implementations.eigen_pod_manager,
                EigenPodManager::initializeCall {
                    initialOwner: owner,
                    _initPausedStatus: paused,
                }
                .abi_encode()
                .into(),
            ),
            (
                "AllocationManager",
                allocation_manager,
                implementations.allocation_manager,
                AllocationManager::initializeCall {
                    initialOwner: owner,
                    initialPausedStatus: paused,
                }
                .abi_encode()
                .into(),
            ),
            // PermissionController has no initializer.
            (
                "PermissionController",
                permission_controller,
                implementations.permission_controller,
                Bytes::new(),
            ),
        ];
        for (name, proxy, implementation, init) in upgrades {
            if init.is_empty() {
                send(
                    &format!("upgrade {name}"),
                    admin.upgrade(proxy, implementation),
                )
                .await?;
            } else {
                send(
                    &format!("upgrade and initialize {name}"),
                    admin.upgradeAndCall(proxy, implementation, init),
                )
                .await?;
            }
        }

        Ok(Self {
            owner,
            config,
            proxy_admin,
            pauser_registry,
            delegation_manager,
            strategy_manager,
            avs_directory,
            eigen_pod_manager,
            eigen_pod_beacon,
            allocation_manager,
            permission_controller,
            implementations,
            deployments: d.deployments,
        })
    }

    /// Deploys a StrategyBase over `token` behind a transparent proxy owned by
    /// the ProxyAdmin (as EigenLayer's local deployment script does for its
    /// test strategies), initialized through the proxy, and whitelists it for
    /// deposits. `provider` signs as the owner (the strategy whitelister).
    /// Returns the strategy (the proxy) and its creation record.
    pub async fn deploy_strategy(
        &self,
        provider: &DynProvider,
        token: Address,
    ) -> Result<(Address, Deployment)> {
        let mut d = Deployer {
            provider,
            deployments: Vec::new(),
        };
        let init = StrategyBase::initializeCall {
            _underlyingToken: token,
        }
        .abi_encode()
        .into();
        let strategy = d
            .deploy(
                "StrategyBase (proxy)",
                TransparentUpgradeableProxy::deploy_builder(
                    provider,
                    self.implementations.strategy_base,
                    self.proxy_admin,
                    init,
                ),
            )
            .await?;
        send(
            "whitelist the strategy",
            StrategyManager::new(self.strategy_manager, provider)
                .addStrategiesToDepositWhitelist(vec![strategy]),
        )
        .await?;
        let deployment = d.deployments.pop().expect("one deployment");
        Ok((strategy, deployment))
    }

    /// The table of creations, one per line.
    pub fn deployment_table(&self) -> String {
        let mut s = String::new();
        for d in &self.deployments {
            s.push_str(&d.to_string());
            s.push('\n');
        }
        let total: u64 = self.deployments.iter().map(|d| d.gas_used).sum();
        s.push_str(&format!("{:<40} {total:>10} gas\n", "total"));
        s
    }
}
