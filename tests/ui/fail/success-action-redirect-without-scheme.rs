use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        success_action_redirect = "example.com/done",
    }
}

fn main() {}
