//! The gossip wire format: versioned, size-bounded binary encodings of the
//! three messages nodes exchange over gossipsub.
//!
//! Every message starts with a two-byte header, then a body whose shape the
//! kind fixes. All integers are big-endian.
//!
//! | bytes | field |
//! | --- | --- |
//! | 1 | version ([`WIRE_VERSION`] = `1`) |
//! | 1 | kind: [`KIND_TASK`] = `1`, [`KIND_VOTE`] = `2`, [`KIND_DISPUTE`] = `4` |
//!
//! Kind `3` ([`KIND_UNSIGNED_DISPUTE`]) was the dispute before disputes
//! were signed; it is refused ([`WireError::UnsignedDispute`]).
//!
//! Task (kind 1), [`TaskMsg`]:
//!
//! | bytes | field |
//! | --- | --- |
//! | 2 | task definition id |
//! | 65 | performer signature `r ‖ s ‖ v` |
//! | 4 | document length `n`, at most [`MAX_DOCUMENT_BYTES`] |
//! | n | the proof-of-task document, RFC 8785 canonical JSON |
//!
//! Vote (kind 2), [`VoteMsg`], always [`VOTE_MSG_BYTES`] long:
//!
//! | bytes | field |
//! | --- | --- |
//! | 32 | task hash |
//! | 8 | epoch block |
//! | 4 | round |
//! | 8 | operator id of the voter |
//! | 1 | is approved: `0` or `1` |
//! | 64 | BLS signature, a G1 point (compact encoding of `liveliness_bls`) |
//!
//! Dispute (kind 4), [`DisputeMsg`]:
//!
//! | bytes | field |
//! | --- | --- |
//! | 32 | task hash |
//! | 8 | epoch block |
//! | 4 | round |
//! | 8 | operator id of the disputer |
//! | 65 | the disputer's signature `r ‖ s ‖ v`, `v` 27 or 28 ([`DisputeMsg::signing_digest`]) |
//! | 2 | entry count, `1..=`[`MAX_DISPUTE_ENTRIES`] |
//! | … | entries, strictly ascending by operator address |
//!
//! and each entry:
//!
//! | bytes | field |
//! | --- | --- |
//! | 1 | reason: `1` = [`DisputeReason::Reachable`], `2` = [`DisputeReason::PerformerTaskSeen`] |
//! | 20 | operator address |
//! | 65 | for `Reachable` only: the health proof signature `r ‖ s ‖ v` |
//!
//! Decoding treats every byte as hostile: it refuses input longer than
//! [`MAX_MESSAGE_BYTES`] before looking at it, unknown versions, kinds and
//! reasons, lengths beyond their bounds, short input, trailing bytes,
//! booleans other than `0`/`1`, BLS signatures that are not valid points,
//! documents that are not canonical, dispute signatures whose `v` is not 27
//! or 28 and unsorted or duplicate dispute entries, each with its own
//! [`WireError`], and never panics. The format is
//! canonical: a message has exactly one encoding, and whatever decodes
//! re-encodes to the same bytes.
//!
//! Decoding checks form only. Whether a task's performer signature, a
//! vote's BLS signature, or a dispute's signature and health proofs are
//! valid, and whether the sender may send them, is for the caller to check.

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

use alloy_primitives::{Address, Bytes, B256};
use liveliness_bls::{Signature, G1_BYTES};
use liveliness_primitives::{DisputeContext, DisputedEntry, Document, EpochBlock, Round, TaskInfo};

/// The wire format version this code writes and reads (byte 0).
pub const WIRE_VERSION: u8 = 1;

/// Kind byte of a [`TaskMsg`].
pub const KIND_TASK: u8 = 1;
/// Kind byte of a [`VoteMsg`].
pub const KIND_VOTE: u8 = 2;
/// Kind byte of a [`DisputeMsg`] (signed).
pub const KIND_DISPUTE: u8 = 4;
/// Kind byte of the unsigned dispute of earlier builds, now refused
/// ([`WireError::UnsignedDispute`]).
pub const KIND_UNSIGNED_DISPUTE: u8 = 3;

/// The largest message, in bytes, that [`Message::decode`] looks at. Also
/// the gossipsub transmit bound.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The largest proof-of-task document a task may carry, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 60_000;

/// The most entries a dispute may carry.
pub const MAX_DISPUTE_ENTRIES: usize = 256;

/// Length of an ECDSA signature `r ‖ s ‖ v` (performer signatures and
/// health proof signatures).
pub const ECDSA_SIGNATURE_BYTES: usize = 65;

/// Length of the header (version and kind).
pub const HEADER_BYTES: usize = 2;

/// The exact length of an encoded [`VoteMsg`], header included.
pub const VOTE_MSG_BYTES: usize = HEADER_BYTES + 32 + 8 + 4 + 8 + 1 + G1_BYTES;

/// Reason byte of [`DisputeReason::Reachable`].
pub const REASON_REACHABLE: u8 = 1;
/// Reason byte of [`DisputeReason::PerformerTaskSeen`].
pub const REASON_PERFORMER_TASK_SEEN: u8 = 2;

/// Why a message could not be decoded (or, for [`TaskMsg::new`], built).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The input ends before a field it must contain.
    #[error("message truncated: needs at least {need} bytes, has {have}")]
    Truncated {
        /// The length the input needs at least to hold the next field.
        need: usize,
        /// The input's length.
        have: usize,
    },
    /// The version byte is not [`WIRE_VERSION`].
    #[error("unknown wire version {0}")]
    UnknownVersion(u8),
    /// The kind byte names no message.
    #[error("unknown message kind {0}")]
    UnknownKind(u8),
    /// The kind byte names another message than the one asked for.
    #[error("expected message kind {expected}, got {got}")]
    WrongKind {
        /// The kind the caller decodes.
        expected: u8,
        /// The kind in the input.
        got: u8,
    },
    /// The message, or the document it carries, is longer than its bound.
    #[error("{len} bytes exceed the limit of {max}")]
    TooLarge {
        /// The (declared) length.
        len: usize,
        /// The bound.
        max: usize,
    },
    /// Bytes follow the end of the message.
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
    /// A boolean byte other than `0` or `1`.
    #[error("invalid boolean byte {0}")]
    InvalidBool(u8),
    /// The BLS signature is not a valid G1 point (non-canonical coordinate,
    /// off the curve, or the point at infinity).
    #[error("invalid BLS signature")]
    InvalidSignature(#[source] liveliness_bls::Error),
    /// The proof-of-task document is malformed, invalid or not canonical.
    #[error("invalid proof-of-task document")]
    Document(#[source] liveliness_primitives::Error),
    /// A dispute with no entries.
    #[error("dispute has no entries")]
    NoEntries,
    /// A dispute with more than [`MAX_DISPUTE_ENTRIES`] entries.
    #[error("dispute has {count} entries, more than the maximum {max}")]
    TooManyEntries {
        /// The declared count.
        count: usize,
        /// The maximum.
        max: usize,
    },
    /// A dispute entry's reason byte names no reason.
    #[error("unknown dispute reason {0}")]
    UnknownDisputeReason(u8),
    /// An unsigned dispute (kind [`KIND_UNSIGNED_DISPUTE`]) of an earlier
    /// build: disputes are signed now, kind [`KIND_DISPUTE`].
    #[error("unsigned dispute (kind 3) of an earlier version: disputes must be signed (kind 4)")]
    UnsignedDispute,
    /// A dispute signature whose `v` is not 27 or 28 (the form signers
    /// write; `0`/`1` would be a second encoding of the same signature).
    #[error("dispute signature v must be 27 or 28, got {0}")]
    DisputeSignatureV(u8),
    /// Dispute entries not strictly ascending by operator address (unsorted
    /// or duplicate).
    #[error("dispute entries not strictly ascending at index {index}")]
    EntriesNotAscending {
        /// Index of the first entry not above its predecessor.
        index: usize,
    },
}

/// A performer's task: the proof-of-task document and the performer's
/// signature over the task it implies.
///
/// [`TaskMsg::new`] and [`TaskMsg::decode`] keep `document_bytes` equal to
/// the canonical bytes of `document` and within [`MAX_DOCUMENT_BYTES`];
/// [`encode`](Self::encode) writes the fields as they are, so a message
/// whose fields were changed by hand may encode to bytes that peers refuse.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TaskMsg {
    /// The AttestationCenter task definition id.
    pub task_definition_id: u16,
    /// The performer's `personal_sign` of the task signing digest
    /// ([`TaskInfo::task_signing_digest`]), `r ‖ s ‖ v`.
    pub performer_signature: [u8; ECDSA_SIGNATURE_BYTES],
    /// The document's RFC 8785 canonical bytes, as sent.
    pub document_bytes: Vec<u8>,
    /// The parsed document.
    pub document: Document,
}

/// An operator's BLS vote on a task.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VoteMsg {
    /// The task voted on ([`TaskInfo::task_hash`]).
    pub task_hash: B256,
    /// The epoch block of the task.
    pub epoch_block: EpochBlock,
    /// The performer round of the task.
    pub round: Round,
    /// The voter's AttestationCenter operator id.
    pub operator_id: u64,
    /// Approve (`true`) or reject (`false`).
    pub is_approved: bool,
    /// The voter's BLS signature of the vote hash
    /// ([`TaskInfo::vote_hash`]).
    pub signature: Signature,
}

/// What a disputer holds against one entry of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DisputeReason {
    /// The task calls the operator unhealthy, but the disputer obtained a
    /// health proof from it itself. The proof's block number is the
    /// dispute's `epoch_block` and its block hash the epoch block hash, so
    /// only the signature travels.
    Reachable {
        /// The health proof's signature `r ‖ s ‖ v`.
        proof_signature: [u8; ECDSA_SIGNATURE_BYTES],
    },
    /// The task lists the operator as a missed performer, but the disputer
    /// saw that performer's task for its round.
    PerformerTaskSeen,
}

impl DisputeReason {
    /// The reason byte: [`REASON_REACHABLE`] or
    /// [`REASON_PERFORMER_TASK_SEEN`].
    pub const fn code(&self) -> u8 {
        match self {
            Self::Reachable { .. } => REASON_REACHABLE,
            Self::PerformerTaskSeen => REASON_PERFORMER_TASK_SEEN,
        }
    }
}

/// One disputed operator and the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DisputeEntry {
    /// The operator the dispute is about.
    pub operator: Address,
    /// What the disputer holds against the task's verdict on it.
    pub reason: DisputeReason,
}

/// An operator's dispute of a task: entries the disputer can show are
/// wrong, signed by the disputer ([`signing_digest`](Self::signing_digest)).
///
/// The encoder writes `entries` and the signature as they are; only a
/// dispute with `1..=`[`MAX_DISPUTE_ENTRIES`] entries strictly ascending by
/// operator address and a signature `v` of 27 or 28 decodes (see
/// [`DisputeMsg::check_entries`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DisputeMsg {
    /// The disputed task ([`TaskInfo::task_hash`]).
    pub task_hash: B256,
    /// The epoch block of the task.
    pub epoch_block: EpochBlock,
    /// The performer round of the task.
    pub round: Round,
    /// The disputer's AttestationCenter operator id.
    pub operator_id: u64,
    /// The disputer's `personal_sign` of
    /// [`signing_digest`](Self::signing_digest), `r ‖ s ‖ v`.
    pub signature: [u8; ECDSA_SIGNATURE_BYTES],
    /// The disputed entries, strictly ascending by operator address.
    pub entries: Vec<DisputeEntry>,
}

/// Any gossip message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// A performer's task (kind 1).
    Task(TaskMsg),
    /// An operator's vote (kind 2).
    Vote(VoteMsg),
    /// An operator's signed dispute (kind 4).
    Dispute(DisputeMsg),
}

impl From<TaskMsg> for Message {
    fn from(m: TaskMsg) -> Self {
        Self::Task(m)
    }
}

impl From<VoteMsg> for Message {
    fn from(m: VoteMsg) -> Self {
        Self::Vote(m)
    }
}

impl From<DisputeMsg> for Message {
    fn from(m: DisputeMsg) -> Self {
        Self::Dispute(m)
    }
}

impl Message {
    /// The kind byte: [`KIND_TASK`], [`KIND_VOTE`] or [`KIND_DISPUTE`].
    pub const fn kind(&self) -> u8 {
        match self {
            Self::Task(_) => KIND_TASK,
            Self::Vote(_) => KIND_VOTE,
            Self::Dispute(_) => KIND_DISPUTE,
        }
    }

    /// The wire encoding, header included.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Task(m) => m.encode(),
            Self::Vote(m) => m.encode(),
            Self::Dispute(m) => m.encode(),
        }
    }

    /// Decodes any message (see the module docs for what is refused).
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let (kind, mut r) = open(bytes)?;
        match kind {
            KIND_TASK => TaskMsg::decode_body(&mut r).map(Self::Task),
            KIND_VOTE => VoteMsg::decode_body(&mut r).map(Self::Vote),
            KIND_DISPUTE => DisputeMsg::decode_body(&mut r).map(Self::Dispute),
            KIND_UNSIGNED_DISPUTE => Err(WireError::UnsignedDispute),
            other => Err(WireError::UnknownKind(other)),
        }
    }
}

impl TaskMsg {
    /// A task message for `document`: fills `document_bytes` with its
    /// canonical bytes. Errors when the document is invalid
    /// ([`WireError::Document`]) or its bytes exceed [`MAX_DOCUMENT_BYTES`]
    /// ([`WireError::TooLarge`]), so every message it builds decodes.
    pub fn new(
        task_definition_id: u16,
        performer_signature: [u8; ECDSA_SIGNATURE_BYTES],
        document: Document,
    ) -> Result<Self, WireError> {
        let document_bytes = document.to_canonical_bytes().map_err(WireError::Document)?;
        if document_bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(WireError::TooLarge {
                len: document_bytes.len(),
                max: MAX_DOCUMENT_BYTES,
            });
        }
        // What peers will run on these bytes: refuse here what they would.
        Document::from_slice(&document_bytes, MAX_DOCUMENT_BYTES).map_err(WireError::Document)?;
        Ok(Self {
            task_definition_id,
            performer_signature,
            document_bytes,
            document,
        })
    }

    /// The task this message proposes:
    /// [`Document::task_info`] with this message's task definition id.
    pub fn task_info(&self) -> liveliness_primitives::Result<TaskInfo> {
        self.document.task_info(self.task_definition_id)
    }

    /// The wire encoding, header included.
    pub fn encode(&self) -> Vec<u8> {
        let doc = &self.document_bytes;
        let mut out = Vec::with_capacity(
            (HEADER_BYTES + 2 + ECDSA_SIGNATURE_BYTES + 4).saturating_add(doc.len()),
        );
        out.extend_from_slice(&[WIRE_VERSION, KIND_TASK]);
        out.extend_from_slice(&self.task_definition_id.to_be_bytes());
        out.extend_from_slice(&self.performer_signature);
        // `new` and `decode` bound the length far below `u32::MAX`.
        let len = u32::try_from(doc.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(doc);
        out
    }

    /// Decodes a task message; any other kind is [`WireError::WrongKind`].
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = open_kind(bytes, KIND_TASK)?;
        Self::decode_body(&mut r)
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let task_definition_id = u16::from_be_bytes(r.array()?);
        let performer_signature = r.array()?;
        let len = usize::try_from(u32::from_be_bytes(r.array()?)).unwrap_or(usize::MAX);
        if len > MAX_DOCUMENT_BYTES {
            return Err(WireError::TooLarge {
                len,
                max: MAX_DOCUMENT_BYTES,
            });
        }
        let document_bytes = r.take(len)?;
        r.finish()?;
        let document = Document::from_slice(document_bytes, MAX_DOCUMENT_BYTES)
            .map_err(WireError::Document)?;
        Ok(Self {
            task_definition_id,
            performer_signature,
            document_bytes: document_bytes.to_vec(),
            document,
        })
    }
}

impl VoteMsg {
    /// The wire encoding, header included; always [`VOTE_MSG_BYTES`] long.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(VOTE_MSG_BYTES);
        out.extend_from_slice(&[WIRE_VERSION, KIND_VOTE]);
        out.extend_from_slice(self.task_hash.as_slice());
        out.extend_from_slice(&self.epoch_block.0.to_be_bytes());
        out.extend_from_slice(&self.round.0.to_be_bytes());
        out.extend_from_slice(&self.operator_id.to_be_bytes());
        out.push(u8::from(self.is_approved));
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Decodes a vote message; any other kind is [`WireError::WrongKind`].
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = open_kind(bytes, KIND_VOTE)?;
        Self::decode_body(&mut r)
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let task_hash = B256::from(r.array::<32>()?);
        let epoch_block = EpochBlock(u64::from_be_bytes(r.array()?));
        let round = Round(u32::from_be_bytes(r.array()?));
        let operator_id = u64::from_be_bytes(r.array()?);
        let is_approved = match r.array::<1>()? {
            [0] => false,
            [1] => true,
            [other] => return Err(WireError::InvalidBool(other)),
        };
        let signature = r.array::<G1_BYTES>()?;
        r.finish()?;
        let signature = Signature::from_bytes(&signature).map_err(WireError::InvalidSignature)?;
        Ok(Self {
            task_hash,
            epoch_block,
            round,
            operator_id,
            is_approved,
            signature,
        })
    }
}

impl DisputeMsg {
    /// Checks what decoding requires of `entries` and the signature: `1..=`
    /// [`MAX_DISPUTE_ENTRIES`] entries, strictly ascending by operator
    /// address, and a signature `v` of 27 or 28.
    pub fn check_entries(&self) -> Result<(), WireError> {
        check_count(self.entries.len())?;
        let mut previous = None;
        for (index, entry) in self.entries.iter().enumerate() {
            check_ascending(&mut previous, entry.operator, index)?;
        }
        check_signature_v(&self.signature)
    }

    /// The context the signature binds the dispute to, on the chain
    /// `chain_id` and AttestationCenter `attestation_center`.
    pub fn context(&self, chain_id: u64, attestation_center: Address) -> DisputeContext {
        DisputeContext {
            chain_id,
            attestation_center,
            task_hash: self.task_hash,
            epoch_block: self.epoch_block,
            round: self.round,
            disputer_id: self.operator_id,
        }
    }

    /// The entries as the signature commits to them.
    fn signed_entries(&self) -> Vec<DisputedEntry> {
        self.entries
            .iter()
            .map(|e| DisputedEntry {
                reason: e.reason.code(),
                operator: e.operator,
                proof_signature: match &e.reason {
                    DisputeReason::Reachable { proof_signature } => {
                        Bytes::copy_from_slice(proof_signature)
                    }
                    DisputeReason::PerformerTaskSeen => Bytes::new(),
                },
            })
            .collect()
    }

    /// The digest the disputer signs with `personal_sign`
    /// ([`DisputeContext::signing_digest`]): it commits to the deployment,
    /// every field of the message but the signature, and every entry.
    pub fn signing_digest(&self, chain_id: u64, attestation_center: Address) -> B256 {
        self.context(chain_id, attestation_center)
            .signing_digest(&self.signed_entries())
    }

    /// The address that signed this dispute on the chain `chain_id` and
    /// AttestationCenter `attestation_center` (strict signature rules;
    /// an error for a malformed signature).
    pub fn signer(
        &self,
        chain_id: u64,
        attestation_center: Address,
    ) -> liveliness_primitives::Result<Address> {
        self.context(chain_id, attestation_center)
            .signer(&self.signed_entries(), &self.signature)
    }

    /// Signs the dispute as its disputer: sets `signature` to `signer`'s
    /// `personal_sign` of [`signing_digest`](Self::signing_digest).
    pub fn sign(
        &mut self,
        chain_id: u64,
        attestation_center: Address,
        signer: &impl alloy::signers::SignerSync,
    ) -> alloy::signers::Result<()> {
        let digest = self.signing_digest(chain_id, attestation_center);
        self.signature = signer.sign_message_sync(digest.as_slice())?.as_bytes();
        Ok(())
    }

    /// The wire encoding, header included. Writes `entries` as they are
    /// (see [`check_entries`](Self::check_entries)).
    pub fn encode(&self) -> Vec<u8> {
        let per_entry = 1 + 20 + ECDSA_SIGNATURE_BYTES;
        let mut out = Vec::with_capacity(
            (HEADER_BYTES + 32 + 8 + 4 + 8 + ECDSA_SIGNATURE_BYTES + 2)
                .saturating_add(per_entry.saturating_mul(self.entries.len())),
        );
        out.extend_from_slice(&[WIRE_VERSION, KIND_DISPUTE]);
        out.extend_from_slice(self.task_hash.as_slice());
        out.extend_from_slice(&self.epoch_block.0.to_be_bytes());
        out.extend_from_slice(&self.round.0.to_be_bytes());
        out.extend_from_slice(&self.operator_id.to_be_bytes());
        out.extend_from_slice(&self.signature);
        // Decoding bounds the count far below `u16::MAX`.
        let count = u16::try_from(self.entries.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        for entry in &self.entries {
            out.push(entry.reason.code());
            out.extend_from_slice(entry.operator.as_slice());
            if let DisputeReason::Reachable { proof_signature } = &entry.reason {
                out.extend_from_slice(proof_signature);
            }
        }
        out
    }

    /// Decodes a dispute message; any other kind is
    /// [`WireError::WrongKind`].
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let mut r = open_kind(bytes, KIND_DISPUTE)?;
        Self::decode_body(&mut r)
    }

    fn decode_body(r: &mut Reader<'_>) -> Result<Self, WireError> {
        let task_hash = B256::from(r.array::<32>()?);
        let epoch_block = EpochBlock(u64::from_be_bytes(r.array()?));
        let round = Round(u32::from_be_bytes(r.array()?));
        let operator_id = u64::from_be_bytes(r.array()?);
        let signature = r.array()?;
        check_signature_v(&signature)?;
        let count = usize::from(u16::from_be_bytes(r.array()?));
        check_count(count)?;
        let mut entries = Vec::with_capacity(count);
        let mut previous = None;
        for index in 0..count {
            let [code] = r.array::<1>()?;
            let operator = Address::from(r.array::<20>()?);
            check_ascending(&mut previous, operator, index)?;
            let reason = match code {
                REASON_REACHABLE => DisputeReason::Reachable {
                    proof_signature: r.array()?,
                },
                REASON_PERFORMER_TASK_SEEN => DisputeReason::PerformerTaskSeen,
                other => return Err(WireError::UnknownDisputeReason(other)),
            };
            entries.push(DisputeEntry { operator, reason });
        }
        r.finish()?;
        Ok(Self {
            task_hash,
            epoch_block,
            round,
            operator_id,
            signature,
            entries,
        })
    }
}

fn check_signature_v(signature: &[u8; ECDSA_SIGNATURE_BYTES]) -> Result<(), WireError> {
    match signature.last() {
        Some(27 | 28) => Ok(()),
        other => Err(WireError::DisputeSignatureV(other.copied().unwrap_or(0))),
    }
}

fn check_count(count: usize) -> Result<(), WireError> {
    if count == 0 {
        return Err(WireError::NoEntries);
    }
    if count > MAX_DISPUTE_ENTRIES {
        return Err(WireError::TooManyEntries {
            count,
            max: MAX_DISPUTE_ENTRIES,
        });
    }
    Ok(())
}

fn check_ascending(
    previous: &mut Option<Address>,
    operator: Address,
    index: usize,
) -> Result<(), WireError> {
    if previous.is_some_and(|p| p >= operator) {
        return Err(WireError::EntriesNotAscending { index });
    }
    *previous = Some(operator);
    Ok(())
}

/// Checks the size bound and the version, and reads the kind.
fn open(bytes: &[u8]) -> Result<(u8, Reader<'_>), WireError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(WireError::TooLarge {
            len: bytes.len(),
            max: MAX_MESSAGE_BYTES,
        });
    }
    let mut r = Reader::new(bytes);
    let [version] = r.array::<1>()?;
    if version != WIRE_VERSION {
        return Err(WireError::UnknownVersion(version));
    }
    let [kind] = r.array::<1>()?;
    Ok((kind, r))
}

/// [`open`], then requires `expected` as the kind.
fn open_kind(bytes: &[u8], expected: u8) -> Result<Reader<'_>, WireError> {
    let (kind, r) = open(bytes)?;
    match kind {
        k if k == expected => Ok(r),
        KIND_TASK | KIND_VOTE | KIND_DISPUTE => Err(WireError::WrongKind {
            expected,
            got: kind,
        }),
        KIND_UNSIGNED_DISPUTE => Err(WireError::UnsignedDispute),
        other => Err(WireError::UnknownKind(other)),
    }
}

/// A cursor over untrusted input that reports short reads as
/// [`WireError::Truncated`].
struct Reader<'a> {
    input_len: usize,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self {
            input_len: input.len(),
            rest: input,
        }
    }

    fn truncated(&self, n: usize) -> WireError {
        let offset = self.input_len.saturating_sub(self.rest.len());
        WireError::Truncated {
            need: offset.saturating_add(n),
            have: self.input_len,
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or_else(|| self.truncated(n))?;
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let (head, tail) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or_else(|| self.truncated(N))?;
        self.rest = tail;
        Ok(*head)
    }

    fn finish(&self) -> Result<(), WireError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes(self.rest.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::{local::PrivateKeySigner, SignerSync};
    use alloy_primitives::{address, b256};
    use liveliness_bls::KeyPair;
    use liveliness_primitives::{
        health_message, Check, Error as DocError, FailureReason, HealthProof, SampleEntry,
    };
    use proptest::prelude::*;
    use rand::{rngs::StdRng, SeedableRng};

    const AC: Address = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");
    const HASH: B256 = b256!("0x3333333333333333333333333333333333333333333333333333333333333333");
    const DEAD: Address = address!("0x000000000000000000000000000000000000dEaD");
    const CHAIN_ID: u64 = 31337;

    fn signer(i: usize) -> PrivateKeySigner {
        [
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        ][i]
            .parse()
            .unwrap()
    }

    fn personal_sign(signer: &PrivateKeySigner, message: &B256) -> [u8; 65] {
        signer
            .sign_message_sync(message.as_slice())
            .unwrap()
            .as_bytes()
    }

    /// A document with a healthy entry (a real health proof) and an
    /// unhealthy one.
    fn document() -> Document {
        let operator = signer(0);
        let proof = HealthProof::new(
            operator.address(),
            120,
            HASH,
            personal_sign(&operator, &health_message(HASH)),
        );
        Document {
            chain_id: CHAIN_ID,
            attestation_center: AC,
            epoch_block: EpochBlock(120),
            epoch_block_hash: HASH,
            round: Round(0),
            performer: signer(1).address(),
            sample: vec![
                SampleEntry {
                    operator: operator.address(),
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

    struct Fixtures {
        task: TaskMsg,
        vote: VoteMsg,
        dispute: DisputeMsg,
    }

    /// The sample messages, built once (signing is slow enough to matter
    /// in the property tests).
    fn fixtures() -> &'static Fixtures {
        static FIXTURES: std::sync::OnceLock<Fixtures> = std::sync::OnceLock::new();
        FIXTURES.get_or_init(|| {
            let task = build_task();
            let info = task.task_info().unwrap();
            Fixtures {
                vote: build_vote(&info),
                dispute: build_dispute(&info),
                task,
            }
        })
    }

    fn task() -> TaskMsg {
        fixtures().task.clone()
    }

    fn vote() -> VoteMsg {
        fixtures().vote.clone()
    }

    fn dispute() -> DisputeMsg {
        fixtures().dispute.clone()
    }

    /// A task with a real document and the performer's real signature.
    fn build_task() -> TaskMsg {
        let doc = document();
        let info = doc.task_info(1).unwrap();
        let sig = personal_sign(
            &signer(1),
            &info.task_signing_digest(
                CHAIN_ID,
                AC,
                doc.epoch_block,
                doc.epoch_block_hash,
                doc.round,
            ),
        );
        TaskMsg::new(1, sig, doc).unwrap()
    }

    /// An approving vote on `info` with a real BLS signature.
    fn build_vote(info: &TaskInfo) -> VoteMsg {
        let kp = KeyPair::random(&mut StdRng::seed_from_u64(7));
        VoteMsg {
            task_hash: info.task_hash(),
            epoch_block: EpochBlock(120),
            round: Round(0),
            operator_id: 0x0102_0304_0506_0708,
            is_approved: true,
            signature: kp.sign(&info.vote_hash(AC, CHAIN_ID, true, EpochBlock(120))),
        }
    }

    /// A dispute of `info` with one entry of each reason.
    fn build_dispute(info: &TaskInfo) -> DisputeMsg {
        let operator = signer(0);
        let mut entries = vec![
            DisputeEntry {
                operator: operator.address(),
                reason: DisputeReason::Reachable {
                    proof_signature: personal_sign(&operator, &health_message(HASH)),
                },
            },
            DisputeEntry {
                operator: DEAD,
                reason: DisputeReason::PerformerTaskSeen,
            },
        ];
        entries.sort_by_key(|e| e.operator);
        let mut msg = DisputeMsg {
            task_hash: info.task_hash(),
            epoch_block: EpochBlock(120),
            round: Round(2),
            operator_id: 9,
            signature: [0; 65],
            entries,
        };
        msg.sign(CHAIN_ID, AC, &signer(1)).unwrap();
        msg
    }

    fn valid_encodings() -> Vec<Vec<u8>> {
        vec![task().encode(), vote().encode(), dispute().encode()]
    }

    #[track_caller]
    fn decode_err(bytes: &[u8]) -> WireError {
        match Message::decode(bytes) {
            Ok(m) => panic!("decoded {m:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn task_round_trip() {
        let msg = task();
        assert_eq!(
            msg.document_bytes,
            msg.document.to_canonical_bytes().unwrap()
        );
        let info = msg.task_info().unwrap();
        info.verify_performer_signature(
            &msg.performer_signature,
            CHAIN_ID,
            AC,
            msg.document.epoch_block,
            msg.document.epoch_block_hash,
            msg.document.round,
        )
        .unwrap();
        let bytes = msg.encode();
        assert_eq!(&bytes[..2], &[1, 1]);
        assert_eq!(&bytes[2..4], &[0, 1]);
        assert_eq!(&bytes[4..69], &msg.performer_signature);
        let len = u32::try_from(msg.document_bytes.len()).unwrap();
        assert_eq!(&bytes[69..73], &len.to_be_bytes());
        assert_eq!(&bytes[73..], msg.document_bytes.as_slice());
        assert_eq!(TaskMsg::decode(&bytes).unwrap(), msg);
        let decoded = Message::decode(&bytes).unwrap();
        assert_eq!(decoded.kind(), KIND_TASK);
        assert_eq!(decoded, Message::Task(msg.clone()));
        assert_eq!(decoded.encode(), bytes);
        assert_eq!(Message::from(msg).encode(), bytes);
    }

    #[test]
    fn vote_round_trip() {
        let msg = vote();
        let bytes = msg.encode();
        assert_eq!(bytes.len(), VOTE_MSG_BYTES);
        assert_eq!(VOTE_MSG_BYTES, 119);
        assert_eq!(&bytes[..2], &[1, 2]);
        assert_eq!(&bytes[34..42], &120u64.to_be_bytes());
        assert_eq!(&bytes[46..54], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(bytes[54], 1);
        assert_eq!(VoteMsg::decode(&bytes).unwrap(), msg);
        assert_eq!(Message::decode(&bytes).unwrap(), Message::Vote(msg.clone()));
        let rejected = VoteMsg {
            is_approved: false,
            ..msg
        };
        let bytes = rejected.encode();
        assert_eq!(bytes[54], 0);
        assert_eq!(VoteMsg::decode(&bytes).unwrap(), rejected);
    }

    #[test]
    fn dispute_round_trip() {
        let msg = dispute();
        let bytes = msg.encode();
        msg.check_entries().unwrap();
        assert_eq!(
            bytes.len(),
            2 + 32 + 8 + 4 + 8 + 65 + 2 + (1 + 20) + (1 + 20 + 65)
        );
        assert_eq!(&bytes[..2], &[1, 4]);
        assert_eq!(&bytes[46..54], &9u64.to_be_bytes());
        assert_eq!(&bytes[54..119], &msg.signature);
        assert_eq!(&bytes[119..121], &[0, 2]);
        // DEAD sorts first and has no proof signature.
        assert_eq!(bytes[121], REASON_PERFORMER_TASK_SEEN);
        assert_eq!(&bytes[122..142], DEAD.as_slice());
        assert_eq!(bytes[142], REASON_REACHABLE);
        // The disputer signed it.
        assert_eq!(msg.signer(CHAIN_ID, AC).unwrap(), signer(1).address());
        assert_eq!(DisputeMsg::decode(&bytes).unwrap(), msg);
        assert_eq!(
            Message::decode(&bytes).unwrap(),
            Message::Dispute(msg.clone())
        );
        // The proof signature is the operator's health proof for the epoch
        // block.
        let DisputeReason::Reachable { proof_signature } = msg.entries[1].reason else {
            panic!("entry 1 is Reachable");
        };
        HealthProof::new(signer(0).address(), 120, HASH, proof_signature)
            .verify(signer(0).address(), 120, HASH)
            .unwrap();
    }

    #[test]
    fn dispute_of_max_entries_round_trips() {
        let entries: Vec<_> = (0..MAX_DISPUTE_ENTRIES)
            .map(|i| DisputeEntry {
                operator: Address::left_padding_from(&u16::try_from(i).unwrap().to_be_bytes()),
                reason: DisputeReason::Reachable {
                    proof_signature: [0xab; 65],
                },
            })
            .collect();
        let msg = DisputeMsg {
            entries,
            ..dispute()
        };
        let bytes = msg.encode();
        assert!(bytes.len() <= MAX_MESSAGE_BYTES);
        assert_eq!(DisputeMsg::decode(&bytes).unwrap(), msg);
    }

    #[test]
    fn truncated() {
        assert!(matches!(
            decode_err(&[]),
            WireError::Truncated { need: 1, have: 0 }
        ));
        assert!(matches!(
            decode_err(&[1]),
            WireError::Truncated { need: 2, have: 1 }
        ));
        let vote = vote().encode();
        assert!(matches!(
            decode_err(&vote[..60]),
            WireError::Truncated {
                need: 119,
                have: 60
            }
        ));
        // A document length that runs past the end.
        let task = task().encode();
        assert!(matches!(
            decode_err(&task[..task.len() - 1]),
            WireError::Truncated { need, have } if need == task.len() && have == task.len() - 1
        ));
    }

    #[test]
    fn every_truncation_is_an_error() {
        for bytes in valid_encodings() {
            for len in 0..bytes.len() {
                assert!(
                    matches!(
                        Message::decode(&bytes[..len]),
                        Err(WireError::Truncated { .. })
                    ),
                    "kind {} truncated to {len}",
                    bytes[1]
                );
            }
        }
    }

    #[test]
    fn unknown_version_and_kind() {
        for bytes in valid_encodings() {
            for version in [0, 2, 0xff] {
                let mut b = bytes.clone();
                b[0] = version;
                assert!(matches!(decode_err(&b), WireError::UnknownVersion(v) if v == version));
            }
        }
        let mut b = vote().encode();
        for kind in [0, 5, 0xff] {
            b[1] = kind;
            assert!(matches!(decode_err(&b), WireError::UnknownKind(k) if k == kind));
            assert!(matches!(
                VoteMsg::decode(&b),
                Err(WireError::UnknownKind(k)) if k == kind
            ));
        }
        assert!(matches!(decode_err(&[1, 0]), WireError::UnknownKind(0)));
    }

    #[test]
    fn wrong_kind() {
        let [task, vote, dispute] = <[Vec<u8>; 3]>::try_from(valid_encodings()).unwrap();
        assert!(matches!(
            TaskMsg::decode(&vote),
            Err(WireError::WrongKind {
                expected: KIND_TASK,
                got: KIND_VOTE
            })
        ));
        assert!(matches!(
            VoteMsg::decode(&dispute),
            Err(WireError::WrongKind {
                expected: KIND_VOTE,
                got: KIND_DISPUTE
            })
        ));
        assert!(matches!(
            DisputeMsg::decode(&task),
            Err(WireError::WrongKind {
                expected: KIND_DISPUTE,
                got: KIND_TASK
            })
        ));
        // A kind byte swapped on a valid body is refused by that kind's
        // decoder, never misread as the other message.
        let mut swapped = vote.clone();
        swapped[1] = KIND_DISPUTE;
        assert!(Message::decode(&swapped).is_err());
    }

    #[test]
    fn too_large() {
        let mut huge = vote().encode();
        huge.resize(MAX_MESSAGE_BYTES + 1, 0);
        assert!(matches!(
            decode_err(&huge),
            WireError::TooLarge { len, max: MAX_MESSAGE_BYTES } if len == MAX_MESSAGE_BYTES + 1
        ));
        // Refused before the header is read.
        huge[0] = 9;
        assert!(matches!(decode_err(&huge), WireError::TooLarge { .. }));

        // A declared document length above the bound, whatever follows.
        let mut b = task().encode();
        let too_long = u32::try_from(MAX_DOCUMENT_BYTES + 1).unwrap();
        b[69..73].copy_from_slice(&too_long.to_be_bytes());
        assert!(matches!(
            decode_err(&b),
            WireError::TooLarge { len, max: MAX_DOCUMENT_BYTES } if len == MAX_DOCUMENT_BYTES + 1
        ));
        b[69..73].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(decode_err(&b), WireError::TooLarge { .. }));

        // Building a task whose document exceeds the bound fails.
        let mut doc = document();
        doc.sample[1].endpoint = format!("https://{}.example/", "a".repeat(MAX_DOCUMENT_BYTES));
        assert!(matches!(
            TaskMsg::new(1, [0; 65], doc),
            Err(WireError::TooLarge { len, max: MAX_DOCUMENT_BYTES }) if len > MAX_DOCUMENT_BYTES
        ));
    }

    #[test]
    fn trailing_bytes() {
        for bytes in valid_encodings() {
            let mut b = bytes.clone();
            b.push(0);
            assert!(matches!(decode_err(&b), WireError::TrailingBytes(1)));
            b.extend_from_slice(&[1, 2, 3]);
            assert!(matches!(decode_err(&b), WireError::TrailingBytes(4)));
        }
    }

    #[test]
    fn invalid_bool() {
        let mut b = vote().encode();
        for byte in [2, 0x80, 0xff] {
            b[54] = byte;
            assert!(matches!(decode_err(&b), WireError::InvalidBool(v) if v == byte));
        }
    }

    #[test]
    fn invalid_signature() {
        let mut b = vote().encode();
        let sig = VOTE_MSG_BYTES - G1_BYTES..;
        // The point at infinity.
        b[sig.clone()].fill(0);
        assert!(matches!(
            decode_err(&b),
            WireError::InvalidSignature(liveliness_bls::Error::PointAtInfinity(_))
        ));
        // (1, 1) is not on y² = x³ + 3.
        b[sig.clone()].fill(0);
        b[VOTE_MSG_BYTES - 33] = 1;
        b[VOTE_MSG_BYTES - 1] = 1;
        assert!(matches!(
            decode_err(&b),
            WireError::InvalidSignature(liveliness_bls::Error::NotOnCurve(_))
        ));
        // A coordinate above the field modulus.
        b[sig].fill(0xff);
        assert!(matches!(
            decode_err(&b),
            WireError::InvalidSignature(liveliness_bls::Error::CoordinateOutOfRange(_))
        ));
    }

    fn with_document(document_bytes: &[u8]) -> Vec<u8> {
        let mut b = task().encode();
        b.truncate(69);
        let len = u32::try_from(document_bytes.len()).unwrap();
        b.extend_from_slice(&len.to_be_bytes());
        b.extend_from_slice(document_bytes);
        b
    }

    #[test]
    fn invalid_document() {
        // Not canonical: pretty-printed.
        let pretty = serde_json::to_vec_pretty(&document()).unwrap();
        assert!(matches!(
            decode_err(&with_document(&pretty)),
            WireError::Document(DocError::NonCanonicalDocument)
        ));
        // Not JSON, and empty.
        assert!(matches!(
            decode_err(&with_document(b"\xff\x00")),
            WireError::Document(DocError::Json(_))
        ));
        assert!(matches!(
            decode_err(&with_document(b"")),
            WireError::Document(DocError::Json(_))
        ));
        // An invalid document cannot be sent either.
        let mut doc = document();
        doc.sample.swap(0, 1);
        assert!(matches!(
            TaskMsg::new(1, [0; 65], doc),
            Err(WireError::Document(DocError::NotStrictlyAscending { .. }))
        ));
    }

    /// A dispute encoding with `count` as the entry count and `body` as the
    /// entries.
    fn with_entries(count: u16, body: &[u8]) -> Vec<u8> {
        let mut b = dispute().encode();
        b.truncate(119);
        b.extend_from_slice(&count.to_be_bytes());
        b.extend_from_slice(body);
        b
    }

    fn entry(code: u8, operator: Address) -> Vec<u8> {
        let mut e = vec![code];
        e.extend_from_slice(operator.as_slice());
        if code == REASON_REACHABLE {
            e.extend_from_slice(&[7; 65]);
        }
        e
    }

    #[test]
    fn dispute_counts() {
        assert!(matches!(
            decode_err(&with_entries(0, &[])),
            WireError::NoEntries
        ));
        let count = u16::try_from(MAX_DISPUTE_ENTRIES + 1).unwrap();
        assert!(matches!(
            decode_err(&with_entries(count, &[])),
            WireError::TooManyEntries {
                count: 257,
                max: MAX_DISPUTE_ENTRIES
            }
        ));
        assert!(matches!(
            decode_err(&with_entries(u16::MAX, &[])),
            WireError::TooManyEntries { count: 65535, .. }
        ));
        let empty = DisputeMsg {
            entries: vec![],
            ..dispute()
        };
        assert!(matches!(empty.check_entries(), Err(WireError::NoEntries)));
        assert!(matches!(
            Message::decode(&empty.encode()),
            Err(WireError::NoEntries)
        ));
    }

    #[test]
    fn unknown_dispute_reason() {
        for code in [0, 3, 0xff] {
            let b = with_entries(1, &entry(code, DEAD));
            assert!(matches!(
                decode_err(&b),
                WireError::UnknownDisputeReason(c) if c == code
            ));
        }
    }

    #[test]
    fn entries_not_ascending() {
        let low = Address::with_last_byte(1);
        let high = Address::with_last_byte(2);
        let ok = [entry(2, low), entry(1, high)].concat();
        DisputeMsg::decode(&with_entries(2, &ok)).unwrap();
        let descending = [entry(2, high), entry(1, low)].concat();
        assert!(matches!(
            decode_err(&with_entries(2, &descending)),
            WireError::EntriesNotAscending { index: 1 }
        ));
        let duplicate = [entry(2, low), entry(1, high), entry(1, high)].concat();
        assert!(matches!(
            decode_err(&with_entries(3, &duplicate)),
            WireError::EntriesNotAscending { index: 2 }
        ));
        let mut msg = dispute();
        msg.entries.reverse();
        assert!(matches!(
            msg.check_entries(),
            Err(WireError::EntriesNotAscending { index: 1 })
        ));
        assert!(matches!(
            Message::decode(&msg.encode()),
            Err(WireError::EntriesNotAscending { index: 1 })
        ));
    }

    #[test]
    fn unsigned_disputes_are_refused() {
        // A dispute as earlier builds wrote it: kind 3, no signature.
        let mut legacy = vec![WIRE_VERSION, KIND_UNSIGNED_DISPUTE];
        legacy.extend_from_slice(&dispute().encode()[2..54]);
        legacy.extend_from_slice(&1u16.to_be_bytes());
        legacy.extend_from_slice(&entry(REASON_PERFORMER_TASK_SEEN, DEAD));
        let e = decode_err(&legacy);
        assert!(matches!(e, WireError::UnsignedDispute));
        assert_eq!(
            e.to_string(),
            "unsigned dispute (kind 3) of an earlier version: disputes must be signed (kind 4)"
        );
        assert!(matches!(
            DisputeMsg::decode(&legacy),
            Err(WireError::UnsignedDispute)
        ));
        assert!(matches!(
            VoteMsg::decode(&legacy),
            Err(WireError::UnsignedDispute)
        ));
        // A signed dispute relabelled kind 3 is refused the same way.
        let mut relabelled = dispute().encode();
        relabelled[1] = KIND_UNSIGNED_DISPUTE;
        assert!(matches!(
            decode_err(&relabelled),
            WireError::UnsignedDispute
        ));
    }

    #[test]
    fn dispute_signature_v_must_be_27_or_28() {
        let good = dispute().encode();
        for v in [0u8, 1, 26, 29, 0xff] {
            let mut b = good.clone();
            b[118] = v;
            assert!(
                matches!(decode_err(&b), WireError::DisputeSignatureV(got) if got == v),
                "v = {v}"
            );
            let mut msg = dispute();
            msg.signature[64] = v;
            assert!(matches!(
                msg.check_entries(),
                Err(WireError::DisputeSignatureV(_))
            ));
        }
    }

    /// Every field of a signed dispute, and the deployment, is covered by
    /// its signature: a dispute changed in any of them (and re-encoded) no
    /// longer recovers its disputer.
    #[test]
    fn a_tampered_dispute_no_longer_recovers_its_disputer() {
        let original = dispute();
        let disputer = signer(1).address();
        assert_eq!(original.signer(CHAIN_ID, AC).unwrap(), disputer);
        let mut variants: Vec<(&str, DisputeMsg)> = vec![
            (
                "task hash",
                DisputeMsg {
                    task_hash: B256::repeat_byte(0x44),
                    ..original.clone()
                },
            ),
            (
                "epoch block",
                DisputeMsg {
                    epoch_block: EpochBlock(130),
                    ..original.clone()
                },
            ),
            (
                "round",
                DisputeMsg {
                    round: Round(3),
                    ..original.clone()
                },
            ),
            (
                "operator id",
                DisputeMsg {
                    operator_id: 10,
                    ..original.clone()
                },
            ),
        ];
        let mut m = original.clone();
        m.entries[0].operator = Address::with_last_byte(1);
        variants.push(("entry operator", m));
        let mut m = original.clone();
        m.entries[1].reason = DisputeReason::PerformerTaskSeen;
        variants.push(("entry reason", m));
        let mut m = original.clone();
        if let DisputeReason::Reachable { proof_signature } = &mut m.entries[1].reason {
            proof_signature[0] ^= 1;
        }
        variants.push(("proof signature", m));
        let mut m = original.clone();
        m.entries.pop();
        variants.push(("entry removed", m));
        let mut m = original.clone();
        m.entries.push(DisputeEntry {
            operator: Address::repeat_byte(0xff),
            reason: DisputeReason::PerformerTaskSeen,
        });
        variants.push(("entry added", m));
        for (what, m) in variants {
            let decoded = DisputeMsg::decode(&m.encode()).unwrap();
            assert!(
                decoded.signer(CHAIN_ID, AC).ok() != Some(disputer),
                "{what} is not covered"
            );
        }
        // Another deployment.
        assert_ne!(original.signer(1, AC).unwrap(), disputer);
        assert_ne!(
            original.signer(CHAIN_ID, Address::repeat_byte(1)).unwrap(),
            disputer
        );
        // The signature itself.
        let mut m = original.clone();
        m.signature[10] ^= 1;
        assert!(m.signer(CHAIN_ID, AC).ok() != Some(disputer));
    }

    #[test]
    fn errors_display() {
        let e = decode_err(&[1]);
        assert_eq!(
            e.to_string(),
            "message truncated: needs at least 2 bytes, has 1"
        );
        let e = decode_err(&with_document(b"{}"));
        assert_eq!(e.to_string(), "invalid proof-of-task document");
        assert!(std::error::Error::source(&e).is_some());
    }

    /// Checks the two properties every input must have: decoding does not
    /// panic, and what decodes re-encodes to the same bytes.
    fn check_canonical(bytes: &[u8]) -> Result<(), TestCaseError> {
        if let Ok(msg) = Message::decode(bytes) {
            prop_assert_eq!(msg.encode(), bytes);
        }
        Ok(())
    }

    fn arb_address() -> impl Strategy<Value = Address> {
        // Few distinct values, so that duplicates occur.
        (0u8..8).prop_map(Address::with_last_byte)
    }

    fn arb_reason() -> impl Strategy<Value = DisputeReason> {
        prop_oneof![
            (any::<[u8; 32]>(), any::<[u8; 32]>(), any::<u8>()).prop_map(|(r, s, v)| {
                let mut proof_signature = [0u8; 65];
                proof_signature[..32].copy_from_slice(&r);
                proof_signature[32..64].copy_from_slice(&s);
                proof_signature[64] = v;
                DisputeReason::Reachable { proof_signature }
            }),
            Just(DisputeReason::PerformerTaskSeen),
        ]
    }

    fn arb_dispute() -> impl Strategy<Value = DisputeMsg> {
        (
            any::<[u8; 32]>(),
            any::<u64>(),
            any::<u32>(),
            any::<u64>(),
            (any::<[u8; 32]>(), 27u8..=28),
            proptest::collection::vec((arb_address(), arb_reason()), 0..6),
        )
            .prop_map(
                |(hash, epoch_block, round, operator_id, (rs, v), entries)| DisputeMsg {
                    task_hash: B256::from(hash),
                    epoch_block: EpochBlock(epoch_block),
                    round: Round(round),
                    operator_id,
                    signature: {
                        let mut sig = [v; 65];
                        sig[..32].copy_from_slice(&rs);
                        sig
                    },
                    entries: entries
                        .into_iter()
                        .map(|(operator, reason)| DisputeEntry { operator, reason })
                        .collect(),
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            check_canonical(&bytes)?;
        }

        #[test]
        fn arbitrary_bodies(
            version in prop_oneof![Just(WIRE_VERSION), any::<u8>()],
            kind in prop_oneof![1u8..=4, any::<u8>()],
            body in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let bytes = [&[version, kind][..], &body].concat();
            check_canonical(&bytes)?;
        }

        #[test]
        fn mutated_encodings(
            which in 0usize..3,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..4),
        ) {
            let mut bytes = valid_encodings().swap_remove(which);
            for (at, byte, op) in edits {
                match op {
                    0 | 1 => {
                        let i = at.index(bytes.len());
                        bytes[i] = byte;
                    }
                    2 => {
                        let i = at.index(bytes.len() + 1);
                        bytes.insert(i, byte);
                    }
                    _ => {
                        if !bytes.is_empty() {
                            let i = at.index(bytes.len());
                            bytes.remove(i);
                        }
                    }
                }
            }
            check_canonical(&bytes)?;
        }

        #[test]
        fn disputes(msg in arb_dispute()) {
            let bytes = msg.encode();
            match DisputeMsg::decode(&bytes) {
                Ok(decoded) => {
                    msg.check_entries().unwrap();
                    prop_assert_eq!(&decoded, &msg);
                }
                Err(e) => {
                    prop_assert!(msg.check_entries().is_err(), "{}", e);
                }
            }
            check_canonical(&bytes)?;
        }

        #[test]
        fn votes(
            hash in any::<[u8; 32]>(),
            epoch_block in any::<u64>(),
            round in any::<u32>(),
            operator_id in any::<u64>(),
            is_approved in any::<bool>(),
        ) {
            let msg = VoteMsg {
                task_hash: B256::from(hash),
                epoch_block: EpochBlock(epoch_block),
                round: Round(round),
                operator_id,
                is_approved,
                ..vote()
            };
            let bytes = msg.encode();
            prop_assert_eq!(bytes.len(), VOTE_MSG_BYTES);
            prop_assert_eq!(VoteMsg::decode(&bytes).unwrap(), msg);
        }
    }
}
