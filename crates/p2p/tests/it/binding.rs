//! Fuzz-style property tests of the binding decoder.

use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::Address;
use liveliness_p2p::{Keypair, PeerBinding, MAX_BINDING_LEN};
use proptest::prelude::*;

const CHAIN: u64 = 17000;
const AC: Address = Address::repeat_byte(0xac);

fn valid() -> (PeerBinding, Vec<u8>) {
    let signer = PrivateKeySigner::random();
    let peer = Keypair::generate_secp256k1().public().to_peer_id();
    let binding = PeerBinding::sign(&signer, peer, CHAIN, AC, 1_720_000_000).unwrap();
    let bytes = binding.encode();
    (binding, bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Arbitrary input never panics, and whatever decodes is canonical:
    /// re-encoding gives back exactly the input.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..=MAX_BINDING_LEN + 64)) {
        if let Ok(binding) = PeerBinding::decode(&bytes) {
            prop_assert_eq!(binding.encode(), bytes);
            let _ = binding.verify(CHAIN, AC, &binding.peer_id);
        }
    }

    /// Arbitrary input that starts like a binding (right version byte and a
    /// plausible peer id length) reaches the deeper checks without panicking.
    #[test]
    fn shaped_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 57..=57),
        peer_len in 0u8..=70,
        rest in proptest::collection::vec(any::<u8>(), 0..=140),
    ) {
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(&body);
        bytes.push(peer_len);
        bytes.extend_from_slice(&rest);
        if let Ok(binding) = PeerBinding::decode(&bytes) {
            prop_assert_eq!(binding.encode(), bytes);
        }
    }

    /// Flipping, truncating or extending a valid binding never panics, and
    /// never yields a different binding that still verifies.
    #[test]
    fn mutated_bindings_never_verify_as_something_else(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..4),
        cut in proptest::option::of(any::<prop::sample::Index>()),
        extra in proptest::collection::vec(any::<u8>(), 0..3),
    ) {
        let (original, mut bytes) = valid();
        for (at, mask) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= mask;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        bytes.extend_from_slice(&extra);
        if let Ok(decoded) = PeerBinding::decode(&bytes) {
            prop_assert_eq!(decoded.encode(), bytes);
            if decoded.verify(CHAIN, AC, &original.peer_id).is_ok() {
                prop_assert_eq!(decoded, original);
            }
        }
    }
}
