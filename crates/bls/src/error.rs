//! The crate's error type.

use core::fmt;

/// Which BN254 group a point belongs to, named in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// G1, over the base field `Fp`.
    G1,
    /// G2, over the quadratic extension `Fp2`.
    G2,
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::G1 => "G1",
            Self::G2 => "G2",
        })
    }
}

/// Everything that can go wrong when decoding or building keys and signatures.
///
/// Verification itself never errors: it answers `true` or `false`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// A secret key must be in `[1, r)`, `r` the BN254 scalar field order.
    #[error("secret key is zero or not below the BN254 scalar field order")]
    InvalidSecretKey,
    /// An encoding has the wrong number of bytes.
    #[error("expected {expected} bytes, got {got}")]
    InvalidLength {
        /// Bytes the encoding must have.
        expected: usize,
        /// Bytes that were given.
        got: usize,
    },
    /// A coordinate is not below the base field modulus `p`.
    #[error("{0} coordinate is not below the BN254 base field modulus")]
    CoordinateOutOfRange(Group),
    /// The point at infinity (all-zero coordinates) is never a valid key or signature.
    #[error("{0} point at infinity is not allowed")]
    PointAtInfinity(Group),
    /// The coordinates do not satisfy the curve equation.
    #[error("{0} point is not on the curve")]
    NotOnCurve(Group),
    /// The point is on the curve but outside the prime-order subgroup.
    #[error("{0} point is not in the prime-order subgroup")]
    NotInSubgroup(Group),
    /// Aggregation was asked for an empty set.
    #[error("cannot aggregate an empty set")]
    EmptyAggregate,
    /// A text encoding is not valid hex.
    #[error("invalid hex: {0}")]
    Hex(#[from] alloy_primitives::hex::FromHexError),
}

/// `Result` with this crate's [`Error`] as the default error.
pub type Result<T, E = Error> = core::result::Result<T, E>;
