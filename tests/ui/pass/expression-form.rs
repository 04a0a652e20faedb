//! The expression form, with every range spelling and a trailing comma.
#![deny(warnings)]
use policy_runtime::{post_policy, PostPolicy};

fn returned() -> impl PostPolicy {
    post_policy!(bucket = "b-1", key starts_with "user/", content_length ..=1_024)
}

fn main() {
    let a = post_policy!(bucket = "x-1", key starts_with "user/", content_length 0..=1_000_000, acl = "public-read");
    let b = post_policy!(bucket = "x-1", key = "k", content_length 1..1_000,);
    let c = post_policy! { bucket = "x-1", key = "k" };
    let _ = (a.to_policy(), b.to_policy(), c.to_policy(), returned().to_policy());
}
