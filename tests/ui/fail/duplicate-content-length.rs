use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        content_length 0..=10,
        content_length 0..=20,
    }
}

fn main() {}
