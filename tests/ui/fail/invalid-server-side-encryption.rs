use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        server_side_encryption = "AES128",
    }
}

fn main() {}
