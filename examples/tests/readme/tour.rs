use policy_runtime::{post_policy, SignOptions, Signer};

post_policy! {
    /// Avatars, uploaded straight from the browser.
    pub struct AvatarUpload {
        bucket = "avatars",
        key starts_with "user/{user_id}/",
        content_length 1..=5_000_000,
        content_type starts_with "image/",
        success_action_status = 201,
        meta("uploaded-by") = "{user_id}",
        expires_in = 10 min,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Credentials, region (here eu-west-1) and endpoint from the standard
    // AWS variables.
    let signer = Signer::from_env()?;

    // `{user_id}` became a field. A value with `/` or `..` is refused, so no
    // upload can leave the user's folder.
    let upload = AvatarUpload {
        user_id: "42".into(),
    };
    let post = upload.sign(&signer)?;
    assert_eq!(post.url(), "https://avatars.s3.eu-west-1.amazonaws.com/");
    let names: Vec<&str> = post.fields().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "key", // user/42/${filename}
            "success_action_status",
            "x-amz-meta-uploaded-by",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
            "policy",
            "x-amz-signature",
        ]
    );
    // The browser fills in Content-Type, which must start with image/.
    assert_eq!(post.client_fields()[0].prefix, "image/");

    // For the page's script: {"url": ..., "fields": {...}}, boto3's shape.
    println!("{}", serde_json::to_string(&post)?);
    // Or a <form>, every value escaped, the file input last.
    println!("{}", post.to_html());

    // Choose the key per upload instead of `user/42/${filename}`:
    upload.sign_with(&signer, SignOptions::new().key("user/42/avatar.png"))?;
    Ok(())
}
