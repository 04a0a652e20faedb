//! Amazon's published vectors: the browser POST example (A) and the SigV4
//! signing-key derivation example (B). See `vectors/README.md`.

use policy_runtime::sigv4::{hmac_sha256, SigningKey};
use policy_runtime::{Condition, Credentials, FieldName, PolicyDocument, Region, Signer};
use time::macros::{date, datetime};

const A_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const A_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const A_POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
const A_SIGNING_KEY: &str = "cbcef1ebeaefc82cce6530b9f0a9ae598846065f5c5bae0674bd5ebc4ba52d28";
const A_SIGNATURE: &str = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

fn a_signer() -> Signer {
    Signer::new(
        Credentials::new(A_ACCESS_KEY, A_SECRET).unwrap(),
        Region::new("us-east-1").unwrap(),
    )
}

#[test]
fn a_signing_key_matches_byte_for_byte() {
    let key = SigningKey::derive(A_SECRET, "20151229", "us-east-1", "s3");
    assert_eq!(hex::encode(key.as_bytes()), A_SIGNING_KEY);
    assert_eq!(
        hex::encode(a_signer().signing_key(date!(2015 - 12 - 29)).as_bytes()),
        A_SIGNING_KEY
    );
}

#[test]
fn a_published_policy_signs_to_the_published_signature() {
    let signature = a_signer().sign_base64_policy(A_POLICY, date!(2015 - 12 - 29));
    assert_eq!(signature.to_string(), A_SIGNATURE);
    assert!(signature.matches_hex(A_SIGNATURE));
    // One flipped character anywhere must change the signature.
    let mut tampered = A_POLICY.to_string();
    tampered.replace_range(10..11, "A");
    assert_ne!(
        a_signer()
            .sign_base64_policy(&tampered, date!(2015 - 12 - 29))
            .to_string(),
        A_SIGNATURE
    );
    assert!(!signature.matches_hex(&A_SIGNATURE.to_uppercase()));
}

#[test]
fn a_published_policy_parses_to_its_conditions() {
    let doc = PolicyDocument::from_base64(A_POLICY).unwrap();
    assert_eq!(doc.expiration(), datetime!(2015-12-30 12:00 UTC));
    let f = FieldName::lenient;
    let expected = vec![
        Condition::eq(f("bucket"), "sigv4examplebucket"),
        Condition::starts_with(f("key"), "user/user1/"),
        Condition::eq(f("acl"), "public-read"),
        Condition::eq(
            f("success_action_redirect"),
            "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
        ),
        Condition::starts_with(f("Content-Type"), "image/"),
        Condition::eq(f("x-amz-meta-uuid"), "14365123651274"),
        Condition::eq(f("x-amz-server-side-encryption"), "AES256"),
        Condition::starts_with(f("x-amz-meta-tag"), ""),
        Condition::eq(
            f("x-amz-credential"),
            "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
        ),
        Condition::eq(f("x-amz-algorithm"), "AWS4-HMAC-SHA256"),
        Condition::eq(f("x-amz-date"), "20151229T000000Z"),
    ];
    assert_eq!(doc.conditions(), expected);
    assert_eq!(doc.problems(), vec![]);
    // Our own serialization of it reads back identically.
    assert_eq!(PolicyDocument::from_json(&doc.to_json()).unwrap(), doc);
}

#[test]
fn b_key_derivation_steps_match() {
    // Secret with `+`, date 20120215, region us-east-1, service iam.
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), b"20120215");
    assert_eq!(
        hex::encode(k_date),
        "969fbb94feb542b71ede6f87fe4d5fa29c789342b0f407474670f0c2489e0a0d"
    );
    let k_region = hmac_sha256(&k_date, b"us-east-1");
    assert_eq!(
        hex::encode(k_region),
        "69daa0209cd9c5ff5c8ced464a696fd4252e981430b10e3d3fd8e2f197d7a70c"
    );
    let k_service = hmac_sha256(&k_region, b"iam");
    assert_eq!(
        hex::encode(k_service),
        "f72cfd46f26bc4643f06a11eabb6c0ba18780c19a8da0c31ace671265e3c87fa"
    );
    let k_signing = SigningKey::derive(secret, "20120215", "us-east-1", "iam");
    assert_eq!(
        hex::encode(k_signing.as_bytes()),
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    );
}

/// Amazon's example form for vector A, field names spelt as Amazon's page
/// spells them, the file last.
fn a_form(file: &str) -> policy_runtime::verify::Submission {
    policy_runtime::verify::Submission::new("sigv4examplebucket")
        .field("key", "user/user1/${filename}")
        .field("acl", "public-read")
        .field(
            "success_action_redirect",
            "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
        )
        .field("Content-Type", "image/jpeg")
        .field("x-amz-meta-uuid", "14365123651274")
        .field("x-amz-server-side-encryption", "AES256")
        .field(
            "X-Amz-Credential",
            "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
        )
        .field("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
        .field("X-Amz-Date", "20151229T000000Z")
        .field("x-amz-meta-tag", "")
        .field("Policy", A_POLICY)
        .field("X-Amz-Signature", A_SIGNATURE)
        .file(file, 12_345)
}

fn a_verifier() -> policy_runtime::verify::Verifier<Credentials> {
    policy_runtime::verify::Verifier::new(
        Credentials::new(A_ACCESS_KEY, A_SECRET).unwrap(),
        Region::new("us-east-1").unwrap(),
    )
}

#[test]
fn a_published_form_verifies_before_its_expiration() {
    use policy_runtime::verify::{Rejection, S3ErrorCode};
    let accepted = a_verifier()
        .verify_at(&a_form("photo.jpg"), datetime!(2015-12-29 12:00 UTC))
        .unwrap();
    assert_eq!(accepted.key, "user/user1/photo.jpg");
    assert_eq!(accepted.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(accepted.acl.as_deref(), Some("public-read"));
    assert_eq!(
        accepted.metadata,
        [
            ("uuid".to_string(), "14365123651274".to_string()),
            ("tag".to_string(), String::new())
        ]
    );
    assert_eq!(
        accepted.headers,
        [(
            "x-amz-server-side-encryption".to_string(),
            "AES256".to_string()
        )]
    );
    assert_eq!(
        accepted.redirect.as_deref(),
        Some("http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html")
    );
    assert_eq!(accepted.access_key_id.as_deref(), Some(A_ACCESS_KEY));

    // The published expiration is 2015-12-30T12:00:00.000Z.
    assert!(a_verifier()
        .verify_at(&a_form("photo.jpg"), datetime!(2015-12-30 12:00 UTC))
        .is_ok());
    let late = a_verifier()
        .verify_at(&a_form("photo.jpg"), datetime!(2015-12-30 12:00:01 UTC))
        .unwrap_err();
    assert!(matches!(late, Rejection::Expired { .. }), "{late:?}");

    // The secret with `+` (vector B's) is another secret.
    let other = policy_runtime::verify::Verifier::new(
        Credentials::new(A_ACCESS_KEY, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap(),
        Region::new("us-east-1").unwrap(),
    );
    let r = other
        .verify_at(&a_form("photo.jpg"), datetime!(2015-12-29 12:00 UTC))
        .unwrap_err();
    assert_eq!(r.code(), S3ErrorCode::SignatureDoesNotMatch);

    // A different bucket in the URL, or a key outside user/user1/.
    let r = a_verifier()
        .verify_at(&a_form("../../etc/passwd"), datetime!(2015-12-29 12:00 UTC))
        .unwrap();
    assert_eq!(r.key, "user/user1/passwd");
}
