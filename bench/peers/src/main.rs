//! rust-s3's `Bucket::presign_post` on the benchmark policy, timed against
//! the floor in this process; prints JSON lines like `compare`.

use std::borrow::Cow;

use policy_bench::{
    compare, consume, settings, Case, Floor, ACCESS_KEY, ACL, BUCKET, CONTENT_TYPE_PREFIX,
    EXPIRES_IN_SECS, KEY_PREFIX, MAX_SIZE, MIN_SIZE, REGION, SECRET_KEY, SUCCESS_ACTION_STATUS,
};
use s3::creds::Credentials;
use s3::post_policy::{PostPolicy, PostPolicyField, PostPolicyValue};
use s3::{Bucket, Region};

fn policy() -> PostPolicy<'static> {
    // rust-s3 adds the bucket condition itself.
    PostPolicy::new(EXPIRES_IN_SECS as u32)
        .condition(
            PostPolicyField::Key,
            PostPolicyValue::StartsWith(Cow::Borrowed(KEY_PREFIX)),
        )
        .and_then(|p| {
            p.condition(
                PostPolicyField::ContentLengthRange,
                PostPolicyValue::Range(MIN_SIZE as u32, MAX_SIZE as u32),
            )
        })
        .and_then(|p| {
            p.condition(
                PostPolicyField::ContentType,
                PostPolicyValue::StartsWith(Cow::Borrowed(CONTENT_TYPE_PREFIX)),
            )
        })
        .and_then(|p| {
            p.condition(
                PostPolicyField::Acl,
                PostPolicyValue::Exact(Cow::Borrowed(ACL)),
            )
        })
        .and_then(|p| {
            p.condition(
                PostPolicyField::SuccessActionStatus,
                PostPolicyValue::Exact(Cow::Owned(SUCCESS_ACTION_STATUS.to_string())),
            )
        })
        .expect("a valid rust-s3 policy")
}

fn main() {
    let (rounds, batch) = settings();
    let floor = Floor::new();
    let credentials = Credentials::new(Some(ACCESS_KEY), Some(SECRET_KEY), None, None, None)
        .expect("fixed credentials");
    let region: Region = REGION.parse().expect("a region");
    let bucket = Bucket::new(BUCKET, region, credentials).expect("a bucket");
    let built = policy();
    let post = bucket.presign_post(built.clone()).expect("rust-s3 signs");
    eprintln!("rust-s3: {} fields, url {}", post.fields.len(), post.url);

    let mut cases: Vec<Case<'_>> = vec![
        ("floor", Box::new(|| consume(floor.run()))),
        (
            "rust-s3 presign_post, built once",
            Box::new(|| consume(bucket.presign_post(built.clone()))),
        ),
        (
            "rust-s3 presign_post, built per form",
            Box::new(|| consume(bucket.presign_post(policy()))),
        ),
    ];
    let mut floor_fn = || consume(floor.run());
    for m in compare(&mut floor_fn, &mut cases, rounds, batch) {
        println!("{}", m.to_json_line("rust-s3"));
    }
}
