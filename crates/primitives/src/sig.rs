//! Strict parsing of 65-byte ECDSA signatures and EIP-191 recovery.
//!
//! A signature is `r ‖ s ‖ v` (32 + 32 + 1 bytes). Accepted: `v` in
//! {27, 28} or {0, 1}; `s` in the lower half of the curve order (EIP-2, as
//! OpenZeppelin's `ECDSA.recover`); `0 < r, s < n`. Anything else is
//! malformed, so that every implementation accepts exactly the same set.

use crate::error::{Error, Result};
use alloy_primitives::{eip191_hash_message, uint, Address, Signature, B256, U256};

/// `⌊n / 2⌋` for the secp256k1 group order `n`.
const HALF_ORDER: U256 =
    uint!(0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0_U256);

/// Parses `r ‖ s ‖ v` under the rules above.
pub(crate) fn parse(bytes: &[u8; 65]) -> Result<Signature> {
    let (rs, v) = bytes.split_at(64);
    let parity = match v {
        [0 | 27] => false,
        [1 | 28] => true,
        _ => return Err(Error::MalformedSignature("v must be 0, 1, 27 or 28")),
    };
    let (r, s) = rs.split_at(32);
    let r = U256::from_be_slice(r);
    let s = U256::from_be_slice(s);
    if r.is_zero() || s.is_zero() {
        return Err(Error::MalformedSignature("r and s must be non-zero"));
    }
    if s > HALF_ORDER {
        return Err(Error::MalformedSignature(
            "s must be in the lower half of the order",
        ));
    }
    Ok(Signature::new(r, s, parity))
}

/// Recovers the signer of an EIP-191 `personal_sign` over the 32 bytes of
/// `message` (i.e. over `"\x19Ethereum Signed Message:\n32" ‖ message`).
pub(crate) fn recover_personal(signature: &[u8; 65], message: &B256) -> Result<Address> {
    let sig = parse(signature)?;
    sig.recover_address_from_prehash(&personal_hash(message))
        .map_err(Error::Recovery)
}

/// The EIP-191 hash of a 32-byte message: what `personal_sign` signs.
pub(crate) fn personal_hash(message: &B256) -> B256 {
    eip191_hash_message(message.as_slice())
}
