//! Decodes arbitrary bytes as a gossip message: must never panic, and
//! whatever decodes must re-encode to exactly the input (canonical format).
//!
//! Run with `cargo +nightly fuzz run decode` from `crates/node`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use liveliness_node::wire::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::decode(data) {
        assert_eq!(msg.encode(), data, "decoded message re-encodes differently");
    }
});
