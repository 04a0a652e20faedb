use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        sse_customer_algorithm = "AES256",
        sse_customer_key = {customer_key},
    }
}

fn main() {}
