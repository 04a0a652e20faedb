use policy_runtime::post_policy;

fn main() {
    let _upload = post_policy!(user_id: u64, bucket = "b-1", key = "k");
}
