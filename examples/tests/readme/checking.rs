use policy_runtime::verify::{Submission, Verifier};
use policy_runtime::{Credentials, Region, SignedPost};

/// What S3 does with `post` sent with a PNG: the key it stores the file
/// under, or why it refuses.
fn check(
    credentials: Credentials,
    post: &SignedPost,
) -> Result<String, Box<dyn std::error::Error>> {
    // Secrets by access key id: one `Credentials`, a list, a map, or a closure.
    let verifier = Verifier::new(credentials, Region::new("eu-west-1")?);
    let mut form = Submission::new("avatars"); // the bucket posted to
    for (name, value) in post.fields() {
        form.push_field(name, value); // fields as sent, in order
    }
    // Fields after the file are ignored, as S3 does.
    let form = form
        .field("Content-Type", "image/png")
        .file("C:\\photos\\me.png", 48_213);

    // `verify_at(&form, now)` checks as of another instant.
    match verifier.verify(&form) {
        // accepted.key == "user/42/me.png"; also its content type, metadata, headers
        Ok(accepted) => Ok(accepted.key),
        // rejection.code() == AccessDenied, .http_status() == 403, .to_xml()
        Err(rejection) => Err(rejection.into()),
    }
}
