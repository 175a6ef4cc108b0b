use crate::net::Net;
use alloy::primitives::{B256, U256};
use liveliness_chain::{
    bindings::{AttestationCenter, LivelinessRegistry},
    prove_task_equivocation, prove_vote_equivocation, task_equivocation_proven,
    vote_equivocation_proven, Error, TaskEquivocation, VoteEquivocation,
};
use liveliness_primitives::Round;

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

/// Issue 7, item 2 (ii): a performer's signatures (made in Rust) of two
/// different tasks for one round of one epoch are proven on chain by an
/// account that is no operator; the performer is penalized once, the Rust
/// offence key and check agree with the contract, and a signature for
/// another round (what an amendment carries) is refused.
#[tokio::test]
async fn task_equivocation_is_proven_by_anyone_and_penalized_once() {
    let net = Net::start(4).await;
    let ac_address = net.deployment.attestation_center;
    let chain_id = net.deployment.chain_id;
    let registry = LivelinessRegistry::new(net.deployment.registry, &net.provider);
    let (epoch, epoch_hash) = net.last_epoch_block().await;
    let first = net.task(2, &[]).await;
    let second = net.task(2, &[4]).await;
    let sign = |task: &liveliness_primitives::TaskInfo, round: Round| -> [u8; 65] {
        net.performer_signature_for_round(task.task_hash(), 2, epoch, epoch_hash, round)
            .as_ref()
            .try_into()
            .unwrap()
    };
    let evidence = TaskEquivocation {
        performer: net.operator(2).address(),
        epoch_block: epoch,
        epoch_block_hash: epoch_hash,
        round: Round(1),
        task_hash_a: first.task_hash(),
        signature_a: sign(&first, Round(1)),
        task_hash_b: second.task_hash(),
        signature_b: sign(&second, Round(1)),
    };
    evidence.verify(chain_id, ac_address).unwrap();

    // The second task signed for round 2 (an amendment): no evidence, off
    // chain or on chain.
    let mut amendment = evidence.clone();
    amendment.signature_b = sign(&second, Round(2));
    assert!(matches!(
        amendment.verify(chain_id, ac_address),
        Err(Error::InvalidEvidence(_))
    ));
    let refused = prove_task_equivocation(&net.provider, ac_address, &amendment).await;
    assert!(
        matches!(&refused, Err(Error::Reverted { name, .. }) if name == "InvalidPerformerSignature"),
        "{refused:?}"
    );
    // The second task signed for the same round of another block hash (what
    // a performer signs again after a reorg of its epoch block): no evidence.
    let mut reorged = evidence.clone();
    reorged.signature_b = net
        .performer_signature_for_round(second.task_hash(), 2, epoch, B256::repeat_byte(7), Round(1))
        .as_ref()
        .try_into()
        .unwrap();
    assert!(reorged.verify(chain_id, ac_address).is_err());
    let refused = prove_task_equivocation(&net.provider, ac_address, &reorged).await;
    assert!(
        matches!(&refused, Err(Error::Reverted { name, .. }) if name == "InvalidPerformerSignature"),
        "{refused:?}"
    );
    // One task twice.
    let mut same = evidence.clone();
    same.task_hash_b = same.task_hash_a;
    same.signature_b = same.signature_a;
    assert!(same.verify(chain_id, ac_address).is_err());
    let refused = prove_task_equivocation(&net.provider, ac_address, &same).await;
    assert!(
        matches!(&refused, Err(Error::Reverted { name, .. }) if name == "SameTask"),
        "{refused:?}"
    );

    assert!(
        !task_equivocation_proven(&net.provider, ac_address, &evidence)
            .await
            .unwrap()
    );
    let sub = prove_task_equivocation(&net.provider, ac_address, &evidence)
        .await
        .unwrap();
    println!("proveTaskEquivocation: {} gas", sub.gas_used);
    assert!(sub.gas_used < 100_000, "gas used {}", sub.gas_used);
    for op in &net.operators {
        let penalties = registry.penalties(op.address()).call().await.unwrap();
        assert_eq!(
            penalties,
            U256::from(u8::from(op.id == 2)),
            "operator {}",
            op.id
        );
    }
    let ac = AttestationCenter::new(ac_address, &net.provider);
    let key = ac
        .taskEquivocationKey(U256::from(2), u32::try_from(epoch).unwrap(), epoch_hash, 1)
        .call()
        .await
        .unwrap();
    assert_eq!(key, evidence.offence_key(2), "the Rust offence key");
    assert!(
        task_equivocation_proven(&net.provider, ac_address, &evidence)
            .await
            .unwrap()
    );
    let again = prove_task_equivocation(&net.provider, ac_address, &evidence).await;
    assert!(
        matches!(&again, Err(Error::Reverted { name, .. }) if name == "EquivocationAlreadyProven"),
        "{again:?}"
    );
}
