//! Well-known test keys (anvil's default accounts) and an EIP-191 signer.

use alloy_primitives::{address, eip191_hash_message, hex, Address, B256};
use k256::ecdsa::SigningKey;

/// Anvil account 0's private key.
pub(crate) const ANVIL0: [u8; 32] =
    hex!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
/// Anvil account 0's address.
pub(crate) const ANVIL0_ADDRESS: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
/// Anvil account 1's private key.
pub(crate) const ANVIL1: [u8; 32] =
    hex!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
/// Anvil account 1's address.
pub(crate) const ANVIL1_ADDRESS: Address = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");

/// `personal_sign` of the 32 bytes of `message`, as `r ‖ s ‖ v` with v 27/28.
pub(crate) fn sign_personal(key: &[u8; 32], message: &B256) -> [u8; 65] {
    let key = SigningKey::from_slice(key).unwrap();
    let prehash = eip191_hash_message(message.as_slice());
    let (sig, recid) = key.sign_prehash_recoverable(prehash.as_slice()).unwrap();
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&sig.to_bytes());
    out[64] = 27 + recid.to_byte();
    out
}
