//! The driver: carries out the core's [`Action`]s. Store writes go, in
//! order, to a writer thread (one transaction each, off the event loop);
//! checks, vote records, amendments, submissions and proofs run as tracked
//! tasks whose results come back to the core as [`Event`]s; own messages go
//! out through the [`Outbox`].

use super::{
    action::{Action, Write},
    attester::recheck,
    outbox::{NotKept, Outbox, Waiting, MAX_OUTBOX},
    performer::{amend, perform},
    stored,
    submitter::{submit, submit_evidence},
    Event, Node,
};
use crate::{reader::Reader, wire::Message};
use liveliness_health::Checker;
use liveliness_p2p::P2pHandle;
use liveliness_store::{OwnVote, Store};
use std::sync::Arc;
use tokio::{sync::mpsc, task::JoinSet};
use tracing::{debug, warn};

/// Most store writes queued for the writer thread; the event loop waits
/// when it is full (the store, not memory, sets the pace).
const WRITE_QUEUE: usize = 4096;

/// The store's writer: a thread of its own that applies writes in the order
/// they were queued.
pub(crate) struct Writer {
    queue: mpsc::Sender<Write>,
    thread: std::thread::JoinHandle<()>,
}

impl Writer {
    pub(crate) fn spawn(store: Arc<Store>) -> std::io::Result<Self> {
        let (queue, mut rx) = mpsc::channel::<Write>(WRITE_QUEUE);
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                while let Some(write) = rx.blocking_recv() {
                    stored(write.apply(&store), write.label());
                }
            })?;
        Ok(Self { queue, thread })
    }

    /// A handle whose `closed()` completes if the writer thread ends (a
    /// panic): the node must not run on without its store.
    pub(crate) fn watch(&self) -> mpsc::Sender<Write> {
        self.queue.clone()
    }

    /// Stops taking writes and waits until every queued one is applied.
    pub(crate) async fn finish(self) {
        drop(self.queue);
        let thread = self.thread;
        if tokio::task::spawn_blocking(move || thread.join())
            .await
            .is_err()
        {
            warn!("the store writer panicked");
        }
    }
}

/// What the driver needs to carry out actions.
pub(crate) struct Driver {
    pub(crate) core: Node,
    store: Arc<Store>,
    reader: Arc<Reader>,
    p2p: P2pHandle,
    checker: Checker,
    events: mpsc::Sender<Event>,
    writes: mpsc::Sender<Write>,
    outbox: Outbox,
    /// Spawned work, so that none of it is lost track of.
    pub(crate) jobs: JoinSet<()>,
    pruning: Option<tokio::task::JoinHandle<()>>,
    head: u64,
}

impl Driver {
    pub(crate) fn new(
        core: Node,
        store: Arc<Store>,
        reader: Arc<Reader>,
        p2p: P2pHandle,
        events: mpsc::Sender<Event>,
        writer: &Writer,
    ) -> Self {
        let checker = Checker::new(liveliness_health::CheckerConfig {
            allow_loopback: core.config.allow_loopback,
            allow_private: core.config.allow_private,
            ..Default::default()
        });
        Self {
            core,
            store,
            reader,
            p2p,
            checker,
            events,
            writes: writer.queue.clone(),
            outbox: Outbox::new(MAX_OUTBOX),
            jobs: JoinSet::new(),
            pruning: None,
            head: 0,
        }
    }

    /// A new head: the core looks at what is due, then own messages due
    /// go out.
    pub(crate) async fn on_head(&mut self, head: u64) {
        self.head = head;
        self.core.on_head(head);
        self.run_actions().await;
        self.flush_outbox().await;
    }

    /// Carries out every queued action, in order.
    pub(crate) async fn run_actions(&mut self) {
        for action in self.core.take_actions() {
            self.execute(action).await;
        }
    }

    async fn execute(&mut self, action: Action) {
        match action {
            Action::Publish {
                topic,
                bytes,
                not_before,
                expires,
                once,
            } => {
                if self.head >= not_before {
                    match self.p2p.publish(topic, bytes.clone()).await {
                        Ok(_) => return,
                        Err(e) if once => {
                            debug!(?topic, error = %e, "publishing failed; not retried");
                            return;
                        }
                        Err(e) => {
                            debug!(?topic, error = %e, "publishing failed; will retry");
                            metrics::counter!("liveliness_publish_retries_total").increment(1);
                        }
                    }
                }
                self.keep(Waiting {
                    topic,
                    bytes,
                    not_before,
                    expires,
                });
            }
            Action::Persist(write) => {
                if self.writes.send(write).await.is_err() {
                    warn!("the store writer stopped; write dropped");
                    metrics::counter!("liveliness_store_errors_total", "op" => "writer")
                        .increment(1);
                }
            }
            Action::Perform(job) => {
                let (checker, signer, store, events) = (
                    self.checker.clone(),
                    self.core.signer.clone(),
                    Arc::clone(&self.store),
                    self.events.clone(),
                );
                let def_id = self.core.config.task_definition_id;
                let misbehaviour = self.core.config.misbehaviour.clone();
                self.jobs.spawn(async move {
                    let event = perform(job, checker, signer, store, def_id, misbehaviour).await;
                    deliver(&events, event).await;
                });
            }
            Action::Recheck(job) => {
                let (checker, events) = (self.checker.clone(), self.events.clone());
                self.jobs.spawn(async move {
                    deliver(&events, recheck(job, checker).await).await;
                });
            }
            Action::RecordVote {
                vote,
                epoch_block_hash,
            } => {
                let (store, events) = (Arc::clone(&self.store), self.events.clone());
                self.jobs.spawn(async move {
                    let bytes = Message::Vote(vote.clone()).encode();
                    let recorded = tokio::task::spawn_blocking(move || {
                        store.record_own_vote_in(
                            vote.epoch_block,
                            epoch_block_hash,
                            vote.round,
                            vote.task_hash,
                            &bytes,
                        )
                    })
                    .await;
                    let event = match recorded {
                        Ok(Ok(OwnVote::Recorded)) => Event::Voted { vote, fresh: true },
                        Ok(Ok(OwnVote::AlreadyVoted(earlier))) => {
                            match Message::decode(&earlier.bytes) {
                                Ok(Message::Vote(v)) => Event::Voted {
                                    vote: v,
                                    fresh: false,
                                },
                                _ => return,
                            }
                        }
                        Ok(Err(liveliness_store::Error::NotTheStoredEpoch { .. })) => {
                            debug!("the epoch block was reorged away; not voting on its task");
                            return;
                        }
                        Ok(Err(e)) => {
                            warn!(error = %e, "cannot record own vote; not voting");
                            metrics::counter!("liveliness_store_errors_total", "op" => "own_vote")
                                .increment(1);
                            return;
                        }
                        Err(e) => {
                            warn!(error = %e, "recording own vote failed; not voting");
                            return;
                        }
                    };
                    deliver(&events, event).await;
                });
            }
            Action::Amend { view, document } => {
                let (store, signer, events) = (
                    Arc::clone(&self.store),
                    self.core.signer.clone(),
                    self.events.clone(),
                );
                let def_id = self.core.config.task_definition_id;
                self.jobs.spawn(async move {
                    let signed = tokio::task::spawn_blocking(move || {
                        amend(&store, &signer, &view, def_id, document)
                    })
                    .await;
                    if let Ok(Some((msg, fresh))) = signed {
                        let event = Event::Amended {
                            msg: Box::new(msg),
                            fresh,
                        };
                        deliver(&events, event).await;
                    }
                });
            }
            Action::Submit {
                epoch_block,
                epoch,
                task_hash,
                certificate,
            } => {
                let (store, reader, events) = (
                    Arc::clone(&self.store),
                    Arc::clone(&self.reader),
                    self.events.clone(),
                );
                self.jobs.spawn(async move {
                    let outcome = submit(&store, &reader, &certificate, epoch).await;
                    let event = Event::Submitted {
                        epoch: epoch_block,
                        task_hash,
                        outcome,
                    };
                    deliver(&events, event).await;
                });
            }
            Action::Prove { key, evidence } => {
                let (store, reader, events) = (
                    Arc::clone(&self.store),
                    Arc::clone(&self.reader),
                    self.events.clone(),
                );
                self.jobs.spawn(async move {
                    let outcome = submit_evidence(&store, &reader, &evidence).await;
                    deliver(&events, Event::EvidenceSubmitted { key, outcome }).await;
                });
            }
            Action::Prune { cutoff } => {
                if self.pruning.as_ref().is_some_and(|p| !p.is_finished()) {
                    return;
                }
                let store = Arc::clone(&self.store);
                self.pruning = Some(tokio::task::spawn_blocking(move || {
                    if let Err(e) = super::follower::prune(&store, cutoff) {
                        warn!(error = %e, "cannot prune the store");
                        metrics::counter!("liveliness_store_errors_total", "op" => "prune")
                            .increment(1);
                    }
                }));
            }
        }
    }

    fn keep(&mut self, w: Waiting) {
        if let Err(NotKept::Full) = self.outbox.push(w) {
            metrics::counter!("liveliness_outbox_dropped_total").increment(1);
        }
        #[allow(clippy::cast_precision_loss)] // at most MAX_OUTBOX
        metrics::gauge!("liveliness_outbox_messages").set(self.outbox.len() as f64);
    }

    /// Publishes the own messages due at the current head; those that
    /// still cannot go out stay.
    pub(crate) async fn flush_outbox(&mut self) {
        for w in self.outbox.take_due(self.head) {
            if self.p2p.publish(w.topic, w.bytes.clone()).await.is_err() {
                self.keep(w);
            }
        }
        #[allow(clippy::cast_precision_loss)] // at most MAX_OUTBOX
        metrics::gauge!("liveliness_outbox_messages").set(self.outbox.len() as f64);
    }
}

/// Hands a job's result to the core; once the node is stopping nobody
/// listens, and the result (whose effects are already committed) is
/// dropped.
async fn deliver(events: &mpsc::Sender<Event>, event: Event) {
    if events.send(event).await.is_err() {
        debug!("the node is stopping; a job's result is dropped");
    }
}
