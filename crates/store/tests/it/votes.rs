use liveliness_primitives::{EpochBlock, Round};
use std::{sync::Barrier, thread};

use liveliness_store::{OwnVote, OwnVoteRecord, PutOutcome};

use crate::{hash, Fixture};

#[test]
fn own_vote_at_most_one_per_round() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.own_vote(EpochBlock(10), Round(0))?, None);
    assert_eq!(
        f.store
            .record_own_vote(EpochBlock(10), Round(0), hash(1), b"first")?,
        OwnVote::Recorded
    );
    let first = OwnVoteRecord {
        epoch_block: EpochBlock(10),
        round: Round(0),
        task_hash: hash(1),
        bytes: b"first".to_vec(),
    };
    // Another task in the same (epoch, round): refused, the first returned.
    assert_eq!(
        f.store
            .record_own_vote(EpochBlock(10), Round(0), hash(2), b"second")?,
        OwnVote::AlreadyVoted(first.clone())
    );
    // The same task again: the first returned, not re-signed.
    assert_eq!(
        f.store
            .record_own_vote(EpochBlock(10), Round(0), hash(1), b"resigned")?,
        OwnVote::AlreadyVoted(first.clone())
    );
    // The same task under another round still counts as voted.
    assert_eq!(
        f.store
            .record_own_vote(EpochBlock(10), Round(1), hash(1), b"x")?,
        OwnVote::AlreadyVoted(first.clone())
    );
    assert_eq!(f.store.own_vote(EpochBlock(10), Round(1))?, None);
    // Another round or epoch is free.
    assert_eq!(
        f.store
            .record_own_vote(EpochBlock(10), Round(1), hash(3), b"r1")?,
        OwnVote::Recorded
    );
    assert_eq!(
        f.store
            .record_own_vote(EpochBlock(11), Round(0), hash(4), b"e11")?,
        OwnVote::Recorded
    );
    assert_eq!(
        f.store.own_vote(EpochBlock(10), Round(0))?,
        Some(first.clone())
    );
    assert_eq!(f.store.own_vote_for_task(hash(1))?, Some(first));
    assert_eq!(f.store.own_vote_for_task(hash(2))?, None);
    Ok(())
}

#[test]
fn own_vote_is_exclusive_under_concurrency() -> eyre::Result<()> {
    let f = Fixture::new();
    let threads = 8u8;
    let barrier = Barrier::new(usize::from(threads));
    let outcomes: Vec<OwnVote> = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let store = f.store.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    store
                        .record_own_vote(EpochBlock(7), Round(2), hash(i + 1), &[i])
                        .expect("record")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("join"))
            .collect()
    });
    let recorded = outcomes.iter().filter(|o| **o == OwnVote::Recorded).count();
    assert_eq!(recorded, 1);
    let stored = f
        .store
        .own_vote(EpochBlock(7), Round(2))?
        .expect("one vote");
    for outcome in outcomes {
        if let OwnVote::AlreadyVoted(previous) = outcome {
            assert_eq!(previous, stored);
        }
    }
    Ok(())
}

#[test]
fn received_votes_and_duplicates() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.vote_count(hash(1))?, 0);
    assert!(!f.store.has_vote(hash(1), 5)?);
    assert_eq!(f.store.put_vote(hash(1), 5, b"v5")?, PutOutcome::Inserted);
    assert_eq!(
        f.store.put_vote(hash(1), 5, b"v5 again")?,
        PutOutcome::AlreadyKnown
    );
    assert!(f.store.has_vote(hash(1), 5)?);
    assert_eq!(f.store.put_vote(hash(1), 2, b"v2")?, PutOutcome::Inserted);
    assert_eq!(
        f.store.put_vote(hash(1), u64::MAX, b"vmax")?,
        PutOutcome::Inserted
    );
    assert_eq!(
        f.store.put_vote(hash(2), 5, b"other task")?,
        PutOutcome::Inserted
    );
    assert_eq!(f.store.vote_count(hash(1))?, 3);
    let votes = f.store.votes(hash(1))?;
    let ids: Vec<u64> = votes.iter().map(|v| v.operator_id).collect();
    assert_eq!(ids, [2, 5, u64::MAX]);
    assert_eq!(votes[1].bytes, b"v5");
    assert!(votes.iter().all(|v| v.task_hash == hash(1)));
    Ok(())
}

#[test]
fn disputes_and_duplicates() -> eyre::Result<()> {
    let f = Fixture::new();
    assert_eq!(f.store.disputes(hash(1))?, []);
    assert_eq!(
        f.store.put_dispute(hash(1), 3, b"d3")?,
        PutOutcome::Inserted
    );
    assert_eq!(
        f.store.put_dispute(hash(1), 3, b"d3'")?,
        PutOutcome::AlreadyKnown
    );
    assert_eq!(
        f.store.put_dispute(hash(1), 1, b"d1")?,
        PutOutcome::Inserted
    );
    // Disputes and votes are separate: a dispute is not a vote.
    assert!(!f.store.has_vote(hash(1), 3)?);
    let disputes = f.store.disputes(hash(1))?;
    let got: Vec<(u64, &[u8])> = disputes
        .iter()
        .map(|d| (d.operator_id, &d.bytes[..]))
        .collect();
    assert_eq!(got, [(1, &b"d1"[..]), (3, &b"d3"[..])]);
    Ok(())
}
