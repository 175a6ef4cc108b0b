//! The chain follower: loads each epoch once its block is confirmed,
//! restores what the store holds for it, drops epochs whose block was
//! reorged away, keeps the p2p active set current, and prunes the store
//! (PROTOCOL.md §10, §11.1).

use super::*;

impl Node {
    /// Retention (§10): removes from the store, off the event loop, up to
    /// [`PRUNE_EPOCHS_PER_TICK`] epochs older than `retention_epochs` epoch
    /// lengths behind the head, never one still held in memory.
    pub(super) fn prune_store(&mut self) {
        if self.pruning.as_ref().is_some_and(|p| !p.is_finished()) {
            return;
        }
        let Some((&oldest_held, e)) = self.epochs.iter().next() else {
            return;
        };
        let window = e
            .view
            .params
            .epoch_length
            .saturating_mul(self.config.retention_epochs);
        let cutoff = self.head.saturating_sub(window).min(oldest_held);
        let store = Arc::clone(&self.store);
        self.pruning = Some(tokio::task::spawn_blocking(move || {
            if let Err(e) = prune(&store, cutoff) {
                warn!(error = %e, "cannot prune the store");
            }
        }));
    }

    /// Loads the newest confirmed epoch if not loaded yet (after a restart,
    /// that is the epoch in progress; earlier ones are not caught up).
    pub(super) async fn follow_epochs(&mut self) -> eyre::Result<()> {
        let head = self.head;
        let latest = self.reader.params(head).await?;
        let confirmed = head.saturating_sub(latest.confirmation_depth);
        let epoch_length = latest.epoch_length.max(1);
        let b = confirmed - confirmed % epoch_length;
        if b == 0 || self.epochs.contains_key(&b) {
            return Ok(());
        }
        if head > b.saturating_add(latest.task_validity_blocks) {
            return Ok(());
        }
        self.load_epoch(b).await
    }

    pub(super) async fn load_epoch(&mut self, b: u64) -> eyre::Result<()> {
        let Some(hash) = self.reader.block_hash(b).await? else {
            return Ok(());
        };
        let params = self.reader.params(b).await?;
        let operators = self.reader.operators(b).await?;
        let view = EpochView::new(
            self.chain_id,
            self.reader.attestation_center,
            b,
            hash,
            params,
            operators,
        )
        .map_err(|e| eyre::eyre!("epoch {b}: {e}"))?;
        let record = serde_json::to_vec(&params)?;
        if let Some(stored) = self.store.epoch(b)? {
            if stored.block_hash != hash {
                warn!(epoch_block = b, stored = %stored.block_hash, canonical = %hash, "stored epoch is from a reorged-away block; dropping it");
                self.store.drop_epoch(b)?;
            }
        }
        self.store.put_epoch(b, hash, &record)?;
        if params.confirmation_depth >= params.performer_timeout_blocks {
            warn!(
                confirmation_depth = params.confirmation_depth,
                performer_timeout_blocks = params.performer_timeout_blocks,
                "confirmation depth is not below the performer timeout: round 0 has no time to run"
            );
        }
        let performer = view
            .performer(0)
            .map(|o| format!("#{} {}", o.id, o.address))
            .unwrap_or_else(|| "none".into());
        let sample: Vec<String> = view.sample.iter().map(|s| format!("#{}", s.id)).collect();
        info!(
            epoch = view.number,
            block = b,
            operators = view.operators.len(),
            performer,
            sample = %sample.join(","),
            "epoch started"
        );
        metrics::gauge!("liveliness_epoch_block").set(b as f64);
        let view = Arc::new(view);
        self.epochs.insert(
            b,
            EpochState {
                view,
                tasks: HashMap::new(),
                performing: BTreeSet::new(),
                seen: BTreeMap::new(),
                certified: None,
                loaded_at: Instant::now(),
                summarized: false,
                rechecked: HashMap::new(),
                equivocated: BTreeSet::new(),
                vote_equivocated: BTreeSet::new(),
            },
        );
        self.restore_epoch(b).await;
        self.refresh_active_set().await?;
        Ok(())
    }

    /// Gossip is accepted from the operators active in the epochs held and
    /// those active at the head (whose next epoch's messages may arrive
    /// before this node loads that epoch).
    pub(super) async fn refresh_active_set(&mut self) -> eyre::Result<()> {
        let mut active: std::collections::HashSet<Address> = self
            .reader
            .active_addresses(self.head)
            .await?
            .into_iter()
            .collect();
        for e in self.epochs.values() {
            active.extend(e.view.operators.values().map(|o| o.address));
        }
        self.p2p.set_active_operators(active).await?;
        self.active_refreshed_at = self.head;
        Ok(())
    }

    /// After a restart: tasks and votes stored for the epoch are replayed so
    /// that tallies, certificates and submissions pick up where they were.
    pub(super) async fn restore_epoch(&mut self, b: u64) {
        let tasks = match self.store.tasks_for_epoch(b) {
            Ok(t) => t,
            Err(e) => {
                warn!(epoch_block = b, error = %e, "cannot read stored tasks");
                return;
            }
        };
        if tasks.is_empty() {
            return;
        }
        info!(
            epoch_block = b,
            tasks = tasks.len(),
            "restoring stored tasks and votes"
        );
        for t in tasks {
            if let Ok(Message::Task(msg)) = Message::decode(&t.bytes) {
                let performer = msg.document.performer;
                self.on_task(msg, performer, Source::Restored).await;
            }
            for v in self.store.votes(t.task_hash).unwrap_or_default() {
                if let Ok(Message::Vote(vote)) = Message::decode(&v.bytes) {
                    let from = self
                        .epochs
                        .get(&b)
                        .and_then(|e| e.view.operators.get(&vote.operator_id))
                        .map(|o| o.address)
                        .unwrap_or_default();
                    self.on_vote(vote, from, true);
                }
            }
            // Stored disputes were verified when received; they are
            // verified again, and unsigned ones of earlier builds no longer
            // decode.
            for stored in self.store.disputes(t.task_hash).unwrap_or_default() {
                if let Ok(Message::Dispute(d)) = Message::decode(&stored.bytes) {
                    let from = self
                        .epochs
                        .get(&b)
                        .and_then(|e| e.view.operators.get(&d.operator_id))
                        .map(|o| o.address)
                        .unwrap_or_default();
                    self.on_dispute(d, from);
                }
            }
        }
    }

    /// Drops epochs whose block was reorged away.
    pub(super) async fn check_reorgs(&mut self) -> eyre::Result<()> {
        let recent: Vec<(u64, B256)> = self
            .epochs
            .iter()
            .filter(|(b, e)| self.head <= e.view.expires_at() && **b > 0)
            .map(|(b, e)| (*b, e.view.hash))
            .collect();
        for (b, hash) in recent {
            let Some(now) = self.reader.block_hash(b).await? else {
                // The block is below our head, so "no such block" is the
                // RPC's trouble (a lagging backend), not a reorg: look
                // again on the next tick rather than drop what we hold.
                warn!(
                    epoch_block = b,
                    "the RPC has no block at the epoch height; checking again later"
                );
                metrics::counter!("liveliness_rpc_missing_blocks_total").increment(1);
                continue;
            };
            if now != hash {
                warn!(epoch_block = b, old = %hash, new = %now, "epoch block reorged away; dropping the epoch");
                metrics::counter!("liveliness_epochs_reorged_total").increment(1);
                self.note_reorg();
                self.epochs.remove(&b);
                self.store.drop_epoch(b)?;
            }
        }
        Ok(())
    }

    pub(super) fn maybe_summarize(&mut self, b: u64) {
        let head = self.head;
        let Some(epoch) = self.epochs.get_mut(&b) else {
            return;
        };
        if epoch.summarized || head <= epoch.view.expires_at() {
            return;
        }
        epoch.summarized = true;
        let cert = epoch.certified.and_then(|h| epoch.tasks.get(&h));
        let outcome = match cert.and_then(|t| t.certificate.as_ref()) {
            Some((c, _)) if c.is_approved => {
                let task = cert.expect("has certificate");
                let unhealthy: Vec<String> = EpochView::unhealthy_entries(&task.msg)
                    .iter()
                    .map(|(id, _, _)| format!("#{id}"))
                    .collect();
                format!(
                    "approved round {} (unhealthy [{}], missed {}), {} votes",
                    task.msg.document.round,
                    unhealthy.join(","),
                    task.msg.document.missed_performers.len(),
                    task.tally.len()
                )
            }
            Some((_, _)) => "rejected the performer's task".to_owned(),
            None => "no certificate (task lapsed: nobody penalized)".to_owned(),
        };
        info!(
            epoch = epoch.view.number,
            block = b,
            tasks = epoch.tasks.len(),
            "epoch closed: {outcome}"
        );
    }

    /// Counts a reorg and publishes it at once, so that the health endpoint
    /// stops using block hashes it read before.
    pub(super) fn note_reorg(&mut self) {
        self.reorgs += 1;
        self.status.write().expect("not poisoned").reorgs = self.reorgs;
    }
}

/// Removes the stored epochs below `cutoff` (at most
/// [`PRUNE_EPOCHS_PER_TICK`]), each with its documents and evidence, one
/// transaction per epoch.
pub(super) fn prune(store: &Store, cutoff: u64) -> Result<(), liveliness_store::Error> {
    for b in store.epochs_before(cutoff, PRUNE_EPOCHS_PER_TICK)? {
        let documents: Vec<String> = store
            .tasks_for_epoch(b)?
            .iter()
            .filter_map(|t| match Message::decode(&t.bytes) {
                Ok(Message::Task(m)) => m.document.cid().ok(),
                _ => None,
            })
            .collect();
        let meta = [
            format!("{}{b}/", crate::evidence::TASK_EQUIVOCATION_PREFIX),
            format!("{}{b}/", crate::evidence::VOTE_EQUIVOCATION_PREFIX),
            format!("{}{b}/", crate::evidence::VOTE_EVIDENCE_SUBMITTED_PREFIX),
            format!("{}{b}/", crate::evidence::TASK_EVIDENCE_SUBMITTED_PREFIX),
            format!("{SIGNED_TASK_PREFIX}{b}/"),
            format!("amended/{b}/"),
        ];
        let dropped = store.prune_epoch(b, &documents, &meta)?;
        debug!(
            epoch_block = b,
            tasks = dropped.tasks,
            "pruned from the store"
        );
        metrics::counter!("liveliness_epochs_pruned_total").increment(1);
    }
    Ok(())
}
