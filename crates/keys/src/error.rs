//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong creating, reading or decrypting a keystore.
///
/// No variant ever carries secret material or a password.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The MAC did not match: the password is wrong (or the ciphertext was altered).
    #[error("wrong password for keystore {path}")]
    WrongPassword {
        /// The keystore file.
        path: PathBuf,
    },
    /// Creating a keystore where a file already exists; keys are never overwritten.
    #[error("{path} already exists; refusing to overwrite a key")]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("cannot access {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON of the expected shape.
    #[error("keystore {path} is not valid keystore JSON")]
    Json {
        /// The keystore file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The file parses but a field is missing, malformed or out of the accepted range.
    #[error("keystore {path} is corrupted or unsupported: {reason}")]
    Malformed {
        /// The keystore file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// The file holds the other kind of key.
    #[error("keystore {path} holds a {found} key, expected {expected}")]
    WrongKeyType {
        /// The keystore file.
        path: PathBuf,
        /// The `keyType` wanted.
        expected: &'static str,
        /// The `keyType` found.
        found: String,
    },
    /// The cleartext public key does not belong to the decrypted secret.
    #[error("keystore {path}: the stored public key does not match the encrypted secret")]
    PublicKeyMismatch {
        /// The keystore file.
        path: PathBuf,
    },
    /// The decrypted or imported bytes are not a valid secp256k1 secret key.
    #[error("not a valid secp256k1 secret key")]
    InvalidEcdsaKey,
    /// The decrypted or imported bytes are not a valid BLS secret key.
    #[error("not a valid BN254 BLS secret key")]
    InvalidBlsKey(#[source] liveliness_bls::Error),
    /// An imported secret is not 32 bytes of hex.
    #[error("a secret key must be 32 bytes of hex (64 hex digits, optional 0x)")]
    InvalidSecretHex,
    /// New keystores need a non-empty password.
    #[error("the password must not be empty")]
    EmptyPassword,
    /// A password file that users other than its owner may access (unix: the group or other
    /// permission bits are not all zero).
    #[error(
        "password file {path} is accessible to other users (mode {mode:04o}); \
         run `chmod 600 {path}` so that only its owner can read it"
    )]
    PasswordFileNotPrivate {
        /// The password file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The first line of a password file, the password, is empty.
    #[error("password file {path} is empty (the password is its first line)")]
    EmptyPasswordFile {
        /// The password file.
        path: PathBuf,
    },
    /// Encrypting a new keystore failed (the KDF or the cipher refused its parameters).
    #[error("cannot encrypt keystore {path}")]
    Encrypt {
        /// The keystore file.
        path: PathBuf,
    },
    /// The keystore library (eth-keystore) failed to decrypt.
    #[error("keystore {path}: decryption failed")]
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: eth_keystore::KeystoreError,
    },
}

/// `Result` with this crate's [`Error`] as the default error.
pub type Result<T, E = Error> = core::result::Result<T, E>;
