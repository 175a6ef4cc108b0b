use liveliness_primitives::{EpochBlock, Round};
use liveliness_store::{DroppedEpoch, Error, PutOutcome};

use crate::{addr, hash, Fixture};

#[test]
fn put_get_and_latest_epochs() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.epoch(EpochBlock(10))?, None);
    for b in [10u64, 30, 20] {
        f.store
            .put_epoch(EpochBlock(b), hash(b as u8), &[b as u8])?;
    }
    let e = f.store.epoch(EpochBlock(20))?.expect("stored");
    assert_eq!(
        (e.epoch_block, e.block_hash, e.bytes),
        (EpochBlock(20), hash(20), vec![20])
    );
    let latest: Vec<EpochBlock> = f
        .store
        .latest_epochs(2)?
        .iter()
        .map(|e| e.epoch_block)
        .collect();
    assert_eq!(latest, [EpochBlock(30), EpochBlock(20)]);
    assert_eq!(f.store.latest_epochs(0)?, []);
    assert_eq!(f.store.latest_epochs(100)?.len(), 3);
    Ok(())
}

#[test]
fn same_hash_replaces_bytes_other_hash_is_refused() -> eyre::Result<()> {
    let f = Fixture::new();
    f.store.put_epoch(EpochBlock(10), hash(1), b"a")?;
    f.store.put_epoch(EpochBlock(10), hash(1), b"b")?;
    assert_eq!(f.store.epoch(EpochBlock(10))?.expect("stored").bytes, b"b");
    let err = f
        .store
        .put_epoch(EpochBlock(10), hash(2), b"c")
        .unwrap_err();
    assert!(matches!(
        err,
        Error::EpochHashMismatch { epoch_block: EpochBlock(10), stored, given } if stored == hash(1) && given == hash(2)
    ));
    assert_eq!(
        f.store.epoch(EpochBlock(10))?.expect("kept").block_hash,
        hash(1)
    );
    Ok(())
}

/// Fills epoch `b` (and leaves epoch `other` untouched) with everything that
/// can be keyed by it.
fn fill(f: &Fixture, b: u64, tag: u8) -> eyre::Result<()> {
    f.store.put_epoch(EpochBlock(b), hash(tag), b"epoch")?;
    f.store
        .put_task(hash(tag), EpochBlock(b), Round(0), addr(1), b"t0")?;
    f.store
        .put_task(hash(tag + 1), EpochBlock(b), Round(1), addr(2), b"t1")?;
    f.store.put_vote(hash(tag), 1, b"v1")?;
    f.store.put_vote(hash(tag), 2, b"v2")?;
    f.store.put_vote(hash(tag + 1), 1, b"v3")?;
    f.store.put_dispute(hash(tag + 1), 3, b"d")?;
    f.store
        .record_own_vote(EpochBlock(b), Round(0), hash(tag), b"mine")?;
    f.store.put_certificate(EpochBlock(b), hash(tag), b"cert")?;
    f.store.begin_submission(hash(tag))?;
    f.store
        .put_health(EpochBlock(b), addr(7), false, Some("timeout"))?;
    f.store.put_health(EpochBlock(b), addr(8), true, None)?;
    Ok(())
}

#[test]
fn drop_epoch_removes_everything_keyed_by_it() -> eyre::Result<()> {
    let f = Fixture::new();
    fill(&f, 100, 10)?;
    fill(&f, 200, 20)?;
    f.store.put_document("bdoc", b"doc")?;

    let dropped = f.store.drop_epoch(EpochBlock(100))?;
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
    assert_eq!(f.store.epoch(EpochBlock(100))?, None);
    assert_eq!(f.store.task(hash(10))?, None);
    assert_eq!(f.store.task(hash(11))?, None);
    assert_eq!(f.store.tasks_for_epoch(EpochBlock(100))?, []);
    assert_eq!(f.store.vote_count(hash(10))?, 0);
    assert_eq!(f.store.votes(hash(11))?, []);
    assert_eq!(f.store.disputes(hash(11))?, []);
    assert_eq!(f.store.own_vote(EpochBlock(100), Round(0))?, None);
    assert_eq!(f.store.own_vote_for_task(hash(10))?, None);
    assert_eq!(f.store.certificate_for_epoch(EpochBlock(100))?, None);
    assert_eq!(f.store.submission(hash(10))?, None);
    assert_eq!(f.store.health_for_epoch(EpochBlock(100))?, []);
    assert_eq!(f.store.health_history(addr(7), 10)?.len(), 1);

    // The other epoch and the content-addressed document are untouched.
    assert!(f.store.epoch(EpochBlock(200))?.is_some());
    assert_eq!(f.store.tasks_for_epoch(EpochBlock(200))?.len(), 2);
    assert_eq!(f.store.vote_count(hash(20))?, 2);
    assert!(f.store.own_vote(EpochBlock(200), Round(0))?.is_some());
    assert!(f.store.certificate_for_epoch(EpochBlock(200))?.is_some());
    assert!(f.store.submission(hash(20))?.is_some());
    assert_eq!(f.store.health_for_epoch(EpochBlock(200))?.len(), 2);
    assert_eq!(f.store.document("bdoc")?.as_deref(), Some(&b"doc"[..]));

    // Dropping again finds nothing; the new block at the same height can be
    // acted on afresh, including a new own vote in the same round.
    assert_eq!(
        f.store.drop_epoch(EpochBlock(100))?,
        DroppedEpoch::default()
    );
    f.store.put_epoch(EpochBlock(100), hash(99), b"new")?;
    assert_eq!(
        f.store
            .put_task(hash(98), EpochBlock(100), Round(0), addr(1), b"t")?,
        PutOutcome::Inserted
    );
    assert!(matches!(
        f.store
            .record_own_vote(EpochBlock(100), Round(0), hash(98), b"mine again")?,
        liveliness_store::OwnVote::Recorded
    ));
    Ok(())
}

/// A reorg that is undone (or a block the RPC briefly failed to return)
/// brings a task back: the node's vote on it is the one it signed before,
/// never a new one, so it cannot sign both outcomes of one task.
#[test]
fn a_dropped_epochs_own_votes_stay_signed() -> eyre::Result<()> {
    use liveliness_store::OwnVote;
    let f = Fixture::new();
    f.store.put_epoch(EpochBlock(100), hash(1), b"fork a")?;
    f.store
        .put_task(hash(10), EpochBlock(100), Round(0), addr(1), b"task a")?;
    assert!(matches!(
        f.store
            .record_own_vote(EpochBlock(100), Round(0), hash(10), b"approve a")?,
        OwnVote::Recorded
    ));

    // Fork b replaces a at the same height: a new vote in round 0 is fine.
    f.store.drop_epoch(EpochBlock(100))?;
    f.store.put_epoch(EpochBlock(100), hash(2), b"fork b")?;
    f.store
        .put_task(hash(20), EpochBlock(100), Round(0), addr(1), b"task b")?;
    assert!(matches!(
        f.store
            .record_own_vote(EpochBlock(100), Round(0), hash(20), b"vote b")?,
        OwnVote::Recorded
    ));

    // Fork a comes back: its task gets the vote signed the first time.
    f.store.drop_epoch(EpochBlock(100))?;
    f.store.put_epoch(EpochBlock(100), hash(1), b"fork a")?;
    f.store
        .put_task(hash(10), EpochBlock(100), Round(0), addr(1), b"task a")?;
    match f
        .store
        .record_own_vote(EpochBlock(100), Round(0), hash(10), b"reject a")?
    {
        OwnVote::AlreadyVoted(earlier) => {
            assert_eq!(earlier.task_hash, hash(10));
            assert_eq!(earlier.bytes, b"approve a");
        }
        OwnVote::Recorded => panic!("a second vote on one task was recorded"),
    }
    // And it survives a restart.
    let f = f.reopen();
    assert!(matches!(
        f.store
            .record_own_vote(EpochBlock(100), Round(0), hash(10), b"reject a")?,
        OwnVote::AlreadyVoted(_)
    ));
    Ok(())
}

/// Retention: an old epoch goes with its documents, its record of own votes
/// signed and its meta values; newer epochs stay whole.
#[test]
fn prune_epoch_removes_what_the_protocol_no_longer_uses() -> eyre::Result<()> {
    use liveliness_store::OwnVote;
    let f = Fixture::new();
    fill(&f, 100, 10)?;
    fill(&f, 200, 20)?;
    f.store.put_document("bdoc100", b"doc of 100")?;
    f.store.put_document("bdoc200", b"doc of 200")?;
    f.store.set_meta("equivocation/task/100/0/0xaa", b"e100")?;
    f.store.set_meta("equivocation/task/200/0/0xaa", b"e200")?;
    assert_eq!(
        f.store.epochs_before(201, 10)?,
        [EpochBlock(100), EpochBlock(200)]
    );
    assert_eq!(f.store.epochs_before(200, 10)?, [EpochBlock(100)]);
    assert_eq!(f.store.epochs_before(201, 1)?, [EpochBlock(100)]);

    let dropped = f.store.prune_epoch(
        EpochBlock(100),
        &["bdoc100".to_owned()],
        &["equivocation/task/100/".to_owned()],
    )?;
    assert!(dropped.epoch && dropped.tasks == 2 && dropped.own_votes == 1);
    assert_eq!(f.store.epochs_before(u64::MAX, 10)?, [EpochBlock(200)]);
    assert_eq!(f.store.document("bdoc100")?, None);
    assert!(f.store.document("bdoc200")?.is_some());
    assert_eq!(f.store.meta("equivocation/task/100/0/0xaa")?, None);
    assert!(f.store.meta("equivocation/task/200/0/0xaa")?.is_some());
    // The record of the vote signed in the pruned epoch is gone too; the
    // newer epoch's is kept.
    assert!(matches!(
        f.store
            .record_own_vote(EpochBlock(100), Round(0), hash(10), b"again")?,
        OwnVote::Recorded
    ));
    assert!(matches!(
        f.store
            .record_own_vote(EpochBlock(200), Round(1), hash(20), b"again")?,
        OwnVote::AlreadyVoted(_)
    ));
    Ok(())
}

/// Writes made for an epoch block's hash are refused once the stored epoch
/// is another one (its block reorged away while they waited): a vote of the
/// dropped branch never takes the new branch's (epoch, round) slot.
#[test]
fn writes_for_a_dropped_epoch_are_refused() -> eyre::Result<()> {
    let f = Fixture::new();
    let (old, new) = (hash(1), hash(2));
    f.store.put_epoch(EpochBlock(100), old, b"{}")?;
    f.store.drop_epoch(EpochBlock(100))?;
    let refused = |r: Result<liveliness_store::OwnVote, Error>| {
        matches!(
            r,
            Err(Error::NotTheStoredEpoch {
                epoch_block: EpochBlock(100),
                ..
            })
        )
    };
    // Not stored at all, then stored for the new hash: the old one's vote
    // is refused both times.
    assert!(refused(f.store.record_own_vote_in(
        EpochBlock(100),
        old,
        Round(0),
        hash(0xa1),
        b"old"
    )));
    f.store.put_epoch(EpochBlock(100), new, b"{}")?;
    assert!(refused(f.store.record_own_vote_in(
        EpochBlock(100),
        old,
        Round(0),
        hash(0xa1),
        b"old"
    )));
    assert!(matches!(
        f.store
            .record_own_vote_in(EpochBlock(100), new, Round(0), hash(0xb2), b"new")?,
        liveliness_store::OwnVote::Recorded
    ));
    let task = liveliness_store::AcceptedTask {
        task_hash: hash(0xa1),
        epoch_block: EpochBlock(100),
        round: Round(0),
        performer: addr(9),
        bytes: b"task",
        cid: "bafyold",
        document: b"doc",
        health: vec![],
    };
    assert!(matches!(
        f.store.put_accepted_task_in(old, &task),
        Err(Error::NotTheStoredEpoch { .. })
    ));
    assert!(f.store.task(task.task_hash)?.is_none());
    assert_eq!(
        f.store.put_accepted_task_in(new, &task)?,
        PutOutcome::Inserted
    );
    Ok(())
}
