use std::{sync::Barrier, thread};

use liveliness_store::{Error, Submission, SubmissionClaim, SubmissionOutcome, SubmissionStatus};

use crate::{hash, Fixture};

fn landed() -> SubmissionOutcome {
    SubmissionOutcome {
        status: SubmissionStatus::Landed,
        tx_hash: Some(hash(0xaa)),
        block: Some(123),
        gas_used: Some(210_000),
    }
}

#[test]
fn claim_set_tx_finish() -> eyre::Result<()> {
    let f = Fixture::new();
    let task = hash(1);
    assert_eq!(f.store.submission(task)?, None);
    assert!(matches!(
        f.store.set_submission_tx(task, hash(2)),
        Err(Error::NoSubmissionInProgress { .. })
    ));
    assert_eq!(f.store.begin_submission(task)?, SubmissionClaim::Begun);
    assert_eq!(
        f.store.begin_submission(task)?,
        SubmissionClaim::InProgress { tx_hash: None }
    );
    f.store.set_submission_tx(task, hash(2))?;
    f.store.set_submission_tx(task, hash(3))?; // re-priced replacement
    assert_eq!(
        f.store.begin_submission(task)?,
        SubmissionClaim::InProgress {
            tx_hash: Some(hash(3))
        }
    );
    assert_eq!(
        f.store.submission(task)?,
        Some(Submission::InProgress {
            tx_hash: Some(hash(3)),
            before_restart: false
        })
    );
    f.store.finish_submission(task, landed())?;
    f.store.finish_submission(task, landed())?; // same outcome: no-op
    let other = SubmissionOutcome {
        status: SubmissionStatus::Reverted,
        ..landed()
    };
    assert!(matches!(
        f.store.finish_submission(task, other),
        Err(Error::SubmissionFinished { .. })
    ));
    assert!(matches!(
        f.store.set_submission_tx(task, hash(4)),
        Err(Error::SubmissionFinished { .. })
    ));
    assert!(matches!(
        f.store.release_submission(task),
        Err(Error::SubmissionFinished { .. })
    ));
    assert_eq!(
        f.store.begin_submission(task)?,
        SubmissionClaim::Done(landed())
    );
    assert_eq!(f.store.submission(task)?, Some(Submission::Done(landed())));
    Ok(())
}

#[test]
fn release_and_finish_without_claim() -> eyre::Result<()> {
    let f = Fixture::new();
    assert!(!f.store.release_submission(hash(1))?);
    assert_eq!(f.store.begin_submission(hash(1))?, SubmissionClaim::Begun);
    assert!(f.store.release_submission(hash(1))?);
    assert_eq!(f.store.submission(hash(1))?, None);
    assert_eq!(f.store.begin_submission(hash(1))?, SubmissionClaim::Begun);

    let by_other = SubmissionOutcome {
        status: SubmissionStatus::AlreadySubmittedByOther,
        tx_hash: None,
        block: Some(50),
        gas_used: None,
    };
    f.store.finish_submission(hash(2), by_other.clone())?;
    assert_eq!(
        f.store.begin_submission(hash(2))?,
        SubmissionClaim::Done(by_other)
    );
    Ok(())
}

#[test]
fn claim_is_exclusive_under_concurrency() {
    let f = Fixture::new();
    let threads = 8;
    let barrier = Barrier::new(threads);
    let claims: Vec<SubmissionClaim> = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let store = f.store.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    store.begin_submission(hash(9)).expect("claim")
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("join"))
            .collect()
    });
    let begun = claims
        .iter()
        .filter(|c| **c == SubmissionClaim::Begun)
        .count();
    assert_eq!(begun, 1);
    assert!(claims.iter().all(|c| matches!(
        c,
        SubmissionClaim::Begun | SubmissionClaim::InProgress { tx_hash: None }
    )));
}

#[test]
fn in_progress_claim_survives_restart_and_is_resumed_once() -> eyre::Result<()> {
    let f = Fixture::new();
    let run = f.store.run();
    assert_eq!(f.store.begin_submission(hash(1))?, SubmissionClaim::Begun);
    f.store.set_submission_tx(hash(1), hash(0xbb))?;
    assert_eq!(f.store.begin_submission(hash(2))?, SubmissionClaim::Begun);
    f.store.finish_submission(hash(2), landed())?;

    let f = f.reopen();
    assert_eq!(f.store.run(), run + 1);
    assert_eq!(
        f.store.submission(hash(1))?,
        Some(Submission::InProgress {
            tx_hash: Some(hash(0xbb)),
            before_restart: true
        })
    );
    // Exactly one caller of the new run takes over the interrupted claim.
    assert_eq!(
        f.store.begin_submission(hash(1))?,
        SubmissionClaim::Resumed {
            tx_hash: Some(hash(0xbb))
        }
    );
    assert_eq!(
        f.store.begin_submission(hash(1))?,
        SubmissionClaim::InProgress {
            tx_hash: Some(hash(0xbb))
        }
    );
    assert_eq!(
        f.store.submission(hash(1))?,
        Some(Submission::InProgress {
            tx_hash: Some(hash(0xbb)),
            before_restart: false
        })
    );
    assert_eq!(
        f.store.begin_submission(hash(2))?,
        SubmissionClaim::Done(landed())
    );
    Ok(())
}
