//! Gossip in and out: decodes inbound messages and hands them to the
//! roles, reports verdicts to gossipsub, buffers messages that arrive early
//! and publishes own messages through an outbox (PROTOCOL.md §11.4).

use super::*;

impl Node {
    /// Publishes an own message; on failure (typically no peers yet) keeps
    /// it for retry until `expires` (a block number).
    pub(super) async fn publish(&mut self, topic: Topic, bytes: Vec<u8>, expires: u64) {
        if let Err(e) = self.p2p.publish(topic, bytes.clone()).await {
            debug!(?topic, error = %e, "publishing failed; will retry");
            metrics::counter!("liveliness_publish_retries_total").increment(1);
            self.outbox_push(topic, bytes, 0, expires);
        }
    }

    /// Keeps an own message for publication from head `not_before` until
    /// `expires`, once: the same bytes on the same topic (the same gossip
    /// message id) are kept only once, and at most [`MAX_OUTBOX`] messages
    /// are kept.
    pub(super) fn outbox_push(
        &mut self,
        topic: Topic,
        bytes: Vec<u8>,
        not_before: u64,
        expires: u64,
    ) {
        if self
            .outbox
            .iter()
            .any(|(t, b, _, _)| *t == topic && *b == bytes)
        {
            return;
        }
        if self.outbox.len() >= MAX_OUTBOX {
            metrics::counter!("liveliness_outbox_dropped_total").increment(1);
            return;
        }
        self.outbox.push((topic, bytes, not_before, expires));
    }

    pub(super) async fn flush_outbox(&mut self) {
        let head = self.head;
        let pending = std::mem::take(&mut self.outbox);
        for (topic, bytes, not_before, expires) in pending {
            if head > expires {
                continue;
            }
            if head < not_before || self.p2p.publish(topic, bytes.clone()).await.is_err() {
                self.outbox.push((topic, bytes, not_before, expires));
            }
        }
    }

    pub(crate) async fn on_inbound(&mut self, inbound: Inbound) {
        let verdict = match Message::decode(&inbound.data) {
            Err(e) => {
                debug!(from = %inbound.operator, error = %e, "undecodable gossip message");
                metrics::counter!("liveliness_gossip_invalid_total").increment(1);
                Verdict::Reject
            }
            Ok(Message::Task(msg)) if inbound.topic == Topic::Tasks => {
                self.on_task(msg, inbound.operator, Source::Gossip).await
            }
            Ok(Message::Vote(vote)) if inbound.topic == Topic::Votes => {
                self.on_vote(vote, inbound.operator, false)
            }
            Ok(Message::Dispute(d)) if inbound.topic == Topic::Disputes => {
                self.on_dispute(d, inbound.operator)
            }
            Ok(_) => Verdict::Reject,
        };
        self.report(&inbound, verdict).await;
    }

    /// Gives gossipsub the verdict on an inbound message.
    pub(super) async fn report(&self, inbound: &Inbound, verdict: Verdict) {
        if let Err(e) = self
            .p2p
            .report(
                inbound.message_id.clone(),
                inbound.propagation_source,
                verdict,
            )
            .await
        {
            debug!(error = %e, "report failed");
        }
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
    }

    pub(super) async fn replay_buffered(&mut self) {
        let head = self.head;
        let buffered = self.buffered.take_all();
        for Pending { msg, from, at } in buffered {
            if head > at.saturating_add(MAX_BUFFER_AGE_BLOCKS) {
                continue;
            }
            self.replaying_since = Some(at);
            match msg {
                Message::Task(t) => {
                    self.on_task(t, from, Source::Gossip).await;
                }
                Message::Vote(v) => {
                    self.on_vote(v, from, false);
                }
                Message::Dispute(d) => {
                    self.on_dispute(d, from);
                }
            }
            self.replaying_since = None;
        }
        #[allow(clippy::cast_precision_loss)] // at most MAX_BUFFERED
        metrics::gauge!("liveliness_buffered_messages").set(self.buffered.len() as f64);
    }

    /// Gossip messages that arrived together: votes among them are checked
    /// with one batch verification (one Miller loop per distinct message)
    /// and, should the batch fail, one by one; everything else in order.
    pub(crate) async fn on_inbound_batch(&mut self, batch: Vec<Inbound>) {
        let mut votes: Vec<(Inbound, VoteMsg)> = Vec::new();
        for inbound in batch {
            match Message::decode(&inbound.data) {
                Ok(Message::Vote(v)) if inbound.topic == Topic::Votes => votes.push((inbound, v)),
                _ => self.on_inbound(inbound).await,
            }
        }
        let keys: Vec<Option<(PublicKeyG2, B256)>> = votes
            .iter()
            .map(|(i, v)| self.vote_key(v, i.operator))
            .collect();
        let items: Vec<(&PublicKeyG2, &B256, &Signature)> = keys
            .iter()
            .zip(&votes)
            .filter_map(|(k, (_, v))| k.as_ref().map(|(pk, m)| (pk, m, &v.signature)))
            .collect();
        let batch_ok =
            items.len() > 1 && liveliness_bls::batch_verify(items, &mut rand::rngs::OsRng);
        if batch_ok {
            metrics::counter!("liveliness_vote_batches_total").increment(1);
        }
        for ((inbound, vote), key) in votes.into_iter().zip(keys) {
            let verified = batch_ok && key.is_some();
            let verdict = self.on_vote_checked(vote, inbound.operator, false, verified);
            self.report(&inbound, verdict).await;
        }
    }
}
