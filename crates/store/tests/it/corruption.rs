//! Values edited behind the store's back yield errors, never panics.

use liveliness_primitives::{EpochBlock, Round};
use liveliness_store::{DecodeError, Error, Store};
use redb::{Database, ReadableTable, TableDefinition};

use crate::{addr, hash, Fixture};

const TASKS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("tasks");
const SUBMISSIONS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("submissions");
const OWN_VOTES: TableDefinition<'_, (u64, u32), &[u8]> = TableDefinition::new("own_votes");
const HEALTH: TableDefinition<'_, ([u8; 20], u64), &[u8]> = TableDefinition::new("health");
const SCHEMA: TableDefinition<'_, &str, u64> = TableDefinition::new("schema");

/// Closes the store and lets `edit` write into the raw file.
fn edit_file(f: Fixture, edit: impl FnOnce(&redb::WriteTransaction)) -> tempfile::TempDir {
    let path = f.path();
    let dir = f.close();
    let db = Database::create(&path).expect("raw open");
    let txn = db.begin_write().expect("begin");
    edit(&txn);
    txn.commit().expect("commit");
    drop(db);
    dir
}

fn decode_error(err: Error) -> (&'static str, DecodeError) {
    match err {
        Error::Decode { record, source } => (record, source),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn corrupted_values_yield_decode_errors() -> eyre::Result<()> {
    let f = Fixture::new();
    f.store
        .put_task(hash(1), EpochBlock(10), Round(0), addr(1), b"task")?;
    f.store
        .put_task(hash(2), EpochBlock(10), Round(0), addr(1), b"task")?;
    f.store
        .put_task(hash(3), EpochBlock(10), Round(0), addr(1), b"task")?;
    f.store
        .record_own_vote(EpochBlock(10), Round(0), hash(1), b"mine")?;
    f.store.begin_submission(hash(1))?;
    f.store.put_health(EpochBlock(10), addr(5), true, None)?;

    let dir = edit_file(f, |txn| {
        let mut tasks = txn.open_table(TASKS).expect("tasks");
        let good = tasks
            .get(hash(2).0)
            .expect("get")
            .expect("task")
            .value()
            .to_vec();
        tasks
            .insert(hash(1).0, &good[..good.len() - 1])
            .expect("truncate");
        let mut wrong_version = good.clone();
        wrong_version[0] = 0xee;
        tasks
            .insert(hash(2).0, wrong_version.as_slice())
            .expect("version");
        let mut trailing = good;
        trailing.push(0);
        tasks
            .insert(hash(3).0, trailing.as_slice())
            .expect("trailing");
        txn.open_table(SUBMISSIONS)
            .expect("submissions")
            .insert(hash(1).0, &[1u8, 7][..])
            .expect("bad state");
        txn.open_table(OWN_VOTES)
            .expect("own votes")
            .insert((10, 0), &[][..])
            .expect("empty");
        txn.open_table(HEALTH)
            .expect("health")
            .insert((addr(5).into_array(), 10), &[1u8, 0, 0][..])
            .expect("garbage");
    });
    let f = Fixture::open_at(dir);

    let (record, source) = decode_error(f.store.task(hash(1)).unwrap_err());
    assert_eq!(record, "task");
    assert!(
        matches!(source, DecodeError::Truncated { field: "bytes", .. }),
        "{source:?}"
    );
    let (_, source) = decode_error(f.store.task(hash(2)).unwrap_err());
    assert_eq!(source, DecodeError::UnknownVersion(0xee));
    let (_, source) = decode_error(f.store.task(hash(3)).unwrap_err());
    assert_eq!(source, DecodeError::TrailingBytes(1));
    assert!(matches!(
        f.store.tasks_for_epoch(EpochBlock(10)),
        Err(Error::Decode { .. })
    ));
    assert!(matches!(
        f.store.recent_tasks(10),
        Err(Error::Decode { .. })
    ));

    let (record, source) = decode_error(f.store.begin_submission(hash(1)).unwrap_err());
    assert_eq!(record, "submission");
    assert_eq!(
        source,
        DecodeError::InvalidTag {
            field: "state",
            tag: 7
        }
    );
    assert!(f.store.submission(hash(1)).is_err());

    let (record, source) = decode_error(f.store.own_vote(EpochBlock(10), Round(0)).unwrap_err());
    assert_eq!(record, "own vote");
    assert_eq!(source, DecodeError::Empty);
    // The vote guard fails closed: no vote is recorded over a corrupted one.
    assert!(f
        .store
        .record_own_vote(EpochBlock(10), Round(0), hash(9), b"x")
        .is_err());
    assert!(f.store.drop_epoch(EpochBlock(10)).is_err());

    assert!(matches!(
        f.store.health_history(addr(5), 1),
        Err(Error::Decode { .. })
    ));
    // The error keeps its cause.
    let err = f.store.health_history(addr(5), 1).unwrap_err();
    assert!(std::error::Error::source(&err).is_some());
    Ok(())
}

#[test]
fn other_schema_version_is_refused() {
    let f = Fixture::new();
    let path = f.path();
    let _dir = edit_file(f, |txn| {
        txn.open_table(SCHEMA)
            .expect("schema")
            .insert("version", 99)
            .expect("insert");
    });
    assert!(matches!(
        Store::open(path),
        Err(Error::SchemaMismatch {
            found: 99,
            expected: 1
        })
    ));
}

#[test]
fn a_file_that_is_not_a_database_is_refused() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("node.redb");
    std::fs::write(&path, vec![0x5a; 8192])?;
    assert!(Store::open(&path).is_err());
    Ok(())
}
