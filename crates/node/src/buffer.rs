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

/// The memory a buffered message holds, roughly, in bytes.
pub(crate) trait Weigh {
    fn weight(&self) -> usize;
}

/// Why a message was not buffered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The buffer holds its total bound.
    Full,
    /// The sender holds its share.
    SenderQuota,
}

/// A buffer's bounds: messages and bytes, in all and per sender.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub(crate) messages: usize,
    pub(crate) per_sender: usize,
    pub(crate) bytes: usize,
    pub(crate) bytes_per_sender: usize,
}

impl Refused {
    pub(crate) const fn label(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::SenderQuota => "sender_quota",
        }
    }
}

/// Messages in arrival order, within [`Bounds`]: so many messages and
/// bytes in all, and so many from any one sender.
#[derive(Debug)]
pub(crate) struct PendingBuffer<M> {
    items: Vec<Pending<M>>,
    /// Messages and bytes held, by sender.
    by_sender: HashMap<Address, (usize, usize)>,
    bytes: usize,
    bounds: Bounds,
}

impl<M: Weigh> PendingBuffer<M> {
    pub(crate) fn new(bounds: Bounds) -> Self {
        Self {
            items: Vec::new(),
            by_sender: HashMap::new(),
            bytes: 0,
            bounds,
        }
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Buffers `msg` from `from`, first seen at head `at`.
    pub(crate) fn push(&mut self, msg: M, from: Address, at: u64) -> Result<(), Refused> {
        let weight = msg.weight();
        if self.items.len() >= self.bounds.messages
            || self.bytes.saturating_add(weight) > self.bounds.bytes
        {
            return Err(Refused::Full);
        }
        let (count, bytes) = self.by_sender.entry(from).or_insert((0, 0));
        if *count >= self.bounds.per_sender
            || bytes.saturating_add(weight) > self.bounds.bytes_per_sender
        {
            return Err(Refused::SenderQuota);
        }
        *count += 1;
        *bytes += weight;
        self.bytes += weight;
        self.items.push(Pending { msg, from, at });
        Ok(())
    }

    /// Takes every buffered message out, in arrival order.
    pub(crate) fn take_all(&mut self) -> Vec<Pending<M>> {
        self.by_sender.clear();
        self.bytes = 0;
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
            let weight = p.msg.weight();
            self.bytes = self.bytes.saturating_sub(weight);
            if let Some((count, bytes)) = self.by_sender.get_mut(&p.from) {
                *count = count.saturating_sub(1);
                *bytes = bytes.saturating_sub(weight);
                if *count == 0 {
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

    /// Test messages weigh their value in bytes.
    impl Weigh for u8 {
        fn weight(&self) -> usize {
            usize::from(*self)
        }
    }

    fn counted(messages: usize, per_sender: usize) -> Bounds {
        Bounds {
            messages,
            per_sender,
            bytes: usize::MAX,
            bytes_per_sender: usize::MAX,
        }
    }

    #[test]
    fn bytes_are_bounded_in_all_and_per_sender() {
        let mut b = PendingBuffer::new(Bounds {
            messages: 100,
            per_sender: 100,
            bytes: 250,
            bytes_per_sender: 100,
        });
        assert_eq!(b.push(60, a(1), 0), Ok(()));
        assert_eq!(b.push(50, a(1), 0), Err(Refused::SenderQuota));
        assert_eq!(b.push(40, a(1), 0), Ok(()));
        assert_eq!(b.push(100, a(2), 0), Ok(()));
        assert_eq!(b.push(60, a(3), 0), Err(Refused::Full));
        assert_eq!(b.bytes(), 200);
        // Taking frees both.
        b.take_where(|m| *m == 60);
        assert_eq!(b.bytes(), 140);
        assert_eq!(b.push(60, a(1), 0), Ok(()));
        b.take_all();
        assert_eq!(b.bytes(), 0);
    }

    #[test]
    fn one_sender_cannot_crowd_out_the_others() {
        let mut b = PendingBuffer::new(counted(10, 3));
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
        let mut b = PendingBuffer::new(counted(4, 3));
        for i in 0..4u8 {
            assert_eq!(b.push(i, a(i), 0), Ok(()));
        }
        assert_eq!(b.push(9, a(9), 0), Err(Refused::Full));
        assert_eq!(b.len(), 4);
    }

    #[test]
    fn taking_frees_the_senders_share() {
        let mut b = PendingBuffer::new(counted(10, 2));
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
