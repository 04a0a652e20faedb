use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        sse_bucket_key_enabled = "yes",
    }
}

fn main() {}
