use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        key starts_with "uploads/",
    }
}

fn main() {}
