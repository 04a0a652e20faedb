use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "{name:path}",
        key = "k",
    }
}

fn main() {}
