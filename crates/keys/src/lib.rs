//! Encrypted keystores for a Liveliness node's two keys: the ECDSA secp256k1 key (its
//! Ethereum address) and the BN254 BLS key that signs votes. Keys never live in plain config.
//!
//! Both are Web3 Secret Storage v3 files (scrypt, aes-128-ctr, keccak MAC), so the ECDSA file
//! is an ordinary Ethereum keystore that geth, foundry or alloy can read. Beside the ciphertext, each file carries its public
//! half in cleartext, so [`show`] needs no password:
//!
//! ```json
//! { "version": 3, "id": "…", "crypto": { … },
//!   "keyType": "bn254-bls", "pubkeyG1": "0x…(64 bytes)", "pubkeyG2": "0x…(128 bytes)" }
//! { "version": 3, "id": "…", "crypto": { … },
//!   "keyType": "secp256k1", "address": "f39fd6e51aad88f6f4ce6ab8827279cfffb92266" }
//! ```
//!
//! Loading checks those fields against the decrypted secret. Files are created 0600 (unix),
//! never overwrite an existing file, and are validated before decryption: a wrong password
//! or a corrupted file is an [`Error`], never a panic.
//!
//! New keystores use geth's standard scrypt cost, n = 2^18, r = 8, p = 1
//! ([`KdfStrength::Standard`]); tests and the local devnet may ask for
//! [`KdfStrength::InsecureTestOnly`] instead. Reading accepts any file up to 512 MiB of scrypt
//! memory, so light keystores from other tools (eth-keystore's n = 2^13) load too. This crate
//! writes the files itself; `eth-keystore` decrypts them.
//!
//! The keystore password comes from a password file ([`read_password_file`]), which on unix
//! must not be accessible to anyone but its owner.
//!
//! ```no_run
//! # fn main() -> Result<(), liveliness_keys::Error> {
//! use liveliness_keys::KdfStrength;
//! let files = liveliness_keys::generate(
//!     "/var/lib/liveliness/keys",
//!     "correct horse",
//!     KdfStrength::Standard,
//! )?;
//! let signer = liveliness_keys::load_ecdsa(&files.ecdsa_path, "correct horse")?;
//! let bls = liveliness_keys::load_bls(&files.bls_path, "correct horse")?;
//! println!("{:?}", liveliness_keys::show(&files.bls_path)?);
//! # let _ = (signer, bls);
//! # Ok(())
//! # }
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

mod error;
mod file;
mod kdf;
mod keystore;

pub use error::{Error, Result};
pub use file::{read_password_file, BLS_KEY_TYPE, ECDSA_KEY_TYPE};
pub use kdf::KdfStrength;
pub use keystore::{
    generate, import_bls, import_ecdsa, load_bls, load_ecdsa, save_bls, save_ecdsa, show, KeyFiles,
    PublicInfo,
};
