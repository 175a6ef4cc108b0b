//! Equivocation evidence a node keeps (PROTOCOL.md §11.4 step 7): two
//! different tasks one performer signed for one `(epoch, round)`. Both
//! messages are kept whole, so that anyone can re-check the two signatures.

use crate::wire::{Message, TaskMsg};
use alloy_primitives::{Address, B256};

/// Store meta key prefix of task equivocations.
pub const TASK_EQUIVOCATION_PREFIX: &str = "equivocation/task/";

/// Two different tasks signed by one performer for one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskEquivocation {
    /// The task seen first.
    pub first: TaskMsg,
    /// The different task seen next.
    pub second: TaskMsg,
}

impl TaskEquivocation {
    /// The store key of the evidence against `performer` for `round` of the
    /// epoch at `epoch_block`.
    pub fn key(epoch_block: u64, round: u64, performer: Address) -> String {
        format!("{TASK_EQUIVOCATION_PREFIX}{epoch_block}/{round}/{performer:#x}")
    }

    /// Both task messages (§9.5 encoding), each prefixed with its length as
    /// a big-endian u32.
    pub fn encode(&self) -> Vec<u8> {
        let first = Message::Task(self.first.clone()).encode();
        let second = Message::Task(self.second.clone()).encode();
        let mut out = Vec::with_capacity(8 + first.len() + second.len());
        for part in [first, second] {
            // Task messages are bounded far below 4 GiB (MAX_DOCUMENT_BYTES).
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&part);
        }
        out
    }

    /// Reads what [`encode`](Self::encode) wrote; `None` if the bytes are not
    /// exactly two task messages.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (first, rest) = take_task(bytes)?;
        let (second, rest) = take_task(rest)?;
        rest.is_empty().then_some(Self { first, second })
    }

    /// The hashes of the two tasks, first seen first.
    pub fn task_hashes(&self) -> Option<[B256; 2]> {
        let hash = |m: &TaskMsg| m.task_info().ok().map(|t| t.task_hash());
        Some([hash(&self.first)?, hash(&self.second)?])
    }
}

fn take_task(bytes: &[u8]) -> Option<(TaskMsg, &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    let (msg, rest) = rest.split_at(len);
    match Message::decode(msg).ok()? {
        Message::Task(t) => Some((t, rest)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use liveliness_primitives::{Check, Document, FailureReason, SampleEntry};

    fn task(reason: FailureReason) -> TaskMsg {
        let doc = Document {
            chain_id: 31337,
            attestation_center: address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
            epoch_block: 120,
            epoch_block_hash: B256::repeat_byte(3),
            round: 1,
            performer: address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
            sample: vec![SampleEntry {
                operator: address!("0x000000000000000000000000000000000000dEaD"),
                operator_id: 3,
                endpoint: "http://dead.example/".into(),
                check: Check::Unhealthy(reason),
            }],
            missed_performers: vec![],
        };
        TaskMsg::new(1, [7; 65], doc).unwrap()
    }

    #[test]
    fn evidence_round_trips_and_names_both_tasks() {
        let e = TaskEquivocation {
            first: task(FailureReason::Timeout),
            second: task(FailureReason::Refused),
        };
        let bytes = e.encode();
        assert_eq!(TaskEquivocation::decode(&bytes), Some(e.clone()));
        let [a, b] = e.task_hashes().unwrap();
        assert_ne!(a, b);
        assert_eq!(a, e.first.task_info().unwrap().task_hash());
    }

    #[test]
    fn anything_but_exactly_two_tasks_is_refused() {
        let e = TaskEquivocation {
            first: task(FailureReason::Timeout),
            second: task(FailureReason::Refused),
        };
        let bytes = e.encode();
        for cut in [0, 3, 4, 10, bytes.len() - 1] {
            assert_eq!(
                TaskEquivocation::decode(&bytes[..cut]),
                None,
                "cut at {cut}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(TaskEquivocation::decode(&longer), None);
        let mut lying_length = bytes;
        lying_length[..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(TaskEquivocation::decode(&lying_length), None);
    }

    #[test]
    fn keys_sort_under_one_prefix() {
        let k = TaskEquivocation::key(
            120,
            2,
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
        );
        assert_eq!(
            k,
            "equivocation/task/120/2/0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
        );
        assert!(k.starts_with(TASK_EQUIVOCATION_PREFIX));
    }
}
