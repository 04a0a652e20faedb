use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "ab",
        key = "k",
    }
}

fn main() {}
