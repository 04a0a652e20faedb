use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        checksum_crc32 = "y/Q5Jg==",
        checksum_sha1 = "98O8HYCOBHMq32eZZczDTKeuNEE=",
    }
}

fn main() {}
