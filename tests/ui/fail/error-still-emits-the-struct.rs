use policy_runtime::post_policy;

post_policy! {
    pub struct Upload {
        bucket = "b-1",
        key starts_with "user/{user_id}/",
        acl = "world",
    }
}

// The struct and its methods still exist, so this code adds no errors of
// its own: only the mistake above is reported.
fn main() {
    let signer = policy_runtime::Signer::new(
        policy_runtime::Credentials::new("AK", "SK").unwrap(),
        policy_runtime::Region::new("us-east-1").unwrap(),
    );
    let upload = Upload { user_id: "42".into() };
    let _ = upload.sign(&signer);
    let _ = Upload::CONTENT_LENGTH;
}
