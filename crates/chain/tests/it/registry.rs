//! Issue 7 items 5–7 on anvil: parameters in force from deployment and
//! delayed changes, the paged active set, consent to rejoin, scores that stop
//! while an operator is out, and late penalties that still land.

use crate::net::{Net, EPOCH_LENGTH};
use alloy::{
    eips::BlockId,
    network::EthereumWallet,
    primitives::U256,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use liveliness_chain::{
    active_operators, active_operators_at, active_operators_paged,
    bindings::{AttestationCenter, LivelinessRegistry},
    deploy, set_voting_powers, submit_task,
    test_utils::spawn_anvil,
    DeployConfig, Error, RegistryParams, DEFAULT_REGISTRY_PARAMS,
};

#[tokio::test]
async fn deployed_parameters_apply_at_once_and_later_changes_wait_the_delay() {
    let anvil = spawn_anvil(1);
    let owner = PrivateKeySigner::from(anvil.keys()[0].clone());
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(owner))
        .connect_http(anvil.endpoint_url())
        .erased();
    let config = DeployConfig {
        c: Some(7),
        epoch_length: Some(20),
        ..DeployConfig::new(100)
    };
    let deployment = deploy(&provider, &config).await.unwrap();
    let registry = LivelinessRegistry::new(deployment.registry, &provider);

    // The Rust defaults are the contract's.
    let defaults = registry.defaultParams().call().await.unwrap();
    assert_eq!(RegistryParams::from(defaults), DEFAULT_REGISTRY_PARAMS);
    // The configured ones are in force from deployment, the rest default.
    let params = RegistryParams::from(registry.params().call().await.unwrap());
    assert_eq!(
        params,
        RegistryParams {
            c: 7,
            epoch_length: 20,
            ..DEFAULT_REGISTRY_PARAMS
        }
    );

    // A change is announced and applies PARAMETER_CHANGE_DELAY blocks later.
    let delay = registry.PARAMETER_CHANGE_DELAY().call().await.unwrap();
    assert_eq!(delay, U256::from(1000));
    let receipt = registry
        .setC(U256::from(9))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let at = receipt.block_number.unwrap();
    let event = receipt
        .decoded_log::<LivelinessRegistry::ParameterChangeScheduled>()
        .expect("ParameterChangeScheduled");
    assert_eq!(event.data.value, U256::from(9));
    assert_eq!(event.data.effectiveFromBlock, U256::from(at + 1000));
    let pending = registry.pendingParams().call().await.unwrap();
    assert_eq!(pending.effectiveFromBlock, U256::from(at + 1000));
    assert_eq!(pending.pending.C, 9);
    assert_eq!(registry.C().call().await.unwrap(), U256::from(7));
    // Reads at a block see the parameters in force at that block.
    let _: serde_json::Value = provider
        .raw_request("anvil_mine".into(), (U256::from(1000),))
        .await
        .unwrap();
    assert_eq!(provider.get_block_number().await.unwrap(), at + 1000);
    let c_at = |b: u64| {
        let call = registry.C().block(BlockId::number(b));
        async move { call.call().await.unwrap() }
    };
    assert_eq!(c_at(at + 999).await, U256::from(7));
    assert_eq!(c_at(at + 1000).await, U256::from(9));

    // Out of bounds: refused, named.
    let err = registry.setC(U256::ZERO).call().await.unwrap_err();
    let data = err.as_revert_data().unwrap();
    assert_eq!(
        liveliness_chain::revert::decode(&data).unwrap().0,
        "InvalidParameter"
    );
}

#[tokio::test]
async fn active_set_is_paged_in_id_order_and_ignores_inactive_operators() {
    let net = Net::start(7).await;
    let ac_addr = net.deployment.attestation_center;
    let ac = AttestationCenter::new(ac_addr, &net.provider);
    // Operators 2 and 5 lose their power: the active list is reordered.
    set_voting_powers(&net.provider, ac_addr, &[2, 5], &[0, 0])
        .await
        .unwrap();
    let head = net.block_number().await;
    let want: Vec<u64> = vec![1, 3, 4, 6, 7];
    for page in [1, 2, 3, 5, 100] {
        let got = active_operators_paged(&net.provider, ac_addr, BlockId::number(head), page)
            .await
            .unwrap();
        assert_eq!(
            got.iter().map(|o| o.id).collect::<Vec<_>>(),
            want,
            "page {page}"
        );
        for o in &got {
            assert_eq!(o.address, net.operator(o.id).address());
            assert_eq!(o.pk_g1, *net.operator(o.id).keys.pk_g1());
            assert_eq!(o.voting_power, U256::from(1));
        }
    }
    assert_eq!(
        active_operators(&net.provider, ac_addr)
            .await
            .unwrap()
            .len(),
        5
    );
    let page = ac
        .getActiveOperatorsDetailsPage(U256::from(1), U256::from(2))
        .call()
        .await
        .unwrap();
    assert_eq!(page.total, U256::from(5));
    assert_eq!(page.page.len(), 2);

    // Reads at an older block see the set as it was then.
    let before = active_operators_at(&net.provider, ac_addr, BlockId::number(head - 1))
        .await
        .unwrap();
    assert_eq!(before.len(), 7);
}

#[tokio::test]
async fn an_operator_that_left_needs_to_rejoin_and_serves_no_score_meanwhile() {
    let net = Net::start(4).await;
    let ac_addr = net.deployment.attestation_center;
    let ac = AttestationCenter::new(ac_addr, &net.provider);
    let registry = LivelinessRegistry::new(net.deployment.registry, &net.provider);
    let op = net.operator(3).address();

    ac.leave()
        .from(op)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(ac.hasLeft(U256::from(3)).call().await.unwrap());
    let frozen = registry.getLivelinessScore(op).call().await.unwrap();
    let served = ac.activeBlocksOf(op).call().await.unwrap();
    net.mine_to(net.block_number().await + 20).await;
    assert_eq!(
        registry.getLivelinessScore(op).call().await.unwrap(),
        frozen
    );
    assert_eq!(ac.activeBlocksOf(op).call().await.unwrap(), served);
    // An operator that keeps serving now outranks it.
    assert!(
        registry
            .getLivelinessScore(net.operator(1).address())
            .call()
            .await
            .unwrap()
            > frozen
    );

    // Governance alone cannot bring it back.
    let err = set_voting_powers(&net.provider, ac_addr, &[3], &[1])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Reverted { name, .. } if name == "OperatorHasLeft"),
        "{err:?}"
    );
    // With its consent it can.
    ac.rejoin()
        .from(op)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    set_voting_powers(&net.provider, ac_addr, &[3], &[1])
        .await
        .unwrap();
    net.mine_to(net.block_number().await + 5).await;
    assert_eq!(
        registry.getLivelinessScore(op).call().await.unwrap(),
        frozen + U256::from(5)
    );
}

#[tokio::test]
async fn a_penalty_for_an_older_epoch_lands_after_a_newer_one() {
    let net = Net::start(4).await;
    let registry = LivelinessRegistry::new(net.deployment.registry, &net.provider);
    let ac = net.deployment.attestation_center;
    // A certificate for the current last epoch naming operator 4...
    let older_task = net.task(1, &[4]).await;
    let older = net.certificate(&older_task, true, &[]).await;
    // ...and one for the next epoch, naming it too.
    let next = net.next_epoch_block().await;
    net.mine_to(next + 1).await;
    let newer_task = net.task(2, &[4]).await;
    let newer = net.certificate(&newer_task, true, &[]).await;
    assert_eq!(
        newer.reference_block.0,
        older.reference_block.0 + EPOCH_LENGTH
    );

    // The newer one lands first; the older one still penalizes.
    submit_task(&net.provider, ac, &newer).await.unwrap();
    submit_task(&net.provider, ac, &older).await.unwrap();
    let op = net.operator(4).address();
    assert_eq!(registry.penalties(op).call().await.unwrap(), U256::from(2));
    let record = registry.penaltyRecordOf(op).call().await.unwrap();
    assert_eq!(record.newestEpochBlock, newer.reference_block.0 + 1);
    assert_eq!(record.window, 0b11);
    assert!(registry
        .isPenalized(op, U256::from(older.reference_block.0))
        .call()
        .await
        .unwrap());
}
