use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        storage_class = "COLD",
    }
}

fn main() {}
