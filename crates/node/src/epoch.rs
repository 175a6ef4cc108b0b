//! One epoch as every node sees it: everything read from the chain at the
//! epoch block `B`, the sample and performer order derived from it, and the
//! attester's judgement of a task against it. Pure: no I/O here.

use crate::wire::{DisputeMsg, DisputeReason, TaskMsg};
use alloy_primitives::{Address, B256};
use liveliness_primitives::{
    epoch_seed, performer_order, round_at, round_performer, round_start, sample, Check, EpochBlock,
    EpochNumber, HealthProof, OperatorRef, ProofError, Round, TaskInfo,
};
use std::collections::BTreeMap;

/// The registry parameters in force at `B`, and an operator active in the
/// AttestationCenter at `B`, as the chain reader returns them.
pub use liveliness_chain::{OperatorInfo, Params};

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
    pub block: EpochBlock,
    /// `blockhash(B)`.
    pub hash: B256,
    /// `B / epochLength`.
    pub number: EpochNumber,
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
    /// The signer is not the performer due for the round.
    #[error("performer {performer} is not the one due for round {round}")]
    WrongPerformer {
        /// Named performer.
        performer: Address,
        /// The round.
        round: Round,
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
        round: Round,
        /// Its first block.
        opens: u64,
    },
    /// The round opens only after the epoch's tasks expire: no such task can
    /// ever be valid.
    #[error("round {round} opens after the epoch expires")]
    NeverOpens {
        /// The round.
        round: Round,
    },
    /// Past `taskValidityBlocks`.
    #[error("epoch {0} expired")]
    Expired(EpochBlock),
    /// Signed for another hash of the epoch block (a reorged-out or a made-up
    /// block): the task of another chain's epoch, not of this one. No
    /// certificate for it could land (`submitTask` checks the signed hash),
    /// so nobody votes on it and it does not count as the round's task: if
    /// nothing else comes, its performer is named missed (§11.3).
    #[error("signed for epoch block hash {0}, not this chain's")]
    OtherBlockHash(B256),
}

/// An attester's judgement of a task (PROTOCOL.md §11.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Nothing provable is wrong with it: re-check it, then vote.
    Valid(TaskInfo),
    /// Provably wrong: vote reject.
    Faulty(Fault),
    /// No vote: not decidable now, or never.
    Undecided(Skip),
}

impl Judgement {
    /// Whether the task's signature was checked and is its performer's, so
    /// that two such tasks for one round are evidence against that performer
    /// (§4.8).
    pub fn signed_by_performer(&self) -> bool {
        !matches!(
            self,
            Self::Faulty(
                Fault::WrongDeployment { .. }
                    | Fault::BadSignature(_)
                    | Fault::WrongPerformer { .. }
            ) | Self::Undecided(_)
        )
    }

    /// Whether it is [`Valid`](Self::Valid).
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid(_))
    }
}

/// Why a received dispute is invalid (PROTOCOL.md §11.4): it is refused
/// and its sender scored down.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DisputeFault {
    /// The disputer's operator id is not active at `B`.
    #[error("operator id {0} is not active at the epoch block")]
    NotActive(u64),
    /// The dispute's epoch block or task hash is not the task's it is
    /// checked against.
    #[error("the dispute is for another task")]
    WrongTask,
    /// The signature is malformed or recovers another address than the
    /// disputer's.
    #[error("dispute signature invalid: {0}")]
    BadSignature(String),
    /// The dispute names another round than the task's.
    #[error("dispute names round {got}, the task is of round {task}")]
    WrongRound {
        /// The dispute's round.
        got: Round,
        /// The task's.
        task: Round,
    },
    /// A reachable entry for an operator the task does not call unhealthy.
    #[error("{0} is not an unhealthy entry of the task")]
    NotUnhealthy(Address),
    /// A performer-task-seen entry for an operator the task does not name
    /// as a missed performer.
    #[error("{0} is not a missed performer of the task")]
    NotMissed(Address),
    /// A reachable entry whose health proof does not verify.
    #[error("invalid health proof for {operator}: {error}")]
    BadProof {
        /// The entry's operator.
        operator: Address,
        /// Why the proof fails.
        error: ProofError,
    },
}

impl DisputeFault {
    /// The metrics label (`liveliness_disputes_invalid_total{reason}`).
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotActive(_) => "not_active",
            Self::WrongTask => "wrong_task",
            Self::BadSignature(_) => "bad_signature",
            Self::WrongRound { .. } => "wrong_round",
            Self::NotUnhealthy(_) => "not_unhealthy",
            Self::NotMissed(_) => "not_missed",
            Self::BadProof { .. } => "bad_proof",
        }
    }
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
        block: EpochBlock,
        hash: B256,
        params: Params,
        operators: Vec<OperatorInfo>,
    ) -> Result<Self, liveliness_primitives::Error> {
        let number = block.number(params.epoch_length)?;
        if !block.is_epoch_block(params.epoch_length) {
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
    pub fn performer(&self, round: Round) -> Option<&OperatorInfo> {
        round_performer(&self.order, round).and_then(|id| self.operators.get(&id))
    }

    /// The round open at `head` (0 before the first timeout, the last
    /// round there can be after it).
    pub fn round_at(&self, head: u64) -> Round {
        match round_at(
            head.max(self.block.0),
            self.block,
            self.params.performer_timeout_blocks,
        ) {
            Ok(round) => round,
            Err(liveliness_primitives::Error::Overflow(_)) => Round::MAX,
            Err(_) => Round::ZERO,
        }
    }

    /// First block of `round`.
    pub fn round_start(&self, round: Round) -> u64 {
        round_start(self.block, round, self.params.performer_timeout_blocks).unwrap_or(u64::MAX)
    }

    /// Last block at which a certificate for this epoch may still be built.
    pub fn expires_at(&self) -> u64 {
        self.block.plus(self.params.task_validity_blocks)
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

    /// The attester's judgement of a task (PROTOCOL.md §11.4): valid when
    /// nothing provable is wrong with it, faulty for a provable fault (vote
    /// reject), undecided when it gets no vote (yet).
    ///
    /// `previous` is the same performer's task of the round before, if the
    /// node has it: a task that [amends](is_amendment) it may come from that
    /// performer instead of the round's own.
    pub fn judge(&self, msg: &TaskMsg, head: u64, previous: Option<&TaskMsg>) -> Judgement {
        match self.judge_inner(msg, head, previous) {
            Ok(task) => Judgement::Valid(task),
            Err(j) => j,
        }
    }

    /// [`judge`](Self::judge), with every non-valid judgement as `Err` so
    /// that checks can return early.
    fn judge_inner(
        &self,
        msg: &TaskMsg,
        head: u64,
        previous: Option<&TaskMsg>,
    ) -> Result<TaskInfo, Judgement> {
        use Judgement::{Faulty, Undecided};
        let doc = &msg.document;
        if head > self.expires_at() {
            return Err(Undecided(Skip::Expired(self.block)));
        }
        let opens = self.round_start(doc.round);
        if opens > self.expires_at() {
            return Err(Undecided(Skip::NeverOpens { round: doc.round }));
        }
        if doc.chain_id != self.chain_id || doc.attestation_center != self.attestation_center {
            return Err(Faulty(Fault::WrongDeployment {
                chain_id: doc.chain_id,
                attestation_center: doc.attestation_center,
            }));
        }
        let due = self.performer(doc.round).map(|o| o.address);
        let amends = previous.is_some_and(|prev| is_amendment(prev, msg));
        if due != Some(doc.performer) && !amends {
            return Err(Faulty(Fault::WrongPerformer {
                performer: doc.performer,
                round: doc.round,
            }));
        }
        // For another hash of B: not this chain's epoch's task, whoever
        // signed it. Checked before anything costly (the document's hash, the
        // signature recovery), so that a performer sending variants for made-up
        // hashes costs each receiver a comparison, not a signature check;
        // none of them is evidence (§4.8), none is buffered.
        if doc.epoch_block_hash != self.hash {
            return Err(Undecided(Skip::OtherBlockHash(doc.epoch_block_hash)));
        }
        let task = msg
            .task_info()
            .map_err(|e| Faulty(Fault::Malformed(e.to_string())))?;
        task.verify_performer_signature(
            &msg.performer_signature,
            self.chain_id,
            self.attestation_center,
            self.block,
            doc.epoch_block_hash,
            doc.round,
        )
        .map_err(|e| Faulty(Fault::BadSignature(e.to_string())))?;
        // A task is buffered until its round opens only once its signer is
        // known to be the round's performer: nobody else can fill buffers.
        if head < opens {
            return Err(Undecided(Skip::RoundNotOpen {
                round: doc.round,
                opens,
            }));
        }
        if doc.missed_performers.len() as u64 > self.params.sample_size {
            return Err(Faulty(Fault::Malformed(format!(
                "{} missed performers, more than sampleSize {}",
                doc.missed_performers.len(),
                self.params.sample_size
            ))));
        }
        if doc.sample.len() != self.sample.len() {
            return Err(Faulty(Fault::WrongSample(format!(
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
                return Err(Faulty(Fault::WrongSample(format!(
                    "entry for operator {} ({}) where {} ({}) is due",
                    entry.operator_id, entry.operator, want.id, want.address
                ))));
            }
        }
        doc.verify_health_proofs(self.hash)
            .map_err(|e| Faulty(Fault::BadProof(e.to_string())))?;
        for missed in &doc.missed_performers {
            let earlier = doc.round.earlier().any(|r| {
                self.performer(r).map(|o| o.address) == Some(*missed) && Some(*missed) != due
            });
            if !earlier {
                return Err(Faulty(Fault::NotAMissedPerformer(*missed)));
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

    /// Checks a dispute `d` of the held task `task` (whose hash is
    /// `task_hash`): for this epoch block and task; the disputer active at
    /// `B` and its signature recovering its address on this chain and
    /// AttestationCenter; the task's round; and every entry: a reachable one
    /// names an operator the task calls unhealthy and carries that
    /// operator's valid health proof for `B` and `hash(B)` (checked as the
    /// checker checks an answer, [`HealthProof::verify`]), a
    /// performer-task-seen one names a missed performer of the task. The
    /// first failure decides.
    pub fn check_dispute(
        &self,
        task_hash: B256,
        task: &TaskMsg,
        d: &DisputeMsg,
    ) -> Result<(), DisputeFault> {
        if d.epoch_block != self.block
            || task.document.epoch_block != self.block
            || d.task_hash != task_hash
        {
            return Err(DisputeFault::WrongTask);
        }
        let op = self
            .operators
            .get(&d.operator_id)
            .ok_or(DisputeFault::NotActive(d.operator_id))?;
        match d.signer(self.chain_id, self.attestation_center) {
            Ok(signer) if signer == op.address => {}
            Ok(signer) => {
                return Err(DisputeFault::BadSignature(format!(
                    "recovers {signer}, not the disputer {}",
                    op.address
                )))
            }
            Err(e) => return Err(DisputeFault::BadSignature(e.to_string())),
        }
        let doc = &task.document;
        if d.round != doc.round {
            return Err(DisputeFault::WrongRound {
                got: d.round,
                task: doc.round,
            });
        }
        for entry in &d.entries {
            match &entry.reason {
                DisputeReason::Reachable { proof_signature } => {
                    let unhealthy = doc.sample.iter().any(|s| {
                        s.operator == entry.operator && matches!(s.check, Check::Unhealthy(_))
                    });
                    if !unhealthy {
                        return Err(DisputeFault::NotUnhealthy(entry.operator));
                    }
                    HealthProof::new(entry.operator, self.block.0, self.hash, *proof_signature)
                        .verify(entry.operator, self.block.0, self.hash)
                        .map_err(|error| DisputeFault::BadProof {
                            operator: entry.operator,
                            error,
                        })?;
                }
                DisputeReason::PerformerTaskSeen => {
                    if !doc.missed_performers.contains(&entry.operator) {
                        return Err(DisputeFault::NotMissed(entry.operator));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether `next` amends `prev` (PROTOCOL.md §11): the same performer, the
/// next round, the same epoch and sample, every entry either unchanged or
/// turned from unhealthy to healthy (its proof is verified like any other),
/// and no missed performer that `prev` did not name.
pub fn is_amendment(prev: &TaskMsg, next: &TaskMsg) -> bool {
    let (p, n) = (&prev.document, &next.document);
    p.performer == n.performer
        && p.round.next() == Some(n.round)
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
    use crate::wire::DisputeEntry;
    use alloy::signers::{local::PrivateKeySigner, SignerSync};
    use liveliness_bls::KeyPair;
    use liveliness_primitives::{
        health_message, Document, FailureReason, HealthProof, SampleEntry,
    };
    use rand::{rngs::StdRng, SeedableRng};

    const CHAIN: u64 = 31337;
    const B: EpochBlock = EpochBlock(100);

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
            HealthProof::new(op, B.0, hash, sig.as_bytes())
        }

        /// An honest document of `round`, every sampled operator healthy
        /// except `down`.
        fn document(&self, round: Round, down: &[Address]) -> Document {
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
            let round = doc.round;
            let digest = task.task_signing_digest(
                CHAIN,
                self.view.attestation_center,
                B,
                doc.epoch_block_hash,
                round,
            );
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
            match self.view.judge(msg, B.0 + 2, None) {
                Judgement::Faulty(f) => f,
                other => panic!("expected a fault, got {other:?}"),
            }
        }
    }

    #[test]
    fn an_honest_task_passes() {
        let w = world();
        let msg = w.task(w.document(Round(0), &[w.view.sample[0].address]));
        let task = w.view.judge(&msg, B.0 + 2, None);
        let Judgement::Valid(task) = task else {
            panic!("not valid: {task:?}")
        };
        assert_eq!(
            task.task_performer,
            w.view.performer(Round(0)).unwrap().address
        );
    }

    #[test]
    fn rounds_not_open_and_expired_epochs_get_no_vote() {
        let w = world();
        let msg = w.task(w.document(Round(1), &[]));
        assert!(matches!(
            w.view.judge(&msg, B.0 + 3, None),
            Judgement::Undecided(Skip::RoundNotOpen {
                round: Round(1),
                opens: 104
            })
        ));
        assert!(w.view.judge(&msg, B.0 + 4, None).is_valid());
        assert!(matches!(
            w.view.judge(&msg, B.0 + 21, None),
            Judgement::Undecided(Skip::Expired(B))
        ));
    }

    #[test]
    fn only_a_rounds_performer_can_make_a_node_wait_for_it() {
        let w = world();
        // A round that opens after the epoch's tasks expire (B.0 + 20 here)
        // can never be voted on: nothing to wait for.
        let mut doc = w.document(Round(0), &[]);
        doc.round = Round(6);
        assert!(matches!(
            w.view.judge(&w.task(doc), B.0, None),
            Judgement::Undecided(Skip::NeverOpens { round: Round(6) })
        ));
        // Before round 1 opens, a task the round's performer did not sign
        // is a fault at once, not a message to keep until then.
        let due = w.view.performer(Round(1)).unwrap().address;
        let other = w
            .signers
            .iter()
            .map(|s| s.address())
            .find(|a| *a != due)
            .unwrap();
        let forged = w.sign(w.document(Round(1), &[]), other);
        assert!(matches!(
            w.view.judge(&forged, B.0 + 1, None),
            Judgement::Faulty(Fault::BadSignature(_))
        ));
        let mut doc = w.document(Round(1), &[]);
        doc.performer = other;
        assert!(matches!(
            w.view.judge(&w.task(doc), B.0 + 1, None),
            Judgement::Faulty(Fault::WrongPerformer { .. })
        ));
        // Signed by its performer: wait for the round.
        assert!(matches!(
            w.view
                .judge(&w.task(w.document(Round(1), &[])), B.0 + 1, None),
            Judgement::Undecided(Skip::RoundNotOpen {
                round: Round(1),
                ..
            })
        ));
    }

    #[test]
    fn provable_faults_are_named() {
        let w = world();
        let due = w.view.performer(Round(0)).unwrap().address;
        let other = w
            .signers
            .iter()
            .map(|s| s.address())
            .find(|a| *a != due)
            .unwrap();

        // Someone else's task for the round.
        let mut doc = w.document(Round(0), &[]);
        doc.performer = other;
        assert!(matches!(
            w.fault(&w.task(doc)),
            Fault::WrongPerformer { .. }
        ));

        // The due performer named, someone else signed.
        let msg = w.sign(w.document(Round(0), &[]), other);
        assert!(matches!(w.fault(&msg), Fault::BadSignature(_)));

        // Signed by the due performer, for another hash of B: no vote at
        // all (a reject certificate could never land, §4.2).
        let mut doc = w.document(Round(0), &[]);
        doc.epoch_block_hash = B256::repeat_byte(0xcc);
        assert!(matches!(
            w.view.judge(&w.task(doc), B.0 + 2, None),
            Judgement::Undecided(Skip::OtherBlockHash(_))
        ));

        // A sample that is not the epoch's.
        let mut doc = w.document(Round(0), &[]);
        doc.sample.pop();
        assert!(matches!(w.fault(&w.task(doc)), Fault::WrongSample(_)));

        // A "healthy" entry whose proof the performer signed itself.
        let mut doc = w.document(Round(0), &[]);
        let victim = doc.sample.iter().position(|e| e.operator != due).unwrap();
        let op = doc.sample[victim].operator;
        doc.sample[victim].check = Check::Healthy(w.proof(op, due, w.view.hash));
        assert!(matches!(w.fault(&w.task(doc)), Fault::BadProof(_)));

        // A missed performer that was not due in an earlier round.
        let mut doc = w.document(Round(0), &[]);
        doc.missed_performers = vec![other];
        assert!(matches!(
            w.fault(&w.task(doc)),
            Fault::NotAMissedPerformer(_)
        ));

        // Another deployment.
        let mut doc = w.document(Round(0), &[]);
        doc.chain_id = 1;
        assert!(matches!(
            w.fault(&w.task(doc)),
            Fault::WrongDeployment { .. }
        ));
    }

    #[test]
    fn a_missed_earlier_performer_may_be_named() {
        let w = world();
        let mut doc = w.document(Round(1), &[]);
        doc.missed_performers = vec![w.view.performer(Round(0)).unwrap().address];
        assert!(w.view.judge(&w.task(doc), B.0 + 5, None).is_valid());
    }

    #[test]
    fn amendments_come_from_the_previous_performer_and_only_heal_entries() {
        let w = world();
        let down = w.view.sample[1].address;
        let original = w.task(w.document(Round(0), &[down]));
        // Round 1, by round 0's performer, with the entry now healthy.
        let mut healed = w.document(Round(0), &[]);
        healed.round = Round(1);
        let amended = w.task(healed);
        assert!(is_amendment(&original, &amended));
        assert!(w.view.judge(&amended, B.0 + 4, Some(&original)).is_valid());
        // Without the original it is just the wrong performer for round 1
        // (unless round 1 happens to be the same performer's).
        if w.view.performer(Round(1)).unwrap().address != original.document.performer {
            assert!(matches!(
                w.view.judge(&amended, B.0 + 4, None),
                Judgement::Faulty(Fault::WrongPerformer { .. })
            ));
        }
        // Turning a healthy entry unhealthy is no amendment.
        let mut worse = w.document(Round(0), &[down, w.view.sample[0].address]);
        worse.round = Round(1);
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

    /// A round-1 task calling `sample[0]` unhealthy and naming round 0's
    /// performer as missed, and the two honest dispute entries against it.
    fn disputed_task(w: &World) -> (TaskMsg, Vec<DisputeEntry>) {
        let down = w.view.sample[0].address;
        let missed = w.view.performer(Round(0)).unwrap().address;
        let mut doc = w.document(Round(1), &[down]);
        doc.missed_performers = vec![missed];
        let task = w.task(doc);
        let mut entries = vec![
            DisputeEntry {
                operator: down,
                reason: DisputeReason::Reachable {
                    proof_signature: w.proof(down, down, w.view.hash).signature,
                },
            },
            DisputeEntry {
                operator: missed,
                reason: DisputeReason::PerformerTaskSeen,
            },
        ];
        entries.sort_by_key(|e| e.operator);
        (task, entries)
    }

    /// Operator `id`'s dispute of `task`, signed with `key`'s signer.
    fn dispute_of(
        w: &World,
        task: &TaskMsg,
        id: u64,
        key: Address,
        entries: Vec<DisputeEntry>,
    ) -> DisputeMsg {
        let mut d = DisputeMsg {
            task_hash: task.task_info().unwrap().task_hash(),
            epoch_block: B,
            round: task.document.round,
            operator_id: id,
            signature: [0; 65],
            entries,
        };
        d.sign(CHAIN, w.view.attestation_center, w.signer(key))
            .unwrap();
        d
    }

    fn check(w: &World, task: &TaskMsg, d: &DisputeMsg) -> Result<(), DisputeFault> {
        w.view
            .check_dispute(task.task_info().unwrap().task_hash(), task, d)
    }

    #[test]
    fn an_honest_dispute_verifies() {
        let w = world();
        let (task, entries) = disputed_task(&w);
        let disputer = w.view.operators[&4].address;
        let d = dispute_of(&w, &task, 4, disputer, entries.clone());
        check(&w, &task, &d).unwrap();
        // Each reason on its own too.
        for e in entries {
            check(&w, &task, &dispute_of(&w, &task, 4, disputer, vec![e])).unwrap();
        }
    }

    #[test]
    fn a_forged_dispute_signature_is_refused() {
        let w = world();
        let (task, entries) = disputed_task(&w);
        let disputer = w.view.operators[&4].address;
        // Operator 4's dispute signed by operator 5.
        let other = w.view.operators[&5].address;
        let forged = dispute_of(&w, &task, 4, other, entries.clone());
        assert!(matches!(
            check(&w, &task, &forged),
            Err(DisputeFault::BadSignature(_))
        ));
        // A signature for another chain or AttestationCenter.
        for (chain, ac) in [(1, w.view.attestation_center), (CHAIN, Address::ZERO)] {
            let mut d = dispute_of(&w, &task, 4, disputer, entries.clone());
            d.sign(chain, ac, w.signer(disputer)).unwrap();
            assert!(matches!(
                check(&w, &task, &d),
                Err(DisputeFault::BadSignature(_))
            ));
        }
        // A valid dispute with an entry changed afterwards.
        let mut d = dispute_of(&w, &task, 4, disputer, entries.clone());
        d.entries.pop();
        assert!(matches!(
            check(&w, &task, &d),
            Err(DisputeFault::BadSignature(_))
        ));
        // A malformed signature.
        let mut d = dispute_of(&w, &task, 4, disputer, entries);
        d.signature[..64].fill(0);
        assert!(matches!(
            check(&w, &task, &d),
            Err(DisputeFault::BadSignature(_))
        ));
    }

    #[test]
    fn entries_must_be_claims_of_the_task() {
        let w = world();
        let (task, _) = disputed_task(&w);
        let disputer = w.view.operators[&4].address;
        let healthy = w.view.sample[1].address;
        let outsider = Address::repeat_byte(0x77);
        // A reachable entry for an operator the task calls healthy, or does
        // not sample at all, even with that operator's valid proof.
        for op in [healthy, outsider] {
            let entry = DisputeEntry {
                operator: op,
                reason: DisputeReason::Reachable {
                    proof_signature: w.proof(healthy, healthy, w.view.hash).signature,
                },
            };
            let d = dispute_of(&w, &task, 4, disputer, vec![entry]);
            assert_eq!(check(&w, &task, &d), Err(DisputeFault::NotUnhealthy(op)));
        }
        // A performer-task-seen entry for an operator the task does not name
        // as missed (the unhealthy one, say).
        let down = w.view.sample[0].address;
        let entry = DisputeEntry {
            operator: down,
            reason: DisputeReason::PerformerTaskSeen,
        };
        let d = dispute_of(&w, &task, 4, disputer, vec![entry]);
        assert_eq!(check(&w, &task, &d), Err(DisputeFault::NotMissed(down)));
    }

    #[test]
    fn a_bad_health_proof_is_refused() {
        let w = world();
        let (task, _) = disputed_task(&w);
        let disputer = w.view.operators[&4].address;
        let down = w.view.sample[0].address;
        let cases = [
            // Signed by the disputer, not by the operator.
            w.proof(down, disputer, w.view.hash).signature,
            // The operator's, for another block hash.
            w.proof(down, down, B256::repeat_byte(0xcc)).signature,
            // Garbage.
            [7; 65],
        ];
        for proof_signature in cases {
            let entry = DisputeEntry {
                operator: down,
                reason: DisputeReason::Reachable { proof_signature },
            };
            let d = dispute_of(&w, &task, 4, disputer, vec![entry]);
            assert!(
                matches!(
                    check(&w, &task, &d),
                    Err(DisputeFault::BadProof { operator, .. }) if operator == down
                ),
                "{:?}",
                check(&w, &task, &d)
            );
        }
    }

    #[test]
    fn a_dispute_cannot_be_replayed_for_another_task_or_round() {
        let w = world();
        let (task, entries) = disputed_task(&w);
        let disputer = w.view.operators[&4].address;
        let d = dispute_of(&w, &task, 4, disputer, entries);
        // Another task of the epoch with the same claims (round 2's).
        let mut doc = task.document.clone();
        doc.round = Round(2);
        doc.performer = w.view.performer(Round(2)).unwrap().address;
        let other = w.task(doc);
        let other_hash = other.task_info().unwrap().task_hash();
        // As it is: for another task.
        assert_eq!(
            w.view.check_dispute(other_hash, &other, &d),
            Err(DisputeFault::WrongTask)
        );
        // Relabelled for the other task: the signature no longer fits.
        let relabelled = DisputeMsg {
            task_hash: other_hash,
            round: Round(2),
            ..d.clone()
        };
        assert!(matches!(
            w.view.check_dispute(other_hash, &other, &relabelled),
            Err(DisputeFault::BadSignature(_))
        ));
        // Another epoch block.
        let moved = DisputeMsg {
            epoch_block: EpochBlock(B.0 + 10),
            ..d.clone()
        };
        assert_eq!(check(&w, &task, &moved), Err(DisputeFault::WrongTask));
        // A signed dispute that names the wrong round of its task.
        let mut wrong_round = DisputeMsg {
            round: Round(0),
            ..d.clone()
        };
        wrong_round
            .sign(CHAIN, w.view.attestation_center, w.signer(disputer))
            .unwrap();
        assert_eq!(
            check(&w, &task, &wrong_round),
            Err(DisputeFault::WrongRound {
                got: Round(0),
                task: Round(1)
            })
        );
        // Another disputer id: signed by someone else than that operator.
        let other_id = DisputeMsg {
            operator_id: 5,
            ..d.clone()
        };
        assert!(matches!(
            check(&w, &task, &other_id),
            Err(DisputeFault::BadSignature(_))
        ));
        // An id not active at B.
        let inactive = DisputeMsg {
            operator_id: 99,
            ..d
        };
        assert_eq!(
            check(&w, &task, &inactive),
            Err(DisputeFault::NotActive(99))
        );
    }
}
