//! Pinned vectors, cross-checked against an independent big-integer implementation of the
//! curve arithmetic and of the contract's `hashToG1`. The Solidity tests reuse them.

use alloy_primitives::{b256, hex, keccak256, B256, U256};
use liveliness_bls::{
    hash_to_g1, pop_gamma, pop_sign, pop_verify, signature_gamma, verify, verify_with_g1, KeyPair,
    PublicKeyG1, SecretKey, Signature,
};

fn words<const N: usize>(w: [B256; N]) -> [U256; N] {
    w.map(|b| U256::from_be_bytes(b.0))
}

fn g1_of(msg: B256) -> [U256; 2] {
    PublicKeyG1::from_affine(hash_to_g1(&msg)).unwrap().to_abi()
}

fn sk(n: u64) -> SecretKey {
    SecretKey::from_bytes(&U256::from(n).to_be_bytes()).unwrap()
}

const FIXED_SK: B256 = b256!("1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef");

#[test]
fn hash_to_g1_vectors() {
    assert_eq!(
        keccak256("liveliness"),
        b256!("902b4cc0471b86584fa9ea33c45d7c331553918319159da6c763755e565ff935")
    );
    assert_eq!(
        g1_of(keccak256("liveliness")),
        words([
            b256!("2f62afda84b84604df095ec6c15acb77e650bc604832088c4f225d30a565fea7"),
            b256!("2ed8fc9fdf8af98fdaded33082ebc667e3a5eb51a6f76658f987a696ca9ea35c"),
        ])
    );
    // x = 0 gives beta = 3, a non-residue; x = 1 gives beta = 4 and y = 2: the generator.
    assert_eq!(g1_of(B256::ZERO), [U256::from(1), U256::from(2)]);
    assert_eq!(
        g1_of(B256::with_last_byte(1)),
        [U256::from(1), U256::from(2)]
    );
}

#[test]
fn public_keys_of_small_secrets() {
    assert_eq!(
        sk(1).public_key_g1().to_abi(),
        [U256::from(1), U256::from(2)]
    );
    assert_eq!(
        sk(1).public_key_g2().to_abi(),
        words([
            b256!("198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"), // x.c1
            b256!("1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"), // x.c0
            b256!("090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"), // y.c1
            b256!("12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"), // y.c0
        ])
    );
    assert_eq!(
        sk(2).public_key_g1().to_abi(),
        words([
            b256!("030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"),
            b256!("15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4"),
        ])
    );
    assert_eq!(
        sk(2).public_key_g2().to_abi(),
        words([
            b256!("203e205db4f19b37b60121b83a7333706db86431c6d835849957ed8c3928ad79"),
            b256!("27dc7234fd11d3e8c36c59277c3e6f149d5cd3cfa9a62aee49f8130962b4b3b9"),
            b256!("195e8aa5b7827463722b8c153931579d3505566b4edf48d498e185f0509de152"),
            b256!("04bb53b8977e5f92a0bc372742c4830944a59b4fe6b1c0466e2a6dad122b5d2e"),
        ])
    );
    assert_eq!(
        sk(3).public_key_g1().to_abi(),
        words([
            b256!("0769bf9ac56bea3ff40232bcb1b6bd159315d84715b8e679f2d355961915abf0"),
            b256!("2ab799bee0489429554fdb7c8d086475319e63b40b9c5b57cdf1ff3dd9fe2261"),
        ])
    );
    assert_eq!(
        sk(3).public_key_g2().to_abi(),
        words([
            b256!("1014772f57bb9742735191cd5dcfe4ebbc04156b6878a0a7c9824f32ffb66e85"),
            b256!("06064e784db10e9051e52826e192715e8d7e478cb09a5e0012defa0694fbc7f5"),
            b256!("021e2335f3354bb7922ffcc2f38d3323dd9453ac49b55441452aeaca147711b2"),
            b256!("058e1d5681b5b9e0074b0f9c8d2c68a069b920d74521e79765036d57666c5597"),
        ])
    );
}

#[test]
fn signature_of_a_fixed_key() {
    let kp = KeyPair::from_secret(SecretKey::from_bytes(&FIXED_SK.0).unwrap());
    assert_eq!(
        kp.pk_g1().to_abi(),
        words([
            b256!("19c1e4e5202ab724d766a7dd7534562e225d0e33c8ce19b697eb719d39954fdb"),
            b256!("1c16dbebb5e86b0d5a9a8454af8c4faad6dea7d798144bbdd01631c592073b3b"),
        ])
    );
    assert_eq!(
        kp.pk_g2().to_abi(),
        words([
            b256!("2fa991f9d9654a6fe03a19c891e3f8298e59e7d579907c23766e8c071a99607d"),
            b256!("0923e1d4de1ad26d2258943a10f8cee94fc5516be3074fd75b494ae72e8bbb39"),
            b256!("05ddbacaa77db26735b8554c800cbf0f159a85a2e5ec71dffbaffbffaf4574f7"),
            b256!("01f86545bd5d6b6cd70010f39e89725793cfb578a9aa37d88c64a039b40e4f1a"),
        ])
    );
    let msg = keccak256("liveliness");
    let sig = kp.sign(&msg);
    assert_eq!(
        sig.to_abi(),
        words([
            b256!("1ab55b3ff8ec8e8ae10ac2b30b9b2814c34d80652598a29395bc7095d14830d9"),
            b256!("15a745acf0b1fa5da56a3c1f76af17dc19694d3811e121779eafb58e51d15702"),
        ])
    );
    assert!(verify(kp.pk_g2(), &msg, &sig));
    assert!(verify_with_g1(kp.pk_g1(), kp.pk_g2(), &msg, &sig));
    assert_eq!(
        signature_gamma(&msg, kp.pk_g1(), kp.pk_g2(), &sig),
        U256::from_be_bytes(
            b256!("06fae8a3f180efda052d130294745dce01650981b80543ed394be947d54a48ef").0
        )
    );
    // The same γ from the raw abi.encodePacked bytes, spelt out.
    let mut packed = Vec::new();
    packed.extend_from_slice(msg.as_slice());
    for w in kp
        .pk_g1()
        .to_abi()
        .iter()
        .chain(&kp.pk_g2().to_abi())
        .chain(&sig.to_abi())
    {
        packed.extend_from_slice(&w.to_be_bytes::<32>());
    }
    assert_eq!(packed.len(), 9 * 32);
    let r = U256::from_be_bytes(hex!(
        "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001"
    ));
    assert_eq!(
        U256::from_be_bytes(keccak256(&packed).0) % r,
        signature_gamma(&msg, kp.pk_g1(), kp.pk_g2(), &sig)
    );
}

#[test]
fn proof_of_possession_of_a_fixed_key() {
    let kp = KeyPair::from_secret(SecretKey::from_bytes(&FIXED_SK.0).unwrap());
    let msg = keccak256("liveliness/pop/test");
    assert_eq!(
        msg,
        b256!("7f5077567d1b35939745c47d70f3a95e74765ab2b3e10db06e1444e9ea4f4112")
    );
    let pop = pop_sign(kp.sk(), &msg);
    assert_eq!(
        pop.to_abi(),
        words([
            b256!("19981b264ab80f70c6b51f9a78441544a546bffc762075e3947aa56bf87f6f4e"),
            b256!("1a2926c4ab026f0d30a04c6e742368be1e081051fdb93d79cd3f0361f114c422"),
        ])
    );
    assert_eq!(
        pop_gamma(kp.pk_g1(), kp.pk_g2(), &msg, &pop),
        U256::from_be_bytes(
            b256!("0b1ed0e2a3c724671cbb09aa81b55a244168752ba8d93cb66577dd94ee3f06f9").0
        )
    );
    assert!(pop_verify(kp.pk_g1(), kp.pk_g2(), &msg, &pop));
    // A PoP is a plain signature of the registration message.
    assert_eq!(pop, kp.sign(&msg));
    let _: Signature = pop;
}
