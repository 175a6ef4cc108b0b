//! The checks the Liveliness contracts run, reproduced off chain, so that what the chain will
//! accept can be tested before a transaction is sent.
//!
//! Both bind a G1 and a G2 key to one secret with the random-linear-combination trick of
//! EigenLayer's `BLSSignatureChecker`: with `γ` a hash of everything checked,
//!
//! ```text
//! e(σ + γ·pkG1, −g2) · e(H(m) + γ·g1, pkG2) == 1
//! ```
//!
//! holds (except with negligible probability) only if `σ = sk·H(m)`, `pkG1 = sk·g1` and
//! `pkG2 = sk·g2` for one `sk`.

use alloy_primitives::{keccak256, B256, U256};
use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::PrimeField;

use crate::{
    hash::hash_to_g1,
    keys::{PublicKeyG1, PublicKeyG2, SecretKey},
    signature::{pairing_product_is_one, Signature},
};

fn packed(words: &[U256]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes::<32>()).collect()
}

fn to_fr(hash: B256) -> Fr {
    Fr::from_be_bytes_mod_order(hash.as_slice())
}

fn fr_to_u256(f: Fr) -> U256 {
    U256::from_limbs(f.into_bigint().0)
}

/// `γ = keccak256(abi.encodePacked(msg, apk.x, apk.y, apkG2[0..4], σ.x, σ.y)) mod r`, the
/// challenge of [`verify_with_g1`] (`apkG2` in EIP-197 order).
pub fn signature_gamma(
    msg: &B256,
    apk_g1: &PublicKeyG1,
    apk_g2: &PublicKeyG2,
    sig: &Signature,
) -> U256 {
    fr_to_u256(signature_gamma_fr(msg, apk_g1, apk_g2, sig))
}

fn signature_gamma_fr(
    msg: &B256,
    apk_g1: &PublicKeyG1,
    apk_g2: &PublicKeyG2,
    sig: &Signature,
) -> Fr {
    let mut words = vec![U256::from_be_bytes(msg.0)];
    words.extend(apk_g1.to_abi());
    words.extend(apk_g2.to_abi());
    words.extend(sig.to_abi());
    to_fr(keccak256(packed(&words)))
}

/// `γ = keccak256(abi.encodePacked(pop.x, pop.y, pkG1.x, pkG1.y, pkG2[0..4], msg)) mod r`, the
/// challenge of [`pop_verify`].
pub fn pop_gamma(pk_g1: &PublicKeyG1, pk_g2: &PublicKeyG2, msg: &B256, pop: &Signature) -> U256 {
    fr_to_u256(pop_gamma_fr(pk_g1, pk_g2, msg, pop))
}

fn pop_gamma_fr(pk_g1: &PublicKeyG1, pk_g2: &PublicKeyG2, msg: &B256, pop: &Signature) -> Fr {
    let mut words = Vec::with_capacity(9);
    words.extend(pop.to_abi());
    words.extend(pk_g1.to_abi());
    words.extend(pk_g2.to_abi());
    words.push(U256::from_be_bytes(msg.0));
    to_fr(keccak256(packed(&words)))
}

/// `e(σ + γ·pkG1, −g2) · e(H(m) + γ·g1, pkG2) == 1`.
fn combined_check(
    sig: &G1Affine,
    pk_g1: &G1Affine,
    pk_g2: &G2Affine,
    h: G1Affine,
    gamma: Fr,
) -> bool {
    let left = (*pk_g1 * gamma + sig).into_affine();
    let right = (G1Affine::generator() * gamma + h).into_affine();
    pairing_product_is_one(left, -G2Affine::generator(), right, *pk_g2)
}

/// The `AttestationCenter`'s signature check: `σ` signs `msg` under the aggregate key whose
/// G1 half is `apk_g1` and G2 half is `apk_g2`, both of one secret.
///
/// In the contract `apk_g1` is the active set's aggregate minus the non-signers' keys and
/// `apk_g2` is supplied by the submitter; this check is what stops a submitter pairing a G2
/// key of its choosing with the set's G1 key.
pub fn verify_with_g1(
    apk_g1: &PublicKeyG1,
    apk_g2: &PublicKeyG2,
    msg: &B256,
    sig: &Signature,
) -> bool {
    let gamma = signature_gamma_fr(msg, apk_g1, apk_g2, sig);
    combined_check(&sig.0, &apk_g1.0, &apk_g2.0, hash_to_g1(msg), gamma)
}

/// A proof of possession: `sk · H(msg)`, `msg` the registration message the contract computes
/// (`keccak256(abi.encode("liveliness/pop/v1", operator, attestationCenter, chainId))`, built
/// by the protocol crate).
pub fn pop_sign(sk: &SecretKey, msg: &B256) -> Signature {
    Signature((hash_to_g1(msg) * sk.scalar()).into_affine())
}

/// The registration check: `pop` proves that `pk_g1` and `pk_g2` are both keys of one secret
/// that signed `msg`. This is what refuses a rogue G1 key `pk − Σ others` paired with an
/// honest G2 key.
pub fn pop_verify(pk_g1: &PublicKeyG1, pk_g2: &PublicKeyG2, msg: &B256, pop: &Signature) -> bool {
    let gamma = pop_gamma_fr(pk_g1, pk_g2, msg, pop);
    combined_check(&pop.0, &pk_g1.0, &pk_g2.0, hash_to_g1(msg), gamma)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyPair;
    use rand::thread_rng;

    #[test]
    fn signature_check_accepts_matching_halves_only() {
        let kps: Vec<_> = (0..4).map(|_| KeyPair::random(&mut thread_rng())).collect();
        let msg = keccak256("vote");
        let sig =
            Signature::aggregate(&kps.iter().map(|k| k.sign(&msg)).collect::<Vec<_>>()).unwrap();
        let apk_g1 = PublicKeyG1::aggregate(kps.iter().map(KeyPair::pk_g1)).unwrap();
        let apk_g2 = PublicKeyG2::aggregate(kps.iter().map(KeyPair::pk_g2)).unwrap();
        assert!(verify_with_g1(&apk_g1, &apk_g2, &msg, &sig));
        assert!(!verify_with_g1(&apk_g1, &apk_g2, &keccak256("other"), &sig));
        // G1 half of three keys, G2 half of four: refused.
        let apk3_g1 = PublicKeyG1::aggregate(kps.iter().skip(1).map(KeyPair::pk_g1)).unwrap();
        assert!(!verify_with_g1(&apk3_g1, &apk_g2, &msg, &sig));
    }

    #[test]
    fn pop_round_trip() {
        let kp = KeyPair::random(&mut thread_rng());
        let msg = keccak256("pop");
        let pop = pop_sign(kp.sk(), &msg);
        assert!(pop_verify(kp.pk_g1(), kp.pk_g2(), &msg, &pop));
        assert!(!pop_verify(
            kp.pk_g1(),
            kp.pk_g2(),
            &keccak256("other"),
            &pop
        ));
        let other = KeyPair::random(&mut thread_rng());
        assert!(!pop_verify(other.pk_g1(), kp.pk_g2(), &msg, &pop));
        assert!(!pop_verify(kp.pk_g1(), other.pk_g2(), &msg, &pop));
    }
}
