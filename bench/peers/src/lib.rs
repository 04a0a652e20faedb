//! The floor, exported to C so the Python run can time it in its own
//! process: `post_policy_floor(n)` runs the floor `n` times.

use std::sync::OnceLock;

use policy_bench::Floor;

fn floor() -> &'static Floor {
    static FLOOR: OnceLock<Floor> = OnceLock::new();
    FLOOR.get_or_init(Floor::new)
}

/// Runs the floor (base64 + HMAC-SHA256 + hex of the benchmark policy JSON)
/// `iterations` times; returns the policy JSON's length.
#[no_mangle]
pub extern "C" fn post_policy_floor(iterations: u64) -> u64 {
    let floor = floor();
    for _ in 0..iterations {
        std::hint::black_box(floor.run());
    }
    floor.json().len() as u64
}
