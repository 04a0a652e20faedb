use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        file = "a.txt",
    }
}

fn main() {}
