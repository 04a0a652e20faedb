use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        id: u64,
        id: u32,
        bucket = "b-1",
        key starts_with "user/{id}/",
    }
}

fn main() {}
