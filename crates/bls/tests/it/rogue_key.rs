//! The rogue-key attack, and why registration checks G1 and G2 together.

use alloy_primitives::keccak256;
use liveliness_bls::{
    pop_sign, pop_verify, verify, verify_with_g1, G1Affine, KeyPair, PublicKeyG1, PublicKeyG2,
    Signature,
};
use rand::thread_rng;

#[test]
fn pop_verify_rejects_a_rogue_g1_key() {
    let mut rng = thread_rng();
    let honest: Vec<_> = (0..3).map(|_| KeyPair::random(&mut rng)).collect();
    let attacker = KeyPair::random(&mut rng);

    // The attacker registers G1 key pk_a − Σ others, so that the set's aggregate G1 key
    // becomes its own key alone, with its honest G2 key and a PoP that is valid for it.
    let others = PublicKeyG1::aggregate(honest.iter().map(KeyPair::pk_g1)).unwrap();
    let rogue_point: G1Affine = (*attacker.pk_g1().as_affine() - *others.as_affine()).into();
    let rogue_g1 = PublicKeyG1::from_affine(rogue_point).unwrap();
    let pop_msg = keccak256("liveliness/pop/v1 attacker");
    let pop = pop_sign(attacker.sk(), &pop_msg);

    // A G2-only check would let it through.
    assert!(verify(attacker.pk_g2(), &pop_msg, &pop));
    // The combined check does not.
    assert!(!pop_verify(&rogue_g1, attacker.pk_g2(), &pop_msg, &pop));
    // The honest registration passes.
    assert!(pop_verify(
        attacker.pk_g1(),
        attacker.pk_g2(),
        &pop_msg,
        &pop
    ));

    // What the attack would have bought: the set's aggregate equals the attacker's key, so
    // its lone signature would pass the contract's check as "everybody signed".
    let mut all: Vec<PublicKeyG1> = honest.iter().map(|k| *k.pk_g1()).collect();
    all.push(rogue_g1);
    let apk_g1 = PublicKeyG1::aggregate(&all).unwrap();
    assert_eq!(apk_g1, *attacker.pk_g1());
    let vote = keccak256("vote");
    let forged: Signature = attacker.sign(&vote);
    assert!(verify_with_g1(&apk_g1, attacker.pk_g2(), &vote, &forged));

    // And an honest aggregate G2 key cannot be paired with the rogue set's G1 aggregate.
    let honest_apk_g2 =
        PublicKeyG2::aggregate(honest.iter().map(KeyPair::pk_g2).chain([attacker.pk_g2()]))
            .unwrap();
    assert!(!verify_with_g1(&apk_g1, &honest_apk_g2, &vote, &forged));
}

#[test]
fn pop_verify_rejects_a_pop_of_another_message_or_key() {
    let mut rng = thread_rng();
    let a = KeyPair::random(&mut rng);
    let b = KeyPair::random(&mut rng);
    let msg = keccak256("pop a");
    let pop = pop_sign(a.sk(), &msg);
    assert!(!pop_verify(b.pk_g1(), b.pk_g2(), &msg, &pop));
    assert!(!pop_verify(a.pk_g1(), b.pk_g2(), &msg, &pop));
    assert!(!pop_verify(b.pk_g1(), a.pk_g2(), &msg, &pop));
    assert!(!pop_verify(a.pk_g1(), a.pk_g2(), &keccak256("pop b"), &pop));
}
