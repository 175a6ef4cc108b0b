//! Hashing a 32-byte message to G1, exactly as EigenLayer's `BN254.hashToG1` does on chain.

use alloy_primitives::B256;
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
