//! Where this node's submission of one thing (a certificate, or a proof of
//! equivocation) stands: waiting for its slot, in flight, backing off after
//! a failed attempt, or done (PROTOCOL.md §11.6).

/// How a submission attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// On-chain (ours or another node's), or given up for good.
    Settled,
    /// Try again later.
    Retry,
}

/// A submission's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Submission {
    /// Not tried yet; this node may send it from head `slot`.
    Waiting {
        /// The first head of this node's slot.
        slot: u64,
    },
    /// An attempt is running (`failed` attempts before it).
    InFlight {
        /// Attempts that failed before this one.
        failed: u32,
    },
    /// `failed` attempts failed; the next starts at head `until`.
    Backoff {
        /// Attempts that failed.
        failed: u32,
        /// The head from which the next attempt may start.
        until: u64,
    },
    /// Landed (by this node or another), refused for good, given up, or
    /// never needed.
    Done,
}

/// What finishing an attempt led to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Finished {
    /// Settled.
    Settled,
    /// Failed; backing off until the given head.
    BackingOff(u64),
    /// Failed `max_attempts` times: given up.
    GaveUp(u32),
    /// No attempt was in flight: nothing changed.
    NotInFlight,
}

impl Submission {
    /// Whether an attempt may start at `head`.
    pub(crate) fn is_due(&self, head: u64) -> bool {
        match *self {
            Self::Waiting { slot } => head >= slot,
            Self::Backoff { until, .. } => head >= until,
            Self::InFlight { .. } | Self::Done => false,
        }
    }

    /// Starts an attempt if one is due at `head`; returns whether it did.
    pub(crate) fn start(&mut self, head: u64) -> bool {
        if !self.is_due(head) {
            return false;
        }
        let failed = match *self {
            Self::Backoff { failed, .. } => failed,
            _ => 0,
        };
        *self = Self::InFlight { failed };
        true
    }

    /// Ends the attempt in flight with `outcome` at `head`: a failure backs
    /// off one more `backoff_blocks` per failed attempt, and after
    /// `max_attempts` failures the submission is given up.
    pub(crate) fn finish(
        &mut self,
        outcome: Attempt,
        head: u64,
        backoff_blocks: u64,
        max_attempts: u32,
    ) -> Finished {
        let Self::InFlight { failed } = *self else {
            return Finished::NotInFlight;
        };
        match outcome {
            Attempt::Settled => {
                *self = Self::Done;
                Finished::Settled
            }
            Attempt::Retry => {
                let failed = failed.saturating_add(1);
                if failed >= max_attempts {
                    *self = Self::Done;
                    return Finished::GaveUp(failed);
                }
                let until = head.saturating_add(backoff_blocks.saturating_mul(u64::from(failed)));
                *self = Self::Backoff { failed, until };
                Finished::BackingOff(until)
            }
        }
    }

    /// Whether it is done.
    #[cfg(test)]
    pub(crate) fn is_done(&self) -> bool {
        matches!(self, Self::Done)
    }

    /// Whether an attempt is running.
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> bool {
        matches!(self, Self::InFlight { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_starts_before_the_slot_and_nothing_twice() {
        let mut s = Submission::Waiting { slot: 10 };
        assert!(!s.start(9));
        assert!(s.start(10));
        assert!(s.in_flight());
        // In flight: no second attempt, whatever the head.
        assert!(!s.start(100));
    }

    #[test]
    fn failures_back_off_one_more_slot_each_and_then_give_up() {
        let mut s = Submission::Waiting { slot: 0 };
        assert!(s.start(5));
        assert_eq!(s.finish(Attempt::Retry, 5, 2, 3), Finished::BackingOff(7));
        assert!(!s.start(6));
        assert!(s.start(7));
        assert_eq!(s.finish(Attempt::Retry, 7, 2, 3), Finished::BackingOff(11));
        assert!(!s.start(10));
        assert!(s.start(11));
        assert_eq!(s.finish(Attempt::Retry, 11, 2, 3), Finished::GaveUp(3));
        assert!(s.is_done());
        assert!(!s.start(u64::MAX));
    }

    #[test]
    fn a_settled_attempt_is_done() {
        let mut s = Submission::Backoff {
            failed: 1,
            until: 3,
        };
        assert!(s.start(3));
        assert_eq!(s.finish(Attempt::Settled, 3, 2, 5), Finished::Settled);
        assert!(s.is_done());
    }

    #[test]
    fn an_outcome_without_an_attempt_changes_nothing() {
        for mut s in [
            Submission::Waiting { slot: 4 },
            Submission::Backoff {
                failed: 1,
                until: 9,
            },
            Submission::Done,
        ] {
            let before = s;
            assert_eq!(s.finish(Attempt::Settled, 5, 1, 5), Finished::NotInFlight);
            assert_eq!(s, before);
        }
    }
}
