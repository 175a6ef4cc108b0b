//! Encrypting a secret into the `crypto` object of a Web3 Secret Storage v3 file:
//! scrypt derives a 32-byte key from the password, its first half is the AES-128-CTR key,
//! and the MAC is `keccak256(key[16..32] ‖ ciphertext)`.
//!
//! Decryption stays with `eth-keystore` (see `file.rs`); only writing is done here, because
//! `eth-keystore` writes a fixed, light scrypt cost (n = 2^13).

use aes::cipher::{KeyIvInit, StreamCipher};
use alloy_primitives::{hex, keccak256};
use rand::{rngs::OsRng, RngCore};
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// The scrypt cost of a **new** keystore. Reading accepts any cost up to the crate's bound,
/// whatever wrote the file.
///
/// Production keys use [`KdfStrength::Standard`], the default. The other strength exists
/// only so that tests and the local devnet, which create and open many throwaway keystores,
/// do not pay a second of CPU and 256 MiB of memory per file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KdfStrength {
    /// geth's "standard" scrypt: n = 2^18, r = 8, p = 1. Each derivation takes 256 MiB and
    /// roughly a second of CPU, which is what makes guessing the password of a stolen file
    /// expensive.
    #[default]
    Standard,
    /// scrypt n = 2^10, r = 8, p = 1: about 256 times cheaper to attack than
    /// [`Standard`](KdfStrength::Standard). **Not for keys that guard anything**: only for
    /// tests and the local devnet's throwaway keys.
    InsecureTestOnly,
}

/// scrypt parameters as the file spells them (`n = 2^log_n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ScryptCost {
    pub(crate) log_n: u8,
    pub(crate) r: u32,
    pub(crate) p: u32,
}

impl KdfStrength {
    pub(crate) const fn cost(self) -> ScryptCost {
        match self {
            Self::Standard => ScryptCost {
                log_n: 18,
                r: 8,
                p: 1,
            },
            Self::InsecureTestOnly => ScryptCost {
                log_n: 10,
                r: 8,
                p: 1,
            },
        }
    }
}

/// Length of the derived key, of the secret and of the salt.
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;

/// scrypt or the cipher refused their parameters: cannot happen with the fixed lengths and
/// [`KdfStrength`]'s costs, but is an error rather than a panic.
#[derive(Debug)]
pub(crate) struct SealFailed;

/// The keystore's `id`, `version` and `crypto` members for `secret` under `password`, with a
/// fresh salt, IV and id from the operating system's generator.
pub(crate) fn encrypt(
    secret: &[u8; 32],
    password: &[u8],
    strength: KdfStrength,
) -> Result<Map<String, Value>, SealFailed> {
    let mut salt = [0u8; KEY_LEN];
    let mut iv = [0u8; IV_LEN];
    let mut id = [0u8; 16];
    OsRng.fill_bytes(&mut salt);
    OsRng.fill_bytes(&mut iv);
    OsRng.fill_bytes(&mut id);

    let cost = strength.cost();
    let key = derive_key(password, &salt, cost)?;
    let (ciphertext, mac) = seal_with_key(&key, &iv, secret)?;

    let mut out = Map::new();
    out.insert("version".into(), json!(3));
    out.insert("id".into(), json!(uuid_v4(id)));
    out.insert(
        "crypto".into(),
        json!({
            "cipher": "aes-128-ctr",
            "cipherparams": { "iv": hex::encode(iv) },
            "ciphertext": hex::encode(ciphertext),
            "kdf": "scrypt",
            "kdfparams": {
                "dklen": KEY_LEN,
                "n": 1u64 << cost.log_n,
                "r": cost.r,
                "p": cost.p,
                "salt": hex::encode(salt),
            },
            "mac": hex::encode(mac),
        }),
    );
    Ok(out)
}

fn derive_key(
    password: &[u8],
    salt: &[u8],
    cost: ScryptCost,
) -> Result<Zeroizing<[u8; KEY_LEN]>, SealFailed> {
    let params =
        scrypt::Params::new(cost.log_n, cost.r, cost.p, KEY_LEN).map_err(|_| SealFailed)?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(password, salt, &params, key.as_mut_slice()).map_err(|_| SealFailed)?;
    Ok(key)
}

/// AES-128-CTR under the key's first half, then the v3 MAC over its second half and the
/// ciphertext. Returns `(ciphertext, mac)`.
fn seal_with_key(
    key: &[u8; KEY_LEN],
    iv: &[u8; IV_LEN],
    secret: &[u8; 32],
) -> Result<([u8; 32], [u8; 32]), SealFailed> {
    let (enc_key, mac_key) = key.split_at(KEY_LEN / 2);
    let mut ciphertext = *secret;
    Aes128Ctr::new_from_slices(enc_key, iv)
        .map_err(|_| SealFailed)?
        .apply_keystream(&mut ciphertext);
    let mut mac_input = Vec::with_capacity(mac_key.len() + ciphertext.len());
    mac_input.extend_from_slice(mac_key);
    mac_input.extend_from_slice(&ciphertext);
    let mac = keccak256(&mac_input).0;
    Ok((ciphertext, mac))
}

/// An RFC 9562 version-4 UUID from 16 random bytes, in its hyphenated form (geth refuses a
/// keystore whose `id` is not a UUID).
fn uuid_v4(bytes: [u8; 16]) -> String {
    let mut v = u128::from_be_bytes(bytes);
    // Version 4 in the high nibble of byte 6, variant 0b10 in the top bits of byte 8.
    v = (v & !(0xf << 76)) | (0x4 << 76);
    v = (v & !(0b11 << 62)) | (0b10 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        v >> 96,
        (v >> 80) & 0xffff,
        (v >> 64) & 0xffff,
        (v >> 48) & 0xffff,
        v & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes<const N: usize>(s: &str) -> [u8; N] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The scrypt test vector of the Web3 Secret Storage Definition, from its published
    /// derived key on (its n = 2^18, r = 1 is outside what RustCrypto's scrypt accepts, so
    /// the derivation itself is not re-run here).
    #[test]
    fn sealing_matches_the_web3_secret_storage_vector() {
        let key = bytes("fac192ceb5fd772906bea3e118a69e8bbb5cc24229e20d8766fd298291bba6bd");
        let iv = bytes("83dbcc02d8ccb40e466191a123791e0e");
        let secret = bytes("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d");
        let (ciphertext, mac) = seal_with_key(&key, &iv, &secret).unwrap();
        assert_eq!(
            hex::encode(ciphertext),
            "d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c"
        );
        assert_eq!(
            hex::encode(mac),
            "2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"
        );
    }

    #[test]
    fn strengths_have_the_documented_costs() {
        assert_eq!(KdfStrength::default(), KdfStrength::Standard);
        assert_eq!(
            KdfStrength::Standard.cost(),
            ScryptCost {
                log_n: 18,
                r: 8,
                p: 1
            }
        );
        let light = KdfStrength::InsecureTestOnly.cost();
        assert!(light.log_n < 18 && light.r == 8 && light.p == 1);
    }

    #[test]
    fn ids_are_version_4_uuids() {
        assert_eq!(uuid_v4([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(uuid_v4([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
    }

    #[test]
    fn fresh_salt_iv_and_id_each_time() {
        let a = Value::Object(encrypt(&[7; 32], b"pw", KdfStrength::InsecureTestOnly).unwrap());
        let b = Value::Object(encrypt(&[7; 32], b"pw", KdfStrength::InsecureTestOnly).unwrap());
        for field in [
            "/id",
            "/crypto/kdfparams/salt",
            "/crypto/cipherparams/iv",
            "/crypto/ciphertext",
        ] {
            let (a, b) = (a.pointer(field).unwrap(), b.pointer(field).unwrap());
            assert_ne!(a, b, "{field}");
        }
        assert_eq!(a["crypto"]["kdfparams"]["n"], 1024);
        assert_eq!(a["version"], 3);
    }
}
