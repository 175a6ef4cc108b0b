use liveliness_store::{DroppedEpoch, Error, PutOutcome};

use crate::{addr, hash, Fixture};

#[test]
fn put_get_and_latest_epochs() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.epoch(10)?, None);
    for b in [10u64, 30, 20] {
        f.store.put_epoch(b, hash(b as u8), &[b as u8])?;
    }
    let e = f.store.epoch(20)?.expect("stored");
    assert_eq!(
        (e.epoch_block, e.block_hash, e.bytes),
        (20, hash(20), vec![20])
    );
    let latest: Vec<u64> = f
        .store
        .latest_epochs(2)?
        .iter()
        .map(|e| e.epoch_block)
        .collect();
    assert_eq!(latest, [30, 20]);
    assert_eq!(f.store.latest_epochs(0)?, []);
    assert_eq!(f.store.latest_epochs(100)?.len(), 3);
    Ok(())
}

#[test]
fn same_hash_replaces_bytes_other_hash_is_refused() -> eyre::Result<()> {
    let f = Fixture::new();
    f.store.put_epoch(10, hash(1), b"a")?;
    f.store.put_epoch(10, hash(1), b"b")?;
    assert_eq!(f.store.epoch(10)?.expect("stored").bytes, b"b");
    let err = f.store.put_epoch(10, hash(2), b"c").unwrap_err();
    assert!(matches!(
        err,
        Error::EpochHashMismatch { epoch_block: 10, stored, given } if stored == hash(1) && given == hash(2)
    ));
    assert_eq!(f.store.epoch(10)?.expect("kept").block_hash, hash(1));
    Ok(())
}

/// Fills epoch `b` (and leaves epoch `other` untouched) with everything that
/// can be keyed by it.
fn fill(f: &Fixture, b: u64, tag: u8) -> eyre::Result<()> {
    f.store.put_epoch(b, hash(tag), b"epoch")?;
    f.store.put_task(hash(tag), b, 0, addr(1), b"t0")?;
    f.store.put_task(hash(tag + 1), b, 1, addr(2), b"t1")?;
    f.store.put_vote(hash(tag), 1, b"v1")?;
    f.store.put_vote(hash(tag), 2, b"v2")?;
    f.store.put_vote(hash(tag + 1), 1, b"v3")?;
    f.store.put_dispute(hash(tag + 1), 3, b"d")?;
    f.store.record_own_vote(b, 0, hash(tag), b"mine")?;
    f.store.put_certificate(b, hash(tag), b"cert")?;
    f.store.begin_submission(hash(tag))?;
    f.store.put_health(b, addr(7), false, Some("timeout"))?;
    f.store.put_health(b, addr(8), true, None)?;
    Ok(())
}

#[test]
fn drop_epoch_removes_everything_keyed_by_it() -> eyre::Result<()> {
    let f = Fixture::new();
    fill(&f, 100, 10)?;
    fill(&f, 200, 20)?;
    f.store.put_document("bdoc", b"doc")?;

    let dropped = f.store.drop_epoch(100)?;
    assert_eq!(
        dropped,
        DroppedEpoch {
            epoch: true,
            tasks: 2,
            votes: 3,
            disputes: 1,
            submissions: 1,
            own_votes: 1,
            certificate: true,
            health: 2,
        }
    );
    assert_eq!(f.store.epoch(100)?, None);
    assert_eq!(f.store.task(hash(10))?, None);
    assert_eq!(f.store.task(hash(11))?, None);
    assert_eq!(f.store.tasks_for_epoch(100)?, []);
    assert_eq!(f.store.vote_count(hash(10))?, 0);
    assert_eq!(f.store.votes(hash(11))?, []);
    assert_eq!(f.store.disputes(hash(11))?, []);
    assert_eq!(f.store.own_vote(100, 0)?, None);
    assert_eq!(f.store.own_vote_for_task(hash(10))?, None);
    assert_eq!(f.store.certificate_for_epoch(100)?, None);
    assert_eq!(f.store.submission(hash(10))?, None);
    assert_eq!(f.store.health_for_epoch(100)?, []);
    assert_eq!(f.store.health_history(addr(7), 10)?.len(), 1);

    // The other epoch and the content-addressed document are untouched.
    assert!(f.store.epoch(200)?.is_some());
    assert_eq!(f.store.tasks_for_epoch(200)?.len(), 2);
    assert_eq!(f.store.vote_count(hash(20))?, 2);
    assert!(f.store.own_vote(200, 0)?.is_some());
    assert!(f.store.certificate_for_epoch(200)?.is_some());
    assert!(f.store.submission(hash(20))?.is_some());
    assert_eq!(f.store.health_for_epoch(200)?.len(), 2);
    assert_eq!(f.store.document("bdoc")?.as_deref(), Some(&b"doc"[..]));

    // Dropping again finds nothing; the new block at the same height can be
    // acted on afresh, including a new own vote in the same round.
    assert_eq!(f.store.drop_epoch(100)?, DroppedEpoch::default());
    f.store.put_epoch(100, hash(99), b"new")?;
    assert_eq!(
        f.store.put_task(hash(98), 100, 0, addr(1), b"t")?,
        PutOutcome::Inserted
    );
    assert!(matches!(
        f.store.record_own_vote(100, 0, hash(98), b"mine again")?,
        liveliness_store::OwnVote::Recorded
    ));
    Ok(())
}
