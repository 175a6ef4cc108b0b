//! The table of verified peer bindings (peer → operator), bounded so that
//! throwaway bindings cannot crowd out the operators that matter: at most
//! [`MAX_PEERS_PER_OPERATOR`] peers per operator, and when the table is full
//! a binding of an active operator takes the place of one of an inactive
//! operator. Bindings of operators that left the active set are dropped when
//! the set changes.

use alloy_primitives::Address;
use libp2p::PeerId;
use std::collections::{HashMap, HashSet};

/// Most peers one operator may have bound at once (a restarted node gets a
/// new peer id only if its key file was lost; a few is plenty).
pub(crate) const MAX_PEERS_PER_OPERATOR: usize = 4;

/// What [`BindingTable::insert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// The peer was already bound to this operator.
    Known,
    /// Newly recorded.
    New,
    /// The table is full of bindings that count at least as much.
    Full,
}

#[derive(Debug)]
pub(crate) struct BindingTable {
    peers: HashMap<PeerId, Address>,
    /// Each operator's peers, oldest first.
    by_operator: HashMap<Address, Vec<PeerId>>,
    capacity: usize,
}

impl BindingTable {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            peers: HashMap::new(),
            by_operator: HashMap::new(),
            capacity,
        }
    }

    pub(crate) fn get(&self, peer: &PeerId) -> Option<&Address> {
        self.peers.get(peer)
    }

    pub(crate) fn snapshot(&self) -> HashMap<PeerId, Address> {
        self.peers.clone()
    }

    /// Records that `peer` is `operator`'s. An operator's oldest peer gives
    /// way to its newest beyond [`MAX_PEERS_PER_OPERATOR`]; in a full table
    /// an active operator's binding replaces an inactive operator's.
    pub(crate) fn insert(
        &mut self,
        peer: PeerId,
        operator: Address,
        active: &HashSet<Address>,
    ) -> Inserted {
        match self.peers.get(&peer) {
            Some(bound) if *bound == operator => return Inserted::Known,
            Some(_) => self.remove(&peer),
            None => {}
        }
        let own = self.by_operator.get(&operator).map_or(0, Vec::len);
        if own >= MAX_PEERS_PER_OPERATOR {
            if let Some(oldest) = self
                .by_operator
                .get(&operator)
                .and_then(|p| p.first().copied())
            {
                self.remove(&oldest);
            }
        } else if self.peers.len() >= self.capacity {
            let victim = active
                .contains(&operator)
                .then(|| {
                    self.peers
                        .iter()
                        .find(|(_, op)| !active.contains(*op))
                        .map(|(p, _)| *p)
                })
                .flatten();
            match victim {
                Some(victim) => self.remove(&victim),
                None => return Inserted::Full,
            }
        }
        self.peers.insert(peer, operator);
        self.by_operator.entry(operator).or_default().push(peer);
        Inserted::New
    }

    /// Keeps only the bindings of `active` operators.
    pub(crate) fn retain_active(&mut self, active: &HashSet<Address>) {
        self.peers.retain(|_, op| active.contains(op));
        self.by_operator.retain(|op, _| active.contains(op));
    }

    fn remove(&mut self, peer: &PeerId) {
        if let Some(op) = self.peers.remove(peer) {
            if let Some(list) = self.by_operator.get_mut(&op) {
                list.retain(|p| p != peer);
                if list.is_empty() {
                    self.by_operator.remove(&op);
                }
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.peers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(i: u8) -> Address {
        Address::repeat_byte(i)
    }

    fn active(ops: &[u8]) -> HashSet<Address> {
        ops.iter().map(|i| op(*i)).collect()
    }

    #[test]
    fn an_operator_keeps_its_newest_peers_only() {
        let mut t = BindingTable::new(100);
        let peers: Vec<PeerId> = (0..6).map(|_| PeerId::random()).collect();
        for p in &peers {
            assert_eq!(t.insert(*p, op(1), &active(&[1])), Inserted::New);
        }
        assert_eq!(t.len(), MAX_PEERS_PER_OPERATOR);
        assert_eq!(t.get(&peers[0]), None);
        assert_eq!(t.get(&peers[1]), None);
        assert_eq!(t.get(&peers[5]), Some(&op(1)));
        assert_eq!(t.insert(peers[5], op(1), &active(&[1])), Inserted::Known);
    }

    #[test]
    fn throwaway_bindings_cannot_keep_an_active_operator_out() {
        let mut t = BindingTable::new(10);
        // Ten throwaway keys fill the table.
        for i in 0..10 {
            assert_eq!(
                t.insert(PeerId::random(), op(100 + i), &active(&[1])),
                Inserted::New
            );
        }
        // Another throwaway finds it full...
        assert_eq!(
            t.insert(PeerId::random(), op(200), &active(&[1])),
            Inserted::Full
        );
        // ...but an active operator gets in, in place of a throwaway.
        let real = PeerId::random();
        assert_eq!(t.insert(real, op(1), &active(&[1])), Inserted::New);
        assert_eq!(t.get(&real), Some(&op(1)));
        assert_eq!(t.len(), 10);
        // When the active set changes, the others go.
        t.retain_active(&active(&[1]));
        assert_eq!(t.len(), 1);
        assert_eq!(
            t.snapshot().into_iter().collect::<Vec<_>>(),
            [(real, op(1))]
        );
    }

    #[test]
    fn a_peer_rebound_to_another_operator_moves() {
        let mut t = BindingTable::new(10);
        let p = PeerId::random();
        t.insert(p, op(1), &active(&[1, 2]));
        assert_eq!(t.insert(p, op(2), &active(&[1, 2])), Inserted::New);
        assert_eq!(t.get(&p), Some(&op(2)));
        assert_eq!(t.len(), 1);
        t.retain_active(&active(&[1]));
        assert_eq!(t.len(), 0);
    }
}
