use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        checksum_sha256 = "y/Q5Jg==",
    }
}

fn main() {}
