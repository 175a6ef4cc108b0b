//! RPC URLs often carry API keys; see [`liveliness_chain::redact`]. Every
//! message that may hold one is passed through [`redact_urls`] before it is
//! logged or served.

pub use liveliness_chain::redact::redact_urls;
