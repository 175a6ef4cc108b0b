//! One integer type per protocol concept: the epoch block `B`
//! ([`EpochBlock`]), the epoch number `e = B / epochLength`
//! ([`EpochNumber`]) and the performer round ([`Round`]).
//!
//! Each is a transparent newtype: its serde, wire and store encodings are
//! those of the integer inside. Widths:
//!
//! - [`EpochBlock`] is a `u64` off chain; the contracts take block numbers
//!   as `uint32` (`referenceBlock`, `epochBlock`), and
//!   [`EpochBlock::to_u32`] is the one checked conversion to that width;
//! - [`EpochNumber`] is a `u64` and never goes on chain;
//! - [`Round`] is a `u32`, the width the contracts, the signing digests and
//!   the gossip messages give it, so a round that does not fit is refused
//!   where it enters (document decoding, [`Round::try_from`]) rather than
//!   clamped later.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An integer too wide for the 32 bits the contracts give it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} {value} exceeds uint32")]
pub struct TooWide {
    /// The protocol's name of the value (`"epochBlock"`, `"round"`).
    pub field: &'static str,
    /// The value.
    pub value: u64,
}

impl From<TooWide> for Error {
    fn from(e: TooWide) -> Self {
        Error::OutOfRange { field: e.field }
    }
}

/// The epoch block `B`: the block that starts an epoch
/// (`B % epochLength == 0`), the task's reference block.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct EpochBlock(pub u64);

impl EpochBlock {
    /// Whether this block starts an epoch (`B % epoch_length == 0`). With an
    /// epoch length of 0 no block does.
    pub fn is_epoch_block(self, epoch_length: u64) -> bool {
        self.0.checked_rem(epoch_length) == Some(0)
    }

    /// The epoch number `B / epoch_length`.
    pub fn number(self, epoch_length: u64) -> Result<EpochNumber> {
        self.0
            .checked_div(epoch_length)
            .map(EpochNumber)
            .ok_or(Error::ZeroParameter("epochLength"))
    }

    /// The block `blocks` after this one, saturating at `u64::MAX` (a
    /// plain block number: it need not start an epoch).
    pub fn plus(self, blocks: u64) -> u64 {
        self.0.saturating_add(blocks)
    }

    /// The `uint32` the contracts take (`referenceBlock`, `epochBlock`).
    pub fn to_u32(self) -> Result<u32, TooWide> {
        u32::try_from(self.0).map_err(|_| TooWide {
            field: "epochBlock",
            value: self.0,
        })
    }
}

impl From<u32> for EpochBlock {
    fn from(block: u32) -> Self {
        Self(u64::from(block))
    }
}

impl TryFrom<EpochBlock> for u32 {
    type Error = TooWide;

    fn try_from(block: EpochBlock) -> Result<Self, TooWide> {
        block.to_u32()
    }
}

impl fmt::Display for EpochBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The epoch number `e = B / epochLength`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct EpochNumber(pub u64);

impl fmt::Display for EpochNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A performer round of an epoch: round `r` opens at
/// `B + r · performerTimeoutBlocks`. 32 bits, as on chain.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Round(pub u32);

impl Round {
    /// Round 0, the epoch's first.
    pub const ZERO: Self = Self(0);
    /// The last round there can be.
    pub const MAX: Self = Self(u32::MAX);

    /// The round after this one, `None` after [`Round::MAX`].
    pub fn next(self) -> Option<Self> {
        self.0.checked_add(1).map(Self)
    }

    /// Every round before this one, from round 0.
    pub fn earlier(self) -> impl DoubleEndedIterator<Item = Self> {
        (0..self.0).map(Self)
    }
}

impl From<Round> for u64 {
    fn from(round: Round) -> Self {
        u64::from(round.0)
    }
}

impl TryFrom<u64> for Round {
    type Error = TooWide;

    fn try_from(round: u64) -> Result<Self, TooWide> {
        u32::try_from(round).map(Self).map_err(|_| TooWide {
            field: "round",
            value: round,
        })
    }
}

impl fmt::Display for Round {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_the_integers() {
        assert_eq!(serde_json::to_string(&EpochBlock(120)).unwrap(), "120");
        assert_eq!(serde_json::to_string(&EpochNumber(12)).unwrap(), "12");
        assert_eq!(serde_json::to_string(&Round(3)).unwrap(), "3");
        assert_eq!(serde_json::from_str::<Round>("3").unwrap(), Round(3));
        assert!(serde_json::from_str::<Round>("4294967296").is_err());
        assert_eq!(EpochBlock(120).to_string(), "120");
        assert_eq!(Round(7).to_string(), "7");
    }

    #[test]
    fn widths() {
        assert_eq!(EpochBlock(u64::from(u32::MAX)).to_u32(), Ok(u32::MAX));
        assert_eq!(
            EpochBlock(1 << 32).to_u32(),
            Err(TooWide {
                field: "epochBlock",
                value: 1 << 32
            })
        );
        assert_eq!(Round::try_from(5u64), Ok(Round(5)));
        assert!(Round::try_from(1u64 << 32).is_err());
        assert_eq!(u64::from(Round(9)), 9);
        assert_eq!(EpochBlock::from(7u32), EpochBlock(7));
    }

    #[test]
    fn rounds_and_blocks() {
        assert_eq!(Round(1).next(), Some(Round(2)));
        assert_eq!(Round::MAX.next(), None);
        assert_eq!(
            Round(3).earlier().collect::<Vec<_>>(),
            vec![Round(0), Round(1), Round(2)]
        );
        assert_eq!(EpochBlock(120).plus(20), 140);
        assert_eq!(EpochBlock(u64::MAX).plus(1), u64::MAX);
        assert_eq!(EpochBlock(129).number(10).unwrap(), EpochNumber(12));
        assert!(EpochBlock(120).is_epoch_block(10));
    }
}
