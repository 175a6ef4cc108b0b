//! Verifying 100 votes one by one versus with `batch_verify`, side by side.
//!
//! `cargo bench -p liveliness-bls --bench bls`

#![allow(missing_docs, clippy::unwrap_used)]

use alloy_primitives::{keccak256, B256};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use liveliness_bls::{batch_verify, verify, KeyPair, PublicKeyG2, Signature};
use rand::{rngs::StdRng, SeedableRng};

const VOTES: usize = 100;

fn votes(distinct_messages: bool) -> Vec<(PublicKeyG2, B256, Signature)> {
    let mut rng = StdRng::seed_from_u64(1);
    (0..VOTES)
        .map(|i| {
            let kp = KeyPair::random(&mut rng);
            let msg = if distinct_messages {
                keccak256(i.to_be_bytes())
            } else {
                keccak256("one task, one vote hash")
            };
            let sig = kp.sign(&msg);
            (*kp.pk_g2(), msg, sig)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify_100_votes");
    group.sample_size(10);
    for (label, distinct) in [("same_message", false), ("distinct_messages", true)] {
        let votes = votes(distinct);
        group.bench_with_input(BenchmarkId::new("one_by_one", label), &votes, |b, votes| {
            b.iter(|| {
                for (pk, msg, sig) in votes {
                    assert!(verify(black_box(pk), msg, sig));
                }
            })
        });
        group.bench_with_input(
            BenchmarkId::new("batch_verify", label),
            &votes,
            |b, votes| {
                let mut rng = StdRng::seed_from_u64(2);
                b.iter(|| {
                    assert!(batch_verify(
                        black_box(votes).iter().map(|(pk, msg, sig)| (pk, msg, sig)),
                        &mut rng
                    ))
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
