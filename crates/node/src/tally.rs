//! The vote tally of one task (PROTOCOL.md §4.4, §11.5): one vote per
//! operator counts, weighted by its power at the epoch block; a side whose
//! power passes `3·signed > 2·total` holds a quorum, and its votes aggregate
//! into a certificate.

use liveliness_bls::{PublicKeyG2, Signature};
use std::collections::BTreeMap;

/// What counting one vote did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tallied {
    /// The operator already voted for the same outcome: nothing changed.
    Duplicate,
    /// The operator already voted for the other outcome: nothing changed;
    /// the earlier vote is returned (with the new one, evidence of
    /// equivocation once the new one's signature is checked).
    Conflicting {
        /// The earlier vote's outcome.
        approved: bool,
        /// The earlier vote's signature.
        signature: Signature,
    },
    /// Counted; its side has no quorum.
    Counted,
    /// Counted, and its side (`true`: approve) holds a quorum. Every vote
    /// counted on a side with a quorum says so; the aggregator forms its
    /// certificate from the first.
    Quorum(bool),
}

/// The votes counted for one task.
#[derive(Clone, Debug)]
pub(crate) struct VoteTally {
    total_power: u128,
    /// By operator id: outcome and signature.
    votes: BTreeMap<u64, (bool, Signature)>,
    approve_power: u128,
    reject_power: u128,
}

/// Why votes could not be aggregated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AggregateError {
    /// The side holds no quorum.
    #[error("no quorum")]
    NoQuorum,
    /// A signer's key is unknown.
    #[error("unknown key of operator {0}")]
    UnknownKey(u64),
    /// The aggregate is the point at infinity.
    #[error("the aggregate is the point at infinity")]
    Infinity,
}

/// A side's votes, aggregated.
#[derive(Clone, Debug)]
pub(crate) struct Aggregate {
    /// The signing operators, in id order.
    pub(crate) signers: Vec<u64>,
    /// Their power.
    pub(crate) power: u128,
    /// The aggregate signature.
    pub(crate) sigma: Signature,
    /// The aggregate G2 key.
    pub(crate) apk_g2: PublicKeyG2,
}

impl VoteTally {
    /// An empty tally for an epoch whose active operators hold `total_power`.
    pub(crate) fn new(total_power: u128) -> Self {
        Self {
            total_power,
            votes: BTreeMap::new(),
            approve_power: 0,
            reject_power: 0,
        }
    }

    /// The vote counted for `operator`, if any.
    pub(crate) fn vote_of(&self, operator: u64) -> Option<(bool, Signature)> {
        self.votes.get(&operator).copied()
    }

    /// Votes counted.
    pub(crate) fn len(&self) -> usize {
        self.votes.len()
    }

    /// The power of the operators that voted `approve`.
    pub(crate) fn power(&self, approve: bool) -> u128 {
        if approve {
            self.approve_power
        } else {
            self.reject_power
        }
    }

    /// Whether `approve`'s side holds a quorum (`3·signed > 2·total`, the
    /// same bar for both sides: a minority that can block an approval cannot
    /// get a performer penalized).
    pub(crate) fn has_quorum(&self, approve: bool) -> bool {
        self.power(approve).saturating_mul(3) > self.total_power.saturating_mul(2)
    }

    /// Counts `operator`'s vote (its signature already checked), with its
    /// `power`.
    pub(crate) fn add(
        &mut self,
        operator: u64,
        power: u128,
        approve: bool,
        signature: Signature,
    ) -> Tallied {
        if let Some(&(approved, earlier)) = self.votes.get(&operator) {
            return if approved == approve {
                Tallied::Duplicate
            } else {
                Tallied::Conflicting {
                    approved,
                    signature: earlier,
                }
            };
        }
        self.votes.insert(operator, (approve, signature));
        let side = if approve {
            &mut self.approve_power
        } else {
            &mut self.reject_power
        };
        *side = side.saturating_add(power);
        if self.has_quorum(approve) {
            Tallied::Quorum(approve)
        } else {
            Tallied::Counted
        }
    }

    /// Aggregates the votes for `approve`, with each signer's key from
    /// `key_of`.
    pub(crate) fn aggregate(
        &self,
        approve: bool,
        key_of: impl Fn(u64) -> Option<PublicKeyG2>,
    ) -> Result<Aggregate, AggregateError> {
        if !self.has_quorum(approve) {
            return Err(AggregateError::NoQuorum);
        }
        let (signers, sigs): (Vec<u64>, Vec<Signature>) = self
            .votes
            .iter()
            .filter(|(_, (a, _))| *a == approve)
            .map(|(id, (_, sig))| (*id, *sig))
            .unzip();
        let keys = signers
            .iter()
            .map(|id| key_of(*id).ok_or(AggregateError::UnknownKey(*id)))
            .collect::<Result<Vec<_>, _>>()?;
        let sigma = Signature::aggregate(&sigs).map_err(|_| AggregateError::Infinity)?;
        let apk_g2 = PublicKeyG2::aggregate(&keys).map_err(|_| AggregateError::Infinity)?;
        Ok(Aggregate {
            signers,
            power: self.power(approve),
            sigma,
            apk_g2,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;
    use liveliness_bls::KeyPair;

    fn keys(n: usize) -> Vec<KeyPair> {
        let mut rng = rand::rngs::OsRng;
        (0..n).map(|_| KeyPair::random(&mut rng)).collect()
    }

    #[test]
    fn a_quorum_needs_more_than_two_thirds_of_the_power() {
        let ks = keys(4);
        let msg = B256::repeat_byte(7);
        let mut t = VoteTally::new(4);
        assert_eq!(t.add(1, 1, true, ks[0].sign(&msg)), Tallied::Counted);
        assert_eq!(t.add(2, 1, true, ks[1].sign(&msg)), Tallied::Counted);
        // 2 of 4 is not more than 2/3; 3 of 4 is.
        assert!(!t.has_quorum(true));
        assert_eq!(t.add(3, 1, true, ks[2].sign(&msg)), Tallied::Quorum(true));
        // A later vote on the quorum's side says so again; one on the other
        // side counts without a quorum.
        assert_eq!(t.add(4, 1, false, ks[3].sign(&msg)), Tallied::Counted);
        assert_eq!((t.power(true), t.power(false), t.len()), (3, 1, 4));
    }

    #[test]
    fn exactly_two_thirds_is_no_quorum_for_either_side() {
        let ks = keys(3);
        let msg = B256::repeat_byte(1);
        let mut t = VoteTally::new(3);
        t.add(1, 1, false, ks[0].sign(&msg));
        assert_eq!(t.add(2, 1, false, ks[1].sign(&msg)), Tallied::Counted);
        assert!(!t.has_quorum(false));
        assert_eq!(t.add(3, 1, false, ks[2].sign(&msg)), Tallied::Quorum(false));
    }

    #[test]
    fn power_not_headcount_decides() {
        let ks = keys(3);
        let msg = B256::repeat_byte(2);
        let mut t = VoteTally::new(10);
        // 7 of 10: 21 > 20, a quorum; 6 of 10 is not.
        assert_eq!(t.add(1, 7, true, ks[0].sign(&msg)), Tallied::Quorum(true));
        let mut t = VoteTally::new(10);
        assert_eq!(t.add(1, 6, true, ks[0].sign(&msg)), Tallied::Counted);
        assert_eq!(t.add(2, 1, true, ks[1].sign(&msg)), Tallied::Quorum(true));
    }

    #[test]
    fn a_second_vote_of_an_operator_never_counts() {
        let ks = keys(2);
        let msg = B256::repeat_byte(3);
        let first = ks[0].sign(&msg);
        let mut t = VoteTally::new(3);
        t.add(1, 1, true, first);
        assert_eq!(t.add(1, 1, true, ks[1].sign(&msg)), Tallied::Duplicate);
        assert_eq!(
            t.add(1, 1, false, ks[0].sign(&msg)),
            Tallied::Conflicting {
                approved: true,
                signature: first
            }
        );
        assert_eq!((t.power(true), t.power(false), t.len()), (1, 0, 1));
        assert_eq!(t.vote_of(1), Some((true, first)));
    }

    #[test]
    fn the_aggregate_verifies_against_the_signers_keys() {
        let ks = keys(4);
        let msg = B256::repeat_byte(9);
        let mut t = VoteTally::new(4);
        for (i, k) in ks.iter().enumerate().take(3) {
            t.add(i as u64 + 1, 1, true, k.sign(&msg));
        }
        t.add(4, 1, false, ks[3].sign(&msg));
        assert_eq!(
            t.aggregate(false, |_| None).unwrap_err(),
            AggregateError::NoQuorum
        );
        assert_eq!(
            t.aggregate(true, |_| None).unwrap_err(),
            AggregateError::UnknownKey(1)
        );
        let agg = t
            .aggregate(true, |id| {
                ks.get(usize::try_from(id).ok()? - 1).map(|k| *k.pk_g2())
            })
            .unwrap();
        assert_eq!(agg.signers, vec![1, 2, 3]);
        assert_eq!(agg.power, 3);
        assert!(liveliness_bls::verify(&agg.apk_g2, &msg, &agg.sigma));
    }
}
