use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "a/x",
        key starts_with "b/",
    }
}

fn main() {}
