//! The keystore file: Web3 Secret Storage v3 JSON plus Liveliness' cleartext public fields,
//! strict validation before anything reaches the decryptor, and no-clobber 0600 writes.
//! Also the password file, which must be private too.

use std::{
    fs,
    io::{Read, Write},
    path::{Path, PathBuf},
};

use alloy_primitives::hex;
use rand::{rngs::OsRng, RngCore};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::{
    error::{Error, Result},
    kdf::{self, KdfStrength},
};

/// `keyType` of an ECDSA keystore. Files without `keyType` (geth, foundry) are read as ECDSA.
pub const ECDSA_KEY_TYPE: &str = "secp256k1";
/// `keyType` of a BLS keystore.
pub const BLS_KEY_TYPE: &str = "bn254-bls";

/// Keystores are small; anything larger is refused before parsing.
const MAX_FILE_BYTES: u64 = 64 * 1024;
/// Upper bounds on the KDF work a file may ask for (geth's "standard" scrypt, n = 2^18,
/// r = 8, uses 256 MiB), so that a planted file cannot exhaust memory or CPU.
const MAX_SCRYPT_MEMORY: u64 = 512 * 1024 * 1024;
const MAX_SCRYPT_P: u64 = 16;
const MAX_PBKDF2_ROUNDS: u64 = 10_000_000;

/// The parts of a keystore file that are checked before decryption or shown without a
/// password. Unknown fields (e.g. `id`) are ignored, as every v3 reader does.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyFileJson {
    version: u64,
    crypto: CryptoJson,
    #[serde(rename = "keyType")]
    pub(crate) key_type: Option<String>,
    pub(crate) address: Option<String>,
    #[serde(rename = "pubkeyG1")]
    pub(crate) pubkey_g1: Option<String>,
    #[serde(rename = "pubkeyG2")]
    pub(crate) pubkey_g2: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CryptoJson {
    cipher: String,
    cipherparams: CipherParamsJson,
    ciphertext: String,
    kdf: String,
    kdfparams: KdfParamsJson,
    mac: String,
}

#[derive(Debug, Deserialize)]
struct CipherParamsJson {
    iv: String,
}

#[derive(Debug, Deserialize)]
struct KdfParamsJson {
    dklen: u64,
    salt: String,
    n: Option<u64>,
    r: Option<u64>,
    p: Option<u64>,
    c: Option<u64>,
    prf: Option<String>,
}

/// Decodes a bare (un-prefixed) hex field and checks its length.
fn hex_field(s: &str, len: std::ops::RangeInclusive<usize>) -> Option<Vec<u8>> {
    if s.starts_with("0x") {
        return None;
    }
    hex::decode(s).ok().filter(|b| len.contains(&b.len()))
}

impl KeyFileJson {
    /// Reads and validates a keystore file: everything the decryptor would otherwise trust
    /// (lengths it slices by, KDF cost it would pay) is checked here.
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_owned(),
            source,
        };
        let file = fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(malformed(path, "file is larger than any keystore"));
        }
        let json: Self = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
            path: path.to_owned(),
            source,
        })?;
        json.validate().map_err(|reason| malformed(path, reason))?;
        Ok(json)
    }

    fn validate(&self) -> Result<(), &'static str> {
        if self.version != 3 {
            return Err("only version 3 keystores are supported");
        }
        let c = &self.crypto;
        if c.cipher != "aes-128-ctr" {
            return Err("only the aes-128-ctr cipher is supported");
        }
        hex_field(&c.cipherparams.iv, 16..=16).ok_or("iv must be 16 bytes of hex")?;
        hex_field(&c.ciphertext, 32..=32).ok_or("ciphertext must be 32 bytes of hex")?;
        hex_field(&c.mac, 32..=32).ok_or("mac must be 32 bytes of hex")?;
        let k = &c.kdfparams;
        if k.dklen != 32 {
            return Err("kdfparams.dklen must be 32");
        }
        hex_field(&k.salt, 1..=1024).ok_or("kdfparams.salt must be 1 to 1024 bytes of hex")?;
        match c.kdf.as_str() {
            "scrypt" => {
                let (Some(n), Some(r), Some(p)) = (k.n, k.r, k.p) else {
                    return Err("scrypt needs kdfparams n, r and p");
                };
                if n < 2 || !n.is_power_of_two() {
                    return Err("scrypt n must be a power of two");
                }
                if r == 0 || p == 0 || p > MAX_SCRYPT_P {
                    return Err("scrypt r or p out of range");
                }
                let memory = n.checked_mul(r).and_then(|v| v.checked_mul(128));
                if memory.is_none_or(|m| m > MAX_SCRYPT_MEMORY) {
                    return Err("scrypt parameters ask for more than 512 MiB");
                }
                // eth-keystore's pbkdf2 branch is chosen by shape, so the scrypt file must
                // not also look like pbkdf2.
                if k.c.is_some() {
                    return Err("scrypt kdfparams must not carry c");
                }
            }
            "pbkdf2" => {
                if k.prf.as_deref() != Some("hmac-sha256") {
                    return Err("pbkdf2 prf must be hmac-sha256");
                }
                if k.c.is_none_or(|c| c == 0 || c > MAX_PBKDF2_ROUNDS) {
                    return Err("pbkdf2 c out of range");
                }
            }
            _ => return Err("kdf must be scrypt or pbkdf2"),
        }
        Ok(())
    }
}

pub(crate) fn malformed(path: &Path, reason: &'static str) -> Error {
    Error::Malformed {
        path: path.to_owned(),
        reason,
    }
}

/// Decrypts a validated keystore with eth-keystore, returning the 32-byte secret.
pub(crate) fn decrypt(path: &Path, password: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
    let secret = Zeroizing::new(eth_keystore::decrypt_key(path, password).map_err(
        |e| match e {
            eth_keystore::KeystoreError::MacMismatch => Error::WrongPassword {
                path: path.to_owned(),
            },
            source => Error::Keystore {
                path: path.to_owned(),
                source,
            },
        },
    )?);
    let bytes: [u8; 32] = secret
        .as_slice()
        .try_into()
        .map_err(|_| malformed(path, "the secret is not 32 bytes"))?;
    Ok(Zeroizing::new(bytes))
}

/// Encrypts `secret` into a new keystore at `path` with the KDF cost `strength` and the
/// cleartext `public` fields added at the top level. Refuses to overwrite; the file is 0600
/// from the moment it exists (unix) and appears at `path` only once complete.
pub(crate) fn encrypt_new(
    path: &Path,
    secret: &[u8; 32],
    password: &[u8],
    strength: KdfStrength,
    public: serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    if password.is_empty() {
        return Err(Error::EmptyPassword);
    }
    if path.exists() {
        return Err(Error::AlreadyExists {
            path: path.to_owned(),
        });
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| malformed(path, "the keystore path must end in a UTF-8 file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    create_private_dir(&dir)?;

    let mut json = kdf::encrypt(secret, password, strength).map_err(|_| Error::Encrypt {
        path: path.to_owned(),
    })?;
    json.extend(public);
    let mut out = serde_json::to_vec_pretty(&json).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })?;
    out.push(b'\n');

    let tmp = dir.join(format!(".{name}.{:016x}.tmp", OsRng.next_u64()));
    let result = write_tmp_then_link(&tmp, path, &out);
    // The temporary name is gone on success (linked, then unlinked) and on failure.
    let _ = fs::remove_file(&tmp);
    result
}

fn write_tmp_then_link(tmp: &Path, path: &Path, contents: &[u8]) -> Result<()> {
    let io_tmp = |source| Error::Io {
        path: tmp.to_owned(),
        source,
    };
    let mut file = create_private_file(tmp).map_err(io_tmp)?;
    file.write_all(contents).map_err(io_tmp)?;
    file.sync_all().map_err(io_tmp)?;
    drop(file);

    // A hard link fails if `path` exists, so a key that appeared meanwhile is never replaced.
    fs::hard_link(tmp, path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            Error::AlreadyExists {
                path: path.to_owned(),
            }
        } else {
            Error::Io {
                path: path.to_owned(),
                source,
            }
        }
    })
}

/// Reads the keystore password from a password file: its first line, without the line
/// ending.
///
/// On unix the file must be private to its owner: if group or others have any permission on
/// it (`mode & 0o077 != 0`) it is refused, as ssh refuses a private key file others can read.
/// The mode is taken from the opened file, so the checked file is the one read. Symbolic links
/// are followed; the mode checked is the target's.
pub fn read_password_file(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = fs::File::open(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(io)?.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(Error::PasswordFileNotPrivate {
                path: path.to_owned(),
                mode,
            });
        }
    }
    let mut text = Zeroizing::new(String::new());
    file.read_to_string(&mut text).map_err(io)?;
    let password = text.lines().next().unwrap_or_default();
    if password.is_empty() {
        return Err(Error::EmptyPasswordFile {
            path: path.to_owned(),
        });
    }
    Ok(password.to_owned())
}

fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| Error::Io {
        path: dir.to_owned(),
        source,
    })
}
