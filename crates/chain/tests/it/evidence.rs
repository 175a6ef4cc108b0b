use crate::net::Net;
use alloy::primitives::U256;
use liveliness_chain::{
    bindings::{AttestationCenter, LivelinessRegistry},
    prove_vote_equivocation, vote_equivocation_proven, Error, VoteEquivocation,
};

/// Issue 7, item 2 (i): an operator's approve and reject votes on one task,
/// signed in Rust, are proven on chain by an account that is no operator; the
/// operator is penalized once, and the same evidence (or a forgery) is
/// refused.
#[tokio::test]
async fn vote_equivocation_is_proven_by_anyone_and_penalized_once() {
    let net = Net::start(4).await;
    let ac_address = net.deployment.attestation_center;
    let registry = LivelinessRegistry::new(net.deployment.registry, &net.provider);
    let task = net.task(1, &[]).await;
    let (epoch, _) = net.last_epoch_block().await;
    let vote = |id: u64, approve: bool| {
        net.operator(id).keys.sign(&task.vote_hash(
            ac_address,
            net.deployment.chain_id,
            approve,
            epoch,
        ))
    };
    let evidence = VoteEquivocation {
        task: task.clone(),
        reference_block: epoch,
        operator_id: 3,
        approve: vote(3, true),
        reject: vote(3, false),
    };

    // A forgery: operator 3's approve vote with operator 2's reject vote.
    let mut forged = evidence.clone();
    forged.reject = vote(2, false);
    let refused = prove_vote_equivocation(&net.provider, ac_address, &forged).await;
    assert!(
        matches!(&refused, Err(Error::Reverted { name, .. }) if name == "InvalidBlsSignature"),
        "{refused:?}"
    );

    assert!(
        !vote_equivocation_proven(&net.provider, ac_address, &evidence)
            .await
            .unwrap(),
        "proven before any proof"
    );
    let sub = prove_vote_equivocation(&net.provider, ac_address, &evidence)
        .await
        .unwrap();
    println!("proveVoteEquivocation: {} gas", sub.gas_used);
    assert!(sub.gas_used < 250_000, "gas used {}", sub.gas_used);
    for op in &net.operators {
        let penalties = registry.penalties(op.address()).call().await.unwrap();
        assert_eq!(
            penalties,
            U256::from(u8::from(op.id == 3)),
            "operator {}",
            op.id
        );
    }
    let ac = AttestationCenter::new(ac_address, &net.provider);
    let key = ac
        .voteEquivocationKey(
            U256::from(3),
            task.task_hash(),
            u32::try_from(epoch).unwrap(),
        )
        .call()
        .await
        .unwrap();
    assert_eq!(key, evidence.offence_key(), "the Rust offence key");
    assert!(ac.voteEquivocationProven(key).call().await.unwrap());
    assert!(
        vote_equivocation_proven(&net.provider, ac_address, &evidence)
            .await
            .unwrap()
    );

    // Once per offence.
    let again = prove_vote_equivocation(&net.provider, ac_address, &evidence).await;
    assert!(
        matches!(&again, Err(Error::Reverted { name, .. }) if name == "EquivocationAlreadyProven"),
        "{again:?}"
    );
    assert_eq!(
        registry
            .penalties(net.operator(3).address())
            .call()
            .await
            .unwrap(),
        U256::from(1)
    );
}
