//! `post_policy!` structs sign exactly as the dynamic API does for the same
//! rules (same JSON bytes, signature and form), check placeholder values
//! when signing, and run extensions.

use policy_runtime::{
    post_policy, rules::RuleError, Credentials, Error, Policy, PostPolicy, Region, SignOptions,
    SignedPost, Signer,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

fn signer() -> Signer {
    Signer::new(
        Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .unwrap(),
        Region::new("eu-west-3").unwrap(),
    )
}

fn fields(post: &SignedPost) -> Vec<(String, String)> {
    post.fields()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

/// Both posts are the same form, byte for byte.
fn assert_same(a: &SignedPost, b: &SignedPost) {
    assert_eq!(a.url(), b.url());
    assert_eq!(fields(a), fields(b));
    assert_eq!(a.policy(), b.policy());
    assert_eq!(a.signature(), b.signature());
    assert_eq!(a.to_html(), b.to_html());
    assert_eq!(a.content_length_range(), b.content_length_range());
    assert_eq!(a.client_fields(), b.client_fields());
}

post_policy! {
    /// Every kind of field the macro knows.
    #[derive(Clone, Debug)]
    pub struct Everything {
        bucket = "examplebucket",
        key starts_with "user/user1/",
        acl = "public-read",
        success_action_redirect = "https://example.com/done?x=\"1\"&y=<2>",
        content_type starts_with "image/",
        meta("uuid") = "14365123651274",
        server_side_encryption = "AES256",
        meta("tag") starts_with "",
        cache_control = "max-age=60",
        content_disposition starts_with "attachment",
        content_encoding = "gzip",
        expires = "Wed, 21 Oct 2030 07:28:00 GMT",
        storage_class = "STANDARD_IA",
        tagging = "<Tagging><TagSet></TagSet></Tagging>",
        checksum_algorithm = "SHA256",
        checksum_sha256 = "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
        website_redirect_location = "/elsewhere",
        sse_bucket_key_enabled = true,
        content_length 1..=10_485_760,
        expires_in = 10 min,
    }
}

#[test]
fn every_field_kind_signs_like_the_dynamic_api() {
    let dynamic = Policy::builder()
        .bucket("examplebucket")
        .unwrap()
        .key_starts_with("user/user1/")
        .unwrap()
        .acl("public-read")
        .unwrap()
        .eq(
            "success_action_redirect",
            "https://example.com/done?x=\"1\"&y=<2>",
        )
        .unwrap()
        .starts_with("Content-Type", "image/")
        .unwrap()
        .meta("uuid", "14365123651274")
        .unwrap()
        .eq("x-amz-server-side-encryption", "AES256")
        .unwrap()
        .starts_with("x-amz-meta-tag", "")
        .unwrap()
        .eq("Cache-Control", "max-age=60")
        .unwrap()
        .starts_with("Content-Disposition", "attachment")
        .unwrap()
        .eq("Content-Encoding", "gzip")
        .unwrap()
        .eq("Expires", "Wed, 21 Oct 2030 07:28:00 GMT")
        .unwrap()
        .eq("x-amz-storage-class", "STANDARD_IA")
        .unwrap()
        .eq("tagging", "<Tagging><TagSet></TagSet></Tagging>")
        .unwrap()
        .eq("x-amz-checksum-algorithm", "SHA256")
        .unwrap()
        .eq(
            "x-amz-checksum-sha256",
            "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
        )
        .unwrap()
        .eq("x-amz-website-redirect-location", "/elsewhere")
        .unwrap()
        .eq("x-amz-server-side-encryption-bucket-key-enabled", "true")
        .unwrap()
        .content_length_range(1..=10_485_760)
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap();
    let s = signer();
    let generated = Everything.sign_at(&s, NOW).unwrap();
    assert_same(&generated, &s.sign_at(&dynamic, NOW).unwrap());
    assert_eq!(Everything.to_policy().unwrap(), dynamic);
    // The trait gives the same result as the inherent method.
    assert_same(
        &PostPolicy::sign_at(&Everything, &s, NOW).unwrap(),
        &generated,
    );
    assert_eq!(Everything::EXPIRES_IN, Duration::minutes(10));
    assert_eq!(Everything::CONTENT_LENGTH, Some(1..=10_485_760));
}

#[test]
fn the_expression_form_signs_like_the_dynamic_api() {
    let upload = post_policy!(
        bucket = "x-uploads",
        key starts_with "user/",
        content_length 0..=1_000_000,
        acl = "public-read",
    );
    let dynamic = Policy::builder()
        .bucket("x-uploads")
        .unwrap()
        .key_starts_with("user/")
        .unwrap()
        .content_length_range(0..=1_000_000)
        .unwrap()
        .acl("public-read")
        .unwrap()
        .expires_in(Duration::hours(1))
        .build()
        .unwrap();
    let s = signer();
    assert_same(
        &upload.sign_at(&s, NOW).unwrap(),
        &s.sign_at(&dynamic, NOW).unwrap(),
    );
    // Without `expires_in` a form lives one hour, like boto3's default.
    assert_eq!(
        upload.sign_at(&s, NOW).unwrap().expiration(),
        NOW + Duration::hours(1)
    );
}

#[test]
fn ranges_are_read_as_rust_reads_them() {
    let exclusive = post_policy!(bucket = "b-1", key = "k", content_length 1..5_000);
    let up_to = post_policy!(bucket = "b-1", key = "k", content_length..=1_024);
    let s = signer();
    assert_eq!(
        exclusive.sign_at(&s, NOW).unwrap().content_length_range(),
        Some(1..=4_999)
    );
    assert_eq!(
        up_to.sign_at(&s, NOW).unwrap().content_length_range(),
        Some(0..=1_024)
    );
}

post_policy! {
    /// Avatars under a per-user folder of a per-deployment bucket.
    pub struct AvatarUpload {
        user_id: u64,
        bucket = {bucket},
        key starts_with "user/{user_id}/",
        content_length 1..=5_000_000,
        content_type starts_with "image/",
        meta("owner") = "user-{user_id}",
        success_action_status = 201,
        expires_in = 2 h,
    }
}

#[test]
fn placeholders_sign_like_the_dynamic_api() {
    let upload = AvatarUpload {
        user_id: 42,
        bucket: "avatars-prod".into(),
    };
    let dynamic = Policy::builder()
        .bucket("avatars-prod")
        .unwrap()
        .key_starts_with("user/42/")
        .unwrap()
        .content_length_range(1..=5_000_000)
        .unwrap()
        .starts_with("Content-Type", "image/")
        .unwrap()
        .meta("owner", "user-42")
        .unwrap()
        .success_action_status(201)
        .unwrap()
        .expires_in(Duration::hours(2))
        .build()
        .unwrap();
    let s = signer();
    let post = upload.sign_at(&s, NOW).unwrap();
    assert_same(&post, &s.sign_at(&dynamic, NOW).unwrap());
    assert_eq!(post.field("key"), Some("user/42/${filename}"));
    assert_eq!(
        post.url(),
        "https://avatars-prod.s3.eu-west-3.amazonaws.com/"
    );
    let chosen = upload
        .sign_with(&s, SignOptions::new().at(NOW).key("user/42/me.png"))
        .unwrap();
    assert_eq!(chosen.field("key"), Some("user/42/me.png"));
    assert!(matches!(
        upload.sign_with(&s, SignOptions::new().at(NOW).key("user/43/me.png")),
        Err(Error::KeyOutsidePolicy { .. })
    ));
}

#[test]
fn a_runtime_bucket_is_checked_like_a_written_one() {
    let upload = AvatarUpload {
        user_id: 1,
        bucket: "Not_A_Bucket".into(),
    };
    let err = upload.sign_at(&signer(), NOW).unwrap_err();
    assert!(
        matches!(&err, Error::Rule(RuleError::InvalidValue { field, .. }) if field == "bucket"),
        "{err}"
    );
}

post_policy! {
    struct Folder {
        bucket = "b-1",
        key starts_with "tenants/{tenant}/{dir:path}/",
    }
}

#[test]
fn placeholder_values_cannot_leave_the_folder() {
    let s = signer();
    let sign = |tenant: &str, dir: &str| {
        Folder {
            tenant: tenant.into(),
            dir: dir.into(),
        }
        .sign_at(&s, NOW)
    };
    let ok = sign("acme", "2026/11").unwrap();
    assert_eq!(ok.field("key"), Some("tenants/acme/2026/11/${filename}"));
    for (tenant, dir) in [
        ("acme/../globex", "x"),
        ("globex/x", "x"),
        ("..", "x"),
        ("", "x"),
        ("acme\n", "x"),
        ("acme", "../x"),
        ("acme", "a/../../x"),
        ("acme", "/abs"),
        ("acme", "a//b"),
        ("acme", "a/"),
        ("acme", ""),
    ] {
        let err = sign(tenant, dir).unwrap_err();
        assert!(
            matches!(err, Error::InvalidPlaceholder { .. }),
            "{tenant:?} {dir:?}: {err}"
        );
    }
    let message = sign("a/b", "x").unwrap_err().to_string();
    assert!(
        message.contains("{tenant}") && message.contains(":path"),
        "{message}"
    );
}

#[test]
fn an_extension_adds_its_conditions_in_place() {
    use policy_tenant::tenant;
    let upload = post_policy!(bucket = "b-1", tenant("acme"), content_length 1..=10);
    let dynamic = Policy::builder()
        .bucket("b-1")
        .unwrap()
        .key_starts_with("tenants/acme/")
        .unwrap()
        .meta("tenant", "acme")
        .unwrap()
        .content_length_range(1..=10)
        .unwrap()
        .expires_in(Duration::hours(1))
        .build()
        .unwrap();
    let s = signer();
    assert_same(
        &upload.sign_at(&s, NOW).unwrap(),
        &s.sign_at(&dynamic, NOW).unwrap(),
    );
    assert_eq!(upload.to_policy().unwrap(), dynamic);
}

struct Sloppy;

impl policy_runtime::Extension for Sloppy {
    const FIELDS: &'static [&'static str] = &["x-amz-meta-a"];
    fn conditions(&self) -> Result<Vec<policy_runtime::Condition>, Error> {
        Ok(vec![policy_runtime::Condition::eq(
            policy_runtime::FieldName::new("acl")?,
            "private",
        )])
    }
}

const fn sloppy() -> Sloppy {
    Sloppy
}

#[test]
fn an_extension_cannot_constrain_a_field_it_did_not_declare() {
    let upload = post_policy!(bucket = "b-1", key = "k", sloppy());
    let err = upload.sign_at(&signer(), NOW).unwrap_err();
    assert!(
        matches!(&err, Error::UndeclaredExtensionField { field, .. } if field == "acl"),
        "{err}"
    );
}
