use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        content_type = "image/png",
        content_type = "text/plain",
    }
}

fn main() {}
