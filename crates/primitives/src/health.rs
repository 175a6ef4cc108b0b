//! The health proof an endpoint returns from `healthcheck`.

use crate::{error::ProofError, sig};
use alloy_primitives::{keccak256, Address, B256};
use serde::{Deserialize, Serialize};

/// A node's signed statement that it follows the chain at `block_number`.
///
/// JSON: `{"address","blockNumber","blockHash","signature"}`; `blockNumber`
/// a JSON number, the others 0x-prefixed lower-case hex on output (input hex
/// may be of either case). Unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthProof {
    /// The signer's address, as the endpoint claims it.
    pub address: Address,
    /// The block the proof is for.
    pub block_number: u64,
    /// The hash of that block as the node sees it.
    pub block_hash: B256,
    /// `personal_sign` of [`health_message`]`(block_hash)` as `r ‖ s ‖ v`.
    #[serde(with = "signature_hex")]
    pub signature: [u8; 65],
}

/// What a health proof signs with `personal_sign`:
/// `keccak256(abi.encode(uint256(blockHash)))`, i.e. the keccak of the 32
/// hash bytes.
pub fn health_message(block_hash: B256) -> B256 {
    keccak256(block_hash)
}

/// The EIP-191 hash of [`health_message`], for signers that take a prehash.
pub fn health_signing_hash(block_hash: B256) -> B256 {
    sig::personal_hash(&health_message(block_hash))
}

/// `signature` with `v` in the form documents carry, 27 or 28 (0 and 1 are
/// the same signatures written the other way).
pub fn canonical_signature(mut signature: [u8; 65]) -> [u8; 65] {
    if let Some(v) = signature.get_mut(64) {
        if *v < 2 {
            *v = v.saturating_add(27);
        }
    }
    signature
}

impl HealthProof {
    /// Assembles a proof from a signature produced elsewhere (by a signer
    /// over [`health_message`] with `personal_sign`).
    pub fn new(address: Address, block_number: u64, block_hash: B256, signature: [u8; 65]) -> Self {
        Self {
            address,
            block_number,
            block_hash,
            signature,
        }
    }

    /// Checks the proof for `expected_operator` at the epoch block
    /// `epoch_block` whose canonical hash is `canonical_hash`. Checks, in
    /// order: block number, block hash, `address == expected_operator`
    /// (bytes), then that the signature is well-formed and recovers
    /// `address`.
    pub fn verify(
        &self,
        expected_operator: Address,
        epoch_block: u64,
        canonical_hash: B256,
    ) -> Result<(), ProofError> {
        if self.block_number != epoch_block {
            return Err(ProofError::WrongBlock);
        }
        if self.block_hash != canonical_hash {
            return Err(ProofError::WrongHash);
        }
        if self.address != expected_operator {
            return Err(ProofError::WrongSigner);
        }
        match sig::recover_personal(&self.signature, &health_message(self.block_hash)) {
            Ok(signer) if signer == self.address => Ok(()),
            _ => Err(ProofError::BadSignature),
        }
    }
}

/// The `result` of a `healthcheck` call as it travels between an endpoint
/// and a checker, in the shape of the reference implementation (Othentic's
/// liveness example) so that the two interoperate both ways.
///
/// - **Sent** ([`HealthAnswer::from_proof`] then serde): `address` in EIP-55
///   checksummed form (a reference validator compares the address it
///   recovers, which ethers checksums, with this field *as a string*),
///   `blockNumber` as a JSON number, `blockHash` and `signature` 0x-prefixed
///   lower-case hex.
/// - **Received** (serde then [`HealthAnswer::into_proof`]): `address` in any
///   case, compared as bytes; `blockNumber` optional (the reference answer has
///   none) but, when present, a JSON number equal to the block asked for;
///   unknown fields ignored. `blockHash` and `signature` are required and the
///   proof is then judged exactly as any other ([`HealthProof::verify`]):
///   nothing about freshness or the signature is relaxed.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthAnswer {
    /// The signer's address as the endpoint claims it.
    pub address: Address,
    /// The block the answer is for, when the endpoint says.
    #[serde(default)]
    pub block_number: Option<u64>,
    /// The hash of the asked block as the endpoint sees it.
    pub block_hash: B256,
    /// `personal_sign` of [`health_message`]`(block_hash)`.
    #[serde(with = "signature_hex")]
    pub signature: [u8; 65],
}

impl HealthAnswer {
    /// The answer an endpoint sends for `proof`.
    pub fn from_proof(proof: &HealthProof) -> Self {
        Self {
            address: proof.address,
            block_number: Some(proof.block_number),
            block_hash: proof.block_hash,
            signature: proof.signature,
        }
    }

    /// The proof this answer gives for the block `asked`: its own
    /// `blockNumber` must be `asked` when present ([`ProofError::WrongBlock`]
    /// otherwise); when absent the block is the one asked for, which the
    /// signature does not cover but the block hash pins. A signature with
    /// `v` = 0 or 1 is rewritten with 27 or 28 ([`canonical_signature`]).
    pub fn into_proof(self, asked: u64) -> Result<HealthProof, ProofError> {
        match self.block_number {
            Some(n) if n != asked => Err(ProofError::WrongBlock),
            _ => Ok(HealthProof::new(
                self.address,
                asked,
                self.block_hash,
                canonical_signature(self.signature),
            )),
        }
    }
}

impl Serialize for HealthAnswer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("HealthAnswer", 4)?;
        out.serialize_field("address", &self.address.to_checksum(None))?;
        if let Some(n) = self.block_number {
            out.serialize_field("blockNumber", &n)?;
        }
        out.serialize_field("blockHash", &self.block_hash)?;
        out.serialize_field(
            "signature",
            &alloy_primitives::FixedBytes::<65>::from(self.signature),
        )?;
        out.end()
    }
}

/// Serde for a 65-byte signature as 0x-prefixed hex.
mod signature_hex {
    use alloy_primitives::FixedBytes;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(sig: &[u8; 65], s: S) -> Result<S::Ok, S::Error> {
        FixedBytes::<65>::from(*sig).serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 65], D::Error> {
        let text = String::deserialize(d)?;
        if !text.starts_with("0x") {
            return Err(serde::de::Error::custom(
                "signature must be 0x-prefixed hex",
            ));
        }
        text.parse::<FixedBytes<65>>()
            .map(|b| b.0)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_keys::{sign_personal, ANVIL0, ANVIL0_ADDRESS, ANVIL1_ADDRESS};
    use alloy_primitives::{b256, hex};

    const HASH: B256 = b256!("0x2222222222222222222222222222222222222222222222222222222222222222");

    fn proof() -> HealthProof {
        HealthProof::new(
            ANVIL0_ADDRESS,
            120,
            HASH,
            sign_personal(&ANVIL0, &health_message(HASH)),
        )
    }

    #[test]
    fn pinned_message_and_signature() {
        assert_eq!(
            health_message(HASH),
            b256!("0xc4bd59e1394781d1c7bf20a2c0b30c2acc9fbdd52dc5e0d76917de4034ebdf59")
        );
        assert_eq!(
            health_signing_hash(HASH),
            b256!("0xd491dbb34ec77a76d5630701c24446184d0c2d7070c80b145c694dcc5d5f4220")
        );
        // `cast wallet sign --private-key <anvil 0> <health_message>`
        assert_eq!(
            proof().signature,
            hex!(
                "391c9ef8ce03f5d1edd1979ae05f9664981b0db729f543f894b2d8d9dd3f4f37"
                "20007bf36dd491455077841f9d2483db0dc8e2e5d8de6963389ad87b9d9c0f70"
                "1b"
            )
        );
    }

    #[test]
    fn verifies() {
        proof().verify(ANVIL0_ADDRESS, 120, HASH).unwrap();
        let mut p = proof();
        p.signature[64] -= 27;
        p.verify(ANVIL0_ADDRESS, 120, HASH).unwrap();
    }

    #[test]
    fn reasons() {
        let p = proof();
        assert_eq!(
            p.verify(ANVIL0_ADDRESS, 121, HASH),
            Err(ProofError::WrongBlock)
        );
        assert_eq!(
            p.verify(ANVIL0_ADDRESS, 120, B256::ZERO),
            Err(ProofError::WrongHash)
        );
        assert_eq!(
            p.verify(ANVIL1_ADDRESS, 120, HASH),
            Err(ProofError::WrongSigner)
        );

        // Claims to be operator 1 but is signed by 0.
        let mut claimed = p.clone();
        claimed.address = ANVIL1_ADDRESS;
        assert_eq!(
            claimed.verify(ANVIL1_ADDRESS, 120, HASH),
            Err(ProofError::BadSignature)
        );

        let mut bad_v = p.clone();
        bad_v.signature[64] = 29;
        assert_eq!(
            bad_v.verify(ANVIL0_ADDRESS, 120, HASH),
            Err(ProofError::BadSignature)
        );

        let mut zero = p.clone();
        zero.signature = [0; 65];
        assert_eq!(
            zero.verify(ANVIL0_ADDRESS, 120, HASH),
            Err(ProofError::BadSignature)
        );
    }

    #[test]
    fn high_s_is_refused() {
        use alloy_primitives::U256;
        let p = proof();
        // (r, n − s, v ^ 1) recovers the same key but is the malleable twin.
        let n = U256::from_be_bytes(hex!(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"
        ));
        let s = U256::from_be_slice(&p.signature[32..64]);
        let mut twin = p.clone();
        twin.signature[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
        twin.signature[64] ^= 1;
        assert_eq!(
            twin.verify(ANVIL0_ADDRESS, 120, HASH),
            Err(ProofError::BadSignature)
        );
    }

    #[test]
    fn json_shape() {
        let p = proof();
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "address": "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
                "blockNumber": 120,
                "blockHash": "0x2222222222222222222222222222222222222222222222222222222222222222",
                "signature": format!("0x{}", hex::encode(p.signature)),
            })
        );
        assert_eq!(serde_json::from_value::<HealthProof>(json).unwrap(), p);
    }

    #[test]
    fn answer_is_sent_in_the_reference_shape() {
        let p = proof();
        let json = serde_json::to_value(HealthAnswer::from_proof(&p)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "address": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                "blockNumber": 120,
                "blockHash": "0x2222222222222222222222222222222222222222222222222222222222222222",
                "signature": format!("0x{}", hex::encode(p.signature)),
            })
        );
        let back: HealthAnswer = serde_json::from_value(json).unwrap();
        assert_eq!(back.into_proof(120).unwrap(), p);
    }

    #[test]
    fn answer_accepts_the_reference_shape() {
        let p = proof();
        let sig = format!("0x{}", hex::encode(p.signature));
        // No blockNumber, an extra field, the address in upper and lower case.
        for address in [
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
            "0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266",
        ] {
            let json = serde_json::json!({
                "address": address,
                "blockHash": "0x2222222222222222222222222222222222222222222222222222222222222222",
                "signature": sig,
                "version": "1.0.0",
            });
            let answer: HealthAnswer = serde_json::from_value(json).unwrap();
            assert_eq!(answer.block_number, None);
            let got = answer.into_proof(120).unwrap();
            assert_eq!(got, p);
            got.verify(ANVIL0_ADDRESS, 120, HASH).unwrap();
        }
    }

    #[test]
    fn answer_signatures_come_out_canonical() {
        let p = proof();
        let mut answer = HealthAnswer::from_proof(&p);
        answer.signature[64] -= 27;
        let got = answer.into_proof(120).unwrap();
        assert_eq!(got, p, "v = 0/1 becomes 27/28");
        assert_eq!(canonical_signature(p.signature), p.signature);
    }

    #[test]
    fn answer_block_number_must_match_when_present() {
        let mut answer = HealthAnswer::from_proof(&proof());
        answer.block_number = Some(121);
        assert_eq!(answer.into_proof(120), Err(ProofError::WrongBlock));

        let mut json = serde_json::to_value(HealthAnswer::from_proof(&proof())).unwrap();
        json["blockNumber"] = "120".into();
        assert!(serde_json::from_value::<HealthAnswer>(json).is_err());

        for field in ["address", "blockHash", "signature"] {
            let mut json = serde_json::to_value(HealthAnswer::from_proof(&proof())).unwrap();
            json.as_object_mut().unwrap().remove(field);
            assert!(
                serde_json::from_value::<HealthAnswer>(json).is_err(),
                "{field}"
            );
        }
    }

    #[test]
    fn json_is_strict() {
        let mut json = serde_json::to_value(proof()).unwrap();
        json["extra"] = 1.into();
        assert!(serde_json::from_value::<HealthProof>(json).is_err());

        let mut json = serde_json::to_value(proof()).unwrap();
        json["blockNumber"] = "120".into();
        assert!(serde_json::from_value::<HealthProof>(json).is_err());

        let mut json = serde_json::to_value(proof()).unwrap();
        json["signature"] = "0x1234".into();
        assert!(serde_json::from_value::<HealthProof>(json).is_err());

        let mut json = serde_json::to_value(proof()).unwrap();
        let unprefixed = json["signature"].as_str().unwrap()[2..].to_owned();
        json["signature"] = unprefixed.into();
        assert!(serde_json::from_value::<HealthProof>(json).is_err());
    }
}
