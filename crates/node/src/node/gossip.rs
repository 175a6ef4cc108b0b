//! Gossip in: decodes inbound messages and hands them to the roles, and
//! buffers messages that arrive early, boundedly (PROTOCOL.md §11.4). The
//! verdicts go back to gossipsub through the driver.

use super::*;

/// One gossip message as received: its topic, the operator its sender is
/// bound to, and its bytes.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) topic: Topic,
    pub(crate) from: Address,
    pub(crate) data: Vec<u8>,
}

impl Node {
    /// Gossip messages that arrived together, with a verdict for each, in
    /// order. Votes among them are checked with one batch verification (one
    /// Miller loop per distinct message) and, should the batch fail, one by
    /// one; everything else in order.
    pub(crate) fn on_gossip(&mut self, batch: Vec<Received>) -> Vec<Verdict> {
        let mut verdicts = vec![Verdict::Ignore; batch.len()];
        let mut votes: Vec<(usize, Address, VoteMsg)> = Vec::new();
        for (i, received) in batch.into_iter().enumerate() {
            let verdict = match Message::decode(&received.data) {
                Err(e) => {
                    debug!(from = %received.from, error = %e, "undecodable gossip message");
                    metrics::counter!("liveliness_gossip_invalid_total").increment(1);
                    Verdict::Reject
                }
                Ok(Message::Vote(v)) if received.topic == Topic::Votes => {
                    votes.push((i, received.from, v));
                    continue;
                }
                Ok(Message::Task(msg)) if received.topic == Topic::Tasks => {
                    self.on_task(msg, received.from, Source::Gossip)
                }
                Ok(Message::Dispute(d)) if received.topic == Topic::Disputes => {
                    self.on_dispute(d, received.from, false)
                }
                Ok(_) => Verdict::Reject,
            };
            verdicts[i] = verdict;
        }
        let keys: Vec<Option<(PublicKeyG2, B256)>> = votes
            .iter()
            .map(|(_, from, v)| self.vote_key(v, *from))
            .collect();
        let items: Vec<(&PublicKeyG2, &B256, &Signature)> = keys
            .iter()
            .zip(&votes)
            .filter_map(|(k, (_, _, v))| k.as_ref().map(|(pk, m)| (pk, m, &v.signature)))
            .collect();
        let batch_ok =
            items.len() > 1 && liveliness_bls::batch_verify(items, &mut rand::rngs::OsRng);
        if batch_ok {
            metrics::counter!("liveliness_vote_batches_total").increment(1);
        }
        for ((i, from, vote), key) in votes.into_iter().zip(keys) {
            let verified = batch_ok && key.is_some();
            verdicts[i] = self.on_vote_checked(vote, from, false, verified);
        }
        verdicts
    }

    /// Buffers `msg`; a message buffered again while it is replayed keeps
    /// its original age.
    pub(super) fn buffer(&mut self, msg: Message, from: Address) {
        let at = self.replaying_since.unwrap_or(self.head);
        if let Err(why) = self.buffered.push(msg, from, at) {
            metrics::counter!("liveliness_buffer_refused_total", "reason" => why.label())
                .increment(1);
        }
        #[allow(clippy::cast_precision_loss)] // at most MAX_BUFFERED
        metrics::gauge!("liveliness_buffered_messages").set(self.buffered.len() as f64);
        #[allow(clippy::cast_precision_loss)] // at most MAX_BUFFERED_BYTES
        metrics::gauge!("liveliness_buffered_bytes").set(self.buffered.bytes() as f64);
    }

    /// Handles the buffered messages again (on a new head); those older
    /// than [`MAX_BUFFER_AGE_BLOCKS`] are dropped.
    pub(super) fn replay_buffered(&mut self) {
        let head = self.head;
        let buffered = self.buffered.take_all();
        for Pending { msg, from, at } in buffered {
            if head > at.saturating_add(MAX_BUFFER_AGE_BLOCKS) {
                continue;
            }
            self.replaying_since = Some(at);
            match msg {
                Message::Task(t) => {
                    self.on_task(t, from, Source::Gossip);
                }
                Message::Vote(v) => {
                    self.on_vote(v, from, false);
                }
                Message::Dispute(d) => {
                    self.on_dispute(d, from, false);
                }
            }
            self.replaying_since = None;
        }
        #[allow(clippy::cast_precision_loss)] // at most MAX_BUFFERED
        metrics::gauge!("liveliness_buffered_messages").set(self.buffered.len() as f64);
    }
}
