//! BN254 BLS signatures in the EigenLayer convention, for Liveliness votes and operator
//! registration.
//!
//! - A [`SecretKey`] is a scalar `sk`; its public keys are [`PublicKeyG1`] `sk·g1` and
//!   [`PublicKeyG2`] `sk·g2`. The contracts sum G1 keys; signatures are checked against G2
//!   keys.
//! - A [`Signature`] is `sk·H(m)` in G1, `H` = [`hash_to_g1`], the try-and-increment map of
//!   EigenLayer's `BN254.hashToG1`, over a 32-byte message (a vote hash).
//! - [`verify`], [`verify_aggregate`] and [`batch_verify`] check votes off chain;
//!   [`verify_with_g1`] and [`pop_verify`] reproduce the contracts' checks exactly, so a node
//!   can know before sending what the chain will accept.
//! - Every point type converts to and from Solidity ABI words (`to_abi`/`from_abi`: G1 as
//!   `[x, y]`, G2 as `[x.c1, x.c0, y.c1, y.c0]`, EIP-197 order), compact bytes
//!   (`to_bytes`/`from_bytes`: 64 or 128 bytes big-endian) and `0x` hex (`Display`,
//!   `FromStr`, serde). Decoders accept untrusted input: they refuse non-canonical
//!   coordinates, the point at infinity, points off the curve or (G2) outside the subgroup,
//!   with an [`Error`] that says which; they never panic.
//!
//! ```
//! use alloy_primitives::keccak256;
//! use liveliness_bls::{batch_verify, verify, KeyPair};
//!
//! let mut rng = rand::thread_rng();
//! let kp = KeyPair::random(&mut rng);
//! let msg = keccak256("vote");
//! let sig = kp.sign(&msg);
//! assert!(verify(kp.pk_g2(), &msg, &sig));
//! assert!(batch_verify([(kp.pk_g2(), &msg, &sig)], &mut rng));
//! ```
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod codec;
mod contract;
mod error;
mod hash;
mod keys;
mod signature;

pub use ark_bn254::{G1Affine, G2Affine};
pub use codec::{G1_BYTES, G2_BYTES};
pub use contract::{pop_gamma, pop_sign, pop_verify, signature_gamma, verify_with_g1};
pub use error::{Error, Group, Result};
pub use hash::{hash_to_g1, hash_to_g1_hint};
pub use keys::{KeyPair, PublicKeyG1, PublicKeyG2, SecretKey};
pub use signature::{batch_verify, verify, verify_aggregate, Signature};
