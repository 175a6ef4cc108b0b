//! The task's `data`: what `LivelinessRegistry.afterTaskSubmission` decodes.

use crate::{
    error::{Error, Result},
    types::EpochBlock,
};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolValue};

mod abi {
    use super::sol;

    sol! {
        struct TaskDataParams {
            uint256 epochBlock;
            bytes32 epochBlockHash;
            address[] unhealthy;
            address[] missedPerformers;
        }
    }
}

/// `abi.encode(uint256 epochBlock, bytes32 epochBlockHash, address[] unhealthy, address[] missedPerformers)`.
///
/// Both lists are sets of addresses: on the wire they are strictly ascending
/// (compared as `uint160`, i.e. as big-endian bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TaskData {
    /// The epoch block `B`.
    pub epoch_block: EpochBlock,
    /// `blockhash(B)`.
    pub epoch_block_hash: B256,
    /// Sampled operators found unhealthy.
    pub unhealthy: Vec<Address>,
    /// Performers of earlier rounds of this epoch that missed their round.
    pub missed_performers: Vec<Address>,
}

/// Bytes of the canonical encoding with `a` + `b` array entries:
/// 4 head words, 2 length words, one word per entry.
fn encoded_len(entries: usize) -> usize {
    entries.saturating_add(6).saturating_mul(32)
}

impl TaskData {
    /// The ABI encoding. Both lists are sorted ascending and de-duplicated
    /// first, so the result always passes [`abi_decode`](Self::abi_decode).
    pub fn abi_encode(&self) -> Bytes {
        let mut unhealthy = self.unhealthy.clone();
        unhealthy.sort_unstable();
        unhealthy.dedup();
        let mut missed = self.missed_performers.clone();
        missed.sort_unstable();
        missed.dedup();
        let params = abi::TaskDataParams {
            epochBlock: U256::from(self.epoch_block.0),
            epochBlockHash: self.epoch_block_hash,
            unhealthy,
            missedPerformers: missed,
        };
        params.abi_encode_params().into()
    }

    /// Strict decoder: accepts only the canonical encoding (no trailing
    /// bytes, standard offsets, clean padding), `epochBlock` that fits in
    /// `u64`, and lists that are strictly ascending and at most
    /// `max_entries` long each.
    pub fn abi_decode(data: &[u8], max_entries: usize) -> Result<Self> {
        let max = encoded_len(max_entries.saturating_mul(2));
        if data.len() > max {
            return Err(Error::Oversized {
                len: data.len(),
                max,
            });
        }
        let params = abi::TaskDataParams::abi_decode_params_validate(data).map_err(Error::Abi)?;
        if params.abi_encode_params() != data {
            return Err(Error::NonCanonicalAbi);
        }
        let epoch_block = u64::try_from(params.epochBlock)
            .map(EpochBlock)
            .map_err(|_| Error::OutOfRange {
                field: "epochBlock",
            })?;
        check_set("unhealthy", &params.unhealthy, max_entries)?;
        check_set("missedPerformers", &params.missedPerformers, max_entries)?;
        Ok(Self {
            epoch_block,
            epoch_block_hash: params.epochBlockHash,
            unhealthy: params.unhealthy,
            missed_performers: params.missedPerformers,
        })
    }
}

/// Checks that `list` is strictly ascending and at most `max` long.
pub(crate) fn check_set<T: Ord>(field: &'static str, list: &[T], max: usize) -> Result<()> {
    if list.len() > max {
        return Err(Error::TooManyEntries {
            field,
            len: list.len(),
            max,
        });
    }
    check_ascending(field, list)
}

/// Checks that `list` is strictly ascending.
pub(crate) fn check_ascending<T: Ord>(field: &'static str, list: &[T]) -> Result<()> {
    match list.windows(2).position(|w| !matches!(w, [a, b] if a < b)) {
        None => Ok(()),
        Some(i) => Err(Error::NotStrictlyAscending {
            field,
            index: i.saturating_add(1),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, hex, keccak256};

    const A: Address = address!("0x00000000000000000000000000000000000000aa");
    const B: Address = address!("0x00000000000000000000000000000000000000bb");
    const C: Address = address!("0x00000000000000000000000000000000000000cc");

    fn sample() -> TaskData {
        TaskData {
            epoch_block: EpochBlock(100),
            epoch_block_hash: b256!(
                "0x1111111111111111111111111111111111111111111111111111111111111111"
            ),
            unhealthy: vec![B, A],
            missed_performers: vec![C],
        }
    }

    /// `cast abi-encode "f(uint256,bytes32,address[],address[])" 100 0x11…11 "[0x…aa,0x…bb]" "[0x…cc]"`
    const ENCODED: [u8; 288] = hex!(
        "0000000000000000000000000000000000000000000000000000000000000064"
        "1111111111111111111111111111111111111111111111111111111111111111"
        "0000000000000000000000000000000000000000000000000000000000000080"
        "00000000000000000000000000000000000000000000000000000000000000e0"
        "0000000000000000000000000000000000000000000000000000000000000002"
        "00000000000000000000000000000000000000000000000000000000000000aa"
        "00000000000000000000000000000000000000000000000000000000000000bb"
        "0000000000000000000000000000000000000000000000000000000000000001"
        "00000000000000000000000000000000000000000000000000000000000000cc"
    );

    #[test]
    fn encodes_sorted_and_pinned() {
        let enc = sample().abi_encode();
        assert_eq!(enc.as_ref(), ENCODED.as_slice());
        assert_eq!(
            keccak256(&enc),
            b256!("0x4ec587d90818796638e51b06b8e5a66e60ba781d68ebf54d3c5382da4da31d68")
        );
    }

    #[test]
    fn decode_roundtrip() {
        let d = TaskData::abi_decode(&ENCODED, 2).unwrap();
        let mut expected = sample();
        expected.unhealthy.sort();
        assert_eq!(d, expected);
        let empty = TaskData::default();
        assert_eq!(TaskData::abi_decode(&empty.abi_encode(), 0).unwrap(), empty);
    }

    #[test]
    fn encoder_dedups() {
        let mut d = sample();
        d.unhealthy = vec![B, A, B];
        assert_eq!(d.abi_encode().as_ref(), ENCODED.as_slice());
    }

    #[test]
    fn rejects_trailing_bytes() {
        let mut bytes = ENCODED.to_vec();
        bytes.extend_from_slice(&[0u8; 32]);
        assert!(matches!(
            TaskData::abi_decode(&bytes, 4),
            Err(Error::NonCanonicalAbi)
        ));
        bytes.truncate(ENCODED.len() + 1);
        assert!(TaskData::abi_decode(&bytes, 4).is_err());
    }

    #[test]
    fn rejects_truncated() {
        assert!(matches!(
            TaskData::abi_decode(&ENCODED[..250], 4),
            Err(Error::Abi(_))
        ));
    }

    #[test]
    fn rejects_non_canonical_offset() {
        // Point the second array at a copy placed after a gap.
        let mut bytes = ENCODED.to_vec();
        bytes[3 * 32 + 30] = 0x01;
        bytes[3 * 32 + 31] = 0x00;
        bytes.splice(7 * 32..7 * 32, [0u8; 32]);
        assert!(matches!(
            TaskData::abi_decode(&bytes, 4),
            Err(Error::NonCanonicalAbi)
        ));
    }

    #[test]
    fn rejects_dirty_address_padding() {
        let mut bytes = ENCODED.to_vec();
        bytes[5 * 32] = 1;
        assert!(TaskData::abi_decode(&bytes, 4).is_err());
    }

    #[test]
    fn rejects_unsorted_and_duplicates() {
        let mut unsorted = ENCODED;
        unsorted[5 * 32 + 31] = 0xbb;
        unsorted[6 * 32 + 31] = 0xaa;
        assert!(matches!(
            TaskData::abi_decode(&unsorted, 4),
            Err(Error::NotStrictlyAscending {
                field: "unhealthy",
                index: 1
            })
        ));
        let mut dup = ENCODED;
        dup[6 * 32 + 31] = 0xaa;
        assert!(matches!(
            TaskData::abi_decode(&dup, 4),
            Err(Error::NotStrictlyAscending {
                field: "unhealthy",
                index: 1
            })
        ));
    }

    #[test]
    fn rejects_over_long() {
        let mut d = sample();
        d.missed_performers.clear();
        assert!(matches!(
            TaskData::abi_decode(&d.abi_encode(), 1),
            Err(Error::TooManyEntries {
                field: "unhealthy",
                len: 2,
                max: 1
            })
        ));
        assert!(matches!(
            TaskData::abi_decode(&ENCODED, 1),
            Err(Error::Oversized { .. })
        ));
    }

    #[test]
    fn rejects_epoch_block_over_u64() {
        let mut bytes = ENCODED;
        bytes[23] = 1;
        assert!(matches!(
            TaskData::abi_decode(&bytes, 4),
            Err(Error::OutOfRange {
                field: "epochBlock"
            })
        ));
    }
}
