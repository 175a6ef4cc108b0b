//! Generating, importing, loading and showing the node's two keystores.

use std::path::{Path, PathBuf};

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::{hex, Address, B256};
use liveliness_bls::{KeyPair, PublicKeyG1, PublicKeyG2, SecretKey};
use rand::rngs::OsRng;
use serde::Serialize;
use serde_json::{json, Map};
use zeroize::Zeroizing;

use crate::{
    error::{Error, Result},
    file::{decrypt, encrypt_new, malformed, KeyFileJson, BLS_KEY_TYPE, ECDSA_KEY_TYPE},
    kdf::KdfStrength,
};

/// The two keystore files of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFiles {
    /// The ECDSA (secp256k1) keystore: the operator's Ethereum address.
    pub ecdsa_path: PathBuf,
    /// The BN254 BLS keystore: the key that signs votes.
    pub bls_path: PathBuf,
}

impl KeyFiles {
    /// File name of the ECDSA keystore inside a key directory.
    pub const ECDSA_FILE: &'static str = "ecdsa.json";
    /// File name of the BLS keystore inside a key directory.
    pub const BLS_FILE: &'static str = "bls.json";

    /// The standard file names inside `dir`.
    pub fn in_dir(dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        Self {
            ecdsa_path: dir.join(Self::ECDSA_FILE),
            bls_path: dir.join(Self::BLS_FILE),
        }
    }
}

/// What a keystore reveals without its password.
///
/// Read from cleartext fields, which the keystore MAC does not cover: fine for display, but
/// trust only what [`load_ecdsa`] / [`load_bls`] return, which check these fields against
/// the decrypted secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "keyType")]
pub enum PublicInfo {
    /// An ECDSA keystore.
    #[serde(rename = "secp256k1")]
    Ecdsa {
        /// The Ethereum address.
        address: Address,
    },
    /// A BLS keystore.
    #[serde(rename = "bn254-bls")]
    Bls {
        /// The public key in G1.
        #[serde(rename = "pubkeyG1")]
        pk_g1: PublicKeyG1,
        /// The public key in G2.
        #[serde(rename = "pubkeyG2")]
        pk_g2: PublicKeyG2,
    },
}

/// Creates a fresh ECDSA key and a fresh BLS key, each in its own keystore in `dir`
/// ([`KeyFiles::in_dir`]), both under `password` with the KDF cost `kdf`. Refuses if either
/// file exists.
///
/// Keys are drawn from the operating system's generator.
pub fn generate(
    dir: impl AsRef<Path>,
    password: impl AsRef<[u8]>,
    kdf: KdfStrength,
) -> Result<KeyFiles> {
    let files = KeyFiles::in_dir(dir);
    for path in [&files.ecdsa_path, &files.bls_path] {
        if path.exists() {
            return Err(Error::AlreadyExists { path: path.clone() });
        }
    }
    let password = password.as_ref();
    save_ecdsa(
        &files.ecdsa_path,
        &PrivateKeySigner::random_with(&mut OsRng),
        password,
        kdf,
    )?;
    if let Err(e) = save_bls(&files.bls_path, &KeyPair::random(&mut OsRng), password, kdf) {
        // Leave nothing half-made: the ECDSA file was created just now by us.
        let _ = std::fs::remove_file(&files.ecdsa_path);
        return Err(e);
    }
    Ok(files)
}

/// Writes `signer`'s key to a new keystore at `path`, with its address in cleartext.
pub fn save_ecdsa(
    path: impl AsRef<Path>,
    signer: &PrivateKeySigner,
    password: impl AsRef<[u8]>,
    kdf: KdfStrength,
) -> Result<Address> {
    let address = signer.address();
    let secret = Zeroizing::new(signer.to_bytes().0);
    let mut public = Map::new();
    public.insert("keyType".into(), json!(ECDSA_KEY_TYPE));
    // geth's spelling: lower-case hex without 0x.
    public.insert("address".into(), json!(hex::encode(address)));
    encrypt_new(path.as_ref(), &secret, password.as_ref(), kdf, public)?;
    Ok(address)
}

/// Writes `keys`' secret to a new keystore at `path`, with both public keys in cleartext.
pub fn save_bls(
    path: impl AsRef<Path>,
    keys: &KeyPair,
    password: impl AsRef<[u8]>,
    kdf: KdfStrength,
) -> Result<(PublicKeyG1, PublicKeyG2)> {
    let mut public = Map::new();
    public.insert("keyType".into(), json!(BLS_KEY_TYPE));
    public.insert("pubkeyG1".into(), json!(keys.pk_g1()));
    public.insert("pubkeyG2".into(), json!(keys.pk_g2()));
    encrypt_new(
        path.as_ref(),
        &keys.sk().to_bytes(),
        password.as_ref(),
        kdf,
        public,
    )?;
    Ok((*keys.pk_g1(), *keys.pk_g2()))
}

/// Imports an ECDSA secret key given as 64 hex digits (optional `0x`, surrounding
/// whitespace ignored) into a new keystore at `path`.
pub fn import_ecdsa(
    path: impl AsRef<Path>,
    secret_hex: &str,
    password: impl AsRef<[u8]>,
    kdf: KdfStrength,
) -> Result<Address> {
    let secret = parse_secret_hex(secret_hex)?;
    let signer =
        PrivateKeySigner::from_bytes(&B256::from(*secret)).map_err(|_| Error::InvalidEcdsaKey)?;
    save_ecdsa(path, &signer, password, kdf)
}

/// Imports a BLS secret key given as 64 hex digits, big-endian, in `[1, r)` (optional `0x`,
/// surrounding whitespace ignored) into a new keystore at `path`.
pub fn import_bls(
    path: impl AsRef<Path>,
    secret_hex: &str,
    password: impl AsRef<[u8]>,
    kdf: KdfStrength,
) -> Result<(PublicKeyG1, PublicKeyG2)> {
    let secret = parse_secret_hex(secret_hex)?;
    let sk = SecretKey::from_bytes(&secret).map_err(Error::InvalidBlsKey)?;
    save_bls(path, &KeyPair::from_secret(sk), password, kdf)
}

fn parse_secret_hex(s: &str) -> Result<Zeroizing<[u8; 32]>> {
    let mut out = Zeroizing::new([0u8; 32]);
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    hex::decode_to_slice(s, out.as_mut_slice()).map_err(|_| Error::InvalidSecretHex)?;
    Ok(out)
}

/// Decrypts an ECDSA keystore. Also reads plain geth / foundry v3 keystores (no `keyType`).
pub fn load_ecdsa(path: impl AsRef<Path>, password: impl AsRef<[u8]>) -> Result<PrivateKeySigner> {
    let path = path.as_ref();
    let json = KeyFileJson::read(path)?;
    expect_key_type(path, &json, ECDSA_KEY_TYPE)?;
    let stored = json
        .address
        .as_deref()
        .map(|a| parse_address(path, a))
        .transpose()?;
    let secret = decrypt(path, password.as_ref())?;
    let signer =
        PrivateKeySigner::from_bytes(&B256::from(*secret)).map_err(|_| Error::InvalidEcdsaKey)?;
    if stored.is_some_and(|a| a != signer.address()) {
        return Err(Error::PublicKeyMismatch {
            path: path.to_owned(),
        });
    }
    Ok(signer)
}

/// Decrypts a BLS keystore and checks its cleartext public keys against the secret.
pub fn load_bls(path: impl AsRef<Path>, password: impl AsRef<[u8]>) -> Result<KeyPair> {
    let path = path.as_ref();
    let json = KeyFileJson::read(path)?;
    expect_key_type(path, &json, BLS_KEY_TYPE)?;
    let (pk_g1, pk_g2) = bls_public(path, &json)?;
    let secret = decrypt(path, password.as_ref())?;
    let keys = KeyPair::from_secret(SecretKey::from_bytes(&secret).map_err(Error::InvalidBlsKey)?);
    if *keys.pk_g1() != pk_g1 || *keys.pk_g2() != pk_g2 {
        return Err(Error::PublicKeyMismatch {
            path: path.to_owned(),
        });
    }
    Ok(keys)
}

/// The public information of a keystore, without its password: the address of an ECDSA
/// keystore, both public keys of a BLS one. See [`PublicInfo`] on trusting it.
pub fn show(path: impl AsRef<Path>) -> Result<PublicInfo> {
    let path = path.as_ref();
    let json = KeyFileJson::read(path)?;
    match json.key_type.as_deref() {
        Some(BLS_KEY_TYPE) => {
            let (pk_g1, pk_g2) = bls_public(path, &json)?;
            Ok(PublicInfo::Bls { pk_g1, pk_g2 })
        }
        None | Some(ECDSA_KEY_TYPE) => {
            let address = json
                .address
                .as_deref()
                .ok_or_else(|| malformed(path, "no cleartext address; it needs the password"))?;
            Ok(PublicInfo::Ecdsa {
                address: parse_address(path, address)?,
            })
        }
        Some(other) => Err(Error::WrongKeyType {
            path: path.to_owned(),
            expected: "secp256k1 or bn254-bls",
            found: other.to_owned(),
        }),
    }
}

fn expect_key_type(path: &Path, json: &KeyFileJson, expected: &'static str) -> Result<()> {
    // A file without keyType is a plain v3 keystore: an Ethereum (ECDSA) key.
    let found = json.key_type.as_deref().unwrap_or(ECDSA_KEY_TYPE);
    if found != expected {
        return Err(Error::WrongKeyType {
            path: path.to_owned(),
            expected,
            found: found.into(),
        });
    }
    Ok(())
}

fn parse_address(path: &Path, s: &str) -> Result<Address> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    s.parse()
        .map_err(|_| malformed(path, "address is not 20 bytes of hex"))
}

fn bls_public(path: &Path, json: &KeyFileJson) -> Result<(PublicKeyG1, PublicKeyG2)> {
    let g1 = json
        .pubkey_g1
        .as_deref()
        .ok_or_else(|| malformed(path, "pubkeyG1 is missing"))?;
    let g2 = json
        .pubkey_g2
        .as_deref()
        .ok_or_else(|| malformed(path, "pubkeyG2 is missing"))?;
    let g1 = g1
        .parse()
        .map_err(|_| malformed(path, "pubkeyG1 is not a valid G1 point"))?;
    let g2 = g2
        .parse()
        .map_err(|_| malformed(path, "pubkeyG2 is not a valid G2 point"))?;
    Ok((g1, g2))
}
