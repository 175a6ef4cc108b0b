//! The crate's error type.

/// A boxed error from a [`BlockSource`](crate::BlockSource) implementation.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// What can go wrong in the health server and its chain source. The
/// checker never fails: it turns every fault into a
/// [`FailureReason`](liveliness_primitives::FailureReason).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The chain source (an RPC node, the node's epoch follower, ...) failed.
    #[error("chain source failed")]
    Source(#[source] BoxError),
    /// The chain source did not answer in time.
    #[error("chain source timed out")]
    SourceTimeout,
    /// Signing the health proof failed.
    #[error("signing the health proof failed")]
    Signing(#[source] alloy::signers::Error),
    /// Serving HTTP failed (accepting on the listener, ...).
    #[error("health server I/O failed")]
    Io(#[source] std::io::Error),
    /// A configuration value that cannot work.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
}

impl Error {
    /// Wraps a chain source's own error.
    pub fn from_source<E>(error: E) -> Self
    where
        E: Into<BoxError>,
    {
        Self::Source(error.into())
    }
}
