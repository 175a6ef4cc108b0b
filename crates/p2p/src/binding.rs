//! Peer bindings: an operator's signed statement that a libp2p peer id is its
//! own.
//!
//! The operator signs, with EIP-191 `personal_sign`, the digest
//! `keccak256(abi.encode("liveliness/peer/v1", uint256 chainId,
//! address attestationCenter, bytes peerId, uint64 issuedAt))`.
//!
//! Wire format, version 1 (all integers big-endian):
//!
//! | bytes | field |
//! | --- | --- |
//! | 1 | version (`1`) |
//! | 8 | chain id |
//! | 20 | AttestationCenter |
//! | 20 | operator |
//! | 8 | issued at (unix seconds, informational) |
//! | 1 | peer id length `n`, 1..=64 |
//! | n | peer id (libp2p multihash bytes) |
//! | 65 | signature `r ‖ s ‖ v`, low `s`, `v` 27 or 28 |
//!
//! The decoder is strict: it rejects short input, trailing bytes, unknown
//! versions, non-canonical peer ids and signatures, and never panics.

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use alloy::signers::{local::PrivateKeySigner, SignerSync};
use alloy::sol_types::SolValue;
use alloy_primitives::{keccak256, Address, Bytes, Signature, B256, U256};
use libp2p::PeerId;

use crate::error::BindingError;

/// Current binding format version.
pub const BINDING_VERSION: u8 = 1;
/// Domain tag inside the signed digest.
pub const BINDING_DOMAIN: &str = "liveliness/peer/v1";
/// Longest peer id a binding may carry.
pub const MAX_PEER_ID_LEN: usize = 64;
/// Length of the signature field.
pub const SIGNATURE_LEN: usize = 65;
/// Length of the fixed fields before the peer id.
const HEADER_LEN: usize = 1 + 8 + 20 + 20 + 8 + 1;
/// Longest valid encoding.
pub const MAX_BINDING_LEN: usize = HEADER_LEN + MAX_PEER_ID_LEN + SIGNATURE_LEN;

/// An operator's signed claim that `peer_id` is its libp2p identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerBinding {
    /// The operator's Ethereum address.
    pub operator: Address,
    /// The bound libp2p peer id.
    pub peer_id: PeerId,
    /// Chain of the deployment.
    pub chain_id: u64,
    /// AttestationCenter of the deployment.
    pub attestation_center: Address,
    /// When it was signed (unix seconds); informational only.
    pub issued_at: u64,
    /// EIP-191 signature by `operator` over [`binding_digest`].
    pub signature: [u8; SIGNATURE_LEN],
}

/// The digest an operator signs (before the EIP-191 prefix).
pub fn binding_digest(
    chain_id: u64,
    attestation_center: Address,
    peer_id: &PeerId,
    issued_at: u64,
) -> B256 {
    let encoded = (
        BINDING_DOMAIN.to_owned(),
        U256::from(chain_id),
        attestation_center,
        Bytes::from(peer_id.to_bytes()),
        issued_at,
    )
        .abi_encode_params();
    keccak256(encoded)
}

impl PeerBinding {
    /// Signs a binding of `peer_id` with the operator's key.
    pub fn sign(
        signer: &PrivateKeySigner,
        peer_id: PeerId,
        chain_id: u64,
        attestation_center: Address,
        issued_at: u64,
    ) -> Result<Self, BindingError> {
        check_peer_id_len(peer_id.to_bytes().len())?;
        let digest = binding_digest(chain_id, attestation_center, &peer_id, issued_at);
        let signature = signer
            .sign_message_sync(digest.as_slice())
            .map_err(BindingError::Sign)?;
        Ok(Self {
            operator: signer.address(),
            peer_id,
            chain_id,
            attestation_center,
            issued_at,
            signature: signature.as_bytes(),
        })
    }

    /// The digest this binding's signature covers.
    pub fn digest(&self) -> B256 {
        binding_digest(
            self.chain_id,
            self.attestation_center,
            &self.peer_id,
            self.issued_at,
        )
    }

    /// Encodes the binding in the version-1 wire format.
    pub fn encode(&self) -> Vec<u8> {
        let peer = self.peer_id.to_bytes();
        let mut out = Vec::with_capacity(MAX_BINDING_LEN);
        out.push(BINDING_VERSION);
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(self.attestation_center.as_slice());
        out.extend_from_slice(self.operator.as_slice());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        // `sign` and `decode` guarantee 1..=64; the fallback never triggers.
        out.push(u8::try_from(peer.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&peer);
        out.extend_from_slice(&self.signature);
        out
    }

    /// Decodes a version-1 binding. Checks form only (lengths, version,
    /// canonical encodings); call [`Self::verify`] before trusting it.
    pub fn decode(bytes: &[u8]) -> Result<Self, BindingError> {
        let mut r = Reader(bytes);
        let [version] = r.array::<1>("version")?;
        if version != BINDING_VERSION {
            return Err(BindingError::UnsupportedVersion(version));
        }
        let chain_id = u64::from_be_bytes(r.array("chain id")?);
        let attestation_center = Address::from(r.array::<20>("attestation center")?);
        let operator = Address::from(r.array::<20>("operator")?);
        let issued_at = u64::from_be_bytes(r.array("issued at")?);
        let [peer_len] = r.array::<1>("peer id length")?;
        let peer_len = usize::from(peer_len);
        check_peer_id_len(peer_len)?;
        let peer_bytes = r.take(peer_len, "peer id")?;
        let peer_id = PeerId::from_bytes(peer_bytes).map_err(BindingError::PeerId)?;
        if peer_id.to_bytes() != peer_bytes {
            return Err(BindingError::NonCanonicalPeerId);
        }
        let signature = r.array::<SIGNATURE_LEN>("signature")?;
        if !r.0.is_empty() {
            return Err(BindingError::TrailingBytes(r.0.len()));
        }
        parse_signature(&signature)?;
        Ok(Self {
            operator,
            peer_id,
            chain_id,
            attestation_center,
            issued_at,
            signature,
        })
    }

    /// The address that signed this binding.
    pub fn recover(&self) -> Result<Address, BindingError> {
        let signature = parse_signature(&self.signature)?;
        signature
            .recover_address_from_msg(self.digest().as_slice())
            .map_err(BindingError::Recover)
    }

    /// Checks that the binding is for our deployment, was signed by the
    /// operator it names, and binds `source`, the peer that published it.
    pub fn verify(
        &self,
        chain_id: u64,
        attestation_center: Address,
        source: &PeerId,
    ) -> Result<(), BindingError> {
        if self.chain_id != chain_id {
            return Err(BindingError::WrongChain {
                expected: chain_id,
                got: self.chain_id,
            });
        }
        if self.attestation_center != attestation_center {
            return Err(BindingError::WrongContract {
                expected: attestation_center,
                got: self.attestation_center,
            });
        }
        if &self.peer_id != source {
            return Err(BindingError::PeerMismatch {
                bound: Box::new(self.peer_id),
                source_peer: Box::new(*source),
            });
        }
        let recovered = self.recover()?;
        if recovered != self.operator {
            return Err(BindingError::WrongSigner {
                operator: self.operator,
                recovered,
            });
        }
        Ok(())
    }
}

fn check_peer_id_len(len: usize) -> Result<(), BindingError> {
    if (1..=MAX_PEER_ID_LEN).contains(&len) {
        Ok(())
    } else {
        Err(BindingError::PeerIdLength {
            len,
            max: MAX_PEER_ID_LEN,
        })
    }
}

/// Parses `r ‖ s ‖ v`, insisting on `v` ∈ {27, 28} and a low `s`.
fn parse_signature(bytes: &[u8; SIGNATURE_LEN]) -> Result<Signature, BindingError> {
    let [.., v] = *bytes;
    if v != 27 && v != 28 {
        return Err(BindingError::NonCanonicalSignature);
    }
    let signature = Signature::from_raw_array(bytes).map_err(BindingError::Signature)?;
    if signature.normalize_s().is_some() {
        return Err(BindingError::NonCanonicalSignature);
    }
    Ok(signature)
}

/// A cursor that hands out fields and reports which one was short.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], BindingError> {
        let (head, tail) = self.0.split_at_checked(n).ok_or(BindingError::Truncated {
            field,
            needed: n,
            remaining: self.0.len(),
        })?;
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], BindingError> {
        let bytes = self.take(N, field)?;
        // `take` returned exactly N bytes.
        bytes.try_into().map_err(|_| BindingError::Truncated {
            field,
            needed: N,
            remaining: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use libp2p::identity::Keypair;

    const AC: Address = address!("0x00000000000000000000000000000000000000ac");
    const CHAIN: u64 = 31337;

    fn fixture() -> (PrivateKeySigner, PeerId, PeerBinding) {
        let signer = PrivateKeySigner::random();
        let peer = Keypair::generate_secp256k1().public().to_peer_id();
        let binding = PeerBinding::sign(&signer, peer, CHAIN, AC, 1_700_000_000).unwrap();
        (signer, peer, binding)
    }

    #[test]
    fn round_trip_and_verify() {
        let (signer, peer, binding) = fixture();
        assert_eq!(binding.operator, signer.address());
        let bytes = binding.encode();
        assert!(bytes.len() <= MAX_BINDING_LEN);
        let decoded = PeerBinding::decode(&bytes).unwrap();
        assert_eq!(decoded, binding);
        decoded.verify(CHAIN, AC, &peer).unwrap();
        assert_eq!(decoded.recover().unwrap(), signer.address());
    }

    #[test]
    fn ed25519_peer_ids_fit() {
        let signer = PrivateKeySigner::random();
        let peer = Keypair::generate_ed25519().public().to_peer_id();
        let binding = PeerBinding::sign(&signer, peer, CHAIN, AC, 0).unwrap();
        let decoded = PeerBinding::decode(&binding.encode()).unwrap();
        decoded.verify(CHAIN, AC, &peer).unwrap();
    }

    #[test]
    fn digest_matches_solidity_abi_encode() {
        // Lay out abi.encode(string, uint256, address, bytes, uint64) by hand
        // and compare with the alloy encoding used for signing.
        let peer = Keypair::generate_ed25519().public().to_peer_id();
        let pid = peer.to_bytes();
        let word = |v: u64| {
            let mut w = [0u8; 32];
            w[24..].copy_from_slice(&v.to_be_bytes());
            w
        };
        let padded = |b: &[u8]| {
            let mut v = b.to_vec();
            v.resize(b.len().div_ceil(32) * 32, 0);
            v
        };
        let domain = BINDING_DOMAIN.as_bytes();
        let string_offset = 5 * 32;
        let bytes_offset = string_offset + 32 + padded(domain).len();
        let mut enc = Vec::new();
        enc.extend_from_slice(&word(string_offset as u64));
        enc.extend_from_slice(&word(CHAIN));
        let mut ac_word = [0u8; 32];
        ac_word[12..].copy_from_slice(AC.as_slice());
        enc.extend_from_slice(&ac_word);
        enc.extend_from_slice(&word(bytes_offset as u64));
        enc.extend_from_slice(&word(42));
        enc.extend_from_slice(&word(domain.len() as u64));
        enc.extend_from_slice(&padded(domain));
        enc.extend_from_slice(&word(pid.len() as u64));
        enc.extend_from_slice(&padded(&pid));
        assert_eq!(binding_digest(CHAIN, AC, &peer, 42), keccak256(&enc));
    }

    #[test]
    fn every_truncation_is_rejected() {
        let (_, _, binding) = fixture();
        let bytes = binding.encode();
        for len in 0..bytes.len() {
            let err = PeerBinding::decode(&bytes[..len]).unwrap_err();
            assert!(
                matches!(
                    err,
                    BindingError::Truncated { .. } | BindingError::PeerId(_)
                ),
                "prefix of {len} bytes gave {err:?}"
            );
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let (_, _, binding) = fixture();
        let mut bytes = binding.encode();
        bytes.push(0);
        assert!(matches!(
            PeerBinding::decode(&bytes),
            Err(BindingError::TrailingBytes(1))
        ));
    }

    #[test]
    fn bad_version_and_peer_length_are_rejected() {
        let (_, _, binding) = fixture();
        let mut bytes = binding.encode();
        bytes[0] = 2;
        assert!(matches!(
            PeerBinding::decode(&bytes),
            Err(BindingError::UnsupportedVersion(2))
        ));

        let mut bytes = binding.encode();
        bytes[HEADER_LEN - 1] = 0;
        assert!(matches!(
            PeerBinding::decode(&bytes),
            Err(BindingError::PeerIdLength { len: 0, .. })
        ));
        bytes[HEADER_LEN - 1] = 65;
        assert!(matches!(
            PeerBinding::decode(&bytes),
            Err(BindingError::PeerIdLength { len: 65, .. })
        ));
    }

    #[test]
    fn non_canonical_signatures_are_rejected() {
        let (_, _, binding) = fixture();
        let mut bytes = binding.encode();
        let last = bytes.len() - 1;
        bytes[last] -= 27; // v as 0/1
        assert!(matches!(
            PeerBinding::decode(&bytes),
            Err(BindingError::NonCanonicalSignature)
        ));

        // The malleated twin (n - s, flipped v) is valid ECDSA but not canonical.
        let sig = Signature::from_raw_array(&binding.signature).unwrap();
        let n = U256::from_be_slice(&alloy_primitives::hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        ));
        let twin = Signature::new(sig.r(), n - sig.s(), !sig.v());
        let mut malleated = binding.clone();
        malleated.signature = twin.as_bytes();
        assert!(matches!(
            PeerBinding::decode(&malleated.encode()),
            Err(BindingError::NonCanonicalSignature)
        ));
    }

    #[test]
    fn tampering_is_caught_by_verify() {
        let (_, peer, binding) = fixture();

        let mut bad_sig = binding.clone();
        bad_sig.signature[10] ^= 1;
        let decoded = PeerBinding::decode(&bad_sig.encode());
        match decoded {
            Ok(b) => assert!(matches!(
                b.verify(CHAIN, AC, &peer),
                Err(BindingError::WrongSigner { .. } | BindingError::Recover(_))
            )),
            Err(e) => panic!("flipping a bit of r should still decode: {e:?}"),
        }

        let mut later = binding.clone();
        later.issued_at += 1;
        assert!(matches!(
            later.verify(CHAIN, AC, &peer),
            Err(BindingError::WrongSigner { .. })
        ));

        let mut other_op = binding.clone();
        other_op.operator = Address::repeat_byte(7);
        assert!(matches!(
            other_op.verify(CHAIN, AC, &peer),
            Err(BindingError::WrongSigner { .. })
        ));

        assert!(matches!(
            binding.verify(CHAIN + 1, AC, &peer),
            Err(BindingError::WrongChain { .. })
        ));
        assert!(matches!(
            binding.verify(CHAIN, Address::ZERO, &peer),
            Err(BindingError::WrongContract { .. })
        ));
        let stranger = Keypair::generate_ed25519().public().to_peer_id();
        assert!(matches!(
            binding.verify(CHAIN, AC, &stranger),
            Err(BindingError::PeerMismatch { .. })
        ));
    }

    #[test]
    fn invalid_peer_id_bytes_are_rejected() {
        let (_, _, binding) = fixture();
        let mut bytes = binding.encode();
        // Corrupt the multihash code of the peer id.
        bytes[HEADER_LEN] = 0xff;
        assert!(matches!(
            PeerBinding::decode(&bytes),
            Err(BindingError::PeerId(_) | BindingError::Truncated { .. })
        ));
    }
}
