//! Bootstrap peers: dial at start, redial with exponential backoff whenever
//! the connection is lost or a dial fails.

use std::time::{Duration, Instant};

use libp2p::{
    multiaddr::Protocol,
    swarm::{dial_opts::DialOpts, ConnectionId},
    Multiaddr, PeerId,
};

/// First retry delay.
const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// Longest retry delay.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Dial at or after this instant.
    Waiting(Instant),
    /// A dial with this connection id is under way.
    Dialing(ConnectionId),
    /// At least one connection is open.
    Connected,
}

#[derive(Debug)]
struct Entry {
    addr: Multiaddr,
    peer_id: Option<PeerId>,
    state: State,
    backoff: Duration,
}

impl Entry {
    fn retry_later(&mut self, now: Instant) {
        self.state = State::Waiting(now + self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }
}

/// The bootstrap list and where each entry stands.
#[derive(Debug)]
pub(crate) struct Bootstrap {
    entries: Vec<Entry>,
}

impl Bootstrap {
    /// Every address except those that name our own peer id; all due now.
    pub(crate) fn new(addrs: &[Multiaddr], local: PeerId, now: Instant) -> Self {
        let entries = addrs
            .iter()
            .map(|addr| Entry {
                addr: addr.clone(),
                peer_id: peer_id_of(addr),
                state: State::Waiting(now),
                backoff: MIN_BACKOFF,
            })
            .filter(|e| e.peer_id != Some(local))
            .collect();
        Self { entries }
    }

    /// Dial options for every entry that is due, marking them as dialing.
    /// `dial` performs the dial and reports a synchronous failure.
    pub(crate) fn dial_due<E>(
        &mut self,
        now: Instant,
        mut dial: impl FnMut(DialOpts) -> Result<(), E>,
        mut on_error: impl FnMut(&Multiaddr, E),
    ) {
        for entry in &mut self.entries {
            let State::Waiting(at) = entry.state else {
                continue;
            };
            if at > now {
                continue;
            }
            let opts = match entry.peer_id {
                Some(peer) => DialOpts::peer_id(peer)
                    .addresses(vec![entry.addr.clone()])
                    .build(),
                None => DialOpts::unknown_peer_id()
                    .address(entry.addr.clone())
                    .build(),
            };
            let id = opts.connection_id();
            match dial(opts) {
                Ok(()) => entry.state = State::Dialing(id),
                Err(e) => {
                    on_error(&entry.addr, e);
                    entry.retry_later(now);
                }
            }
        }
    }

    /// A connection to `peer` is open; `connection` may be one of our dials.
    pub(crate) fn on_connected(&mut self, peer: PeerId, connection: ConnectionId) {
        for entry in &mut self.entries {
            let ours = entry.state == State::Dialing(connection);
            if ours || entry.peer_id == Some(peer) {
                entry.peer_id = Some(peer);
                entry.state = State::Connected;
                entry.backoff = MIN_BACKOFF;
            }
        }
    }

    /// The last connection to `peer` closed.
    pub(crate) fn on_disconnected(&mut self, peer: PeerId, now: Instant) {
        for entry in &mut self.entries {
            if entry.peer_id == Some(peer) && entry.state == State::Connected {
                entry.retry_later(now);
            }
        }
    }

    /// Our dial with id `connection` failed.
    pub(crate) fn on_dial_failed(&mut self, connection: ConnectionId, now: Instant) {
        for entry in &mut self.entries {
            if entry.state == State::Dialing(connection) {
                entry.retry_later(now);
            }
        }
    }

    /// Is `addr`'s entry connected? (For tests.)
    #[cfg(test)]
    fn is_connected(&self, addr: &Multiaddr) -> bool {
        self.entries
            .iter()
            .any(|e| &e.addr == addr && e.state == State::Connected)
    }
}

/// The peer id in a trailing `/p2p/…` component, if any.
fn peer_id_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use libp2p::identity::Keypair;

    fn peer() -> PeerId {
        Keypair::generate_ed25519().public().to_peer_id()
    }

    #[test]
    fn skips_self_and_backs_off() {
        let local = peer();
        let remote = peer();
        let own: Multiaddr = format!("/ip4/127.0.0.1/tcp/1/p2p/{local}").parse().unwrap();
        let other: Multiaddr = format!("/ip4/127.0.0.1/tcp/2/p2p/{remote}")
            .parse()
            .unwrap();
        let t0 = Instant::now();
        let mut b = Bootstrap::new(&[own, other.clone()], local, t0);
        assert_eq!(b.entries.len(), 1);

        let mut dialed = Vec::new();
        b.dial_due(
            t0,
            |o| {
                dialed.push(o.connection_id());
                Ok::<_, ()>(())
            },
            |_, _| {},
        );
        assert_eq!(dialed.len(), 1);
        // Nothing more is due while dialing.
        b.dial_due(t0, |_| Err(()), |_, _| panic!("dialed twice"));

        b.on_dial_failed(dialed[0], t0);
        // Due after 1 s, then 2 s.
        b.dial_due(t0, |_| Err(()), |_, _| panic!("dialed before backoff"));
        let mut failures = 0;
        b.dial_due(t0 + MIN_BACKOFF, |_| Err(()), |_, _| failures += 1);
        assert_eq!(failures, 1);
        b.dial_due(
            t0 + MIN_BACKOFF * 2,
            |_| Err(()),
            |_, _| panic!("backoff did not grow"),
        );

        let mut id = None;
        b.dial_due(
            t0 + MIN_BACKOFF * 4,
            |o| {
                id = Some(o.connection_id());
                Ok::<_, ()>(())
            },
            |_, _| {},
        );
        b.on_connected(remote, id.unwrap());
        assert!(b.is_connected(&other));
        b.on_disconnected(remote, t0);
        assert!(!b.is_connected(&other));
        // Backoff was reset on success.
        let mut redials = 0;
        b.dial_due(
            t0 + MIN_BACKOFF,
            |_| {
                redials += 1;
                Ok::<_, ()>(())
            },
            |_, _| {},
        );
        assert_eq!(redials, 1);
    }
}
