use policy_runtime::post_policy;
use policy_tenant::tenant;

post_policy! {
    struct Upload {
        bucket = "b-1",
        tenant("Acme"),
    }
}

fn main() {}
