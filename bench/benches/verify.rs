//! Verifying one submitted form (signature, policy decoding, every
//! condition, coverage, size), next to the floor.
//!
//! `cargo bench -p policy-bench --bench verify`.

use criterion::{criterion_group, criterion_main, Criterion};
use policy_bench::{
    dynamic_policy, sign_dynamic, signer, submission, verifier, verify_time, Floor, NOW,
};
use std::hint::black_box;

fn verifying(c: &mut Criterion) {
    let floor = Floor::new();
    let form = submission(&sign_dynamic(&signer(), &dynamic_policy(), NOW));
    let verifier = verifier();
    let at = verify_time();
    assert!(verifier.verify_at(&form, at).is_ok());
    let mut g = c.benchmark_group("verify");
    g.bench_function("floor", |b| b.iter(|| black_box(floor.run())));
    g.bench_function("verify one form", |b| {
        b.iter(|| verifier.verify_at(black_box(&form), at))
    });
    g.finish();
}

criterion_group!(benches, verifying);
criterion_main!(benches);
