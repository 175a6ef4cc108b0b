//! Signatures in G1 and their verification against G2 keys.

use std::collections::BTreeMap;

use alloy_primitives::B256;
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::One;
use rand::{CryptoRng, Rng, RngCore};

use crate::{
    codec::{self, impl_point_encodings, G1_BYTES},
    error::Result,
    hash::hash_to_g1,
    keys::{sum_nonempty, PublicKeyG2},
};

/// A BLS signature, `sk · H(msg)` in G1; also an aggregate of such signatures.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature(pub(crate) G1Affine);

impl_point_encodings!(
    Signature,
    G1Affine,
    2,
    G1_BYTES,
    codec::g1_to_abi,
    codec::g1_from_abi,
    codec::g1_to_bytes,
    codec::g1_from_bytes
);

impl Signature {
    /// Wraps an ark point after checking it (not infinity, on the curve).
    pub fn from_affine(p: G1Affine) -> Result<Self> {
        codec::check_g1(p).map(Self)
    }

    /// The sum of the signatures. Errors on an empty set, and when the sum is the point at
    /// infinity.
    pub fn aggregate<'a, I: IntoIterator<Item = &'a Self>>(sigs: I) -> Result<Self> {
        sum_nonempty(sigs.into_iter().map(|s| s.0)).and_then(Self::from_affine)
    }
}

/// `e(a1, b1) · e(a2, b2) == 1`, with one shared final exponentiation.
pub(crate) fn pairing_product_is_one(
    a1: G1Affine,
    b1: G2Affine,
    a2: G1Affine,
    b2: G2Affine,
) -> bool {
    Bn254::multi_pairing([a1, a2], [b1, b2]).0.is_one()
}

/// Checks `e(σ, g2) == e(H(msg), pk)`.
///
/// Always `false` for the point at infinity as key or signature (the types refuse it, but an
/// identity would make the equation hold trivially).
pub fn verify(pk: &PublicKeyG2, msg: &B256, sig: &Signature) -> bool {
    if pk.0.is_zero() || sig.0.is_zero() {
        return false;
    }
    pairing_product_is_one(sig.0, G2Affine::generator(), -hash_to_g1(msg), pk.0)
}

/// Checks an aggregate signature of one message by all of `pks`: their G2 keys are summed,
/// then [`verify`]d. Same cost as one verification whatever the number of signers.
///
/// Sound only for keys whose proof of possession was checked (see
/// [`pop_verify`](crate::pop_verify)): otherwise a rogue key can forge an aggregate.
/// `false` on an empty key set.
pub fn verify_aggregate<'a, I>(pks: I, msg: &B256, sig: &Signature) -> bool
where
    I: IntoIterator<Item = &'a PublicKeyG2>,
{
    PublicKeyG2::aggregate(pks).is_ok_and(|apk| verify(&apk, msg, sig))
}

/// Checks many `(pk, msg, σ)` at once with a random linear combination: with fresh random
/// 128-bit `rᵢ`,
///
/// ```text
/// e(Σ rᵢ·σᵢ, g2) == Π_m e(H(m), Σ_{i: mᵢ = m} rᵢ·pkᵢ)
/// ```
///
/// so the cost is a multi-scalar multiplication per side and one Miller loop per *distinct*
/// message (votes on a task share one message), with a single final exponentiation. `true` means every signature is valid, except with
/// probability about 2⁻¹²⁸; `false` means at least one is invalid — check them one by one
/// with [`verify`] to find which. `false` on an empty batch.
pub fn batch_verify<'a, I, R>(items: I, rng: &mut R) -> bool
where
    I: IntoIterator<Item = (&'a PublicKeyG2, &'a B256, &'a Signature)>,
    R: RngCore + CryptoRng + ?Sized,
{
    let mut sigs = Vec::new();
    let mut sig_weights = Vec::new();
    let mut by_msg: BTreeMap<B256, (Vec<G2Affine>, Vec<Fr>)> = BTreeMap::new();
    for (pk, msg, sig) in items {
        if pk.0.is_zero() || sig.0.is_zero() {
            return false;
        }
        let r = Fr::from(rng.gen::<u128>().max(1));
        sigs.push(sig.0);
        sig_weights.push(r);
        let (pks, weights) = by_msg.entry(*msg).or_default();
        pks.push(pk.0);
        weights.push(r);
    }
    if sigs.is_empty() {
        return false;
    }
    let Ok(sigma) = G1Projective::msm(&sigs, &sig_weights) else {
        return false;
    };
    let mut g1 = Vec::with_capacity(by_msg.len().saturating_add(1));
    let mut g2 = Vec::with_capacity(by_msg.len().saturating_add(1));
    g1.push(sigma.into_affine());
    g2.push(G2Affine::generator());
    for (msg, (pks, weights)) in &by_msg {
        let h = hash_to_g1(msg);
        match (pks.as_slice(), weights.as_slice()) {
            // A message signed once: weighting H(m) in G1 is cheaper than the key in G2.
            ([pk], [r]) => {
                g1.push((-h * r).into_affine());
                g2.push(*pk);
            }
            _ => {
                let Ok(apk) = G2Projective::msm(pks, weights) else {
                    return false;
                };
                g1.push(-h);
                g2.push(apk.into_affine());
            }
        }
    }
    Bn254::multi_pairing(g1, g2).0.is_one()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyPair;
    use rand::thread_rng;

    fn msg(i: u8) -> B256 {
        alloy_primitives::keccak256([i])
    }

    #[test]
    fn sign_and_verify() {
        let kp = KeyPair::random(&mut thread_rng());
        let sig = kp.sign(&msg(1));
        assert!(verify(kp.pk_g2(), &msg(1), &sig));
        assert!(!verify(kp.pk_g2(), &msg(2), &sig));
        let other = KeyPair::random(&mut thread_rng());
        assert!(!verify(other.pk_g2(), &msg(1), &sig));
    }

    #[test]
    fn aggregate_of_one_message() {
        let kps: Vec<_> = (0..5).map(|_| KeyPair::random(&mut thread_rng())).collect();
        let sigs: Vec<_> = kps.iter().map(|k| k.sign(&msg(3))).collect();
        let agg = Signature::aggregate(&sigs).unwrap();
        assert!(verify_aggregate(
            kps.iter().map(KeyPair::pk_g2),
            &msg(3),
            &agg
        ));
        assert!(!verify_aggregate(
            kps.iter().skip(1).map(KeyPair::pk_g2),
            &msg(3),
            &agg
        ));
        assert!(!verify_aggregate([], &msg(3), &agg));
        assert!(Signature::aggregate([]).is_err());
    }

    #[test]
    fn batch_accepts_valid_and_rejects_any_invalid() {
        let mut rng = thread_rng();
        let kps: Vec<_> = (0..12).map(|_| KeyPair::random(&mut rng)).collect();
        // Two thirds on one message, the rest on their own.
        let msgs: Vec<_> = (0..12u8)
            .map(|i| if i < 8 { msg(0) } else { msg(i) })
            .collect();
        let mut sigs: Vec<_> = kps.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
        let items = |sigs: &[Signature]| -> bool {
            let v: Vec<_> = kps
                .iter()
                .zip(&msgs)
                .zip(sigs)
                .map(|((k, m), s)| (k.pk_g2(), m, s))
                .collect();
            batch_verify(v, &mut thread_rng())
        };
        assert!(items(&sigs));
        // One signature over the wrong message.
        sigs[3] = kps[3].sign(&msg(99));
        assert!(!items(&sigs));
        sigs[3] = kps[3].sign(&msgs[3]);
        // Two signatures swapped between signers of the same message: the sum is unchanged,
        // only the random weights catch it.
        sigs.swap(1, 2);
        assert!(!items(&sigs));
        sigs.swap(1, 2);
        assert!(items(&sigs));
        assert!(!batch_verify([], &mut rng));
    }
}
