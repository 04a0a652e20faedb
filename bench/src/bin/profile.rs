//! Verifies one form in a loop, for a profiler: `perf record -g
//! target/release/profile [forms]` (default 1 000 000). Prints the mean
//! time per form, which is only as good as the machine is quiet; the
//! ratios come from `compare`.

use std::hint::black_box;
use std::time::Instant;

use policy_bench::{dynamic_policy, sign_dynamic, signer, submission, verifier, verify_time, NOW};

fn main() {
    let forms: u64 = match std::env::args().nth(1) {
        None => 1_000_000,
        Some(n) => match n.parse() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: profile [forms], forms a positive whole number, not {n:?}");
                std::process::exit(2);
            }
        },
    };
    let form = submission(&sign_dynamic(&signer(), &dynamic_policy(), NOW));
    let verifier = verifier();
    let at = verify_time();
    if let Err(refused) = verifier.verify_at(&form, at) {
        eprintln!("the bench form is refused: {refused}");
        std::process::exit(1);
    }
    let start = Instant::now();
    for _ in 0..forms {
        black_box(verifier.verify_at(black_box(&form), at).is_ok());
    }
    let per_form = start.elapsed().as_secs_f64() * 1e9 / forms as f64;
    println!("verify one form: {per_form:.0} ns per form over {forms} forms");
}
