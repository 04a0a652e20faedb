//! Times our signing and verifying against the floor in this process and
//! prints one JSON line per case (see `bench/compare.sh`).

use policy_bench::{
    build_and_sign, compare, consume, dynamic_policy, fresh_key_time, settings, sign_dynamic,
    sign_macro, signer, submission, verifier, verify_time, Case, Floor, NOW,
};
use policy_runtime::sigv4::SigningKey;

fn main() {
    let (rounds, batch) = settings();
    let floor = Floor::new();
    let signer = signer();
    let policy = dynamic_policy();
    let form = submission(&sign_dynamic(&signer, &policy, NOW));
    let verifier = verifier();
    let at = verify_time();
    verifier
        .verify_at(&form, at)
        .expect("the benchmark form verifies");
    let mut day = 0u64;
    let fresh = signer_for_fresh_keys();

    let mut cases: Vec<Case<'_>> = vec![
        ("floor", Box::new(|| consume(floor.run()))),
        (
            "macro, cached key",
            Box::new(|| consume(sign_macro(&signer, NOW))),
        ),
        (
            "dynamic, built once, cached key",
            Box::new(|| consume(sign_dynamic(&signer, &policy, NOW))),
        ),
        (
            "dynamic, built per form, cached key",
            Box::new(|| consume(build_and_sign(&signer, NOW))),
        ),
        (
            "macro, fresh key",
            Box::new(|| {
                day += 1;
                consume(sign_macro(&fresh, fresh_key_time(day)))
            }),
        ),
        (
            "key derivation alone",
            Box::new(|| {
                consume(SigningKey::derive(
                    policy_bench::SECRET_KEY,
                    "20261122",
                    policy_bench::REGION,
                    "s3",
                ))
            }),
        ),
        (
            "verify one form",
            Box::new(|| consume(verifier.verify_at(&form, at))),
        ),
    ];
    // POST_POLICY_BENCH_ONLY=text keeps the cases whose name contains it
    // (for profiling one case).
    if let Ok(only) = std::env::var("POST_POLICY_BENCH_ONLY") {
        cases.retain(|(name, _)| name.contains(only.as_str()));
    }
    let mut floor_fn = || consume(floor.run());
    for m in compare(&mut floor_fn, &mut cases, rounds, batch) {
        println!("{}", m.to_json_line("rust"));
    }
    eprintln!("policy JSON: {} bytes", floor.json().len());
}

/// A second signer, so the fresh-key case does not evict the cached key the
/// other cases use.
fn signer_for_fresh_keys() -> policy_runtime::Signer {
    signer()
}
