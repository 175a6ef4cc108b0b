//! Cross-boundary tests against EigenLayer's core contracts (the v1.3.0
//! bytecode of `eigenlayer-contract-deployer`), deployed behind their proxies
//! on a fresh anvil per test.

use alloy::{
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider},
    sol_types::SolCall,
};
use eyre::{ensure, Result};
use liveliness_eigenlayer::{
    anvil_signer,
    bindings::{
        core::{
            allocation_manager::IAllocationManagerTypes::{
                AllocateParams, CreateSetParams, DeregisterParams, RegisterParams,
            },
            OperatorSet,
        },
        AVSDirectory, AllocationManager, DelegationManager, EigenPodManager, PermissionController,
        StrategyBase, StrategyManager,
    },
    mine, send, spawn_anvil,
    test_contracts::{TestAVSRegistrar, TestERC20},
    wallet_provider, Config, EigenLayer, EIGENLAYER_VERSION, WAD,
};

/// EIP-170's limit on runtime code.
const MAX_CODE_SIZE: usize = 24_576;

/// Anvil's accounts in these tests.
const OWNER: usize = 0;
const AVS: usize = 1;
const OPERATOR: usize = 2;

/// A fresh anvil with EigenLayer deployed by account `OWNER`, and a provider
/// for each of the first three accounts.
struct Chain {
    _anvil: alloy::node_bindings::AnvilInstance,
    owner: DynProvider,
    avs: DynProvider,
    operator: DynProvider,
    addr: [Address; 3],
    el: EigenLayer,
}

async fn chain(config: Config) -> Result<Chain> {
    let anvil = spawn_anvil(3)?;
    let signers: Vec<_> = (0..3).map(|i| anvil_signer(&anvil, i)).collect();
    let addr = [
        signers[0].address(),
        signers[1].address(),
        signers[2].address(),
    ];
    let p = |i: usize| wallet_provider(anvil.endpoint_url(), signers[i].clone());
    let (owner, avs, operator) = (p(OWNER), p(AVS), p(OPERATOR));
    let el = EigenLayer::deploy(&owner, addr[OWNER], config).await?;
    Ok(Chain {
        _anvil: anvil,
        owner,
        avs,
        operator,
        addr,
        el,
    })
}

#[tokio::test]
async fn core_contracts_deploy_behind_their_proxies_and_are_wired() -> Result<()> {
    let c = chain(Config::TEST).await?;
    let el = &c.el;
    println!(
        "EigenLayer core v{EIGENLAYER_VERSION} on anvil:\n{}",
        el.deployment_table()
    );

    // Every creation left the code the deployer crate ships, within EIP-170.
    for d in &el.deployments {
        assert!(d.code_size <= MAX_CODE_SIZE, "{d}");
    }
    let code_of = |name: &str| {
        el.deployments
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.code_size)
            .unwrap_or_else(|| panic!("{name} not deployed"))
    };
    assert_eq!(
        code_of("AllocationManager (implementation)"),
        AllocationManager::DEPLOYED_BYTECODE.len()
    );
    assert_eq!(
        code_of("DelegationManager (implementation)"),
        DelegationManager::DEPLOYED_BYTECODE.len()
    );

    // Each proxy answers with its implementation's code and state.
    let p = &c.owner;
    let owner = el.owner;
    let dm = DelegationManager::new(el.delegation_manager, p);
    let sm = StrategyManager::new(el.strategy_manager, p);
    let am = AllocationManager::new(el.allocation_manager, p);
    let avsd = AVSDirectory::new(el.avs_directory, p);
    let epm = EigenPodManager::new(el.eigen_pod_manager, p);
    let pc = PermissionController::new(el.permission_controller, p);
    assert_eq!(dm.version().call().await?, EIGENLAYER_VERSION);
    assert_eq!(sm.version().call().await?, EIGENLAYER_VERSION);
    assert_eq!(am.version().call().await?, EIGENLAYER_VERSION);
    assert_eq!(avsd.version().call().await?, EIGENLAYER_VERSION);
    assert_eq!(epm.version().call().await?, EIGENLAYER_VERSION);
    assert_eq!(pc.version().call().await?, EIGENLAYER_VERSION);
    assert_eq!(dm.owner().call().await?, owner);
    assert_eq!(sm.owner().call().await?, owner);
    assert_eq!(am.owner().call().await?, owner);
    assert_eq!(avsd.owner().call().await?, owner);
    assert_eq!(epm.owner().call().await?, owner);
    assert_eq!(sm.strategyWhitelister().call().await?, owner);

    // The proxies point at one another and at the pauser registry.
    assert_eq!(dm.strategyManager().call().await?, el.strategy_manager);
    assert_eq!(dm.eigenPodManager().call().await?, el.eigen_pod_manager);
    assert_eq!(dm.allocationManager().call().await?, el.allocation_manager);
    assert_eq!(
        dm.permissionController().call().await?,
        el.permission_controller
    );
    assert_eq!(dm.pauserRegistry().call().await?, el.pauser_registry);
    assert_eq!(am.delegation().call().await?, el.delegation_manager);
    assert_eq!(
        am.permissionController().call().await?,
        el.permission_controller
    );
    assert_eq!(am.pauserRegistry().call().await?, el.pauser_registry);
    assert_eq!(sm.delegation().call().await?, el.delegation_manager);

    // The delays are the configured ones, and nothing is paused.
    assert_eq!(
        dm.minWithdrawalDelayBlocks().call().await?,
        Config::TEST.min_withdrawal_delay
    );
    assert_eq!(
        am.DEALLOCATION_DELAY().call().await?,
        Config::TEST.deallocation_delay
    );
    assert_eq!(
        am.ALLOCATION_CONFIGURATION_DELAY().call().await?,
        Config::TEST.allocation_configuration_delay
    );
    assert_eq!(dm.paused_1().call().await?, U256::ZERO);
    assert_eq!(am.paused_1().call().await?, U256::ZERO);

    // Initialized once, through the proxy: a second initialize reverts, and
    // so does initializing an implementation directly.
    let again = am.initialize(owner, U256::ZERO).send().await;
    assert!(again.is_err(), "AllocationManager initialized twice");
    let impl_init = AllocationManager::new(el.implementations.allocation_manager, p)
        .initialize(owner, U256::ZERO)
        .send()
        .await;
    assert!(
        impl_init.is_err(),
        "the AllocationManager implementation can be initialized"
    );
    Ok(())
}

#[tokio::test]
async fn operator_in_an_operator_set_has_its_allocated_share_slashable() -> Result<()> {
    let config = Config::TEST;
    let c = chain(config).await?;
    let el = &c.el;
    let (avs, operator) = (c.addr[AVS], c.addr[OPERATOR]);
    // Gas of each EigenLayer call, printed at the end.
    let mut gas: Vec<(&str, u64)> = Vec::new();

    // A test token and a StrategyBase over it, whitelisted.
    let token = TestERC20::deploy(&c.owner, "Liveliness test token".into(), "LTT".into()).await?;
    let (strategy, strategy_deployment) = el.deploy_strategy(&c.owner, *token.address()).await?;
    println!("{strategy_deployment}");
    let sm = StrategyManager::new(el.strategy_manager, &c.operator);
    assert!(sm.strategyIsWhitelistedForDeposit(strategy).call().await?);
    assert_eq!(
        StrategyBase::new(strategy, &c.owner)
            .underlyingToken()
            .call()
            .await?,
        *token.address()
    );

    // The operator deposits 1000 tokens.
    let deposit = U256::from(1000u64) * U256::from(WAD);
    send("mint", token.mint(operator, deposit)).await?;
    let op_token = TestERC20::new(*token.address(), &c.operator);
    send("approve", op_token.approve(el.strategy_manager, deposit)).await?;
    let receipt = send(
        "depositIntoStrategy",
        sm.depositIntoStrategy(strategy, *token.address(), deposit),
    )
    .await?;
    gas.push(("depositIntoStrategy", receipt.gas_used));
    assert_eq!(
        sm.stakerDepositShares(operator, strategy).call().await?,
        deposit
    );

    // It registers as an EigenLayer operator, delegated to itself, with an
    // allocation delay of 5 blocks.
    let allocation_delay = 5u32;
    let dm = DelegationManager::new(el.delegation_manager, &c.operator);
    let receipt = send(
        "registerAsOperator",
        dm.registerAsOperator(
            Address::ZERO,
            allocation_delay,
            "https://example.invalid/operator.json".into(),
        ),
    )
    .await?;
    gas.push(("registerAsOperator", receipt.gas_used));
    assert!(dm.isOperator(operator).call().await?);
    assert_eq!(dm.delegatedTo(operator).call().await?, operator);
    assert_eq!(dm.operatorShares(operator, strategy).call().await?, deposit);

    // The AVS: metadata, a registrar, and operator set 0 over the strategy.
    let am_avs = AllocationManager::new(el.allocation_manager, &c.avs);
    let receipt = send(
        "updateAVSMetadataURI",
        am_avs.updateAVSMetadataURI(avs, "https://example.invalid/liveliness.json".into()),
    )
    .await?;
    gas.push(("updateAVSMetadataURI", receipt.gas_used));
    let registrar = TestAVSRegistrar::deploy(&c.avs, el.allocation_manager, avs).await?;
    // A registrar that does not support this AVS is refused.
    let wrong = TestAVSRegistrar::deploy(&c.avs, el.allocation_manager, c.addr[OWNER]).await?;
    let refused = am_avs
        .setAVSRegistrar(avs, *wrong.address())
        .send()
        .await
        .err();
    assert!(
        refused
            .as_ref()
            .and_then(|e| e.as_decoded_error::<AllocationManager::InvalidAVSRegistrar>())
            .is_some(),
        "setAVSRegistrar accepted a registrar for another AVS: {refused:?}"
    );
    let receipt = send(
        "setAVSRegistrar",
        am_avs.setAVSRegistrar(avs, *registrar.address()),
    )
    .await?;
    gas.push(("setAVSRegistrar", receipt.gas_used));
    assert_eq!(
        am_avs.getAVSRegistrar(avs).call().await?,
        *registrar.address()
    );
    let set_id = 0u32;
    let receipt = send(
        "createOperatorSets",
        am_avs.createOperatorSets(
            avs,
            vec![CreateSetParams {
                operatorSetId: set_id,
                strategies: vec![strategy],
            }],
        ),
    )
    .await?;
    gas.push(("createOperatorSets", receipt.gas_used));
    let set = OperatorSet { avs, id: set_id };
    assert!(am_avs.isOperatorSet(set.clone()).call().await?);

    // The operator cannot allocate before its allocation delay applies,
    // ALLOCATION_CONFIGURATION_DELAY + 1 blocks after it registered.
    let am = AllocationManager::new(el.allocation_manager, &c.operator);
    let magnitude = WAD / 10 * 4; // 40 %
    let allocate = || {
        am.modifyAllocations(
            operator,
            vec![AllocateParams {
                operatorSet: set.clone(),
                strategies: vec![strategy],
                newMagnitudes: vec![magnitude],
            }],
        )
    };
    let early = allocate().send().await.err();
    assert!(
        early
            .as_ref()
            .and_then(|e| e.as_decoded_error::<AllocationManager::UninitializedAllocationDelay>())
            .is_some(),
        "allocated before the allocation delay applied: {early:?}"
    );
    let delay = am.getAllocationDelay(operator).call().await?;
    assert!(!delay._0);
    mine(
        &c.operator,
        u64::from(config.allocation_configuration_delay) + 1,
    )
    .await?;
    let delay = am.getAllocationDelay(operator).call().await?;
    assert!(delay._0);
    assert_eq!(delay._1, allocation_delay);

    // It registers for the set; the registrar gets its data.
    let data = Bytes::from_static(b"liveliness registration data");
    let receipt = send(
        "registerForOperatorSets",
        am.registerForOperatorSets(
            operator,
            RegisterParams {
                avs,
                operatorSetIds: vec![set_id],
                data: data.clone(),
            },
        ),
    )
    .await?;
    gas.push(("registerForOperatorSets", receipt.gas_used));
    assert!(
        am.isMemberOfOperatorSet(operator, set.clone())
            .call()
            .await?
    );
    assert_eq!(am.getMembers(set.clone()).call().await?, vec![operator]);
    let reg = TestAVSRegistrar::new(*registrar.address(), &c.operator);
    assert!(reg.isRegistered(operator, set_id).call().await?);
    assert_eq!(reg.registrationData(operator).call().await?, data);

    // It allocates 40 % of its magnitude to the set: pending for the
    // allocation delay, slashable after.
    let receipt = send("modifyAllocations", allocate()).await?;
    gas.push(("modifyAllocations (increase)", receipt.gas_used));
    let allocated_at = receipt.block_number.expect("mined");
    let slashable = |at: u64| {
        let am = am.clone();
        let set = set.clone();
        async move {
            let stake = am
                .getMinimumSlashableStake(set, vec![operator], vec![strategy], u32::try_from(at)?)
                .call()
                .await?;
            ensure!(stake.len() == 1 && stake[0].len() == 1, "shape {stake:?}");
            Ok::<U256, eyre::Report>(stake[0][0])
        }
    };
    let allocation = am
        .getAllocation(operator, set.clone(), strategy)
        .call()
        .await?;
    assert_eq!(allocation.currentMagnitude, 0);
    assert_eq!(allocation.pendingDiff, i128::from(magnitude));
    assert_eq!(
        u64::from(allocation.effectBlock),
        allocated_at + u64::from(allocation_delay)
    );
    assert_eq!(
        slashable(c.operator.get_block_number().await?).await?,
        U256::ZERO
    );

    mine(&c.operator, u64::from(allocation_delay)).await?;
    let now = c.operator.get_block_number().await?;
    assert!(now >= allocated_at + u64::from(allocation_delay));
    let expected = deposit * U256::from(magnitude) / U256::from(WAD);
    assert_eq!(expected, U256::from(400u64) * U256::from(WAD));
    assert_eq!(slashable(now).await?, expected);
    let allocated = am
        .getAllocatedStake(set.clone(), vec![operator], vec![strategy])
        .call()
        .await?;
    assert_eq!(allocated, vec![vec![expected]]);
    assert_eq!(
        am.getAllocatableMagnitude(operator, strategy)
            .call()
            .await?,
        WAD - magnitude
    );

    // It lowers its allocation to 10 %. The decrease stays slashable for
    // DEALLOCATION_DELAY blocks: the minimum slashable stake up to a block
    // before it takes effect is unchanged, from that block on it is 100.
    let lower = WAD / 10;
    let receipt = send(
        "modifyAllocations (decrease)",
        am.modifyAllocations(
            operator,
            vec![AllocateParams {
                operatorSet: set.clone(),
                strategies: vec![strategy],
                newMagnitudes: vec![lower],
            }],
        ),
    )
    .await?;
    gas.push(("modifyAllocations (decrease)", receipt.gas_used));
    let decreased_at = receipt.block_number.expect("mined");
    let effect = decreased_at + u64::from(config.deallocation_delay) + 1;
    let allocation = am
        .getAllocation(operator, set.clone(), strategy)
        .call()
        .await?;
    assert_eq!(u64::from(allocation.effectBlock), effect);
    let lowered = deposit * U256::from(lower) / U256::from(WAD);
    assert_eq!(slashable(decreased_at).await?, expected);
    assert_eq!(slashable(effect - 1).await?, expected);
    assert_eq!(slashable(effect).await?, lowered);
    mine(&c.operator, u64::from(config.deallocation_delay) + 1).await?;
    let now = c.operator.get_block_number().await?;
    assert_eq!(slashable(now).await?, lowered);
    let allocation = am
        .getAllocation(operator, set.clone(), strategy)
        .call()
        .await?;
    assert_eq!(allocation.currentMagnitude, lower);

    // It deregisters: out of the set and of the registrar at once, but still
    // slashable, with its stake, for DEALLOCATION_DELAY blocks.
    let receipt = send(
        "deregisterFromOperatorSets",
        am.deregisterFromOperatorSets(DeregisterParams {
            operator,
            avs,
            operatorSetIds: vec![set_id],
        }),
    )
    .await?;
    gas.push(("deregisterFromOperatorSets", receipt.gas_used));
    let deregistered_at = receipt.block_number.expect("mined");
    assert!(
        !am.isMemberOfOperatorSet(operator, set.clone())
            .call()
            .await?
    );
    assert!(!reg.isRegistered(operator, set_id).call().await?);
    assert_eq!(reg.deregistrations().call().await?, U256::from(1));
    assert!(am.isOperatorSlashable(operator, set.clone()).call().await?);
    assert_eq!(slashable(deregistered_at).await?, lowered);
    mine(&c.operator, u64::from(config.deallocation_delay) + 1).await?;
    assert!(!am.isOperatorSlashable(operator, set.clone()).call().await?);
    let now = c.operator.get_block_number().await?;
    assert_eq!(slashable(now).await?, U256::ZERO);

    for (what, used) in gas {
        println!("{what:<40} {used:>10} gas");
    }
    Ok(())
}

/// The creation data of a proxied contract's `initialize` is accepted by the
/// binding (a guard against ABI drift in the deployer crate).
#[test]
fn initialize_selectors_are_the_v1_3_0_ones() {
    assert_eq!(
        AllocationManager::initializeCall::SIGNATURE,
        "initialize(address,uint256)"
    );
    assert_eq!(
        StrategyManager::initializeCall::SIGNATURE,
        "initialize(address,address,uint256)"
    );
    assert_eq!(
        StrategyBase::initializeCall::SIGNATURE,
        "initialize(address)"
    );
}
