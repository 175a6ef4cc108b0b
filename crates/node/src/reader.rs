//! Chain reads: [`liveliness_chain::Reader`], whose provider's transport
//! retries, fails over between the RPC URLs and bounds every request
//! ([`liveliness_chain::rpc`]).

pub use liveliness_chain::{ReadError, Reader};
