//! Integration tests of `liveliness-bls`.

mod encodings;
mod rogue_key;
mod vectors;
