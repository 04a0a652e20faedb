use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        content_length 0..=6_000_000_000,
    }
}

fn main() {}
