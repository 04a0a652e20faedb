//! A condition from another crate, called inside `post_policy!`, in both
//! forms and with a path.
#![deny(warnings)]
use policy_runtime::post_policy;
use policy_tenant::tenant;

post_policy! {
    /// One tenant's uploads.
    pub struct TenantUpload {
        bucket = {bucket},
        tenant("acme"),
        content_length 1..=1_000,
    }
}

fn main() {
    let _ = TenantUpload { bucket: "b-1".into() }.to_policy();
    let _ = post_policy!(bucket = "b-1", policy_tenant::tenant("globex")).to_policy();
}
