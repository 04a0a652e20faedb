//! Signing one form: from the macro's struct, from the dynamic builder
//! (built once, or built per form), with a cached or a fresh signing key,
//! next to the floor (base64 + HMAC-SHA256 + hex of the same policy JSON).
//!
//! `cargo bench -p policy-bench --bench sign`; `bench/compare.sh` for the
//! ratios and the peers.

use criterion::{criterion_group, criterion_main, Criterion};
use policy_bench::{
    build_and_sign, dynamic_policy, fresh_key_time, sign_dynamic, sign_macro, signer, Floor, NOW,
};
use policy_runtime::sigv4::SigningKey;
use std::hint::black_box;

fn signing(c: &mut Criterion) {
    let floor = Floor::new();
    let signer = signer();
    let fresh = policy_bench::signer();
    let policy = dynamic_policy();
    let mut g = c.benchmark_group("sign");
    g.bench_function("floor", |b| b.iter(|| black_box(floor.run())));
    g.bench_function("macro, cached key", |b| {
        b.iter(|| sign_macro(&signer, black_box(NOW)))
    });
    g.bench_function("dynamic, built once, cached key", |b| {
        b.iter(|| sign_dynamic(&signer, black_box(&policy), black_box(NOW)))
    });
    g.bench_function("dynamic, built per form, cached key", |b| {
        b.iter(|| build_and_sign(&signer, black_box(NOW)))
    });
    let mut day = 0;
    g.bench_function("macro, fresh key", |b| {
        b.iter(|| {
            day += 1;
            sign_macro(&fresh, fresh_key_time(day))
        })
    });
    g.bench_function("key derivation alone", |b| {
        b.iter(|| {
            SigningKey::derive(
                black_box(policy_bench::SECRET_KEY),
                "20261122",
                policy_bench::REGION,
                "s3",
            )
        })
    });
    g.finish();
}

criterion_group!(benches, signing);
criterion_main!(benches);
