use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        checksum_algorithm = "SHA1",
        checksum_crc32 = "y/Q5Jg==",
    }
}

fn main() {}
