//! Cross-boundary tests: Rust builds keys, proofs of possession, tasks, votes
//! and certificates; the real contracts on a real anvil judge them.

mod evidence;
mod net;
mod registry;
mod rpc;
mod submit;
