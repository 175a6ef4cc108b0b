//! One epoch as every node sees it: everything read from the chain at the
//! epoch block `B`, the sample and performer order derived from it, and the
//! attester's judgement of a task against it. Pure: no I/O here.

use crate::wire::TaskMsg;
use alloy_primitives::{Address, B256};
use liveliness_bls::PublicKeyG2;
use liveliness_primitives::{
    epoch_number, epoch_seed, is_epoch_block, performer_order, round_at, round_performer,
    round_start, sample, Check, OperatorRef, TaskInfo,
};
use std::collections::BTreeMap;

/// The registry parameters in force at `B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// Penalty factor.
    pub c: u64,
    /// Blocks per epoch.
    pub epoch_length: u64,
    /// Operators checked per epoch.
    pub sample_size: u64,
    /// Blocks per performer round.
    pub performer_timeout_blocks: u64,
    /// Blocks after `B` during which a task may be certified.
    pub task_validity_blocks: u64,
    /// Depth before a node acts on a block.
    pub confirmation_depth: u64,
    /// Health-check timeout.
    pub health_timeout_ms: u64,
}

/// An operator active in the AttestationCenter at `B`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorInfo {
    /// Operator id.
    pub id: u64,
    /// Operator address.
    pub address: Address,
    /// Voting power at `B`.
    pub power: u128,
    /// BLS key in G2 (aggregated into `apkG2`).
    pub pk_g2: PublicKeyG2,
    /// Endpoint registered in the registry at `B`, if any.
    pub endpoint: Option<String>,
}

/// A sampled operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sampled {
    /// Operator id.
    pub id: u64,
    /// Operator address.
    pub address: Address,
    /// Its endpoint at `B`.
    pub endpoint: String,
}

/// Everything derived from the chain at `B`.
#[derive(Clone, Debug)]
pub struct EpochView {
    /// Chain id.
    pub chain_id: u64,
    /// AttestationCenter.
    pub attestation_center: Address,
    /// The epoch block `B`.
    pub block: u64,
    /// `blockhash(B)`.
    pub hash: B256,
    /// `B / epochLength`.
    pub number: u64,
    /// Parameters at `B`.
    pub params: Params,
    /// Active operators at `B`, by id.
    pub operators: BTreeMap<u64, OperatorInfo>,
    /// Their total voting power.
    pub total_power: u128,
    /// The sample, ascending by id.
    pub sample: Vec<Sampled>,
    /// The performer order (operator ids).
    pub order: Vec<u64>,
}

/// A provable fault of a task: attesters vote to reject it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// The document is for another chain or AttestationCenter.
    #[error("document is for chain {chain_id} / {attestation_center}")]
    WrongDeployment {
        /// Its chain id.
        chain_id: u64,
        /// Its AttestationCenter.
        attestation_center: Address,
    },
    /// The epoch block hash is not the chain's.
    #[error("epoch block hash {0} is not the canonical one")]
    WrongHash(B256),
    /// The signer is not the performer due for the round.
    #[error("performer {performer} is not the one due for round {round}")]
    WrongPerformer {
        /// Named performer.
        performer: Address,
        /// The round.
        round: u64,
    },
    /// The performer signature does not verify.
    #[error("performer signature invalid: {0}")]
    BadSignature(String),
    /// The sample is not the epoch's.
    #[error("the sample is not the epoch's: {0}")]
    WrongSample(String),
    /// A "healthy" entry's proof is invalid.
    #[error("invalid health proof: {0}")]
    BadProof(String),
    /// A named missed performer was not due in an earlier round.
    #[error("{0} was not the performer of an earlier round")]
    NotAMissedPerformer(Address),
    /// The task cannot be built from the document.
    #[error("malformed document: {0}")]
    Malformed(String),
}

/// Why a task gets no vote at all (not provable, or not yet decidable).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// The round has not opened yet at the current head.
    #[error("round {round} opens at block {opens}")]
    RoundNotOpen {
        /// The round.
        round: u64,
        /// Its first block.
        opens: u64,
    },
    /// The round opens only after the epoch's tasks expire: no such task can
    /// ever be valid.
    #[error("round {round} opens after the epoch expires")]
    NeverOpens {
        /// The round.
        round: u64,
    },
    /// Past `taskValidityBlocks`.
    #[error("epoch {0} expired")]
    Expired(u64),
}

impl EpochView {
    /// Builds the view; `operators` are those active at `B` (any order).
    ///
    /// # Errors
    /// When `block` is no epoch block under `params`, or the selection
    /// arithmetic fails.
    pub fn new(
        chain_id: u64,
        attestation_center: Address,
        block: u64,
        hash: B256,
        params: Params,
        operators: Vec<OperatorInfo>,
    ) -> Result<Self, liveliness_primitives::Error> {
        let number = epoch_number(block, params.epoch_length)?;
        if !is_epoch_block(block, params.epoch_length) {
            return Err(liveliness_primitives::Error::Overflow("not an epoch block"));
        }
        let operators: BTreeMap<u64, OperatorInfo> =
            operators.into_iter().map(|o| (o.id, o)).collect();
        let total_power = operators.values().map(|o| o.power).sum();
        let seed = epoch_seed(chain_id, attestation_center, hash);
        let candidates: Vec<OperatorRef> = operators
            .values()
            .filter(|o| o.endpoint.is_some())
            .map(|o| OperatorRef {
                id: o.id,
                address: o.address,
            })
            .collect();
        let chosen = sample(&candidates, params.sample_size, number, seed)?;
        let sample = chosen
            .into_iter()
            .map(|r| Sampled {
                id: r.id,
                address: r.address,
                endpoint: operators[&r.id].endpoint.clone().unwrap_or_default(),
            })
            .collect();
        let ids: Vec<u64> = operators.keys().copied().collect();
        let order = performer_order(&ids, seed)?;
        Ok(Self {
            chain_id,
            attestation_center,
            block,
            hash,
            number,
            params,
            operators,
            total_power,
            sample,
            order,
        })
    }

    /// The id of an active operator.
    pub fn id_of(&self, address: Address) -> Option<u64> {
        self.operators
            .values()
            .find(|o| o.address == address)
            .map(|o| o.id)
    }

    /// The performer of `round`.
    pub fn performer(&self, round: u64) -> Option<&OperatorInfo> {
        round_performer(&self.order, round).and_then(|id| self.operators.get(&id))
    }

    /// The round open at `head` (0 before the first timeout).
    pub fn round_at(&self, head: u64) -> u64 {
        round_at(
            head.max(self.block),
            self.block,
            self.params.performer_timeout_blocks,
        )
        .unwrap_or(0)
    }

    /// First block of `round`.
    pub fn round_start(&self, round: u64) -> u64 {
        round_start(self.block, round, self.params.performer_timeout_blocks).unwrap_or(u64::MAX)
    }

    /// Last block at which a certificate for this epoch may still be built.
    pub fn expires_at(&self) -> u64 {
        self.block.saturating_add(self.params.task_validity_blocks)
    }

    /// Whether a set of signers with `power` meets the approve threshold
    /// (`3·signed > 2·total`).
    pub fn approves(&self, power: u128) -> bool {
        power.saturating_mul(3) > self.total_power.saturating_mul(2)
    }

    /// Whether `power` meets the reject threshold, the approve one
    /// (`3·signed > 2·total`): a minority that can block an approval cannot
    /// get a performer penalized (PROTOCOL.md §4.4).
    pub fn rejects(&self, power: u128) -> bool {
        self.approves(power)
    }

    /// The attester's judgement of a task (PROTOCOL.md §11.4): `Ok(task)` when
    /// nothing provable is wrong with it, `Err(Ok(fault))` for a provable
    /// fault (vote reject), `Err(Err(skip))` when it gets no vote.
    ///
    /// `previous` is the same performer's task of the round before, if the
    /// node has it: a task that [amends](is_amendment) it may come from that
    /// performer instead of the round's own.
    pub fn judge(
        &self,
        msg: &TaskMsg,
        head: u64,
        previous: Option<&TaskMsg>,
    ) -> Result<TaskInfo, Result<Fault, Skip>> {
        let doc = &msg.document;
        if head > self.expires_at() {
            return Err(Err(Skip::Expired(self.block)));
        }
        let opens = self.round_start(doc.round);
        if opens > self.expires_at() {
            return Err(Err(Skip::NeverOpens { round: doc.round }));
        }
        if doc.chain_id != self.chain_id || doc.attestation_center != self.attestation_center {
            return Err(Ok(Fault::WrongDeployment {
                chain_id: doc.chain_id,
                attestation_center: doc.attestation_center,
            }));
        }
        let due = self.performer(doc.round).map(|o| o.address);
        let amends = previous.is_some_and(|prev| is_amendment(prev, msg));
        if due != Some(doc.performer) && !amends {
            return Err(Ok(Fault::WrongPerformer {
                performer: doc.performer,
                round: doc.round,
            }));
        }
        let task = msg
            .task_info()
            .map_err(|e| Ok(Fault::Malformed(e.to_string())))?;
        let round = u32::try_from(doc.round)
            .map_err(|_| Ok(Fault::Malformed(format!("round {} exceeds u32", doc.round))))?;
        task.verify_performer_signature(
            &msg.performer_signature,
            self.chain_id,
            self.attestation_center,
            self.block,
            round,
        )
        .map_err(|e| Ok(Fault::BadSignature(e.to_string())))?;
        // A task is buffered until its round opens only once its signer is
        // known to be the round's performer: nobody else can fill buffers.
        if head < opens {
            return Err(Err(Skip::RoundNotOpen {
                round: doc.round,
                opens,
            }));
        }
        // Only now, with the due performer's signature checked, is a wrong
        // hash the performer's provable fault (and not anyone's forgery).
        if doc.epoch_block_hash != self.hash {
            return Err(Ok(Fault::WrongHash(doc.epoch_block_hash)));
        }
        if doc.missed_performers.len() as u64 > self.params.sample_size {
            return Err(Ok(Fault::Malformed(format!(
                "{} missed performers, more than sampleSize {}",
                doc.missed_performers.len(),
                self.params.sample_size
            ))));
        }
        if doc.sample.len() != self.sample.len() {
            return Err(Ok(Fault::WrongSample(format!(
                "{} entries, expected {}",
                doc.sample.len(),
                self.sample.len()
            ))));
        }
        for (entry, want) in doc.sample.iter().zip(&self.sample) {
            if entry.operator_id != want.id
                || entry.operator != want.address
                || entry.endpoint != want.endpoint
            {
                return Err(Ok(Fault::WrongSample(format!(
                    "entry for operator {} ({}) where {} ({}) is due",
                    entry.operator_id, entry.operator, want.id, want.address
                ))));
            }
        }
        doc.verify_health_proofs(self.hash)
            .map_err(|e| Ok(Fault::BadProof(e.to_string())))?;
        for missed in &doc.missed_performers {
            let earlier = (0..doc.round).any(|r| {
                self.performer(r).map(|o| o.address) == Some(*missed) && Some(*missed) != due
            });
            if !earlier {
                return Err(Ok(Fault::NotAMissedPerformer(*missed)));
            }
        }
        Ok(task)
    }

    /// The unhealthy entries of a document: `(id, address, endpoint)`.
    pub fn unhealthy_entries(msg: &TaskMsg) -> Vec<(u64, Address, String)> {
        msg.document
            .sample
            .iter()
            .filter(|e| matches!(e.check, Check::Unhealthy(_)))
            .map(|e| (e.operator_id, e.operator, e.endpoint.clone()))
            .collect()
    }
}

/// Whether `next` amends `prev` (PROTOCOL.md §11): the same performer, the
/// next round, the same epoch and sample, every entry either unchanged or
/// turned from unhealthy to healthy (its proof is verified like any other),
/// and no missed performer that `prev` did not name.
pub fn is_amendment(prev: &TaskMsg, next: &TaskMsg) -> bool {
    let (p, n) = (&prev.document, &next.document);
    p.performer == n.performer
        && p.round.checked_add(1) == Some(n.round)
        && p.chain_id == n.chain_id
        && p.attestation_center == n.attestation_center
        && p.epoch_block == n.epoch_block
        && p.epoch_block_hash == n.epoch_block_hash
        && p.sample.len() == n.sample.len()
        && p.sample.iter().zip(&n.sample).all(|(a, b)| {
            a.operator_id == b.operator_id
                && a.operator == b.operator
                && a.endpoint == b.endpoint
                && (a.check == b.check
                    || (matches!(a.check, Check::Unhealthy(_))
                        && matches!(b.check, Check::Healthy(_))))
        })
        && n.missed_performers
            .iter()
            .all(|m| p.missed_performers.contains(m))
        && p != n
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::{local::PrivateKeySigner, SignerSync};
    use liveliness_bls::KeyPair;
    use liveliness_primitives::{
        health_message, Document, FailureReason, HealthProof, SampleEntry,
    };
    use rand::{rngs::StdRng, SeedableRng};

    const CHAIN: u64 = 31337;
    const B: u64 = 100;

    struct World {
        view: EpochView,
        signers: Vec<PrivateKeySigner>,
    }

    fn params() -> Params {
        Params {
            c: 50,
            epoch_length: 10,
            sample_size: 3,
            performer_timeout_blocks: 4,
            task_validity_blocks: 20,
            confirmation_depth: 1,
            health_timeout_ms: 1000,
        }
    }

    fn world() -> World {
        let mut rng = StdRng::seed_from_u64(7);
        let signers: Vec<PrivateKeySigner> = (1..=5u8)
            .map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(i)).unwrap())
            .collect();
        let operators = signers
            .iter()
            .enumerate()
            .map(|(i, s)| OperatorInfo {
                id: i as u64 + 1,
                address: s.address(),
                power: 10,
                pk_g2: *KeyPair::random(&mut rng).pk_g2(),
                endpoint: Some(format!("http://op{}.example/", i + 1)),
            })
            .collect();
        let view = EpochView::new(
            CHAIN,
            Address::repeat_byte(0xac),
            B,
            B256::repeat_byte(0xbb),
            params(),
            operators,
        )
        .unwrap();
        World { view, signers }
    }

    impl World {
        fn signer(&self, address: Address) -> &PrivateKeySigner {
            self.signers
                .iter()
                .find(|s| s.address() == address)
                .unwrap()
        }

        fn proof(&self, op: Address, by: Address, hash: B256) -> HealthProof {
            let sig = self
                .signer(by)
                .sign_message_sync(health_message(hash).as_slice())
                .unwrap();
            HealthProof::new(op, B, hash, sig.as_bytes())
        }

        /// An honest document of `round`, every sampled operator healthy
        /// except `down`.
        fn document(&self, round: u64, down: &[Address]) -> Document {
            let performer = self.view.performer(round).unwrap().address;
            Document {
                chain_id: CHAIN,
                attestation_center: self.view.attestation_center,
                epoch_block: B,
                epoch_block_hash: self.view.hash,
                round,
                performer,
                sample: self
                    .view
                    .sample
                    .iter()
                    .map(|s| SampleEntry {
                        operator: s.address,
                        operator_id: s.id,
                        endpoint: s.endpoint.clone(),
                        check: if down.contains(&s.address) {
                            Check::Unhealthy(FailureReason::Timeout)
                        } else {
                            Check::Healthy(self.proof(s.address, s.address, self.view.hash))
                        },
                    })
                    .collect(),
                missed_performers: vec![],
            }
        }

        fn sign(&self, doc: Document, by: Address) -> TaskMsg {
            let task = doc.task_info(1).unwrap();
            let round = u32::try_from(doc.round).unwrap();
            let digest = task.task_signing_digest(CHAIN, self.view.attestation_center, B, round);
            let sig = self
                .signer(by)
                .sign_message_sync(digest.as_slice())
                .unwrap();
            TaskMsg::new(1, sig.as_bytes(), doc).unwrap()
        }

        fn task(&self, doc: Document) -> TaskMsg {
            let by = doc.performer;
            self.sign(doc, by)
        }

        fn fault(&self, msg: &TaskMsg) -> Fault {
            match self.view.judge(msg, B + 2, None) {
                Err(Ok(f)) => f,
                other => panic!("expected a fault, got {other:?}"),
            }
        }
    }

    #[test]
    fn an_honest_task_passes() {
        let w = world();
        let msg = w.task(w.document(0, &[w.view.sample[0].address]));
        let task = w.view.judge(&msg, B + 2, None).unwrap();
        assert_eq!(task.task_performer, w.view.performer(0).unwrap().address);
    }

    #[test]
    fn rounds_not_open_and_expired_epochs_get_no_vote() {
        let w = world();
        let msg = w.task(w.document(1, &[]));
        assert!(matches!(
            w.view.judge(&msg, B + 3, None),
            Err(Err(Skip::RoundNotOpen {
                round: 1,
                opens: 104
            }))
        ));
        assert!(w.view.judge(&msg, B + 4, None).is_ok());
        assert!(matches!(
            w.view.judge(&msg, B + 21, None),
            Err(Err(Skip::Expired(B)))
        ));
    }

    #[test]
    fn only_a_rounds_performer_can_make_a_node_wait_for_it() {
        let w = world();
        // A round that opens after the epoch's tasks expire (B + 20 here)
        // can never be voted on: nothing to wait for.
        let mut doc = w.document(0, &[]);
        doc.round = 6;
        assert!(matches!(
            w.view.judge(&w.task(doc), B, None),
            Err(Err(Skip::NeverOpens { round: 6 }))
        ));
        // Before round 1 opens, a task the round's performer did not sign
        // is a fault at once, not a message to keep until then.
        let due = w.view.performer(1).unwrap().address;
        let other = w
            .signers
            .iter()
            .map(|s| s.address())
            .find(|a| *a != due)
            .unwrap();
        let forged = w.sign(w.document(1, &[]), other);
        assert!(matches!(
            w.view.judge(&forged, B + 1, None),
            Err(Ok(Fault::BadSignature(_)))
        ));
        let mut doc = w.document(1, &[]);
        doc.performer = other;
        assert!(matches!(
            w.view.judge(&w.task(doc), B + 1, None),
            Err(Ok(Fault::WrongPerformer { .. }))
        ));
        // Signed by its performer: wait for the round.
        assert!(matches!(
            w.view.judge(&w.task(w.document(1, &[])), B + 1, None),
            Err(Err(Skip::RoundNotOpen { round: 1, .. }))
        ));
    }

    #[test]
    fn provable_faults_are_named() {
        let w = world();
        let due = w.view.performer(0).unwrap().address;
        let other = w
            .signers
            .iter()
            .map(|s| s.address())
            .find(|a| *a != due)
            .unwrap();

        // Someone else's task for the round.
        let mut doc = w.document(0, &[]);
        doc.performer = other;
        assert!(matches!(
            w.fault(&w.task(doc)),
            Fault::WrongPerformer { .. }
        ));

        // The due performer named, someone else signed.
        let msg = w.sign(w.document(0, &[]), other);
        assert!(matches!(w.fault(&msg), Fault::BadSignature(_)));

        // Signed by the due performer, for another hash of B.
        let mut doc = w.document(0, &[]);
        doc.epoch_block_hash = B256::repeat_byte(0xcc);
        assert!(matches!(w.fault(&w.task(doc)), Fault::WrongHash(_)));

        // A sample that is not the epoch's.
        let mut doc = w.document(0, &[]);
        doc.sample.pop();
        assert!(matches!(w.fault(&w.task(doc)), Fault::WrongSample(_)));

        // A "healthy" entry whose proof the performer signed itself.
        let mut doc = w.document(0, &[]);
        let victim = doc.sample.iter().position(|e| e.operator != due).unwrap();
        let op = doc.sample[victim].operator;
        doc.sample[victim].check = Check::Healthy(w.proof(op, due, w.view.hash));
        assert!(matches!(w.fault(&w.task(doc)), Fault::BadProof(_)));

        // A missed performer that was not due in an earlier round.
        let mut doc = w.document(0, &[]);
        doc.missed_performers = vec![other];
        assert!(matches!(
            w.fault(&w.task(doc)),
            Fault::NotAMissedPerformer(_)
        ));

        // Another deployment.
        let mut doc = w.document(0, &[]);
        doc.chain_id = 1;
        assert!(matches!(
            w.fault(&w.task(doc)),
            Fault::WrongDeployment { .. }
        ));
    }

    #[test]
    fn a_missed_earlier_performer_may_be_named() {
        let w = world();
        let mut doc = w.document(1, &[]);
        doc.missed_performers = vec![w.view.performer(0).unwrap().address];
        assert!(w.view.judge(&w.task(doc), B + 5, None).is_ok());
    }

    #[test]
    fn amendments_come_from_the_previous_performer_and_only_heal_entries() {
        let w = world();
        let down = w.view.sample[1].address;
        let original = w.task(w.document(0, &[down]));
        // Round 1, by round 0's performer, with the entry now healthy.
        let mut healed = w.document(0, &[]);
        healed.round = 1;
        let amended = w.task(healed);
        assert!(is_amendment(&original, &amended));
        assert!(w.view.judge(&amended, B + 4, Some(&original)).is_ok());
        // Without the original it is just the wrong performer for round 1
        // (unless round 1 happens to be the same performer's).
        if w.view.performer(1).unwrap().address != original.document.performer {
            assert!(matches!(
                w.view.judge(&amended, B + 4, None),
                Err(Ok(Fault::WrongPerformer { .. }))
            ));
        }
        // Turning a healthy entry unhealthy is no amendment.
        let mut worse = w.document(0, &[down, w.view.sample[0].address]);
        worse.round = 1;
        assert!(!is_amendment(&original, &w.task(worse)));
        // Nor is the same round again.
        assert!(!is_amendment(&original, &original));
    }

    #[test]
    fn thresholds_are_strict() {
        let w = world(); // total power 50
        assert!(!w.view.approves(33));
        assert!(w.view.approves(34));
        // A reject needs as much as an approval: 17 of 50 (over 1/3) blocks
        // but does not penalize.
        assert!(!w.view.rejects(17));
        assert!(!w.view.rejects(33));
        assert!(w.view.rejects(34));
    }
}
