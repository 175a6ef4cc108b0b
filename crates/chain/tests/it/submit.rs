use crate::net::{Net, EPOCH_LENGTH};
use alloy::{
    primitives::{Address, Bytes, U256},
    providers::Provider,
    sol_types::SolValue,
};
use ark_ec::{AffineRepr, CurveGroup};
use liveliness_bls::{pop_sign, KeyPair, PublicKeyG1, Signature};
use liveliness_chain::{
    attestation,
    bindings::{AttestationCenter, LivelinessRegistry},
    register_operator, revert, submit_task, task_info, Certificate, Error,
};
use liveliness_primitives::pop_message;
use rand::{rngs::StdRng, SeedableRng};

/// Simulates `submitTask` for `cert` without the client-side checks of
/// [`submit_task`], returning the name of the custom error it reverts with.
async fn revert_name(net: &Net, cert: &Certificate) -> String {
    let ac = AttestationCenter::new(net.deployment.attestation_center, &net.provider);
    let att = attestation(&net.provider, net.deployment.attestation_center, cert)
        .await
        .unwrap();
    let err = ac
        .submitTask(
            task_info(&cert.task),
            cert.is_approved,
            cert.performer_signature.clone(),
            cert.round.0,
            cert.epoch_block_hash,
            att,
        )
        .call()
        .await
        .expect_err("the contract must refuse this certificate");
    let data = err.as_revert_data().expect("revert data");
    revert::decode(&data).expect("a known custom error").0
}

#[tokio::test]
async fn approve_with_non_signers_lands_and_penalizes_the_named_operators() {
    let net = Net::start(10).await;
    let registry = LivelinessRegistry::new(net.deployment.registry, &net.provider);
    let task = net.task(1, &[4, 7]).await;
    // 7 of 10 sign: 3·7 = 21 > 2·10.
    let cert = net.certificate(&task, true, &[2, 5, 9]).await;
    let sub = submit_task(&net.provider, net.deployment.attestation_center, &cert)
        .await
        .unwrap();
    assert_eq!(sub.task_hash, task.task_hash());

    let ac = AttestationCenter::new(net.deployment.attestation_center, &net.provider);
    let reference = cert.reference_block.to_u32().unwrap();
    assert!(ac
        .submitted(task.task_hash(), reference)
        .call()
        .await
        .unwrap());
    let c = registry.C().call().await.unwrap();
    for op in &net.operators {
        let named = op.id == 4 || op.id == 7;
        let penalties = registry.penalties(op.address()).call().await.unwrap();
        let points = registry.penaltyPoints(op.address()).call().await.unwrap();
        assert_eq!(penalties, U256::from(u8::from(named)), "operator {}", op.id);
        assert_eq!(
            points,
            if named { c } else { U256::ZERO },
            "operator {}",
            op.id
        );
    }

    // Scores: the healthy ones grow with every block, the penalized ones are
    // floored at 0 until their age exceeds C.
    let before = registry
        .getLivelinessScore(net.operator(1).address())
        .call()
        .await
        .unwrap();
    net.mine_to(net.block_number().await + 5).await;
    let after = registry
        .getLivelinessScore(net.operator(1).address())
        .call()
        .await
        .unwrap();
    assert_eq!(after, before + U256::from(5));
    let penalized = registry
        .getLivelinessScore(net.operator(4).address())
        .call()
        .await
        .unwrap();
    assert_eq!(penalized, U256::ZERO);

    // The same task again: refused before anything is sent, and by the
    // contract when sent anyway.
    let again = submit_task(&net.provider, net.deployment.attestation_center, &cert).await;
    assert!(matches!(again, Err(Error::AlreadySubmitted(h)) if h == task.task_hash()));
    assert_eq!(revert_name(&net, &cert).await, "TaskAlreadySubmitted");
}

#[tokio::test]
async fn reject_certificate_penalizes_the_performer_only() {
    let net = Net::start(10).await;
    let registry = LivelinessRegistry::new(net.deployment.registry, &net.provider);
    let task = net.task(3, &[5]).await;
    // 7 of 10 reject: 3·7 = 21 > 2·10.
    let cert = net.certificate(&task, false, &[2, 5, 8]).await;
    submit_task(&net.provider, net.deployment.attestation_center, &cert)
        .await
        .unwrap();
    let performer = registry
        .penalties(net.operator(3).address())
        .call()
        .await
        .unwrap();
    let named = registry
        .penalties(net.operator(5).address())
        .call()
        .await
        .unwrap();
    assert_eq!((performer, named), (U256::from(1), U256::ZERO));
}

/// Issue 7, item 1 (a): a performer already penalized for an earlier epoch
/// copies the honest reject certificate of its new faulty task and moves it
/// to that earlier epoch, to get no second penalty and burn the task. The
/// contract refuses the back-dated certificate whether the performer's
/// signature is the one it gave the network or one re-signed for the earlier
/// block; the honest certificate then lands and penalizes.
#[tokio::test]
async fn backdated_reject_certificate_is_refused() {
    let net = Net::start(10).await;
    let registry = LivelinessRegistry::new(net.deployment.registry, &net.provider);
    let performer = net.operator(3).address();
    let (e1, _) = net.last_epoch_block().await;
    let garbage = |tag: u8| Bytes::from(vec![0xde, 0xad, tag]);

    // Epoch e1: a faulty task, rejected by 9 of 10; one penalty, for e1.
    let first = net.task_with_data(3, garbage(1));
    let cert = net.certificate_at(&first, false, &[3], e1).await;
    submit_task(&net.provider, net.deployment.attestation_center, &cert)
        .await
        .unwrap();
    assert_eq!(
        registry.penalties(performer).call().await.unwrap(),
        U256::from(1)
    );

    // Epoch e2: another faulty task and its honest reject certificate.
    net.mine_to(e1.0 + EPOCH_LENGTH + 1).await;
    let (e2, _) = net.last_epoch_block().await;
    assert_eq!(e2.0, e1.0 + EPOCH_LENGTH);
    let second = net.task_with_data(3, garbage(2));
    let honest = net.certificate_at(&second, false, &[3], e2).await;

    // Back-dated to e1 with the performer's signature for e2 ...
    let mut backdated = honest.clone();
    backdated.reference_block = e1;
    backdated.epoch_block_hash = net.block_hash(e1.0).await;
    assert_eq!(
        revert_name(&net, &backdated).await,
        "InvalidPerformerSignature"
    );
    // ... or with one the performer re-signed for e1: the votes are for e2.
    backdated.performer_signature = net.performer_signature(&second, 3, e1).await;
    assert_eq!(revert_name(&net, &backdated).await, "InvalidBlsSignature");
    let sent = submit_task(&net.provider, net.deployment.attestation_center, &backdated).await;
    assert!(
        matches!(&sent, Err(Error::Reverted { name, .. }) if name == "InvalidBlsSignature"),
        "{sent:?}"
    );

    // Nothing was burnt: the honest certificate lands, second penalty.
    submit_task(&net.provider, net.deployment.attestation_center, &honest)
        .await
        .unwrap();
    assert_eq!(
        registry.penalties(performer).call().await.unwrap(),
        U256::from(2)
    );
}

/// Issue 7, item 4: operators with more than 1/3 but at most 2/3 of the
/// voting power can block an approval but cannot get a performer penalized.
#[tokio::test]
async fn blocking_minority_reject_is_refused() {
    let net = Net::start(9).await;
    let registry = LivelinessRegistry::new(net.deployment.registry, &net.provider);
    let task = net.task(1, &[]).await;
    // 6 of 9 reject: exactly 2/3, refused; the performer keeps its record.
    let minority = net.certificate(&task, false, &[1, 2, 3]).await;
    assert_eq!(revert_name(&net, &minority).await, "QuorumNotReached");
    let sent = submit_task(&net.provider, net.deployment.attestation_center, &minority).await;
    assert!(
        matches!(&sent, Err(Error::Reverted { name, .. }) if name == "QuorumNotReached"),
        "{sent:?}"
    );
    // The 3 that did not reject block the approval too (6 of 9 approve).
    let blocked = net.certificate(&task, true, &[4, 5, 6]).await;
    assert_eq!(revert_name(&net, &blocked).await, "QuorumNotReached");
    assert_eq!(
        registry
            .penalties(net.operator(1).address())
            .call()
            .await
            .unwrap(),
        U256::ZERO
    );
    // One more rejecter, 7 of 9: the performer is penalized.
    let majority = net.certificate(&task, false, &[1, 2]).await;
    submit_task(&net.provider, net.deployment.attestation_center, &majority)
        .await
        .unwrap();
    assert_eq!(
        registry
            .penalties(net.operator(1).address())
            .call()
            .await
            .unwrap(),
        U256::from(1)
    );
}

#[tokio::test]
async fn tampered_certificates_are_rejected_with_the_expected_error() {
    let net = Net::start(10).await;
    let task = net.task(1, &[4]).await;
    let good = net.certificate(&task, true, &[2, 5, 9]).await;

    // σ changed by one signer's extra signature.
    let mut cert = good.clone();
    let extra = net.operator(2).keys.sign(&task.vote_hash(
        net.deployment.attestation_center,
        net.deployment.chain_id,
        true,
        good.reference_block,
    ));
    cert.sigma = Signature::aggregate([&cert.sigma, &extra]).unwrap();
    assert_eq!(revert_name(&net, &cert).await, "InvalidBlsSignature");

    // Wrong non-signer set: 3 is named instead of 2 (σ and apkG2 unchanged).
    let mut cert = good.clone();
    cert.non_signer_ids = vec![3, 5, 9];
    assert_eq!(revert_name(&net, &cert).await, "InvalidBlsSignature");

    // Wrong message: the votes are for the other verdict.
    let mut cert = net.certificate(&task, false, &[2, 5, 9]).await;
    cert.is_approved = true;
    assert_eq!(revert_name(&net, &cert).await, "InvalidBlsSignature");

    // A different task under the same votes.
    let other = net.task(1, &[4, 6]).await;
    let mut cert = good.clone();
    cert.performer_signature = net
        .performer_signature(&other, 1, good.reference_block)
        .await;
    cert.task = other;
    assert_eq!(revert_name(&net, &cert).await, "InvalidBlsSignature");

    // Quorum one short: 6 of 10 (3·6 = 18 ≤ 20).
    let cert = net.certificate(&task, true, &[2, 3, 5, 9]).await;
    assert_eq!(revert_name(&net, &cert).await, "QuorumNotReached");

    // Performer signature by someone else.
    let mut cert = good.clone();
    cert.performer_signature = net
        .performer_signature(&task, 2, good.reference_block)
        .await;
    assert_eq!(revert_name(&net, &cert).await, "InvalidPerformerSignature");

    // Non-signer ids out of order are refused on the client already.
    let mut cert = good.clone();
    cert.non_signer_ids = vec![5, 2, 9];
    assert!(matches!(
        submit_task(&net.provider, net.deployment.attestation_center, &cert).await,
        Err(Error::InvalidCertificate(_))
    ));

    // `data` the registry refuses: unsorted list, wrong epoch hash.
    let (epoch, hash) = net.last_epoch_block().await;
    let (a, b) = (net.operator(7).address(), net.operator(4).address());
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    let data: Bytes = (
        U256::from(epoch.0),
        hash,
        vec![hi, lo],
        Vec::<Address>::new(),
    )
        .abi_encode_params()
        .into();
    let unsorted = net.task_with_data(1, data);
    let cert = net.certificate(&unsorted, true, &[]).await;
    assert_eq!(
        revert_name(&net, &cert).await,
        "UnhealthyNotStrictlyAscending"
    );
    let data: Bytes = (U256::from(epoch.0), !hash, vec![lo], Vec::<Address>::new())
        .abi_encode_params()
        .into();
    let wrong_hash = net.task_with_data(1, data);
    let cert = net.certificate(&wrong_hash, true, &[]).await;
    assert_eq!(revert_name(&net, &cert).await, "EpochBlockHashMismatch");

    // None of these landed; the honest certificate still does.
    submit_task(&net.provider, net.deployment.attestation_center, &good)
        .await
        .unwrap();
}

#[tokio::test]
async fn rogue_g1_key_with_a_valid_g2_proof_cannot_register() {
    let net = Net::start(3).await;
    let ac = net.deployment.attestation_center;
    // The attacker: an account that is not yet an operator (the deployer).
    let attacker = net
        .provider
        .get_accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| net.operators.iter().all(|o| o.address() != *a))
        .unwrap();
    let mut rng = StdRng::seed_from_u64(99);
    let own = KeyPair::random(&mut rng);
    // pk_rogue = pk_own − Σ pk_others: the aggregate of all G1 keys would be
    // pk_own alone, a key the attacker controls.
    let others = net
        .operators
        .iter()
        .fold(ark_bn254::G1Projective::default(), |acc, o| {
            acc + o.keys.pk_g1().as_affine().into_group()
        });
    let rogue = (own.pk_g1().as_affine().into_group() - others).into_affine();
    let rogue = PublicKeyG1::from_affine(rogue).unwrap();
    let pop = pop_sign(
        own.sk(),
        &pop_message(attacker, ac, net.deployment.chain_id),
    );
    let contract = AttestationCenter::new(ac, &net.provider);
    let call = contract
        .registerOperator(rogue.to_abi(), own.pk_g2().to_abi(), pop.to_abi())
        .from(attacker);
    let err = call.call().await.unwrap_err();
    let name = revert::decode(&err.as_revert_data().unwrap()).unwrap().0;
    assert_eq!(name, "InvalidProofOfPossession");

    // The honest registration of the same account works.
    let id = register_operator(&net.provider, ac, attacker, &own)
        .await
        .unwrap();
    assert_eq!(id, 4);
}

/// Issue #2's whole-transaction bar: N = 100 attesters, all signing, one
/// penalty, under 250,000 gas including the intrinsic cost.
#[tokio::test]
async fn submit_task_at_100_attesters_one_penalty_costs_under_250k_gas() {
    let net = Net::start(100).await;
    let task = net.task(1, &[42]).await;
    let cert = net.certificate(&task, true, &[]).await;
    let sub = submit_task(&net.provider, net.deployment.attestation_center, &cert)
        .await
        .unwrap();
    println!(
        "submitTask N=100 all signing 1 penalty: {} gas",
        sub.gas_used
    );
    assert!(sub.gas_used < 250_000, "gas used {}", sub.gas_used);
    let registry = LivelinessRegistry::new(net.deployment.registry, &net.provider);
    let p = registry
        .penalties(net.operator(42).address())
        .call()
        .await
        .unwrap();
    assert_eq!(p, U256::from(1));
}
