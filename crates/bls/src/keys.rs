//! Secret keys, public keys in G1 and G2, and key pairs.

use alloy_primitives::{B256, U256};
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInt, PrimeField, UniformRand, Zero};
use rand::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use crate::{
    codec::{self, impl_point_encodings, G1_BYTES, G2_BYTES},
    error::{Error, Result},
    hash::hash_to_g1,
    signature::Signature,
};

/// A BLS secret key: a scalar in `[1, r)`.
///
/// Wiped from memory on drop; `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey(Fr);

impl SecretKey {
    /// Bytes in the encoding of a secret key.
    pub const BYTES: usize = 32;

    /// Draws a uniformly random non-zero secret key.
    pub fn random<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        loop {
            let s = Fr::rand(rng);
            if !s.is_zero() {
                return Self(s);
            }
        }
    }

    /// Decodes 32 big-endian bytes, refusing zero and anything not below `r`
    /// (no silent reduction: a key has exactly one encoding).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
        let limbs = Zeroizing::new(U256::from_be_bytes(*bytes).into_limbs());
        let s = Fr::from_bigint(BigInt::new(*limbs)).ok_or(Error::InvalidSecretKey)?;
        if s.is_zero() {
            return Err(Error::InvalidSecretKey);
        }
        Ok(Self(s))
    }

    /// Decodes a slice that must hold exactly 32 big-endian bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let arr: Zeroizing<[u8; 32]> =
            Zeroizing::new(bytes.try_into().map_err(|_| Error::InvalidLength {
                expected: Self::BYTES,
                got: bytes.len(),
            })?);
        Self::from_bytes(&arr)
    }

    /// The 32 big-endian bytes of the key, wiped when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut limbs = self.0.into_bigint().0;
        let bytes = Zeroizing::new(U256::from_limbs(limbs).to_be_bytes::<32>());
        limbs.zeroize();
        bytes
    }

    /// `sk · g1`.
    pub fn public_key_g1(&self) -> PublicKeyG1 {
        PublicKeyG1((G1Projective::generator() * self.0).into_affine())
    }

    /// `sk · g2`.
    pub fn public_key_g2(&self) -> PublicKeyG2 {
        PublicKeyG2((G2Projective::generator() * self.0).into_affine())
    }

    /// Signs a 32-byte message: `σ = sk · H(msg)`, `H` the contract's `hashToG1`.
    pub fn sign(&self, msg: &B256) -> Signature {
        Signature((hash_to_g1(msg) * self.0).into_affine())
    }

    pub(crate) const fn scalar(&self) -> &Fr {
        &self.0
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl core::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A public key in G1, `sk · g1`: the half the contract sums into the aggregate key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKeyG1(pub(crate) G1Affine);

/// A public key in G2, `sk · g2`: the half signatures are verified against.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKeyG2(pub(crate) G2Affine);

impl_point_encodings!(
    PublicKeyG1,
    G1Affine,
    2,
    G1_BYTES,
    codec::g1_to_abi,
    codec::g1_from_abi,
    codec::g1_to_bytes,
    codec::g1_from_bytes
);

impl_point_encodings!(
    PublicKeyG2,
    G2Affine,
    4,
    G2_BYTES,
    codec::g2_to_abi,
    codec::g2_from_abi,
    codec::g2_to_bytes,
    codec::g2_from_bytes
);

impl PublicKeyG1 {
    /// Wraps an ark point after checking it (not infinity, on the curve).
    pub fn from_affine(p: G1Affine) -> Result<Self> {
        codec::check_g1(p).map(Self)
    }

    /// The sum of the keys. Errors on an empty set, and when the sum is the point at
    /// infinity (only keys that cancel out, e.g. a rogue key, can do that).
    pub fn aggregate<'a, I: IntoIterator<Item = &'a Self>>(keys: I) -> Result<Self> {
        sum_nonempty(keys.into_iter().map(|k| k.0)).and_then(Self::from_affine)
    }
}

impl PublicKeyG2 {
    /// Wraps an ark point after checking it (not infinity, on the curve, in the subgroup).
    pub fn from_affine(p: G2Affine) -> Result<Self> {
        codec::check_g2(p).map(Self)
    }

    /// The sum of the keys. Errors on an empty set, and when the sum is the point at infinity.
    pub fn aggregate<'a, I: IntoIterator<Item = &'a Self>>(keys: I) -> Result<Self> {
        sum_nonempty(keys.into_iter().map(|k| k.0)).and_then(Self::from_affine)
    }
}

/// Sums affine points, refusing an empty input.
pub(crate) fn sum_nonempty<A: AffineRepr, I: Iterator<Item = A>>(points: I) -> Result<A> {
    let mut points = points.peekable();
    if points.peek().is_none() {
        return Err(Error::EmptyAggregate);
    }
    Ok(points
        .fold(A::Group::zero(), |acc, p| acc + p)
        .into_affine())
}

/// A secret key with both its public keys.
#[derive(Clone, Debug)]
pub struct KeyPair {
    sk: SecretKey,
    pk_g1: PublicKeyG1,
    pk_g2: PublicKeyG2,
}

impl KeyPair {
    /// Derives both public keys from the secret key.
    pub fn from_secret(sk: SecretKey) -> Self {
        let pk_g1 = sk.public_key_g1();
        let pk_g2 = sk.public_key_g2();
        Self { sk, pk_g1, pk_g2 }
    }

    /// A fresh random key pair.
    pub fn random<R: RngCore + CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_secret(SecretKey::random(rng))
    }

    /// The secret key.
    pub const fn sk(&self) -> &SecretKey {
        &self.sk
    }

    /// The public key in G1.
    pub const fn pk_g1(&self) -> &PublicKeyG1 {
        &self.pk_g1
    }

    /// The public key in G2.
    pub const fn pk_g2(&self) -> &PublicKeyG2 {
        &self.pk_g2
    }

    /// Signs a 32-byte message (see [`SecretKey::sign`]).
    pub fn sign(&self, msg: &B256) -> Signature {
        self.sk.sign(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_key_range_checks() {
        assert_eq!(
            SecretKey::from_bytes(&[0u8; 32]).unwrap_err(),
            Error::InvalidSecretKey
        );
        assert_eq!(
            SecretKey::from_bytes(&[0xff; 32]).unwrap_err(),
            Error::InvalidSecretKey
        );
        let r = U256::from_limbs(Fr::MODULUS.0);
        assert!(SecretKey::from_bytes(&r.to_be_bytes()).is_err());
        let r_minus_1 = (r - U256::from(1)).to_be_bytes::<32>();
        assert_eq!(
            *SecretKey::from_bytes(&r_minus_1).unwrap().to_bytes(),
            r_minus_1
        );
        assert_eq!(
            SecretKey::from_slice(&[1u8; 31]).unwrap_err(),
            Error::InvalidLength {
                expected: 32,
                got: 31
            }
        );
    }

    #[test]
    fn secret_key_round_trips_and_hides_in_debug() {
        let sk = SecretKey::random(&mut rand::thread_rng());
        let bytes = sk.to_bytes();
        let back = SecretKey::from_bytes(&bytes).unwrap();
        assert_eq!(back.public_key_g2(), sk.public_key_g2());
        let shown = format!("{sk:?} {:?}", KeyPair::from_secret(back));
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains(&alloy_primitives::hex::encode(*bytes)));
    }

    #[test]
    fn empty_aggregate_is_an_error() {
        assert_eq!(
            PublicKeyG1::aggregate([]).unwrap_err(),
            Error::EmptyAggregate
        );
        assert_eq!(
            PublicKeyG2::aggregate([]).unwrap_err(),
            Error::EmptyAggregate
        );
    }

    #[test]
    fn cancelling_keys_do_not_aggregate_to_infinity() {
        let kp = KeyPair::random(&mut rand::thread_rng());
        let neg = PublicKeyG1::from_affine(-kp.pk_g1().0).unwrap();
        assert!(PublicKeyG1::aggregate([kp.pk_g1(), &neg]).is_err());
    }
}
