//! Hashing a 32-byte message to G1, exactly as EigenLayer's `BN254.hashToG1` does on chain.

use alloy_primitives::{B256, U256};
use ark_bn254::G1Affine;

/// Maps a 32-byte message to a G1 point by try-and-increment, the EigenLayer way:
///
/// ```text
/// x = uint256(h) % p
/// loop:
///     beta = x^3 + 3 mod p
///     y    = beta^((p+1)/4) mod p
///     if y^2 == beta: return (x, y)
///     x = x + 1 mod p
/// ```
///
/// The root taken is exactly `beta^((p+1)/4)`, never its negation: `eigen_crypto_bn254`'s
/// `map_to_curve` computes it with ark's `sqrt`, which for `p ≡ 3 mod 4` is that very power
/// (checked against a plain `uint256` replica of the contract in this crate's tests).
///
/// Not constant time in the message; messages here are public hashes.
pub fn hash_to_g1(msg: &B256) -> G1Affine {
    eigen_crypto_bn254::utils::map_to_curve(&msg.0)
}

/// The hint that lets the AttestationCenter check [`hash_to_g1`]`(msg)`
/// instead of computing it (`Attestation.h2cHint`, PROTOCOL.md §2.5): one
/// word per try, for each try that fails a square root of `p − (x³ + 3)`
/// (which exists because `x³ + 3` is no square and −1 is none either,
/// `p ≡ 3 mod 4`), then for the last try a square root of the point's `y`
/// (`y = β^((p+1)/4)` is always a square).
pub fn hash_to_g1_hint(msg: &B256) -> Vec<U256> {
    let p = FIELD_MODULUS;
    let sqrt = |a: U256| a.pow_mod(SQRT_EXPONENT, p);
    let mut hint = Vec::new();
    let mut x = U256::from_be_bytes(msg.0) % p;
    loop {
        let beta = x.pow_mod(U256::from(3), p).add_mod(U256::from(3), p);
        let y = sqrt(beta);
        if y.mul_mod(y, p) == beta {
            hint.push(sqrt(y));
            return hint;
        }
        hint.push(sqrt(p - beta));
        x = x.add_mod(U256::from(1), p);
    }
}

/// The BN254 base field modulus `p`.
const FIELD_MODULUS: U256 = U256::from_be_bytes(alloy_primitives::hex!(
    "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47"
));
/// `(p + 1) / 4`: `a^((p+1)/4)` is a square root of `a` when one exists.
const SQRT_EXPONENT: U256 = U256::from_be_bytes(alloy_primitives::hex!(
    "0c19139cb84c680a6e14116da060561765e05aa45a1c72a34f082305b61f3f52"
));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::g1_to_abi;
    use alloy_primitives::{keccak256, U256};
    use rand::{rngs::StdRng, Rng, SeedableRng};

    const P: U256 = U256::from_be_bytes(alloy_primitives::hex!(
        "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47"
    ));

    /// A line-by-line replica of the Solidity `hashToG1` in 256-bit integers, independent of
    /// ark's field arithmetic.
    fn contract_hash_to_g1(h: B256) -> [U256; 2] {
        let exp = (P + U256::from(1)) >> 2;
        let mut x = U256::from_be_bytes(h.0) % P;
        loop {
            let beta = x.pow_mod(U256::from(3), P).add_mod(U256::from(3), P);
            let y = beta.pow_mod(exp, P);
            if beta == y.mul_mod(y, P) {
                return [x, y];
            }
            x = x.add_mod(U256::from(1), P);
        }
    }

    #[test]
    fn matches_the_contract_on_many_inputs() {
        let mut rng = StdRng::seed_from_u64(0x6c69_7665);
        let mut inputs: Vec<B256> = (0..2_000)
            .map(|_| B256::from(rng.gen::<[u8; 32]>()))
            .collect();
        // Edge cases: zero, one, values at and above p, all ones (reduced mod p first).
        inputs.push(B256::ZERO);
        inputs.push(B256::with_last_byte(1));
        inputs.push(B256::from(P));
        inputs.push(B256::from(P - U256::from(1)));
        inputs.push(B256::from(P + U256::from(1)));
        inputs.push(B256::from(U256::MAX));
        inputs.push(keccak256("liveliness"));
        for h in inputs {
            assert_eq!(
                g1_to_abi(&hash_to_g1(&h)),
                contract_hash_to_g1(h),
                "input {h}"
            );
        }
    }

    /// The contract's hint check (`AttestationCenter._hashToG1Hinted`),
    /// replicated in 256-bit integers.
    fn check_hint(h: B256, hint: &[U256]) -> Option<[U256; 2]> {
        let (last, failed) = hint.split_last()?;
        let mut x = U256::from_be_bytes(h.0) % P;
        let cube3 = |x: U256| x.pow_mod(U256::from(3), P).add_mod(U256::from(3), P);
        for w in failed {
            let beta = cube3(x);
            if beta.is_zero() || w.mul_mod(*w, P) != P - beta {
                return None;
            }
            x = x.add_mod(U256::from(1), P);
        }
        let y = last.mul_mod(*last, P);
        (y.mul_mod(y, P) == cube3(x)).then_some([x, y])
    }

    #[test]
    fn the_hint_checks_and_gives_the_hashed_point() {
        assert_eq!(SQRT_EXPONENT, (P + U256::from(1)) >> 2);
        let mut rng = StdRng::seed_from_u64(0x6832_6321);
        let mut most = 0;
        for _ in 0..1_000 {
            let h = B256::from(rng.gen::<[u8; 32]>());
            let hint = hash_to_g1_hint(&h);
            most = most.max(hint.len());
            assert_eq!(
                check_hint(h, &hint),
                Some(g1_to_abi(&hash_to_g1(&h))),
                "input {h}"
            );
            // One try fewer or more does not check.
            if hint.len() > 1 {
                assert_eq!(check_hint(h, &hint[1..]), None);
            }
            let mut more = hint.clone();
            more.insert(0, hint[0]);
            assert_eq!(check_hint(h, &more), None);
        }
        assert!(most >= 5, "some messages need several tries");
    }

    #[test]
    fn ark_sqrt_is_the_contract_power() {
        use ark_bn254::Fq;
        use ark_ff::{BigInteger, Field, PrimeField, UniformRand};
        // (p + 1) / 4 as limbs.
        let mut e = Fq::MODULUS;
        e.add_with_carry(&ark_ff::BigInt::from(1u64));
        e.div2();
        e.div2();
        let mut rng = StdRng::seed_from_u64(7);
        let mut residues = 0;
        for _ in 0..5_000 {
            let beta = Fq::rand(&mut rng);
            let want = beta.pow(e);
            match beta.sqrt() {
                Some(root) => {
                    residues += 1;
                    assert_eq!(root, want);
                }
                None => assert_ne!(want.square(), beta),
            }
        }
        assert!(residues > 2_000, "about half of all elements are squares");
    }
}
