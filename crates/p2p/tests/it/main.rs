//! Integration tests of `liveliness-p2p`, built as one binary.

mod binding;
mod network;
