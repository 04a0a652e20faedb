use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "My_Uploads",
        key = "k",
    }
}

fn main() {}
