use policy_runtime::{post_policy, Signer};

post_policy! {
    /// Text files of 1 byte to 1 MiB under `uploads/`, for 10 minutes.
    struct TextUpload {
        bucket = "my-bucket",
        key starts_with "uploads/",
        content_length 1..=1_048_576,
        content_type = "text/plain",
        expires_in = 10 min,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION; also
    // AWS_SESSION_TOKEN and AWS_ENDPOINT_URL_S3 when set.
    let signer = Signer::from_env()?;
    let post = TextUpload.sign(&signer)?;
    // {"url": ..., "fields": {...}}: the page posts the fields, the file last.
    println!("{}", post.to_json());
    Ok(())
}
