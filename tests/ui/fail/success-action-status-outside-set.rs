use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        success_action_status = 202,
    }
}

fn main() {}
