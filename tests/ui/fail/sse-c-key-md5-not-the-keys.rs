use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        sse_customer_algorithm = "AES256",
        sse_customer_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        // The MD5 of the key's base64 text, not of its 32 bytes.
        sse_customer_key_md5 = "t52DDCIm7WL8PC2PMFZOiw==",
    }
}

fn main() {}
