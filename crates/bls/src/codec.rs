//! Conversions between ark points and the encodings used on chain and on the wire.
//!
//! - Solidity ABI: G1 as `[x, y]`, G2 as `[x.c1, x.c0, y.c1, y.c0]` (EIP-197 order, the
//!   imaginary part first), every coordinate a `uint256`. The point at infinity is all zeros.
//! - Compact bytes: the same words, 32 bytes big-endian each, concatenated (64 bytes for G1,
//!   128 for G2).
//!
//! Decoders take untrusted input: they check the length, that every coordinate is below
//! `p`, that the point is not the point at infinity, on the curve and (for G2) in the
//! prime-order subgroup. They never panic.

use alloy_primitives::U256;
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField, Zero};

use crate::error::{Error, Group, Result};

/// Bytes in the compact encoding of a G1 point.
pub const G1_BYTES: usize = 64;
/// Bytes in the compact encoding of a G2 point.
pub const G2_BYTES: usize = 128;

const WORD: usize = 32;

pub(crate) fn fq_to_u256(f: &Fq) -> U256 {
    U256::from_limbs(f.into_bigint().0)
}

fn fq_from_u256(v: U256, group: Group) -> Result<Fq> {
    Fq::from_bigint(BigInt::new(v.into_limbs())).ok_or(Error::CoordinateOutOfRange(group))
}

pub(crate) fn g1_to_abi(p: &G1Affine) -> [U256; 2] {
    if p.is_zero() {
        return [U256::ZERO; 2];
    }
    [fq_to_u256(&p.x), fq_to_u256(&p.y)]
}

pub(crate) fn g2_to_abi(p: &G2Affine) -> [U256; 4] {
    if p.is_zero() {
        return [U256::ZERO; 4];
    }
    [
        fq_to_u256(&p.x.c1),
        fq_to_u256(&p.x.c0),
        fq_to_u256(&p.y.c1),
        fq_to_u256(&p.y.c0),
    ]
}

pub(crate) fn g1_from_abi(words: [U256; 2]) -> Result<G1Affine> {
    let [x, y] = words;
    let x = fq_from_u256(x, Group::G1)?;
    let y = fq_from_u256(y, Group::G1)?;
    if x.is_zero() && y.is_zero() {
        return Err(Error::PointAtInfinity(Group::G1));
    }
    check_g1(G1Affine::new_unchecked(x, y))
}

pub(crate) fn g2_from_abi(words: [U256; 4]) -> Result<G2Affine> {
    let [x1, x0, y1, y0] = words;
    let x = Fq2::new(fq_from_u256(x0, Group::G2)?, fq_from_u256(x1, Group::G2)?);
    let y = Fq2::new(fq_from_u256(y0, Group::G2)?, fq_from_u256(y1, Group::G2)?);
    if x.is_zero() && y.is_zero() {
        return Err(Error::PointAtInfinity(Group::G2));
    }
    check_g2(G2Affine::new_unchecked(x, y))
}

/// Checks a G1 point built elsewhere (ark keeps the invariants of its own operations, but a
/// point made with `new_unchecked` may be anything).
pub(crate) fn check_g1(p: G1Affine) -> Result<G1Affine> {
    if p.is_zero() {
        return Err(Error::PointAtInfinity(Group::G1));
    }
    if !p.is_on_curve() {
        return Err(Error::NotOnCurve(Group::G1));
    }
    // The G1 cofactor is 1, so this always holds; kept so the two groups read alike.
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(Error::NotInSubgroup(Group::G1));
    }
    Ok(p)
}

/// Checks a G2 point: not infinity, on the twist, in the order-`r` subgroup.
pub(crate) fn check_g2(p: G2Affine) -> Result<G2Affine> {
    if p.is_zero() {
        return Err(Error::PointAtInfinity(Group::G2));
    }
    if !p.is_on_curve() {
        return Err(Error::NotOnCurve(Group::G2));
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(Error::NotInSubgroup(Group::G2));
    }
    Ok(p)
}

fn words_to_bytes<const N: usize, const B: usize>(words: [U256; N]) -> [u8; B] {
    let mut out = [0u8; B];
    for (chunk, word) in out.chunks_exact_mut(WORD).zip(words) {
        chunk.copy_from_slice(&word.to_be_bytes::<WORD>());
    }
    out
}

fn words_from_bytes<const N: usize>(bytes: &[u8]) -> Result<[U256; N]> {
    let expected = N.saturating_mul(WORD);
    if bytes.len() != expected {
        return Err(Error::InvalidLength {
            expected,
            got: bytes.len(),
        });
    }
    let mut out = [U256::ZERO; N];
    for (word, chunk) in out.iter_mut().zip(bytes.chunks_exact(WORD)) {
        // A 32-byte chunk always fits; the fallback is unreachable but keeps this panic-free.
        *word = U256::try_from_be_slice(chunk).ok_or(Error::InvalidLength {
            expected,
            got: bytes.len(),
        })?;
    }
    Ok(out)
}

pub(crate) fn g1_to_bytes(p: &G1Affine) -> [u8; G1_BYTES] {
    words_to_bytes(g1_to_abi(p))
}

pub(crate) fn g2_to_bytes(p: &G2Affine) -> [u8; G2_BYTES] {
    words_to_bytes(g2_to_abi(p))
}

pub(crate) fn g1_from_bytes(bytes: &[u8]) -> Result<G1Affine> {
    g1_from_abi(words_from_bytes(bytes)?)
}

pub(crate) fn g2_from_bytes(bytes: &[u8]) -> Result<G2Affine> {
    g2_from_abi(words_from_bytes(bytes)?)
}

/// Decodes `0x`-prefixed (or bare) hex into bytes.
pub(crate) fn decode_hex(s: &str) -> Result<Vec<u8>> {
    Ok(alloy_primitives::hex::decode(s.trim())?)
}

/// Implements the encodings shared by every point type: ABI words, compact bytes,
/// `0x` hex through `Display`/`FromStr`/`Debug`, and serde as that hex string.
macro_rules! impl_point_encodings {
    ($ty:ident, $affine:ty, $n_words:literal, $n_bytes:expr, $to_abi:path, $from_abi:path,
     $to_bytes:path, $from_bytes:path) => {
        impl $ty {
            /// The Solidity ABI words of the point.
            pub fn to_abi(&self) -> [alloy_primitives::U256; $n_words] {
                $to_abi(&self.0)
            }

            /// Decodes Solidity ABI words, refusing anything that is not a valid point of
            /// the prime-order subgroup, or the point at infinity.
            pub fn from_abi(words: [alloy_primitives::U256; $n_words]) -> $crate::Result<Self> {
                $from_abi(words).map(Self)
            }

            /// The compact big-endian encoding: the ABI words, 32 bytes each.
            pub fn to_bytes(&self) -> [u8; $n_bytes] {
                $to_bytes(&self.0)
            }

            /// Decodes the compact encoding strictly (exact length, canonical coordinates,
            /// valid point, not infinity).
            pub fn from_bytes(bytes: &[u8]) -> $crate::Result<Self> {
                $from_bytes(bytes).map(Self)
            }

            /// The underlying ark point.
            pub const fn as_affine(&self) -> &$affine {
                &self.0
            }
        }

        impl From<$ty> for $affine {
            fn from(value: $ty) -> Self {
                value.0
            }
        }

        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&alloy_primitives::hex::encode_prefixed(self.to_bytes()))
            }
        }

        impl core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({})", stringify!($ty), self)
            }
        }

        impl core::str::FromStr for $ty {
            type Err = $crate::Error;

            fn from_str(s: &str) -> $crate::Result<Self> {
                Self::from_bytes(&$crate::codec::decode_hex(s)?)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use impl_point_encodings;

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Projective, G2Projective};
    use ark_ec::{CurveGroup, PrimeGroup};

    /// The BN254 base field modulus `p`.
    const P: U256 = U256::from_be_bytes(alloy_primitives::hex!(
        "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47"
    ));

    #[test]
    fn g1_round_trips() {
        let p = (G1Projective::generator() * ark_bn254::Fr::from(7u64)).into_affine();
        assert_eq!(g1_from_abi(g1_to_abi(&p)).unwrap(), p);
        assert_eq!(g1_from_bytes(&g1_to_bytes(&p)).unwrap(), p);
    }

    #[test]
    fn g2_round_trips() {
        let p = (G2Projective::generator() * ark_bn254::Fr::from(7u64)).into_affine();
        assert_eq!(g2_from_abi(g2_to_abi(&p)).unwrap(), p);
        assert_eq!(g2_from_bytes(&g2_to_bytes(&p)).unwrap(), p);
    }

    #[test]
    fn rejects_bad_lengths() {
        assert_eq!(
            g1_from_bytes(&[0u8; 63]),
            Err(Error::InvalidLength {
                expected: 64,
                got: 63
            })
        );
        assert_eq!(
            g2_from_bytes(&[0u8; 129]),
            Err(Error::InvalidLength {
                expected: 128,
                got: 129
            })
        );
        assert!(g1_from_bytes(&[]).is_err());
    }

    #[test]
    fn rejects_infinity() {
        assert_eq!(
            g1_from_abi([U256::ZERO; 2]),
            Err(Error::PointAtInfinity(Group::G1))
        );
        assert_eq!(
            g2_from_abi([U256::ZERO; 4]),
            Err(Error::PointAtInfinity(Group::G2))
        );
        assert_eq!(g1_to_abi(&G1Affine::zero()), [U256::ZERO; 2]);
        assert_eq!(g2_to_abi(&G2Affine::zero()), [U256::ZERO; 4]);
    }

    #[test]
    fn rejects_non_canonical_coordinates() {
        // (1, 2) is the G1 generator; (1 + p, 2) is the same point with a non-canonical x.
        let g = [U256::from(1), U256::from(2)];
        assert!(g1_from_abi(g).is_ok());
        assert_eq!(
            g1_from_abi([U256::from(1) + P, U256::from(2)]),
            Err(Error::CoordinateOutOfRange(Group::G1))
        );
        assert_eq!(
            g1_from_abi([U256::MAX, U256::MAX]),
            Err(Error::CoordinateOutOfRange(Group::G1))
        );
        let mut g2 = g2_to_abi(&G2Affine::generator());
        g2[3] += P;
        assert_eq!(g2_from_abi(g2), Err(Error::CoordinateOutOfRange(Group::G2)));
    }

    #[test]
    fn rejects_points_off_the_curve() {
        assert_eq!(
            g1_from_abi([U256::from(1), U256::from(3)]),
            Err(Error::NotOnCurve(Group::G1))
        );
        let mut g2 = g2_to_abi(&G2Affine::generator());
        g2[0] ^= U256::from(1);
        assert_eq!(g2_from_abi(g2), Err(Error::NotOnCurve(Group::G2)));
    }

    #[test]
    fn rejects_g2_points_outside_the_subgroup() {
        // Find a point on the twist y^2 = x^3 + b' that is not in the order-r subgroup: the
        // twist has a large cofactor, so a point found by increment is almost never in it.
        use ark_ec::short_weierstrass::SWCurveConfig;
        use ark_ff::Field;
        let b = ark_bn254::g2::Config::COEFF_B;
        let mut x = Fq2::new(Fq::from(1u64), Fq::from(1u64));
        let point = loop {
            let rhs = x.square() * x + b;
            if let Some(y) = rhs.sqrt() {
                let p = G2Affine::new_unchecked(x, y);
                if !p.is_in_correct_subgroup_assuming_on_curve() {
                    break p;
                }
            }
            x += Fq2::ONE;
        };
        assert!(point.is_on_curve());
        assert_eq!(
            g2_from_abi(g2_to_abi(&point)),
            Err(Error::NotInSubgroup(Group::G2))
        );
        assert_eq!(
            g2_from_bytes(&g2_to_bytes(&point)),
            Err(Error::NotInSubgroup(Group::G2))
        );
    }
}
