use policy_runtime::post_policy;

fn main() {
    let _upload = post_policy!(bucket = "b-1", key starts_with "user/{user_id}/");
}
