//! Integration tests for `liveliness-store`: one binary, a temp dir per test.

mod corruption;
mod epochs;
mod misc;
mod props;
mod submissions;
mod tasks;
mod votes;

use std::path::PathBuf;

use alloy_primitives::{Address, B256};
use liveliness_store::Store;
use tempfile::TempDir;

/// A store in a fresh temp dir; keep the dir alive as long as the store.
pub(crate) struct Fixture {
    pub(crate) dir: TempDir,
    pub(crate) store: Store,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(Self::path_in(&dir)).expect("open store");
        Self { dir, store }
    }

    fn path_in(dir: &TempDir) -> PathBuf {
        dir.path().join("node.redb")
    }

    pub(crate) fn path(&self) -> PathBuf {
        Self::path_in(&self.dir)
    }

    /// Drops the store (closing the file) and opens it again: a restart.
    pub(crate) fn reopen(self) -> Self {
        let Self { dir, store } = self;
        drop(store);
        let store = Store::open(Self::path_in(&dir)).expect("reopen store");
        Self { dir, store }
    }

    /// Drops the store and hands back the temp dir, to edit the file.
    pub(crate) fn close(self) -> TempDir {
        self.dir
    }

    pub(crate) fn open_at(dir: TempDir) -> Self {
        let store = Store::open(Self::path_in(&dir)).expect("open store");
        Self { dir, store }
    }
}

pub(crate) fn hash(n: u8) -> B256 {
    B256::repeat_byte(n)
}

pub(crate) fn addr(n: u8) -> Address {
    Address::repeat_byte(n)
}
