use liveliness_primitives::{EpochBlock, Round};
use liveliness_store::{Error, PutOutcome, TaskRecord};

use crate::{addr, hash, Fixture};

#[test]
fn documents_are_idempotent_and_refuse_other_content() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.document("bafk")?, None);
    assert_eq!(f.store.put_document("bafk", b"{}")?, PutOutcome::Inserted);
    assert_eq!(
        f.store.put_document("bafk", b"{}")?,
        PutOutcome::AlreadyKnown
    );
    let err = f.store.put_document("bafk", b"[]").unwrap_err();
    assert!(matches!(err, Error::DocumentConflict { ref cid } if cid == "bafk"));
    assert_eq!(f.store.document("bafk")?.as_deref(), Some(&b"{}"[..]));
    assert_eq!(f.store.put_document("empty", b"")?, PutOutcome::Inserted);
    assert_eq!(f.store.document("empty")?, Some(vec![]));
    Ok(())
}

#[test]
fn put_task_and_queries() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.task(hash(1))?, None);
    assert_eq!(
        f.store
            .put_task(hash(1), EpochBlock(10), Round(0), addr(1), b"a")?,
        PutOutcome::Inserted
    );
    assert_eq!(
        f.store
            .put_task(hash(1), EpochBlock(10), Round(0), addr(1), b"other")?,
        PutOutcome::AlreadyKnown
    );
    f.store
        .put_task(hash(3), EpochBlock(10), Round(1), addr(2), b"b")?;
    f.store
        .put_task(hash(2), EpochBlock(10), Round(1), addr(3), b"c")?;
    f.store
        .put_task(hash(4), EpochBlock(20), Round(0), addr(4), b"d")?;
    f.store
        .put_task(hash(5), EpochBlock(5), Round(7), addr(5), b"e")?;

    assert_eq!(
        f.store.task(hash(1))?,
        Some(TaskRecord {
            task_hash: hash(1),
            epoch_block: EpochBlock(10),
            round: Round(0),
            performer: addr(1),
            bytes: b"a".to_vec(),
        })
    );
    let hashes =
        |tasks: Vec<TaskRecord>| tasks.into_iter().map(|t| t.task_hash).collect::<Vec<_>>();
    assert_eq!(
        hashes(f.store.tasks_for_round(EpochBlock(10), Round(1))?),
        [hash(2), hash(3)]
    );
    assert!(f
        .store
        .tasks_for_round(EpochBlock(10), Round(2))?
        .is_empty());
    assert_eq!(
        hashes(f.store.tasks_for_epoch(EpochBlock(10))?),
        [hash(1), hash(2), hash(3)]
    );
    assert!(f.store.tasks_for_epoch(EpochBlock(11))?.is_empty());
    assert_eq!(
        hashes(f.store.recent_tasks(3)?),
        [hash(4), hash(3), hash(2)]
    );
    assert_eq!(f.store.recent_tasks(100)?.len(), 5);
    Ok(())
}

#[test]
fn certificates_keep_the_first() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.certificate_for_epoch(EpochBlock(10))?, None);
    assert_eq!(
        f.store.put_certificate(EpochBlock(10), hash(1), b"c1")?,
        PutOutcome::Inserted
    );
    assert_eq!(
        f.store.put_certificate(EpochBlock(10), hash(2), b"c2")?,
        PutOutcome::AlreadyKnown
    );
    let c = f
        .store
        .certificate_for_epoch(EpochBlock(10))?
        .expect("stored");
    assert_eq!(
        (c.epoch_block, c.task_hash, c.bytes),
        (EpochBlock(10), hash(1), b"c1".to_vec())
    );
    Ok(())
}

/// Accepting a task writes the task, its document and its health records in
/// one transaction: all of it, or (on a document conflict) none of it.
#[test]
fn an_accepted_task_is_stored_whole_or_not_at_all() -> eyre::Result<()> {
    use liveliness_store::AcceptedTask;
    let f = Fixture::new();
    let accepted = |task: u8, document: &'static [u8]| AcceptedTask {
        task_hash: hash(task),
        epoch_block: EpochBlock(10),
        round: Round(0),
        performer: addr(1),
        bytes: b"task",
        cid: "bafk",
        document,
        health: vec![(addr(2), None), (addr(3), Some("timeout".to_owned()))],
    };
    assert_eq!(
        f.store.put_accepted_task(&accepted(1, b"{}"))?,
        PutOutcome::Inserted
    );
    assert_eq!(f.store.task(hash(1))?.unwrap().bytes, b"task");
    assert_eq!(f.store.document("bafk")?.as_deref(), Some(&b"{}"[..]));
    let health = f.store.health_for_epoch(EpochBlock(10))?;
    assert_eq!(health.len(), 2);
    assert!(health
        .iter()
        .any(|h| h.operator == addr(3) && !h.healthy && h.reason.as_deref() == Some("timeout")));
    // Again: the task is known, nothing else changes.
    assert_eq!(
        f.store.put_accepted_task(&accepted(1, b"{}"))?,
        PutOutcome::AlreadyKnown
    );
    // Another task whose document conflicts with a stored one: nothing of
    // it is stored, not even the task.
    let err = f.store.put_accepted_task(&accepted(2, b"[]")).unwrap_err();
    assert!(matches!(err, Error::DocumentConflict { .. }));
    assert_eq!(f.store.task(hash(2))?, None);
    assert_eq!(f.store.document("bafk")?.as_deref(), Some(&b"{}"[..]));
    Ok(())
}
