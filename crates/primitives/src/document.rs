//! The proof-of-task document, its canonical bytes and its CID.
//!
//! JSON shape (version 1):
//!
//! ```text
//! { "version": 1, "chainId": n, "attestationCenter": "0x…", "epochBlock": n,
//!   "epochBlockHash": "0x…", "round": n, "performer": "0x…",
//!   "sample": [ { "operator": "0x…", "operatorId": n, "endpoint": "…",
//!                 "verdict": "healthy", "proof": HealthProof }
//!             | { …, "verdict": "unhealthy", "failure": FailureReason } ],
//!   "missedPerformers": ["0x…"] }
//! ```
//!
//! - Every integer is a JSON number at most 2^53 − 1, so that every JSON
//!   implementation (and RFC 8785, which writes numbers as IEEE doubles)
//!   reads it exactly. Block numbers, rounds, ids and EIP-2294 chain ids
//!   all fit. A round is at most `u32::MAX` besides (its on-chain width).
//! - Hex is 0x-prefixed and lower-case; `proof` / `failure` are absent
//!   (not `null`) when not applicable.
//! - `sample` is strictly ascending by `operatorId` with unique addresses;
//!   `missedPerformers` strictly ascending.
//! - The bytes are the RFC 8785 (JCS) form; a decoder accepts only those
//!   bytes, so a document has exactly one encoding and one CID.
//! - The CID is CIDv1, raw codec (0x55), sha2-256 multihash, base32
//!   lower-case without padding with the multibase prefix `b`.

use crate::{
    error::{EntryError, Error, ProofError, Result},
    health::HealthProof,
    task::TaskInfo,
    task_data::{check_ascending, TaskData},
    types::{EpochBlock, Round},
};
use alloy_primitives::{Address, B256};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The document version this code writes and reads.
pub const DOCUMENT_VERSION: u64 = 1;

/// The largest integer a document may carry (`Number.MAX_SAFE_INTEGER`).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The prefix of a CIDv1 of raw bytes with a sha2-256 multihash:
/// version 1, codec raw (0x55), hash sha2-256 (0x12), digest length 32.
const CID_PREFIX: [u8; 4] = [0x01, 0x55, 0x12, 0x20];

/// The CIDv1 string (raw codec, sha2-256, base32 lower-case, prefix `b`)
/// of `bytes`.
pub fn cid_v1_raw(bytes: &[u8]) -> String {
    let mut binary = Vec::with_capacity(36);
    binary.extend_from_slice(&CID_PREFIX);
    binary.extend_from_slice(&Sha256::digest(bytes));
    let mut out = String::from("b");
    out.push_str(
        &data_encoding::BASE32_NOPAD
            .encode(&binary)
            .to_ascii_lowercase(),
    );
    out
}

/// Why an operator was found unhealthy: a fixed reason, never the
/// response bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// No complete answer within `healthTimeoutMs`.
    Timeout,
    /// Connection refused, or the address is not allowed (private, loopback, ...).
    Refused,
    /// A non-2xx HTTP status, a redirect or a JSON-RPC error.
    BadStatus,
    /// The response exceeded the size bound.
    Oversized,
    /// The response is not a well-formed health proof.
    Malformed,
    /// See [`ProofError::WrongBlock`].
    WrongBlock,
    /// See [`ProofError::WrongHash`].
    WrongHash,
    /// See [`ProofError::BadSignature`].
    BadSignature,
    /// See [`ProofError::WrongSigner`].
    WrongSigner,
}

impl From<ProofError> for FailureReason {
    fn from(e: ProofError) -> Self {
        match e {
            ProofError::WrongBlock => Self::WrongBlock,
            ProofError::WrongHash => Self::WrongHash,
            ProofError::BadSignature => Self::BadSignature,
            ProofError::WrongSigner => Self::WrongSigner,
        }
    }
}

/// The outcome of one health check.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// `"verdict": "healthy"` with the operator's proof.
    Healthy(HealthProof),
    /// `"verdict": "unhealthy"` with the reason.
    Unhealthy(FailureReason),
}

/// One sampled operator and what the performer found.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SampleEntry {
    /// Operator address.
    pub operator: Address,
    /// AttestationCenter operator id.
    pub operator_id: u64,
    /// The endpoint registered at the epoch block.
    pub endpoint: String,
    /// The verdict.
    pub check: Check,
}

/// A proof-of-task document (see the module docs for the JSON shape).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Document {
    /// `block.chainid`.
    pub chain_id: u64,
    /// The AttestationCenter address.
    pub attestation_center: Address,
    /// The epoch block `B`.
    pub epoch_block: EpochBlock,
    /// `blockhash(B)`.
    pub epoch_block_hash: B256,
    /// The round this task was performed in (32 bits: a document with a
    /// larger round does not decode).
    pub round: Round,
    /// The performer (signer of the task).
    pub performer: Address,
    /// The sample, ascending by operator id.
    pub sample: Vec<SampleEntry>,
    /// Performers of earlier rounds that missed them, ascending.
    pub missed_performers: Vec<Address>,
}

impl Document {
    /// Strict decoder: refuses input longer than `max_len`, JSON of another
    /// shape (unknown or duplicate fields, wrong types), another version,
    /// inconsistent entries, unsorted or duplicate lists, integers above
    /// [`MAX_SAFE_INTEGER`], and bytes that are not the RFC 8785 form.
    pub fn from_slice(bytes: &[u8], max_len: usize) -> Result<Self> {
        if bytes.len() > max_len {
            return Err(Error::Oversized {
                len: bytes.len(),
                max: max_len,
            });
        }
        let wire: DocumentWire = serde_json::from_slice(bytes).map_err(Error::Json)?;
        let doc = Self::try_from_wire(wire)?;
        if doc.to_canonical_bytes()? != bytes {
            return Err(Error::NonCanonicalDocument);
        }
        Ok(doc)
    }

    /// Checks the invariants listed in the module docs.
    pub fn validate(&self) -> Result<()> {
        let numbers = [
            ("chainId", self.chain_id),
            ("epochBlock", self.epoch_block.0),
            ("round", u64::from(self.round)),
        ];
        for (field, value) in numbers {
            check_safe(field, value)?;
        }
        for entry in &self.sample {
            check_safe("operatorId", entry.operator_id)?;
            if entry.operator_id == 0 {
                return Err(Error::InvalidEntry {
                    operator_id: 0,
                    reason: EntryError::ZeroOperatorId,
                });
            }
            if let Check::Healthy(proof) = &entry.check {
                check_safe("blockNumber", proof.block_number)?;
                if !matches!(proof.signature.get(64), Some(27 | 28)) {
                    return Err(Error::InvalidEntry {
                        operator_id: entry.operator_id,
                        reason: EntryError::NonCanonicalSignature,
                    });
                }
            }
        }
        let ids: Vec<u64> = self.sample.iter().map(|e| e.operator_id).collect();
        check_ascending("sample", &ids)?;
        let mut addresses: Vec<(Address, u64)> = self
            .sample
            .iter()
            .map(|e| (e.operator, e.operator_id))
            .collect();
        addresses.sort_unstable();
        if let Some(operator_id) = addresses.windows(2).find_map(|w| match w {
            [(a, _), (b, id)] if a == b => Some(*id),
            _ => None,
        }) {
            return Err(Error::InvalidEntry {
                operator_id,
                reason: EntryError::DuplicateAddress,
            });
        }
        check_ascending("missedPerformers", &self.missed_performers)
    }

    /// The RFC 8785 canonical bytes (after [`validate`](Self::validate)).
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>> {
        self.validate()?;
        serde_jcs::to_vec(&DocumentWire::from(self)).map_err(Error::Canonicalize)
    }

    /// The document's CID: [`cid_v1_raw`] of its canonical bytes. This is
    /// the task's `proofOfTask`.
    pub fn cid(&self) -> Result<String> {
        Ok(cid_v1_raw(&self.to_canonical_bytes()?))
    }

    /// The task `data` this document implies: the epoch block and hash, the
    /// addresses of the entries with verdict unhealthy (ascending), and the
    /// missed performers.
    pub fn task_data(&self) -> TaskData {
        let mut unhealthy: Vec<Address> = self
            .sample
            .iter()
            .filter(|e| matches!(e.check, Check::Unhealthy(_)))
            .map(|e| e.operator)
            .collect();
        unhealthy.sort_unstable();
        TaskData {
            epoch_block: self.epoch_block,
            epoch_block_hash: self.epoch_block_hash,
            unhealthy,
            missed_performers: self.missed_performers.clone(),
        }
    }

    /// The task for this document: `proofOfTask` = [`cid`](Self::cid),
    /// `data` = encoded [`task_data`](Self::task_data), `taskPerformer` =
    /// [`performer`](Self::performer).
    pub fn task_info(&self, task_definition_id: u16) -> Result<TaskInfo> {
        Ok(TaskInfo {
            proof_of_task: self.cid()?,
            data: self.task_data().abi_encode(),
            task_performer: self.performer,
            task_definition_id,
        })
    }

    /// Verifies every healthy entry's proof against its operator, the epoch
    /// block and `canonical_hash` (the chain's hash of the epoch block);
    /// reports the first failure in sample order.
    pub fn verify_health_proofs(&self, canonical_hash: B256) -> Result<()> {
        for entry in &self.sample {
            if let Check::Healthy(proof) = &entry.check {
                proof
                    .verify(entry.operator, self.epoch_block.0, canonical_hash)
                    .map_err(|source| Error::InvalidHealthProof {
                        operator_id: entry.operator_id,
                        source,
                    })?;
            }
        }
        Ok(())
    }

    fn try_from_wire(wire: DocumentWire) -> Result<Self> {
        if wire.version != DOCUMENT_VERSION {
            return Err(Error::UnsupportedVersion(wire.version));
        }
        let sample = wire
            .sample
            .into_iter()
            .map(SampleEntry::try_from)
            .collect::<Result<_>>()?;
        let doc = Self {
            chain_id: wire.chain_id,
            attestation_center: wire.attestation_center,
            epoch_block: wire.epoch_block,
            epoch_block_hash: wire.epoch_block_hash,
            round: Round::try_from(wire.round)?,
            performer: wire.performer,
            sample,
            missed_performers: wire.missed_performers,
        };
        doc.validate()?;
        Ok(doc)
    }
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        DocumentWire::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Document {
    /// Checks everything [`Document::from_slice`] does except canonical form.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::try_from_wire(DocumentWire::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

fn check_safe(field: &'static str, value: u64) -> Result<()> {
    if value > MAX_SAFE_INTEGER {
        return Err(Error::OutOfRange { field });
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Healthy,
    Unhealthy,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EntryWire {
    operator: Address,
    operator_id: u64,
    endpoint: String,
    verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proof: Option<HealthProof>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<FailureReason>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DocumentWire {
    version: u64,
    chain_id: u64,
    attestation_center: Address,
    epoch_block: EpochBlock,
    epoch_block_hash: B256,
    /// Read as any integer, so that a round wider than [`Round`] is
    /// [`Error::OutOfRange`] rather than malformed JSON.
    round: u64,
    performer: Address,
    sample: Vec<EntryWire>,
    missed_performers: Vec<Address>,
}

impl TryFrom<EntryWire> for SampleEntry {
    type Error = Error;

    fn try_from(w: EntryWire) -> Result<Self> {
        let fail = |reason| Error::InvalidEntry {
            operator_id: w.operator_id,
            reason,
        };
        let check = match (w.verdict, w.proof, w.failure) {
            (Verdict::Healthy, Some(proof), None) => Check::Healthy(proof),
            (Verdict::Healthy, None, _) => return Err(fail(EntryError::HealthyWithoutProof)),
            (Verdict::Healthy, Some(_), Some(_)) => {
                return Err(fail(EntryError::HealthyWithFailure))
            }
            (Verdict::Unhealthy, None, Some(reason)) => Check::Unhealthy(reason),
            (Verdict::Unhealthy, Some(_), _) => return Err(fail(EntryError::UnhealthyWithProof)),
            (Verdict::Unhealthy, None, None) => {
                return Err(fail(EntryError::UnhealthyWithoutFailure))
            }
        };
        Ok(Self {
            operator: w.operator,
            operator_id: w.operator_id,
            endpoint: w.endpoint,
            check,
        })
    }
}

impl From<&SampleEntry> for EntryWire {
    fn from(e: &SampleEntry) -> Self {
        let (verdict, proof, failure) = match &e.check {
            Check::Healthy(p) => (Verdict::Healthy, Some(p.clone()), None),
            Check::Unhealthy(r) => (Verdict::Unhealthy, None, Some(*r)),
        };
        Self {
            operator: e.operator,
            operator_id: e.operator_id,
            endpoint: e.endpoint.clone(),
            verdict,
            proof,
            failure,
        }
    }
}

impl From<&Document> for DocumentWire {
    fn from(d: &Document) -> Self {
        Self {
            version: DOCUMENT_VERSION,
            chain_id: d.chain_id,
            attestation_center: d.attestation_center,
            epoch_block: d.epoch_block,
            epoch_block_hash: d.epoch_block_hash,
            round: u64::from(d.round),
            performer: d.performer,
            sample: d.sample.iter().map(EntryWire::from).collect(),
            missed_performers: d.missed_performers.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        health::health_message,
        test_keys::{sign_personal, ANVIL0, ANVIL0_ADDRESS, ANVIL1, ANVIL1_ADDRESS},
    };
    use alloy_primitives::{address, b256, hex};

    const AC: Address = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    const HASH: B256 = b256!("0x3333333333333333333333333333333333333333333333333333333333333333");
    const DEAD: Address = address!("0x000000000000000000000000000000000000dEaD");
    const MAX: usize = 1 << 16;

    fn doc() -> Document {
        let proof = HealthProof::new(
            ANVIL0_ADDRESS,
            120,
            HASH,
            sign_personal(&ANVIL0, &health_message(HASH)),
        );
        Document {
            chain_id: 31337,
            attestation_center: AC,
            epoch_block: EpochBlock(120),
            epoch_block_hash: HASH,
            round: Round(0),
            performer: ANVIL1_ADDRESS,
            sample: vec![
                SampleEntry {
                    operator: ANVIL0_ADDRESS,
                    operator_id: 1,
                    endpoint: "http://127.0.0.1:8545/health".into(),
                    check: Check::Healthy(proof),
                },
                SampleEntry {
                    operator: DEAD,
                    operator_id: 3,
                    endpoint: "https://dead.example/".into(),
                    check: Check::Unhealthy(FailureReason::Timeout),
                },
            ],
            missed_performers: vec![],
        }
    }

    #[test]
    fn cid_of_hello() {
        assert_eq!(
            cid_v1_raw(b"hello"),
            "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"
        );
        // Independently: the base32 of 01 55 12 20 ‖ sha256("hello").
        let digest = hex!("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
        assert_eq!(Sha256::digest(b"hello").as_slice(), digest.as_slice());
    }

    /// The canonical bytes of a fixed document, and its CID. Both checked
    /// independently (Python: `json.dumps(sort_keys=True, separators=(",", ":"))`
    /// reproduces the bytes; `hashlib.sha256` + `base64.b32encode` the CID).
    const PINNED_JSON: &str = concat!(
        r#"{"attestationCenter":"0x5fbdb2315678afecb367f032d93f642f64180aa3","chainId":31337,"#,
        r#""epochBlock":120,"epochBlockHash":"0x3333333333333333333333333333333333333333333333333333333333333333","#,
        r#""missedPerformers":[],"performer":"0x70997970c51812dc3a010c7d01b50e0d17dc79c8","round":0,"#,
        r#""sample":[{"endpoint":"http://127.0.0.1:8545/health","#,
        r#""operator":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","operatorId":1,"#,
        r#""proof":{"address":"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","#,
        r#""blockHash":"0x3333333333333333333333333333333333333333333333333333333333333333","#,
        r#""blockNumber":120,"signature":"0xb6331e9c730c8256284ed7b757aa8c24d33d1cde14c0802c893837b3c202078e6e82e5956cd95f3a021b5718128259c138ddc9cf53c1a155e7e274a9a44c817e1c"},"#,
        r#""verdict":"healthy"},{"endpoint":"https://dead.example/","failure":"timeout","#,
        r#""operator":"0x000000000000000000000000000000000000dead","operatorId":3,"verdict":"unhealthy"}],"#,
        r#""version":1}"#
    );

    #[test]
    fn pinned_canonical_bytes_and_cid() {
        let d = doc();
        let bytes = d.to_canonical_bytes().unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), PINNED_JSON);
        assert_eq!(
            Sha256::digest(PINNED_JSON).as_slice(),
            hex!("7b0478add00fa8fc65975dd59bbba2136c3243de25eb9e61b7a3f5e47367f111").as_slice()
        );
        assert_eq!(
            d.cid().unwrap(),
            "bafkreid3ar4k3uapvd6glf252wn3xiqtnqzehxrf5opgdn5d6xshgz7rce"
        );
        assert_eq!(
            Document::from_slice(PINNED_JSON.as_bytes(), MAX).unwrap(),
            d
        );
    }

    #[test]
    fn roundtrip() {
        let d = doc();
        let bytes = d.to_canonical_bytes().unwrap();
        assert_eq!(Document::from_slice(&bytes, MAX).unwrap(), d);
        let via_serde: Document = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(via_serde, d);
    }

    #[test]
    fn task_data_and_info() {
        let d = doc();
        let td = d.task_data();
        assert_eq!(td.unhealthy, vec![DEAD]);
        assert_eq!(td.epoch_block, EpochBlock(120));
        let info = d.task_info(1).unwrap();
        assert_eq!(info.proof_of_task, d.cid().unwrap());
        assert_eq!(TaskData::abi_decode(&info.data, 10).unwrap(), td);
        assert_eq!(info.task_performer, ANVIL1_ADDRESS);
    }

    #[test]
    fn health_proofs() {
        let d = doc();
        d.verify_health_proofs(HASH).unwrap();
        assert!(matches!(
            d.verify_health_proofs(B256::ZERO),
            Err(Error::InvalidHealthProof {
                operator_id: 1,
                source: ProofError::WrongHash
            })
        ));
        let mut wrong = doc();
        wrong.sample[0].check = Check::Healthy(HealthProof::new(
            ANVIL0_ADDRESS,
            120,
            HASH,
            sign_personal(&ANVIL1, &health_message(HASH)),
        ));
        assert!(matches!(
            wrong.verify_health_proofs(HASH),
            Err(Error::InvalidHealthProof {
                operator_id: 1,
                source: ProofError::BadSignature
            })
        ));
    }

    fn reparse(value: serde_json::Value) -> Result<Document> {
        Document::from_slice(&serde_jcs::to_vec(&value).unwrap(), MAX)
    }

    fn value() -> serde_json::Value {
        serde_json::from_slice(&doc().to_canonical_bytes().unwrap()).unwrap()
    }

    #[test]
    fn rejects_oversized() {
        let bytes = doc().to_canonical_bytes().unwrap();
        assert!(matches!(
            Document::from_slice(&bytes, bytes.len() - 1),
            Err(Error::Oversized { .. })
        ));
    }

    #[test]
    fn rejects_non_canonical() {
        let pretty = serde_json::to_vec_pretty(&doc()).unwrap();
        assert!(matches!(
            Document::from_slice(&pretty, MAX),
            Err(Error::NonCanonicalDocument)
        ));
        let mut v = value();
        v["performer"] = ANVIL1_ADDRESS.to_checksum(None).into();
        assert!(matches!(reparse(v), Err(Error::NonCanonicalDocument)));
        let mut v = value();
        v["sample"][1]["proof"] = serde_json::Value::Null;
        assert!(matches!(reparse(v), Err(Error::NonCanonicalDocument)));
    }

    #[test]
    fn rejects_unknown_fields_and_versions() {
        let mut v = value();
        v["extra"] = 1.into();
        assert!(matches!(reparse(v), Err(Error::Json(_))));
        let mut v = value();
        v["sample"][0]["note"] = "hi".into();
        assert!(matches!(reparse(v), Err(Error::Json(_))));
        let mut v = value();
        v["version"] = 2.into();
        assert!(matches!(reparse(v), Err(Error::UnsupportedVersion(2))));
        let mut v = value();
        v["sample"][1]["failure"] = "slow".into();
        assert!(matches!(reparse(v), Err(Error::Json(_))));
    }

    #[test]
    fn rejects_inconsistent_entries() {
        let cases = [
            (0, "proof", None, EntryError::HealthyWithoutProof),
            (
                0,
                "failure",
                Some(serde_json::json!("timeout")),
                EntryError::HealthyWithFailure,
            ),
            (1, "failure", None, EntryError::UnhealthyWithoutFailure),
        ];
        for (index, key, replacement, expected) in cases {
            let mut v = value();
            let entry = v["sample"][index].as_object_mut().unwrap();
            match replacement {
                Some(r) => {
                    entry.insert(key.into(), r);
                }
                None => {
                    entry.remove(key);
                }
            }
            match reparse(v) {
                Err(Error::InvalidEntry { reason, .. }) => assert_eq!(reason, expected),
                other => panic!("{key}: {other:?}"),
            }
        }
        let mut v = value();
        let proof = v["sample"][0]["proof"].clone();
        v["sample"][1]["proof"] = proof;
        assert!(matches!(
            reparse(v),
            Err(Error::InvalidEntry {
                operator_id: 3,
                reason: EntryError::UnhealthyWithProof
            })
        ));
    }

    #[test]
    fn rejects_bad_lists() {
        let mut d = doc();
        d.sample.swap(0, 1);
        assert!(matches!(
            d.to_canonical_bytes(),
            Err(Error::NotStrictlyAscending {
                field: "sample",
                ..
            })
        ));
        let mut v = value();
        let first = v["sample"][0].clone();
        v["sample"][1] = first;
        assert!(matches!(
            reparse(v),
            Err(Error::NotStrictlyAscending {
                field: "sample",
                ..
            })
        ));
        let mut d = doc();
        d.sample[1].operator = ANVIL0_ADDRESS;
        assert!(matches!(
            d.validate(),
            Err(Error::InvalidEntry {
                reason: EntryError::DuplicateAddress,
                ..
            })
        ));
        let mut d = doc();
        d.sample[0].operator_id = 0;
        assert!(matches!(
            d.validate(),
            Err(Error::InvalidEntry {
                reason: EntryError::ZeroOperatorId,
                ..
            })
        ));
        // One signature, one encoding: v = 0/1 twins are refused.
        let mut d = doc();
        let Check::Healthy(proof) = &mut d.sample[0].check else {
            panic!("entry 0 is healthy");
        };
        proof.signature[64] -= 27;
        assert!(matches!(
            d.validate(),
            Err(Error::InvalidEntry {
                reason: EntryError::NonCanonicalSignature,
                ..
            })
        ));
        let mut v = value();
        let sig = v["sample"][0]["proof"]["signature"]
            .as_str()
            .unwrap()
            .to_owned();
        let twin = format!(
            "{}{:02x}",
            &sig[..sig.len() - 2],
            u8::from_str_radix(&sig[sig.len() - 2..], 16).unwrap() - 27
        );
        v["sample"][0]["proof"]["signature"] = twin.into();
        assert!(matches!(
            reparse(v),
            Err(Error::InvalidEntry {
                reason: EntryError::NonCanonicalSignature,
                ..
            })
        ));
        let mut d = doc();
        d.missed_performers = vec![ANVIL0_ADDRESS, DEAD];
        assert!(matches!(
            d.validate(),
            Err(Error::NotStrictlyAscending {
                field: "missedPerformers",
                ..
            })
        ));
        d.missed_performers = vec![DEAD, ANVIL0_ADDRESS];
        d.validate().unwrap();
    }

    /// A round wider than the 32 bits it has on chain is refused at
    /// decoding, not clamped later.
    #[test]
    fn rejects_rounds_wider_than_u32() {
        let mut v = value();
        v["round"] = u64::from(u32::MAX).into();
        let max = reparse(v).unwrap();
        assert_eq!(max.round, Round::MAX);
        let mut v = value();
        v["round"] = (u64::from(u32::MAX) + 1).into();
        assert!(matches!(
            reparse(v),
            Err(Error::OutOfRange { field: "round" })
        ));
    }

    #[test]
    fn rejects_unsafe_integers() {
        let mut d = doc();
        d.epoch_block = EpochBlock(MAX_SAFE_INTEGER + 1);
        assert!(matches!(
            d.to_canonical_bytes(),
            Err(Error::OutOfRange {
                field: "epochBlock"
            })
        ));
        let mut v = value();
        v["round"] = (MAX_SAFE_INTEGER + 1).into();
        let text = serde_json::to_vec(&v).unwrap();
        assert!(matches!(
            Document::from_slice(&text, MAX),
            Err(Error::OutOfRange { field: "round" })
        ));
    }
}
