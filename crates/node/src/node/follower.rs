//! The chain follower, a task of its own: polls the head, loads each epoch
//! once its block is confirmed (with what the store holds for it after a
//! restart), drops epochs whose block was reorged away and keeps the p2p
//! active set current (PROTOCOL.md §11.1). Every chain read happens here, off
//! the core's loop: a hung or slow RPC delays only the follower, never the
//! handling of gossip. The core hears of it through [`FollowerEvent`]s.

use super::*;
use crate::reader::Reader;
use liveliness_p2p::P2pHandle;
use liveliness_store::Store;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often (in blocks) the p2p active set is re-read at the head even
/// without a new epoch.
const ACTIVE_SET_REFRESH_BLOCKS: u64 = 5;
/// Longest one poll may take, every read included; a poll that takes longer
/// is abandoned and the next one starts afresh.
pub(crate) const POLL_DEADLINE: Duration = Duration::from_secs(30);
/// Most stored epochs removed by one retention pass.
const PRUNE_EPOCHS_PER_PASS: usize = 16;

/// What the follower tells the core.
#[derive(Debug)]
pub(crate) enum FollowerEvent {
    /// An epoch became current (its block is confirmed), with what the store
    /// holds for it. Sent before the head at which it was loaded.
    Loaded(Box<Loaded>),
    /// The block of a held epoch was reorged away; the store's copy of the
    /// epoch is gone.
    Dropped(EpochBlock),
    /// The head, after every poll.
    Head(u64),
}

/// An epoch just loaded.
#[derive(Debug)]
pub(crate) struct Loaded {
    /// The head at which it was loaded.
    pub(crate) head: u64,
    pub(crate) view: EpochView,
    /// Tasks stored for it before a restart, each with its stored votes and
    /// disputes.
    pub(crate) tasks: Vec<Restored>,
    /// `(task, operator)` pairs whose vote equivocation is stored.
    pub(crate) vote_equivocations: Vec<(B256, u64)>,
}

/// A stored task with its stored votes and disputes.
#[derive(Debug)]
pub(crate) struct Restored {
    pub(crate) task: TaskMsg,
    pub(crate) votes: Vec<VoteMsg>,
    pub(crate) disputes: Vec<DisputeMsg>,
}

/// An epoch the follower holds: its hash, last useful head and operators.
struct Held {
    hash: B256,
    expires_at: u64,
    operators: Vec<Address>,
}

/// The follower.
pub(crate) struct Follower {
    reader: Arc<Reader>,
    store: Arc<Store>,
    p2p: P2pHandle,
    chain_id: u64,
    events: mpsc::Sender<FollowerEvent>,
    held: BTreeMap<EpochBlock, Held>,
    head: u64,
    active_refreshed_at: u64,
}

impl Follower {
    pub(crate) fn new(
        reader: Arc<Reader>,
        store: Arc<Store>,
        p2p: P2pHandle,
        chain_id: u64,
        events: mpsc::Sender<FollowerEvent>,
    ) -> Self {
        Self {
            reader,
            store,
            p2p,
            chain_id,
            events,
            held: BTreeMap::new(),
            head: 0,
            active_refreshed_at: 0,
        }
    }

    /// Polls every `interval` until the core stops listening.
    pub(crate) async fn run(mut self, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match tokio::time::timeout(POLL_DEADLINE, self.poll()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    if self.events.is_closed() {
                        return;
                    }
                    warn!(error = %crate::redact::redact_urls(&e.to_string()), "following the chain failed; retrying on the next poll");
                }
                Err(_) => {
                    warn!(
                        deadline = ?POLL_DEADLINE,
                        "a chain poll exceeded its deadline; abandoned"
                    );
                    metrics::counter!("liveliness_rpc_errors_total").increment(1);
                }
            }
            if self.events.is_closed() {
                return;
            }
        }
    }

    async fn send(&self, event: FollowerEvent) -> eyre::Result<()> {
        self.events
            .send(event)
            .await
            .map_err(|_| eyre::eyre!("the node stopped"))
    }

    /// One poll of the chain head. Cancel-safe (the poll deadline may cut
    /// it anywhere): what the follower holds changes only once the core has
    /// been told, and a head is marked as seen only once its reorg check and
    /// the epoch it may bring are done, so that an interrupted or failed
    /// poll is done again in full.
    async fn poll(&mut self) -> eyre::Result<()> {
        let head = self.reader.head().await?;
        if head != self.head {
            metrics::gauge!("liveliness_head_block").set(head as f64);
            // Until the held epochs are known to be on the chain, the core
            // hears of no new head.
            self.check_reorgs().await?;
            // A new epoch that cannot be loaded yet (or an active set that
            // cannot be read) holds up nothing of the epochs already held:
            // the head goes to the core, and loading is tried again at the
            // next poll, the head not being marked as seen.
            let loaded = match self.follow_epochs(head).await {
                Ok(loaded) => Some(loaded),
                Err(e) => {
                    warn!(error = %crate::redact::redact_urls(&e.to_string()), "cannot load the new epoch yet; retrying on the next poll");
                    None
                }
            };
            if loaded == Some(true)
                || self.active_refreshed_at == 0
                || head
                    >= self
                        .active_refreshed_at
                        .saturating_add(ACTIVE_SET_REFRESH_BLOCKS)
            {
                if let Err(e) = self.refresh_active_set(head).await {
                    warn!(error = %crate::redact::redact_urls(&e.to_string()), "cannot refresh the p2p active set; retrying on the next poll");
                }
            }
            self.held.retain(|_, e| head <= e.expires_at);
            if loaded.is_some() {
                self.head = head;
            }
        }
        self.send(FollowerEvent::Head(head)).await
    }

    /// Loads the newest confirmed epoch at `head` if not held yet (after a
    /// restart, that is the epoch in progress; earlier ones are not caught
    /// up).
    async fn follow_epochs(&mut self, head: u64) -> eyre::Result<bool> {
        let latest = self.reader.params(head).await?;
        let confirmed = head.saturating_sub(latest.confirmation_depth);
        let epoch_length = latest.epoch_length.max(1);
        let b = EpochBlock(confirmed - confirmed % epoch_length);
        if b == EpochBlock(0) || self.held.contains_key(&b) {
            return Ok(false);
        }
        if head > b.plus(latest.task_validity_blocks) {
            return Ok(false);
        }
        self.load_epoch(b, head).await
    }

    async fn load_epoch(&mut self, b: EpochBlock, head: u64) -> eyre::Result<bool> {
        let Some(hash) = self.reader.block_hash(b.0).await? else {
            return Ok(false);
        };
        let params = self.reader.params(b.0).await?;
        let operators = self.reader.operators(b.0).await?;
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
                warn!(epoch_block = %b, stored = %stored.block_hash, canonical = %hash, "stored epoch is from a reorged-away block; dropping it");
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
            .performer(Round::ZERO)
            .map(|o| format!("#{} {}", o.id, o.address))
            .unwrap_or_else(|| "none".into());
        let sample: Vec<String> = view.sample.iter().map(|s| format!("#{}", s.id)).collect();
        info!(
            epoch = %view.number,
            block = %b,
            operators = view.operators.len(),
            performer,
            sample = %sample.join(","),
            "epoch started"
        );
        metrics::gauge!("liveliness_epoch_block").set(b.0 as f64);
        let loaded = Loaded {
            head,
            tasks: restore(&self.store, &view),
            vote_equivocations: stored_vote_equivocations(&self.store, b),
            view,
        };
        let held = Held {
            hash,
            expires_at: loaded.view.expires_at(),
            operators: loaded.view.operators.values().map(|o| o.address).collect(),
        };
        self.send(FollowerEvent::Loaded(Box::new(loaded))).await?;
        self.held.insert(b, held);
        Ok(true)
    }

    /// Gossip is accepted from the operators active in the epochs held and
    /// those active at the head (whose next epoch's messages may arrive
    /// before this node loads that epoch).
    async fn refresh_active_set(&mut self, head: u64) -> eyre::Result<()> {
        let mut active: std::collections::HashSet<Address> = self
            .reader
            .active_addresses(head)
            .await?
            .into_iter()
            .collect();
        for e in self.held.values() {
            active.extend(e.operators.iter().copied());
        }
        self.p2p.set_active_operators(active).await?;
        self.active_refreshed_at = head;
        Ok(())
    }

    /// Drops epochs whose block was reorged away.
    async fn check_reorgs(&mut self) -> eyre::Result<()> {
        let recent: Vec<(EpochBlock, B256)> = self
            .held
            .iter()
            .filter(|(b, _)| **b > EpochBlock(0))
            .map(|(b, e)| (*b, e.hash))
            .collect();
        for (b, hash) in recent {
            let Some(now) = self.reader.block_hash(b.0).await? else {
                // The block is below our head, so "no such block" is the
                // RPC's trouble (a lagging backend), not a reorg: look
                // again on the next poll rather than drop what we hold.
                warn!(
                    epoch_block = %b,
                    "the RPC has no block at the epoch height; checking again later"
                );
                metrics::counter!("liveliness_rpc_missing_blocks_total").increment(1);
                continue;
            };
            if now != hash {
                warn!(epoch_block = %b, old = %hash, new = %now, "epoch block reorged away; dropping the epoch");
                metrics::counter!("liveliness_epochs_reorged_total").increment(1);
                self.store.drop_epoch(b)?;
                self.send(FollowerEvent::Dropped(b)).await?;
                self.held.remove(&b);
            }
        }
        Ok(())
    }
}

/// What the store holds for an epoch after a restart: its tasks, each with
/// its votes and disputes (decoded; what no longer decodes is skipped).
pub(super) fn restore(store: &Store, view: &EpochView) -> Vec<Restored> {
    let b = view.block;
    let tasks = match store.tasks_for_epoch(b) {
        Ok(t) => t,
        Err(e) => {
            warn!(epoch_block = %b, error = %e, "cannot read stored tasks");
            return Vec::new();
        }
    };
    if !tasks.is_empty() {
        info!(
            epoch_block = %b,
            tasks = tasks.len(),
            "restoring stored tasks and votes"
        );
    }
    let mut out = Vec::new();
    for t in tasks {
        let Ok(Message::Task(task)) = Message::decode(&t.bytes) else {
            continue;
        };
        let votes = match store.votes(t.task_hash) {
            Ok(v) => v
                .into_iter()
                .filter_map(|v| match Message::decode(&v.bytes) {
                    Ok(Message::Vote(v)) => Some(v),
                    _ => None,
                })
                .collect(),
            Err(e) => {
                warn!(epoch_block = %b, error = %e, "cannot read stored votes");
                Vec::new()
            }
        };
        // Stored disputes were verified when received; they are verified
        // again, and unsigned ones of earlier builds no longer decode.
        let disputes = match store.disputes(t.task_hash) {
            Ok(d) => d
                .into_iter()
                .filter_map(|d| match Message::decode(&d.bytes) {
                    Ok(Message::Dispute(d)) => Some(d),
                    _ => None,
                })
                .collect(),
            Err(e) => {
                warn!(epoch_block = %b, error = %e, "cannot read stored disputes");
                Vec::new()
            }
        };
        out.push(Restored {
            task,
            votes,
            disputes,
        });
    }
    out
}

/// The `(task, operator)` pairs of the vote equivocations stored for epoch
/// block `b`.
fn stored_vote_equivocations(store: &Store, b: EpochBlock) -> Vec<(B256, u64)> {
    let prefix = format!("{}{b}/", crate::evidence::VOTE_EQUIVOCATION_PREFIX);
    match store.meta_with_prefix(&prefix, usize::MAX) {
        Ok(stored) => stored
            .into_iter()
            .filter_map(|(_, bytes)| VoteEquivocation::decode(&bytes))
            .map(|e| (e.task_hash(), e.operator_id()))
            .collect(),
        Err(e) => {
            warn!(epoch_block = %b, error = %e, "cannot read stored vote equivocations");
            Vec::new()
        }
    }
}

impl Node {
    /// An epoch the follower loaded: held, and what the store kept of it
    /// replayed, so that tallies, certificates and submissions pick up where
    /// they were.
    pub(crate) fn on_epoch_loaded(&mut self, loaded: Loaded) {
        let Loaded {
            head,
            view,
            tasks,
            vote_equivocations,
        } = loaded;
        let b = view.block;
        // Loaded again (the follower forgets an epoch sooner than the core,
        // and a head that went back can bring it back): the state held stays.
        if self
            .epochs
            .get(&b)
            .is_some_and(|e| e.view.hash == view.hash)
        {
            return;
        }
        // Sent before that head: tasks are judged at it.
        self.head = self.head.max(head);
        self.first_head.get_or_insert(head);
        let mut epoch = EpochState::new(view);
        epoch.vote_equivocated.extend(vote_equivocations);
        self.epochs.insert(b, epoch);
        let address = |node: &Self, id: u64| {
            node.epochs
                .get(&b)
                .and_then(|e| e.view.operators.get(&id))
                .map(|o| o.address)
                .unwrap_or_default()
        };
        for Restored {
            task,
            votes,
            disputes,
        } in tasks
        {
            let performer = task.document.performer;
            self.on_task(task, performer, Source::Restored);
            for vote in votes {
                let from = address(self, vote.operator_id);
                self.on_vote(vote, from, true);
            }
            for d in disputes {
                let from = address(self, d.operator_id);
                self.on_dispute(d, from, true);
            }
        }
        // Gossip that came before the epoch was loaded, at once (at the head
        // it was first buffered, §11.6).
        self.replay_buffered();
    }

    /// A held epoch's block was reorged away.
    pub(crate) fn on_epoch_dropped(&mut self, b: EpochBlock) {
        self.epochs.remove(&b);
        self.note_reorg();
    }
}

/// Removes the stored epochs below `cutoff` (at most
/// [`PRUNE_EPOCHS_PER_PASS`]), each with its documents and evidence, one
/// transaction per epoch.
pub(crate) fn prune(store: &Store, cutoff: u64) -> Result<(), liveliness_store::Error> {
    for b in store.epochs_before(cutoff, PRUNE_EPOCHS_PER_PASS)? {
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
            // Written by earlier builds.
            format!("amended/{b}/"),
        ];
        let dropped = store.prune_epoch(b, &documents, &meta)?;
        debug!(
            epoch_block = %b,
            tasks = dropped.tasks,
            "pruned from the store"
        );
        metrics::counter!("liveliness_epochs_pruned_total").increment(1);
    }
    Ok(())
}
