use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        credential = "AK/20260101/us-east-1/s3/aws4_request",
    }
}

fn main() {}
