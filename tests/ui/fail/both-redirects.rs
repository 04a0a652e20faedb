use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        redirect = "https://example.com/a",
        success_action_redirect = "https://example.com/b",
    }
}

fn main() {}
