use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        id: Vec<u8>,
        bucket = "b-1",
        key starts_with "user/{id}/",
    }
}

fn main() {}
