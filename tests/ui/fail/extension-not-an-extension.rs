use policy_runtime::post_policy;
const fn tenant(_: &str) -> u32 {
    7
}

post_policy! {
    struct Upload {
        bucket = "b-1",
        key = "k",
        tenant("acme"),
    }
}

fn main() {}
