use liveliness_primitives::{EpochBlock, Round};
use liveliness_store::PutOutcome;
use proptest::prelude::*;

use crate::{addr, hash, Fixture};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn put_get_round_trips_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        key in "[a-z0-9]{1,64}",
        epoch_block in any::<u64>(),
        round in any::<u32>(),
        operator_id in any::<u64>(),
        reason in proptest::option::of(".{0,64}"),
    ) {
        let f = Fixture::new();
        f.store.put_epoch(EpochBlock(epoch_block), hash(1), &bytes).unwrap();
        prop_assert_eq!(&f.store.epoch(EpochBlock(epoch_block)).unwrap().unwrap().bytes, &bytes);
        prop_assert_eq!(f.store.put_document(&key, &bytes).unwrap(), PutOutcome::Inserted);
        prop_assert_eq!(f.store.document(&key).unwrap(), Some(bytes.clone()));
        f.store.put_task(hash(2), EpochBlock(epoch_block), Round(round), addr(3), &bytes).unwrap();
        let task = f.store.task(hash(2)).unwrap().unwrap();
        prop_assert_eq!((task.epoch_block, task.round), (EpochBlock(epoch_block), Round(round)));
        prop_assert_eq!(&task.bytes, &bytes);
        f.store.put_vote(hash(2), operator_id, &bytes).unwrap();
        prop_assert_eq!(&f.store.votes(hash(2)).unwrap()[0].bytes, &bytes);
        f.store.record_own_vote(EpochBlock(epoch_block), Round(round), hash(2), &bytes).unwrap();
        prop_assert_eq!(&f.store.own_vote(EpochBlock(epoch_block), Round(round)).unwrap().unwrap().bytes, &bytes);
        f.store.put_health(EpochBlock(epoch_block), addr(4), false, reason.as_deref()).unwrap();
        prop_assert_eq!(&f.store.health_history(addr(4), 1).unwrap()[0].reason, &reason);
        f.store.set_meta(&key, &bytes).unwrap();
        let f = f.reopen();
        prop_assert_eq!(f.store.meta(&key).unwrap(), Some(bytes.clone()));
        prop_assert_eq!(&f.store.task(hash(2)).unwrap().unwrap().bytes, &bytes);
    }
}
