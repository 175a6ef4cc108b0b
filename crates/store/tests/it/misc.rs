use liveliness_primitives::{EpochBlock, Round};
use liveliness_store::{Error, HealthRecord, OwnVote, PutOutcome, Store, SubmissionClaim};

use crate::{addr, hash, Fixture};

#[test]
fn health_history_newest_first() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.health_history(addr(1), 10)?, []);
    f.store.put_health(EpochBlock(10), addr(1), true, None)?;
    f.store
        .put_health(EpochBlock(30), addr(1), false, Some("timeout"))?;
    f.store.put_health(EpochBlock(20), addr(1), true, None)?;
    f.store
        .put_health(EpochBlock(20), addr(2), false, Some("refused"))?;
    // Same (epoch, operator) again: replaced.
    f.store
        .put_health(EpochBlock(20), addr(1), false, Some("wrong block"))?;

    let history = f.store.health_history(addr(1), 2)?;
    assert_eq!(
        history,
        [
            HealthRecord {
                epoch_block: EpochBlock(30),
                operator: addr(1),
                healthy: false,
                reason: Some("timeout".into()),
            },
            HealthRecord {
                epoch_block: EpochBlock(20),
                operator: addr(1),
                healthy: false,
                reason: Some("wrong block".into()),
            },
        ]
    );
    assert_eq!(f.store.health_history(addr(1), 10)?.len(), 3);
    let epoch: Vec<_> = f
        .store
        .health_for_epoch(EpochBlock(20))?
        .into_iter()
        .map(|h| h.operator)
        .collect();
    assert_eq!(epoch, [addr(1), addr(2)]);
    Ok(())
}

#[test]
fn meta_set_get_overwrite() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.meta("last_block")?, None);
    f.store.set_meta("last_block", &7u64.to_be_bytes())?;
    f.store.set_meta("last_block", &8u64.to_be_bytes())?;
    assert_eq!(
        f.store.meta("last_block")?,
        Some(8u64.to_be_bytes().to_vec())
    );
    Ok(())
}

#[test]
fn meta_by_prefix_is_ordered_bounded_and_exact() -> eyre::Result<()> {
    let f = Fixture::new();
    for key in ["ev/b", "ev/a", "ev/c", "ev", "evx/a", "eu/z", "last_block"] {
        f.store.set_meta(key, key.as_bytes())?;
    }
    let keys = |v: Vec<(String, Vec<u8>)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(
        keys(f.store.meta_with_prefix("ev/", 10)?),
        ["ev/a", "ev/b", "ev/c"]
    );
    assert_eq!(keys(f.store.meta_with_prefix("ev/", 2)?), ["ev/a", "ev/b"]);
    assert_eq!(
        f.store.meta_with_prefix("ev/a", 10)?,
        [("ev/a".to_owned(), b"ev/a".to_vec())]
    );
    assert!(f.store.meta_with_prefix("none/", 10)?.is_empty());
    Ok(())
}

#[test]
fn second_open_of_the_same_file_is_refused() {
    let f = Fixture::new();
    assert!(matches!(Store::open(f.path()), Err(Error::Open(_))));
}

#[test]
fn restart_keeps_everything() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.run(), 1);
    f.store.put_epoch(EpochBlock(100), hash(1), b"epoch")?;
    f.store.put_document("bdoc", b"doc")?;
    f.store
        .put_task(hash(2), EpochBlock(100), Round(0), addr(1), b"task")?;
    f.store
        .record_own_vote(EpochBlock(100), Round(0), hash(2), b"mine")?;
    f.store.put_vote(hash(2), 4, b"vote")?;
    f.store.put_dispute(hash(2), 5, b"dispute")?;
    f.store.put_certificate(EpochBlock(100), hash(2), b"cert")?;
    f.store.begin_submission(hash(2))?;
    f.store
        .put_health(EpochBlock(100), addr(3), false, Some("timeout"))?;
    f.store.set_meta("k", b"v")?;
    let clone = f.store.clone();
    drop(clone);

    let f = f.reopen();
    assert_eq!(f.store.run(), 2);
    assert_eq!(
        f.store.epoch(EpochBlock(100))?.expect("epoch").bytes,
        b"epoch"
    );
    assert_eq!(f.store.document("bdoc")?.as_deref(), Some(&b"doc"[..]));
    assert_eq!(f.store.task(hash(2))?.expect("task").bytes, b"task");
    assert_eq!(f.store.tasks_for_round(EpochBlock(100), Round(0))?.len(), 1);
    assert_eq!(
        f.store
            .own_vote(EpochBlock(100), Round(0))?
            .expect("own vote")
            .bytes,
        b"mine"
    );
    assert!(matches!(
        f.store.record_own_vote(EpochBlock(100), Round(0), hash(3), b"other")?,
        OwnVote::AlreadyVoted(v) if v.task_hash == hash(2)
    ));
    assert_eq!(
        f.store.put_vote(hash(2), 4, b"vote")?,
        PutOutcome::AlreadyKnown
    );
    assert_eq!(f.store.vote_count(hash(2))?, 1);
    assert_eq!(f.store.disputes(hash(2))?.len(), 1);
    assert_eq!(
        f.store
            .certificate_for_epoch(EpochBlock(100))?
            .expect("cert")
            .bytes,
        b"cert"
    );
    assert_eq!(
        f.store.begin_submission(hash(2))?,
        SubmissionClaim::Resumed { tx_hash: None }
    );
    assert_eq!(f.store.health_history(addr(3), 5)?.len(), 1);
    assert_eq!(f.store.meta("k")?, Some(b"v".to_vec()));
    Ok(())
}
