//! Encodings: ABI words, compact bytes, hex and serde, and strict decoding of bad input.

use alloy_primitives::{keccak256, U256};
use liveliness_bls::{Error, Group, KeyPair, PublicKeyG1, PublicKeyG2, Signature};
use rand::{thread_rng, Rng};

#[test]
fn every_encoding_round_trips() {
    let kp = KeyPair::random(&mut thread_rng());
    let sig = kp.sign(&keccak256("m"));
    let (g1, g2) = (*kp.pk_g1(), *kp.pk_g2());

    assert_eq!(PublicKeyG1::from_abi(g1.to_abi()).unwrap(), g1);
    assert_eq!(PublicKeyG2::from_abi(g2.to_abi()).unwrap(), g2);
    assert_eq!(Signature::from_abi(sig.to_abi()).unwrap(), sig);

    assert_eq!(PublicKeyG1::from_bytes(&g1.to_bytes()).unwrap(), g1);
    assert_eq!(PublicKeyG2::from_bytes(&g2.to_bytes()).unwrap(), g2);
    assert_eq!(Signature::from_bytes(&sig.to_bytes()).unwrap(), sig);

    assert_eq!(g1.to_string().parse::<PublicKeyG1>().unwrap(), g1);
    assert_eq!(g2.to_string().parse::<PublicKeyG2>().unwrap(), g2);
    assert_eq!(sig.to_string().parse::<Signature>().unwrap(), sig);
    assert!(g2.to_string().starts_with("0x") && g2.to_string().len() == 2 + 256);

    let json = serde_json::to_string(&(g1, g2, sig)).unwrap();
    let back: (PublicKeyG1, PublicKeyG2, Signature) = serde_json::from_str(&json).unwrap();
    assert_eq!(back, (g1, g2, sig));
    assert_eq!(
        serde_json::to_value(g1).unwrap(),
        serde_json::Value::String(g1.to_string())
    );
}

#[test]
fn bytes_are_the_abi_words() {
    let kp = KeyPair::random(&mut thread_rng());
    let bytes = kp.pk_g2().to_bytes();
    let abi = kp.pk_g2().to_abi();
    for (chunk, word) in bytes.chunks(32).zip(abi) {
        assert_eq!(U256::from_be_slice(chunk), word);
    }
}

#[test]
fn bad_input_gives_clear_errors() {
    assert_eq!(
        "0x1234".parse::<PublicKeyG1>().unwrap_err(),
        Error::InvalidLength {
            expected: 64,
            got: 2
        }
    );
    assert!(matches!("0xzz".parse::<PublicKeyG2>(), Err(Error::Hex(_))));
    assert_eq!(
        Signature::from_bytes(&[0u8; 64]).unwrap_err(),
        Error::PointAtInfinity(Group::G1)
    );
    let err = serde_json::from_str::<PublicKeyG2>("\"0x00\"").unwrap_err();
    assert!(err.to_string().contains("expected 128 bytes"), "{err}");
    assert_eq!(
        Error::NotInSubgroup(Group::G2).to_string(),
        "G2 point is not in the prime-order subgroup"
    );
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = thread_rng();
    for _ in 0..2_000 {
        let len = rng.gen_range(0..160);
        let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        let _ = PublicKeyG1::from_bytes(&bytes);
        let _ = PublicKeyG2::from_bytes(&bytes);
        let _ = Signature::from_bytes(&bytes);
    }
    // Random coordinates below p: almost never on the curve, never a panic.
    for _ in 0..500 {
        let mut b = [0u8; 128];
        rng.fill(&mut b[..]);
        for chunk in b.chunks_mut(32) {
            chunk[0] &= 0x1f;
        }
        assert!(PublicKeyG2::from_bytes(&b).is_err());
        assert!(PublicKeyG1::from_bytes(&b[..64]).is_err());
    }
}
