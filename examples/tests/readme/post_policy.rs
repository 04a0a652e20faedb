use policy_runtime::{post_policy, Error, Signer};

post_policy! {
    /// Avatars: images of 1 byte to 5 MB in the user's folder, for 10 minutes.
    pub struct AvatarUpload {
        bucket = "avatars",
        key starts_with "user/{user_id}/",
        content_length 1..=5_000_000,
        content_type starts_with "image/",
        acl = "private",
        success_action_status = 201,
        expires_in = 10 min,
    }
}

/// `{"url", "fields"}` for an avatar upload.
pub fn avatar_form(signer: &Signer, user_id: &str) -> Result<String, Error> {
    let upload = AvatarUpload {
        user_id: user_id.into(),
    }; // "../43" is refused
    Ok(upload.sign(signer)?.to_json())
}
