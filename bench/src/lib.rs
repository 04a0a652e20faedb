//! What the benchmarks measure, shared by the criterion benches
//! (`cargo bench -p policy-bench`), the `compare` and `allocations` binaries
//! and the peers' binaries in `bench/peers/`.
//!
//! Every case signs (or verifies) the same policy: bucket, key prefix, size
//! range, Content-Type prefix, ACL and `success_action_status`, the policy
//! the peers sign too. The floor is the work no implementation can avoid:
//! base64 of the policy JSON, HMAC-SHA256 of that under a signing key
//! derived beforehand, and the signature in hex.

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use policy_runtime::verify::{Submission, Verifier};
use policy_runtime::{post_policy, Credentials, Policy, Region, SignOptions, SignedPost, Signer};
use time::macros::datetime;
use time::OffsetDateTime;

/// The clock every case signs at.
pub const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);
/// The access key id of every case (AWS's documentation example).
pub const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
/// The secret key of every case (AWS's documentation example).
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The region of every case.
pub const REGION: &str = "us-east-1";
/// The bucket of every case.
pub const BUCKET: &str = "examplebucket";
/// Keys must start with this.
pub const KEY_PREFIX: &str = "uploads/";
/// Content-Type must start with this.
pub const CONTENT_TYPE_PREFIX: &str = "image/";
/// The canned ACL.
pub const ACL: &str = "private";
/// The status S3 answers with.
pub const SUCCESS_ACTION_STATUS: u16 = 201;
/// The smallest upload allowed, in bytes.
pub const MIN_SIZE: u64 = 1;
/// The largest upload allowed, in bytes.
pub const MAX_SIZE: u64 = 10_485_760;
/// How long a form stays valid, in seconds.
pub const EXPIRES_IN_SECS: i64 = 600;

post_policy! {
    /// The benchmark policy, declared with the macro.
    pub struct BenchUpload {
        bucket = "examplebucket",
        key starts_with "uploads/",
        content_length 1..=10_485_760,
        content_type starts_with "image/",
        acl = "private",
        success_action_status = 201,
        expires_in = 10 min,
    }
}

/// The signer of every case: the constants above, AWS endpoint.
pub fn signer() -> Signer {
    Signer::new(
        Credentials::new(ACCESS_KEY, SECRET_KEY).expect("valid credentials"),
        Region::new(REGION).expect("valid region"),
    )
}

/// The benchmark policy, built with the dynamic API.
pub fn dynamic_policy() -> Policy {
    Policy::builder()
        .bucket(BUCKET)
        .and_then(|b| b.key_starts_with(KEY_PREFIX))
        .and_then(|b| b.content_length_range(MIN_SIZE..=MAX_SIZE))
        .and_then(|b| b.starts_with("Content-Type", CONTENT_TYPE_PREFIX))
        .and_then(|b| b.acl(ACL))
        .and_then(|b| b.success_action_status(SUCCESS_ACTION_STATUS))
        .map(|b| b.expires_in(time::Duration::seconds(EXPIRES_IN_SECS)))
        .and_then(|b| b.build())
        .expect("a valid policy")
}

/// Signs the macro's struct at `now`.
pub fn sign_macro(signer: &Signer, now: OffsetDateTime) -> SignedPost {
    BenchUpload
        .sign_with(signer, SignOptions::new().at(now))
        .expect("signs")
}

/// Signs a dynamic policy built beforehand at `now`.
pub fn sign_dynamic(signer: &Signer, policy: &Policy, now: OffsetDateTime) -> SignedPost {
    signer
        .sign_with(policy, SignOptions::new().at(now))
        .expect("signs")
}

/// Builds the dynamic policy and signs it at `now`.
pub fn build_and_sign(signer: &Signer, now: OffsetDateTime) -> SignedPost {
    sign_dynamic(signer, &dynamic_policy(), now)
}

/// Clocks on two different days: signing at `fresh_key_time(i)` for
/// `i = 0, 1, 2, ...` misses the signer's per-day key cache every time, so
/// each signature derives its key (four more HMACs).
pub fn fresh_key_time(i: u64) -> OffsetDateTime {
    if i % 2 == 0 {
        NOW
    } else {
        NOW - time::Duration::days(1)
    }
}

/// The form a browser sends for `post`: its fields, a Content-Type the
/// policy allows, then a file in the size range.
pub fn submission(post: &SignedPost) -> Submission {
    let mut form = Submission::new(BUCKET);
    for (name, value) in post.fields() {
        form.push_field(name, value);
    }
    form.field("Content-Type", "image/png")
        .file("avatar.png", 48_213)
}

/// The verifier of every case.
pub fn verifier() -> Verifier<Credentials> {
    Verifier::new(
        Credentials::new(ACCESS_KEY, SECRET_KEY).expect("valid credentials"),
        Region::new(REGION).expect("valid region"),
    )
}

/// The instant verification happens at: a minute after signing.
pub fn verify_time() -> OffsetDateTime {
    NOW + time::Duration::minutes(1)
}

/// The floor: what signing one form costs no matter who does it.
pub struct Floor {
    key: [u8; 32],
    json: Vec<u8>,
}

impl Floor {
    /// The floor over the exact policy JSON our signer writes for the
    /// benchmark policy at [`NOW`], with its signing key derived now.
    pub fn new() -> Floor {
        let signer = signer();
        let post = sign_dynamic(&signer, &dynamic_policy(), NOW);
        let json = base64::engine::general_purpose::STANDARD
            .decode(post.policy())
            .expect("the policy field is base64");
        Floor {
            key: *signer.signing_key(NOW.date()).as_bytes(),
            json,
        }
    }

    /// The policy JSON the floor encodes and signs.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// base64 of the JSON, its HMAC-SHA256 under the signing key, in hex:
    /// the `policy` and `x-amz-signature` fields.
    pub fn run(&self) -> (String, String) {
        let policy = base64::engine::general_purpose::STANDARD.encode(&self.json);
        let mac = policy_runtime::sigv4::hmac_sha256(&self.key, policy.as_bytes());
        let mut hex = [0u8; 64];
        // 64 is twice 32, and hex digits are ASCII.
        let _ = hex::encode_to_slice(mac, &mut hex);
        let hex = String::from_utf8(hex.to_vec()).unwrap_or_default();
        (policy, hex)
    }
}

impl Default for Floor {
    fn default() -> Self {
        Floor::new()
    }
}

/// One case's result. The machine is shared: another process can take the
/// core in the middle of any batch, which only ever adds time. So the
/// fastest batch of many short ones is the steadiest estimate of the cost,
/// and each case is compared with the fastest floor batch run interleaved
/// with it. Medians are kept to show how loaded the machine was.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// The case.
    pub name: String,
    /// Nanoseconds per iteration in the fastest batch.
    pub ns: f64,
    /// Nanoseconds per iteration of the floor in its fastest batch, over
    /// the batches interleaved with this case.
    pub floor_ns: f64,
    /// `ns / floor_ns`.
    pub ratio: f64,
    /// Median nanoseconds per iteration over the batches.
    pub median_ns: f64,
    /// Median of the per-round ratios case / floor.
    pub median_ratio: f64,
}

impl Measurement {
    /// One JSON line with the fields above and `process`.
    pub fn to_json_line(&self, process: &str) -> String {
        format!(
            "{{\"process\":\"{process}\",\"case\":\"{}\",\"ns\":{:.1},\"floor_ns\":{:.1},\"ratio\":{:.4},\"median_ns\":{:.1},\"median_ratio\":{:.4}}}",
            self.name, self.ns, self.floor_ns, self.ratio, self.median_ns, self.median_ratio
        )
    }
}

/// A case to time: a name and one iteration of its work.
pub type Case<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// Times `cases` against `floor`, interleaved: each of `rounds` rounds runs,
/// for every case, a batch of the floor then a batch of the case, each batch
/// about `batch` long, so the floor a case is compared with ran under the
/// same conditions (load, clock frequency) as the case.
pub fn compare(
    floor: &mut dyn FnMut(),
    cases: &mut [Case<'_>],
    rounds: usize,
    batch: Duration,
) -> Vec<Measurement> {
    let floor_n = iterations_for(floor, batch);
    let case_n: Vec<u64> = cases
        .iter_mut()
        .map(|(_, f)| iterations_for(f.as_mut(), batch))
        .collect();
    let mut floor_times = vec![Vec::new(); cases.len()];
    let mut times = vec![Vec::new(); cases.len()];
    let mut ratios = vec![Vec::new(); cases.len()];
    for _ in 0..rounds.max(1) {
        for (i, (_, f)) in cases.iter_mut().enumerate() {
            let t_floor = time_batch(floor, floor_n);
            let t_case = time_batch(f.as_mut(), case_n[i]);
            floor_times[i].push(t_floor);
            times[i].push(t_case);
            ratios[i].push(t_case / t_floor);
        }
    }
    cases
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let ns = min(&times[i]);
            let floor_ns = min(&floor_times[i]);
            Measurement {
                name: (*name).to_owned(),
                ns,
                floor_ns,
                ratio: ns / floor_ns,
                median_ns: median(&mut times[i]),
                median_ratio: median(&mut ratios[i]),
            }
        })
        .collect()
}

fn min(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

/// How many iterations of `f` take about `batch` (at least one).
fn iterations_for(f: &mut dyn FnMut(), batch: Duration) -> u64 {
    f(); // warm up: caches, lazy statics, the allocator
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        let elapsed = start.elapsed();
        if elapsed >= batch / 4 || n >= 1 << 30 {
            let per = elapsed.as_secs_f64() / n as f64;
            return ((batch.as_secs_f64() / per) as u64).max(1);
        }
        n *= 2;
    }
}

/// Nanoseconds per iteration over a batch of `n`.
fn time_batch(f: &mut dyn FnMut(), n: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Rounds and batch length from `POST_POLICY_BENCH_ROUNDS` and
/// `POST_POLICY_BENCH_BATCH_MS` (defaults 200 and 2 ms).
pub fn settings() -> (usize, Duration) {
    let get = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    (
        get("POST_POLICY_BENCH_ROUNDS", 200) as usize,
        Duration::from_millis(get("POST_POLICY_BENCH_BATCH_MS", 2)),
    )
}

/// Keeps `value` from being optimized away.
pub fn consume<T>(value: T) {
    black_box(value);
}
