//! Own messages waiting for publication: those whose round has not opened
//! yet, and those whose publication failed (typically: no peers yet).
//! Bounded, and de-duplicated by gossip message id (the same bytes on the
//! same topic), so that nothing an own handler does twice is sent twice.

use liveliness_p2p::Topic;

/// Most own messages waiting for publication.
pub(crate) const MAX_OUTBOX: usize = 1024;

/// One message waiting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Waiting {
    pub(crate) topic: Topic,
    pub(crate) bytes: Vec<u8>,
    /// Not published before this head.
    pub(crate) not_before: u64,
    /// Dropped after this head.
    pub(crate) expires: u64,
}

/// Why a message was not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotKept {
    /// The same message (topic and bytes) is waiting already.
    Duplicate,
    /// The outbox holds its bound.
    Full,
}

/// The outbox.
#[derive(Debug)]
pub(crate) struct Outbox {
    items: Vec<Waiting>,
    capacity: usize,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            items: Vec::new(),
            capacity,
        }
    }

    /// Messages waiting.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Keeps `w` until it goes out or expires, once.
    pub(crate) fn push(&mut self, w: Waiting) -> Result<(), NotKept> {
        if self
            .items
            .iter()
            .any(|i| i.topic == w.topic && i.bytes == w.bytes)
        {
            return Err(NotKept::Duplicate);
        }
        if self.items.len() >= self.capacity {
            return Err(NotKept::Full);
        }
        self.items.push(w);
        Ok(())
    }

    /// Takes the messages due at `head` (in the order they were kept) and
    /// drops those that expired; the rest stay.
    pub(crate) fn take_due(&mut self, head: u64) -> Vec<Waiting> {
        self.items.retain(|w| head <= w.expires);
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|w| head >= w.not_before);
        self.items = later;
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(byte: u8, not_before: u64, expires: u64) -> Waiting {
        Waiting {
            topic: Topic::Votes,
            bytes: vec![byte],
            not_before,
            expires,
        }
    }

    #[test]
    fn the_same_message_is_kept_once() {
        let mut o = Outbox::new(8);
        assert_eq!(o.push(w(1, 0, 10)), Ok(()));
        assert_eq!(o.push(w(1, 5, 20)), Err(NotKept::Duplicate));
        // The same bytes on another topic are another message.
        let mut other = w(1, 0, 10);
        other.topic = Topic::Tasks;
        assert_eq!(o.push(other), Ok(()));
        assert_eq!(o.len(), 2);
    }

    #[test]
    fn it_is_bounded() {
        let mut o = Outbox::new(2);
        o.push(w(1, 0, 10)).unwrap();
        o.push(w(2, 0, 10)).unwrap();
        assert_eq!(o.push(w(3, 0, 10)), Err(NotKept::Full));
        // Taking makes room.
        assert_eq!(o.take_due(0).len(), 2);
        assert_eq!(o.push(w(3, 0, 10)), Ok(()));
    }

    #[test]
    fn messages_go_out_from_their_head_until_they_expire() {
        let mut o = Outbox::new(8);
        o.push(w(1, 5, 10)).unwrap();
        o.push(w(2, 0, 3)).unwrap();
        assert_eq!(o.take_due(2), vec![w(2, 0, 3)]);
        assert_eq!(o.len(), 1);
        assert!(o.take_due(4).is_empty());
        assert_eq!(o.take_due(5), vec![w(1, 5, 10)]);
        o.push(w(3, 0, 7)).unwrap();
        // Expired: dropped, never returned.
        assert!(o.take_due(8).is_empty());
        assert_eq!(o.len(), 0);
    }
}
