//! The item form: docs, derives and visibility carry over; placeholders
//! become fields (typed when declared, `String` otherwise).
#![deny(missing_docs, warnings)]
//! A crate that denies missing docs and warnings.

use policy_runtime::post_policy;

mod uploads {
    use policy_runtime::post_policy;

    post_policy! {
        /// Avatars, uploaded straight from the browser.
        #[derive(Clone, Debug, PartialEq)]
        pub struct AvatarUpload {
            user_id: u64,
            bucket = {bucket},
            key starts_with "user/{user_id}/{album:path}/",
            content_length 1..=5_000_000,
            content_type starts_with "image/",
            meta("uploader") = "{user_id}",
            success_action_status = 201,
            expires_in = 10 min,
        }
    }
}

post_policy! {
    struct Private {
        bucket = "b-1",
        key = "fixed.txt",
    }
}

fn main() {
    let upload = uploads::AvatarUpload {
        user_id: 7,
        bucket: "avatars".to_string(),
        album: "2026/summer".to_string(),
    };
    assert_eq!(upload.clone(), upload);
    let _ = format!("{upload:?}");
    let _ = Private;
}
