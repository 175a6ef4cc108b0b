//! The bounded buffer of gossip messages a node cannot handle yet (an epoch
//! it has not loaded, a round not open, a vote before its task). Bounded in
//! total and per sender, so that one operator flooding it cannot crowd out
//! everyone else's messages (PROTOCOL.md §11.4).

use alloy_primitives::Address;
use std::collections::HashMap;

/// One buffered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pending<M> {
    pub(crate) msg: M,
    /// The operator it came from (the node itself for its own messages).
    pub(crate) from: Address,
    /// The head when it was first buffered.
    pub(crate) at: u64,
}

/// Why a message was not buffered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The buffer holds its total bound.
    Full,
    /// The sender holds its share.
    SenderQuota,
}

impl Refused {
    pub(crate) const fn label(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::SenderQuota => "sender_quota",
        }
    }
}

/// Messages in arrival order, at most `capacity` in all and `per_sender`
/// from any one sender.
#[derive(Debug)]
pub(crate) struct PendingBuffer<M> {
    items: Vec<Pending<M>>,
    by_sender: HashMap<Address, usize>,
    capacity: usize,
    per_sender: usize,
}

impl<M> PendingBuffer<M> {
    pub(crate) fn new(capacity: usize, per_sender: usize) -> Self {
        Self {
            items: Vec::new(),
            by_sender: HashMap::new(),
            capacity,
            per_sender,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Buffers `msg` from `from`, first seen at head `at`.
    pub(crate) fn push(&mut self, msg: M, from: Address, at: u64) -> Result<(), Refused> {
        if self.items.len() >= self.capacity {
            return Err(Refused::Full);
        }
        let held = self.by_sender.entry(from).or_insert(0);
        if *held >= self.per_sender {
            return Err(Refused::SenderQuota);
        }
        *held += 1;
        self.items.push(Pending { msg, from, at });
        Ok(())
    }

    /// Takes every buffered message out, in arrival order.
    pub(crate) fn take_all(&mut self) -> Vec<Pending<M>> {
        self.by_sender.clear();
        std::mem::take(&mut self.items)
    }

    /// Takes out the messages `pick` selects, in arrival order; the rest
    /// stay.
    pub(crate) fn take_where(&mut self, mut pick: impl FnMut(&M) -> bool) -> Vec<Pending<M>> {
        let (taken, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|p| pick(&p.msg));
        self.items = kept;
        for p in &taken {
            if let Some(n) = self.by_sender.get_mut(&p.from) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.by_sender.remove(&p.from);
                }
            }
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(i: u8) -> Address {
        Address::repeat_byte(i)
    }

    #[test]
    fn one_sender_cannot_crowd_out_the_others() {
        let mut b = PendingBuffer::new(10, 3);
        for i in 0..3 {
            assert_eq!(b.push(i, a(1), 5), Ok(()));
        }
        assert_eq!(b.push(99, a(1), 5), Err(Refused::SenderQuota));
        for i in 0..3 {
            assert_eq!(b.push(10 + i, a(2), 6), Ok(()));
        }
        assert_eq!(b.len(), 6);
    }

    #[test]
    fn the_total_bound_holds_whoever_sends() {
        let mut b = PendingBuffer::new(4, 3);
        for i in 0..4u8 {
            assert_eq!(b.push(i, a(i), 0), Ok(()));
        }
        assert_eq!(b.push(9, a(9), 0), Err(Refused::Full));
        assert_eq!(b.len(), 4);
    }

    #[test]
    fn taking_frees_the_senders_share() {
        let mut b = PendingBuffer::new(10, 2);
        b.push(1, a(1), 0).unwrap();
        b.push(2, a(1), 1).unwrap();
        b.push(3, a(2), 2).unwrap();
        assert_eq!(b.push(4, a(1), 3), Err(Refused::SenderQuota));
        let taken = b.take_where(|m| *m == 1);
        assert_eq!(
            taken,
            [Pending {
                msg: 1,
                from: a(1),
                at: 0
            }]
        );
        assert_eq!(b.push(4, a(1), 3), Ok(()));
        assert_eq!(b.push(5, a(1), 3), Err(Refused::SenderQuota));

        let all = b.take_all();
        assert_eq!(all.iter().map(|p| p.msg).collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(b.len(), 0);
        assert_eq!(b.push(6, a(1), 4), Ok(()));
        assert_eq!(b.push(7, a(1), 4), Ok(()));
    }
}
