//! Runs one case in a loop, for a profiler: `perf record -g
//! target/release/profile [verify|sign] [forms]` (default: verify, 1 000 000
//! forms). Prints the mean time per form, which is only as good as the
//! machine is quiet; the ratios come from `compare`.

use std::hint::black_box;
use std::time::Instant;

use policy_bench::{
    dynamic_policy, sign_dynamic, sign_macro, signer, submission, verifier, verify_time, NOW,
};

fn main() {
    let usage = |problem: String| -> ! {
        eprintln!("usage: profile [verify|sign] [forms]: {problem}");
        std::process::exit(2);
    };
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_else(|| "verify".into());
    let forms: u64 = match args.next() {
        None => 1_000_000,
        Some(n) => match n.parse() {
            Ok(n) if n > 0 => n,
            _ => usage(format!("forms must be a positive whole number, not {n:?}")),
        },
    };
    let start = match case.as_str() {
        "verify" => {
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
            start
        }
        "sign" => {
            let signer = signer();
            let start = Instant::now();
            for _ in 0..forms {
                black_box(sign_macro(black_box(&signer), NOW));
            }
            start
        }
        other => usage(format!("no case {other:?}")),
    };
    let per_form = start.elapsed().as_secs_f64() * 1e9 / forms as f64;
    println!("{case}: {per_form:.0} ns per form over {forms} forms");
}
