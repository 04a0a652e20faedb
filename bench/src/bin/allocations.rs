//! Counts heap allocations per signed (or verified) form with a counting
//! global allocator, and prints one JSON line per case.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use policy_bench::{
    build_and_sign, consume, dynamic_policy, fresh_key_time, sign_dynamic, sign_macro, signer,
    submission, verifier, verify_time, Floor, NOW,
};

/// The system allocator, counting allocations and bytes.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// Forwards to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (including reallocations) and bytes per call of `f`, over
/// `n` calls after one warm-up call.
fn count(mut f: impl FnMut(u64)) -> (f64, f64) {
    const N: u64 = 1000;
    f(0);
    let (a0, b0) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    for i in 1..=N {
        f(i);
    }
    let a = ALLOCATIONS.load(Ordering::Relaxed) - a0;
    let b = BYTES.load(Ordering::Relaxed) - b0;
    (a as f64 / N as f64, b as f64 / N as f64)
}

fn main() {
    let floor = Floor::new();
    let signer = signer();
    let fresh = policy_bench::signer();
    let policy = dynamic_policy();
    let form = submission(&sign_dynamic(&signer, &policy, NOW));
    let verifier = verifier();
    let at = verify_time();
    let cases: Vec<(&str, (f64, f64))> = vec![
        ("floor", count(|_| consume(floor.run()))),
        (
            "macro, cached key",
            count(|_| consume(sign_macro(&signer, NOW))),
        ),
        (
            "dynamic, built once, cached key",
            count(|_| consume(sign_dynamic(&signer, &policy, NOW))),
        ),
        (
            "dynamic, built per form, cached key",
            count(|_| consume(build_and_sign(&signer, NOW))),
        ),
        (
            "macro, fresh key",
            count(|i| consume(sign_macro(&fresh, fresh_key_time(i)))),
        ),
        (
            "verify one form",
            count(|_| consume(verifier.verify_at(&form, at))),
        ),
    ];
    for (case, (allocations, bytes)) in cases {
        println!(
            "{{\"process\":\"rust\",\"case\":\"{case}\",\"allocations\":{allocations:.1},\"bytes\":{bytes:.0}}}"
        );
    }
}
