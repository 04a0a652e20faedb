use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket starts_with "team-",
        key = "k",
    }
}

fn main() {}
