//! One accept and one reject (at least) for every rule the verifier applies.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::document::BASE64;
use crate::{Condition, Credentials, FieldName, Region};
use base64::Engine as _;

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const CREDENTIAL: &str = "AKIDEXAMPLE/20300101/us-east-1/s3/aws4_request";
const DATE: &str = "20300101T000000Z";
const NOW: OffsetDateTime = datetime!(2030-01-01 00:30 UTC);

fn verifier() -> Verifier<Credentials> {
    Verifier::new(
        Credentials::new(AK, SK).unwrap(),
        Region::new("us-east-1").unwrap(),
    )
}

/// A policy with the signer's three conditions and `conditions`, signed.
fn sign_json(conditions: &str) -> (String, String) {
    let json = format!(
        r#"{{"expiration": "2030-01-01T01:00:00.000Z", "conditions": [
            {{"bucket": "b-1"}}, {{"x-amz-algorithm": "AWS4-HMAC-SHA256"}},
            {{"x-amz-credential": "{CREDENTIAL}"}}, {{"x-amz-date": "{DATE}"}}{conditions}]}}"#
    );
    let policy = BASE64.encode(json);
    let signature = SigningKey::derive(SK, "20300101", "us-east-1", "s3")
        .sign(policy.as_bytes())
        .to_string();
    (policy, signature)
}

/// A form for `conditions`, with the signer's fields and `fields`, not yet
/// holding the file.
fn form_for(conditions: &str, fields: &[(&str, &str)]) -> Submission {
    let (policy, signature) = sign_json(conditions);
    let mut form = Submission::new("b-1");
    for (n, v) in fields {
        form.push_field(*n, *v);
    }
    form.field("x-amz-algorithm", "AWS4-HMAC-SHA256")
        .field("x-amz-credential", CREDENTIAL)
        .field("x-amz-date", DATE)
        .field("policy", policy)
        .field("x-amz-signature", signature)
}

const KEY_U: &str = r#", ["starts-with", "$key", "u/"]"#;

fn ok_form() -> Submission {
    form_for(KEY_U, &[("key", "u/${filename}")]).file("dir/a.txt", 5)
}

fn refused(form: &Submission) -> Rejection {
    verifier().verify_at(form, NOW).unwrap_err()
}

#[test]
fn accepts_a_form_signed_for_its_policy() {
    let accepted = verifier().verify_at(&ok_form(), NOW).unwrap();
    assert_eq!(accepted.key, "u/a.txt");
    assert_eq!(accepted.bucket, "b-1");
    assert_eq!(accepted.size, 5);
    assert_eq!(accepted.access_key_id.as_deref(), Some(AK));
    assert_eq!(accepted.success_action_status, 204);
}

#[test]
fn the_file_is_required() {
    let form = form_for(KEY_U, &[("key", "u/a")]);
    assert_eq!(refused(&form), Rejection::MissingFile);
    assert_eq!(refused(&form).code(), S3ErrorCode::InvalidArgument);
}

#[test]
fn form_data_before_the_file_is_limited_to_20_kib() {
    let cond = r#", ["starts-with", "$key", "u/"], ["starts-with", "$x-amz-meta-big", ""]"#;
    let fits = form_for(
        cond,
        &[("key", "u/a"), ("x-amz-meta-big", &"x".repeat(18_000))],
    );
    assert!(verifier().verify_at(&fits.file("a", 1), NOW).is_ok());
    let big = form_for(
        cond,
        &[("key", "u/a"), ("x-amz-meta-big", &"x".repeat(21_000))],
    );
    let r = refused(&big.file("a", 1));
    assert!(
        matches!(r, Rejection::FormTooLarge { limit: 20_480, .. }),
        "{r:?}"
    );
    assert_eq!(r.code(), S3ErrorCode::MaxPostPreDataLengthExceeded);
    // A measured size counts, but never below the bytes of names and values.
    let measured = ok_form().form_bytes(20_481);
    assert!(matches!(
        refused(&measured),
        Rejection::FormTooLarge { size: 20_481, .. }
    ));
    assert!(verifier().verify_at(&ok_form().form_bytes(1), NOW).is_ok());
    // What comes after the file does not count.
    let after = ok_form().field("x-amz-meta-big", "x".repeat(30_000));
    assert!(verifier().verify_at(&after, NOW).is_ok());
}

#[test]
fn a_field_sent_twice_is_refused_whatever_its_case() {
    let form = form_for(KEY_U, &[("key", "u/a"), ("KEY", "u/b")]).file("a", 1);
    assert_eq!(
        refused(&form),
        Rejection::DuplicateField {
            field: "KEY".into()
        }
    );
}

#[test]
fn key_and_the_sigv4_fields_are_required() {
    let form = form_for(KEY_U, &[]).file("a", 1);
    assert_eq!(refused(&form), Rejection::MissingField { field: "key" });
    for missing in [
        "policy",
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-signature",
    ] {
        let mut form = Submission::new("b-1");
        for (n, v) in ok_form().fields() {
            if n != missing {
                form.push_field(n, v);
            }
        }
        let form = form.file("a", 1);
        assert_eq!(
            refused(&form),
            Rejection::MissingField { field: missing },
            "{missing}"
        );
    }
}

#[test]
fn fields_after_the_file_are_ignored() {
    // An uncovered field after the file: ignored, so accepted.
    let form = ok_form().field("x-extra", "1").field("key", "elsewhere/a");
    assert_eq!(verifier().verify_at(&form, NOW).unwrap().key, "u/a.txt");
    // The signature after the file: as if missing.
    let mut moved = Submission::new("b-1");
    let mut signature = String::new();
    for (n, v) in ok_form().fields() {
        if n == "x-amz-signature" {
            signature = v.into();
        } else {
            moved.push_field(n, v);
        }
    }
    let moved = moved.file("a", 1).field("x-amz-signature", signature);
    assert_eq!(
        refused(&moved),
        Rejection::MissingField {
            field: "x-amz-signature"
        }
    );
}

fn replace(form: &Submission, name: &str, value: &str) -> Submission {
    let mut out = Submission::new(form.bucket());
    for (n, v) in form.fields() {
        out.push_field(
            n,
            if n.eq_ignore_ascii_case(name) {
                value
            } else {
                v
            },
        );
    }
    let file = form.uploaded_file().unwrap();
    out.file(file.name.clone(), file.size)
}

#[test]
fn the_algorithm_must_be_aws4_hmac_sha256() {
    let r = refused(&replace(&ok_form(), "x-amz-algorithm", "AWS4-HMAC-SHA512"));
    assert!(matches!(r, Rejection::UnsupportedAlgorithm { .. }), "{r:?}");
    assert_eq!(r.value(), Some("AWS4-HMAC-SHA512"));
}

#[test]
fn the_credential_scope_must_be_an_s3_scope_for_the_bucket_region() {
    for bad in [
        "AKIDEXAMPLE/20300101/us-east-1/iam/aws4_request",
        "AKIDEXAMPLE/20300101/us-east-1/s3",
        "AKIDEXAMPLE/2030-01-01/us-east-1/s3/aws4_request",
        "AKIDEXAMPLE/20300101/eu-west-1/s3/aws4_request",
    ] {
        let r = refused(&replace(&ok_form(), "x-amz-credential", bad));
        assert!(
            matches!(r, Rejection::MalformedCredential { .. }),
            "{bad}: {r:?}"
        );
        assert_eq!(r.code(), S3ErrorCode::InvalidArgument);
    }
}

#[test]
fn the_date_must_fall_on_the_credential_date() {
    for bad in [
        "20300102T000000Z",
        "2030-01-01T00:00:00Z",
        "20300101T250000Z",
    ] {
        let r = refused(&replace(&ok_form(), "x-amz-date", bad));
        assert!(matches!(r, Rejection::MalformedDate { .. }), "{bad}: {r:?}");
    }
}

#[test]
fn the_access_key_must_be_known() {
    let other = Verifier::new(
        Credentials::new("OTHER", SK).unwrap(),
        Region::new("us-east-1").unwrap(),
    );
    let r = other.verify_at(&ok_form(), NOW).unwrap_err();
    assert_eq!(
        r,
        Rejection::UnknownAccessKey {
            access_key_id: AK.into()
        }
    );
    assert_eq!(
        (r.code(), r.http_status()),
        (S3ErrorCode::InvalidAccessKeyId, 403)
    );
    // A closure store.
    let lookup = |id: &str| (id == AK).then(|| Credentials::new(AK, SK).unwrap());
    let v = Verifier::new(lookup, Region::new("us-east-1").unwrap());
    assert!(v.verify_at(&ok_form(), NOW).is_ok());
    // A list of credentials.
    let list = vec![
        Credentials::new("OTHER", "x").unwrap(),
        Credentials::new(AK, SK).unwrap(),
    ];
    let v = Verifier::new(list, Region::new("us-east-1").unwrap());
    assert!(v.verify_at(&ok_form(), NOW).is_ok());
}

#[test]
fn session_tokens_must_match_the_credentials() {
    let temporary = Verifier::new(
        Credentials::new(AK, SK)
            .unwrap()
            .with_session_token("TOKEN")
            .unwrap(),
        Region::new("us-east-1").unwrap(),
    );
    let cond = r#", ["starts-with", "$key", "u/"], {"x-amz-security-token": "TOKEN"}"#;
    let with = |token: &str| {
        form_for(cond, &[("key", "u/a"), ("x-amz-security-token", token)]).file("a", 1)
    };
    assert!(temporary.verify_at(&with("TOKEN"), NOW).is_ok());
    let r = temporary.verify_at(&with("TOKEX"), NOW).unwrap_err();
    assert!(matches!(r, Rejection::InvalidSecurityToken { .. }), "{r:?}");
    assert_eq!(r.code(), S3ErrorCode::InvalidToken);
    let r = temporary.verify_at(&ok_form(), NOW).unwrap_err();
    assert!(matches!(r, Rejection::InvalidSecurityToken { .. }), "{r:?}");
    // Long-term credentials, and a token anyway.
    let r = refused(&with("TOKEN"));
    assert!(matches!(r, Rejection::InvalidSecurityToken { .. }), "{r:?}");
    // The policy names a token, the form does not carry it.
    let no_field = form_for(cond, &[("key", "u/a")]).file("a", 1);
    let r = Verifier::new(
        Credentials::new(AK, SK).unwrap(),
        Region::new("us-east-1").unwrap(),
    )
    .verify_at(&no_field, NOW)
    .unwrap_err();
    assert_eq!(r.field(), Some("x-amz-security-token"));
    assert!(
        matches!(r, Rejection::ConditionFailed { value: None, .. }),
        "{r:?}"
    );
}

#[test]
fn the_signature_must_be_the_policy_signed_with_the_secret() {
    let wrong_secret = Verifier::new(
        Credentials::new(AK, "another secret").unwrap(),
        Region::new("us-east-1").unwrap(),
    );
    let r = wrong_secret.verify_at(&ok_form(), NOW).unwrap_err();
    assert!(matches!(r, Rejection::SignatureMismatch { .. }), "{r:?}");
    assert_eq!(
        (r.code(), r.http_status()),
        (S3ErrorCode::SignatureDoesNotMatch, 403)
    );
    let sig = ok_form().get("x-amz-signature").unwrap().to_string();
    for bad in [
        sig.to_uppercase(),
        sig[..63].to_string(),
        format!("{sig}0"),
        String::new(),
    ] {
        let r = refused(&replace(&ok_form(), "x-amz-signature", &bad));
        assert!(matches!(r, Rejection::SignatureMismatch { .. }), "{bad}");
    }
    // A policy changed after signing.
    let (other_policy, _) = sign_json(r#", ["starts-with", "$key", ""]"#);
    let r = refused(&replace(&ok_form(), "policy", &other_policy));
    assert!(matches!(r, Rejection::SignatureMismatch { .. }), "{r:?}");
}

fn signed_raw(policy_bytes: &[u8]) -> Submission {
    let policy = BASE64.encode(policy_bytes);
    let signature = SigningKey::derive(SK, "20300101", "us-east-1", "s3")
        .sign(policy.as_bytes())
        .to_string();
    Submission::new("b-1")
        .field("key", "u/a")
        .field("x-amz-algorithm", "AWS4-HMAC-SHA256")
        .field("x-amz-credential", CREDENTIAL)
        .field("x-amz-date", DATE)
        .field("policy", policy)
        .field("x-amz-signature", signature)
        .file("a", 1)
}

#[test]
fn the_policy_must_be_a_valid_document() {
    for bad in [
        &b"not json"[..],
        b"\xff\xfe",
        b"{\"expiration\": \"2030-01-01T01:00:00Z\"}",
        b"",
    ] {
        let r = refused(&signed_raw(bad));
        assert!(matches!(r, Rejection::InvalidPolicy { .. }), "{r:?}");
        assert_eq!(r.code(), S3ErrorCode::InvalidPolicyDocument);
    }
    // Signed garbage that is not base64 at all.
    let r = refused(&replace(&signed_raw(b"{}"), "policy", "@@@"));
    assert!(matches!(r, Rejection::SignatureMismatch { .. }), "{r:?}");
    let form = form_for(
        r#", ["starts-with", "$bucket", "b"], ["starts-with", "$key", "u/"]"#,
        &[("key", "u/a")],
    );
    let r = refused(&form.file("a", 1));
    assert!(matches!(r, Rejection::InvalidPolicy { .. }), "{r:?}");
    assert!(r.to_string().contains("bucket"), "{r}");
}

#[test]
fn the_policy_must_not_have_expired() {
    let at_expiry = datetime!(2030-01-01 01:00 UTC);
    assert!(verifier().verify_at(&ok_form(), at_expiry).is_ok());
    let r = verifier()
        .verify_at(&ok_form(), at_expiry + Duration::milliseconds(1))
        .unwrap_err();
    assert!(matches!(r, Rejection::Expired { .. }), "{r:?}");
    assert_eq!(
        (r.code(), r.http_status()),
        (S3ErrorCode::AccessDenied, 403)
    );
    assert_eq!(
        r.s3_message(),
        "Invalid according to Policy: Policy expired."
    );
}

fn check(
    conditions: &str,
    fields: &[(&str, &str)],
    file: &str,
    size: u64,
) -> Result<Accepted, Rejection> {
    verifier().verify_at(&form_for(conditions, fields).file(file, size), NOW)
}

#[test]
fn exact_conditions_compare_byte_for_byte() {
    let cond = r#", {"key": "u/a"}, {"acl": "public-read"}"#;
    assert!(check(cond, &[("key", "u/a"), ("acl", "public-read")], "a", 1).is_ok());
    let r = check(cond, &[("key", "u/a"), ("acl", "Public-Read")], "a", 1).unwrap_err();
    assert_eq!(
        r,
        Rejection::ConditionFailed {
            field: "acl".into(),
            condition: Condition::eq(FieldName::lenient("acl"), "public-read"),
            value: Some("Public-Read".into()),
        }
    );
    assert_eq!(
        r.s3_message(),
        r#"Invalid according to Policy: Policy Condition failed: {"acl": "public-read"}"#
    );
    // ["eq", ...] is the same rule.
    let cond = r#", ["eq", "$key", "u/a"]"#;
    assert!(check(cond, &[("key", "u/a")], "a", 1).is_ok());
    assert!(check(cond, &[("key", "u/a ")], "a", 1).is_err());
}

#[test]
fn starts_with_conditions() {
    assert!(check(KEY_U, &[("key", "u/")], "a", 1).is_ok());
    let r = check(KEY_U, &[("key", "U/a")], "a", 1).unwrap_err();
    assert_eq!(r.field(), Some("key"));
    assert_eq!(r.value(), Some("U/a"));
    let any = r#", ["starts-with", "$key", ""]"#;
    assert!(check(any, &[("key", "anything")], "a", 1).is_ok());
}

#[test]
fn content_type_lists_must_match_in_every_part() {
    let cond = r#", ["starts-with", "$key", ""], ["starts-with", "$Content-Type", "image/"]"#;
    let ct = |v: &str| check(cond, &[("key", "k"), ("content-type", v)], "a", 1);
    assert_eq!(
        ct("image/png").unwrap().content_type.as_deref(),
        Some("image/png")
    );
    assert!(ct("image/png,image/jpeg").is_ok());
    let r = ct("image/png,text/html").unwrap_err();
    assert!(matches!(r, Rejection::ConditionFailed { .. }), "{r:?}");
    assert!(r.to_string().contains("list"), "{r}");
    assert!(ct("image/png, image/jpeg").is_err(), "no space is trimmed");
    // Only Content-Type is a list; other fields compare the whole value.
    let disp =
        r#", ["starts-with", "$key", ""], ["starts-with", "$Content-Disposition", "inline"]"#;
    assert!(check(
        disp,
        &[("key", "k"), ("Content-Disposition", "inline,attachment")],
        "a",
        1
    )
    .is_ok());
    // An exact Content-Type condition is not a list.
    let exact = r#", ["starts-with", "$key", ""], {"Content-Type": "a/b,c/d"}"#;
    assert!(check(exact, &[("key", "k"), ("Content-Type", "a/b,c/d")], "a", 1).is_ok());
}

#[test]
fn a_condition_on_a_field_the_form_lacks_fails() {
    let cond = r#", ["starts-with", "$key", ""], ["starts-with", "$x-amz-meta-tag", ""]"#;
    assert!(check(cond, &[("key", "k"), ("x-amz-meta-tag", "")], "a", 1).is_ok());
    let r = check(cond, &[("key", "k")], "a", 1).unwrap_err();
    assert!(
        matches!(&r, Rejection::ConditionFailed { field, value: None, .. } if field == "x-amz-meta-tag"),
        "{r:?}"
    );
    assert!(
        r.to_string().contains("has no `x-amz-meta-tag` field"),
        "{r}"
    );
}

#[test]
fn the_bucket_is_where_the_form_was_posted() {
    let form = ok_form();
    let mut elsewhere = Submission::new("b-2");
    for (n, v) in form.fields() {
        elsewhere.push_field(n, v);
    }
    let r = refused(&elsewhere.file("a", 1));
    assert_eq!(r.field(), Some("bucket"));
    assert_eq!(r.value(), Some("b-2"));
}

#[test]
fn every_field_needs_a_condition() {
    let r = check(KEY_U, &[("key", "u/a"), ("Content-MD5", "x")], "a", 1).unwrap_err();
    assert_eq!(
        r,
        Rejection::ExtraField {
            field: "Content-MD5".into(),
            value: "x".into()
        }
    );
    assert_eq!(r.code(), S3ErrorCode::AccessDenied);
    // x-ignore-* needs none, and names are case-insensitive.
    assert!(check(KEY_U, &[("KEY", "u/a"), ("X-Ignore-Me", "x")], "a", 1).is_ok());
    let meta = r#", ["starts-with", "$key", "u/"], {"x-amz-meta-Owner": "42"}"#;
    let accepted = check(meta, &[("key", "u/a"), ("X-AMZ-META-OWNER", "42")], "a", 1).unwrap();
    assert_eq!(accepted.metadata, [("owner".to_string(), "42".to_string())]);
    // A text field named `file` before the file needs no condition either.
    assert!(check(KEY_U, &[("key", "u/a"), ("file", "x")], "a", 1).is_ok());
}

#[test]
fn filename_is_substituted_before_checking() {
    let accepted = check(
        KEY_U,
        &[("key", "u/${filename}")],
        r"C:\a\b/c\photo 1.png",
        1,
    )
    .unwrap();
    assert_eq!(accepted.key, "u/photo 1.png");
    // In every field, not only the key.
    let disp =
        r#", ["starts-with", "$key", "u/"], {"Content-Disposition": "attachment; filename=p.png"}"#;
    let a = check(
        disp,
        &[
            ("key", "u/k"),
            ("Content-Disposition", "attachment; filename=${filename}"),
        ],
        "p.png",
        1,
    );
    assert!(a.is_ok(), "{a:?}");
    // An exact condition holding the placeholder cannot match.
    let exact = r#", {"key": "u/${filename}"}"#;
    let r = check(exact, &[("key", "u/${filename}")], "a.txt", 1).unwrap_err();
    assert_eq!(r.value(), Some("u/a.txt"));
    // A prefix that the file name must not escape.
    let r = check(KEY_U, &[("key", "${filename}")], "u/../x", 1).unwrap_err();
    assert_eq!(r.value(), Some("x"));
    // An empty file name gives an empty substitution.
    assert_eq!(
        check(KEY_U, &[("key", "u/x${filename}")], "", 1)
            .unwrap()
            .key,
        "u/x"
    );
}

#[test]
fn substitution_cannot_blow_up_memory() {
    let cond = r#", ["starts-with", "$key", "u/"], ["starts-with", "$x-amz-meta-a", ""]"#;
    let many = "${filename}".repeat(1_500);
    let r = check(
        cond,
        &[("key", "u/a"), ("x-amz-meta-a", &many)],
        &"n".repeat(100),
        1,
    )
    .unwrap_err();
    assert!(matches!(r, Rejection::InvalidValue { .. }), "{r:?}");
    assert!(check(cond, &[("key", "u/a"), ("x-amz-meta-a", &many)], "n", 1).is_ok());
}

#[test]
fn content_length_range_is_inclusive() {
    let cond = r#", ["starts-with", "$key", ""], ["content-length-range", 10, 20]"#;
    for ok in [10, 15, 20] {
        assert!(check(cond, &[("key", "k")], "a", ok).is_ok(), "{ok}");
    }
    let r = check(cond, &[("key", "k")], "a", 9).unwrap_err();
    assert!(
        matches!(
            r,
            Rejection::FileTooSmall {
                size: 9,
                min: 10,
                ..
            }
        ),
        "{r:?}"
    );
    assert_eq!(
        (r.code(), r.http_status()),
        (S3ErrorCode::EntityTooSmall, 400)
    );
    let r = check(cond, &[("key", "k")], "a", 21).unwrap_err();
    assert!(
        matches!(
            r,
            Rejection::FileTooLarge {
                size: 21,
                max: 20,
                condition: Some(_)
            }
        ),
        "{r:?}"
    );
    assert_eq!(r.code(), S3ErrorCode::EntityTooLarge);
    // Without a range, S3's own limit of 5 GiB; sizes need 64 bits.
    assert!(check(KEY_U, &[("key", "u/k")], "a", 5 << 30).is_ok());
    let r = check(KEY_U, &[("key", "u/k")], "a", (5 << 30) + 1).unwrap_err();
    assert!(
        matches!(
            r,
            Rejection::FileTooLarge {
                condition: None,
                ..
            }
        ),
        "{r:?}"
    );
    let big = r#", ["starts-with", "$key", ""], ["content-length-range", 4294967296, 5368709120]"#;
    assert!(check(big, &[("key", "k")], "a", 4_294_967_297).is_ok());
    assert!(check(big, &[("key", "k")], "a", 1).is_err());
}

#[test]
fn stored_values_s3_checks() {
    let any = |f: &str| format!(r#", ["starts-with", "$key", ""], ["starts-with", "${f}", ""]"#);
    let exact = |f: &str, v: &str| format!(r#", ["starts-with", "$key", ""], {{"{f}": "{v}"}}"#);
    let r = check(
        &exact("acl", "world"),
        &[("key", "k"), ("acl", "world")],
        "a",
        1,
    )
    .unwrap_err();
    assert_eq!(
        (r.code(), r.field()),
        (S3ErrorCode::InvalidArgument, Some("acl"))
    );
    let ok = check(
        &exact("acl", "private"),
        &[("key", "k"), ("acl", "private")],
        "a",
        1,
    )
    .unwrap();
    assert_eq!(ok.acl.as_deref(), Some("private"));
    let r = check(
        &exact("x-amz-storage-class", "COLD"),
        &[("key", "k"), ("x-amz-storage-class", "COLD")],
        "a",
        1,
    )
    .unwrap_err();
    assert_eq!(r.code(), S3ErrorCode::InvalidStorageClass);
    let ok = check(
        &exact("x-amz-storage-class", "STANDARD_IA"),
        &[("key", "k"), ("x-amz-storage-class", "STANDARD_IA")],
        "a",
        1,
    )
    .unwrap();
    assert_eq!(
        ok.headers,
        [("x-amz-storage-class".to_string(), "STANDARD_IA".to_string())]
    );
    let long = "k".repeat(1025);
    let r = check(&any("key"), &[("key", &long)], "a", 1).unwrap_err();
    assert_eq!(r.code(), S3ErrorCode::KeyTooLongError);
    assert!(check(&any("key"), &[("key", &long[..1024])], "a", 1).is_ok());
    let r = check(&any("key"), &[("key", "")], "a", 1).unwrap_err();
    assert_eq!(r.code(), S3ErrorCode::InvalidArgument);
    // success_action_status: a bad value means the default, 204.
    let status = |v: &str| {
        check(
            &exact("success_action_status", v),
            &[("key", "k"), ("success_action_status", v)],
            "a",
            1,
        )
        .unwrap()
        .success_action_status
    };
    assert_eq!(
        (status("201"), status("200"), status("202"), status("x")),
        (201, 200, 204, 204)
    );
    let redirect = exact("success_action_redirect", "https://app.example/done");
    let ok = check(
        &redirect,
        &[
            ("key", "k"),
            ("success_action_redirect", "https://app.example/done"),
        ],
        "a",
        1,
    )
    .unwrap();
    assert_eq!(ok.redirect.as_deref(), Some("https://app.example/done"));
}

#[test]
fn rejections_name_codes_statuses_and_fixes() {
    let cases: Vec<(Rejection, S3ErrorCode, u16)> = vec![
        (Rejection::MissingFile, S3ErrorCode::InvalidArgument, 400),
        (
            Rejection::FormTooLarge { size: 1, limit: 0 },
            S3ErrorCode::MaxPostPreDataLengthExceeded,
            400,
        ),
        (
            Rejection::MissingField { field: "key" },
            S3ErrorCode::InvalidArgument,
            400,
        ),
        (
            Rejection::DuplicateField { field: "k".into() },
            S3ErrorCode::InvalidArgument,
            400,
        ),
        (
            Rejection::UnsupportedAlgorithm { value: "x".into() },
            S3ErrorCode::InvalidArgument,
            400,
        ),
        (
            Rejection::UnknownAccessKey {
                access_key_id: "x".into(),
            },
            S3ErrorCode::InvalidAccessKeyId,
            403,
        ),
        (
            Rejection::InvalidSecurityToken { reason: "x" },
            S3ErrorCode::InvalidToken,
            400,
        ),
        (
            Rejection::SignatureMismatch { value: "x".into() },
            S3ErrorCode::SignatureDoesNotMatch,
            403,
        ),
        (
            Rejection::InvalidPolicy { reason: "x".into() },
            S3ErrorCode::InvalidPolicyDocument,
            400,
        ),
        (
            Rejection::ExtraField {
                field: "f".into(),
                value: "v".into(),
            },
            S3ErrorCode::AccessDenied,
            403,
        ),
    ];
    for (r, code, status) in cases {
        assert_eq!((r.code(), r.http_status()), (code, status), "{r:?}");
        assert!(!r.to_string().is_empty());
        assert!(r.to_xml().contains(&format!("<Code>{code}</Code>")));
    }
    // Hostile values are cut and escaped in messages.
    let r = Rejection::ExtraField {
        field: "f".into(),
        value: "<\n>".repeat(1000),
    };
    let shown = r.to_string();
    assert!(
        shown.len() < 1000 && shown.contains("\\n") && shown.contains("3000 bytes"),
        "{shown}"
    );
    let xml = Rejection::ExtraField {
        field: "<&>\u{1}".into(),
        value: String::new(),
    }
    .to_xml();
    assert!(xml.contains("&lt;&amp;&gt;&#x1;"), "{xml}");
}

#[test]
fn secrets_stay_out_of_debug() {
    let v = Verifier::new(
        Credentials::new(AK, SK)
            .unwrap()
            .with_session_token("TOKEN-SECRET")
            .unwrap(),
        Region::new("us-east-1").unwrap(),
    );
    let shown = format!("{v:?}");
    assert!(
        !shown.contains(SK) && !shown.contains("TOKEN-SECRET"),
        "{shown}"
    );
}

#[test]
fn check_policy_skips_only_the_signature() {
    let doc = PolicyDocument::from_json(
        r#"{"expiration": "2030-01-01T01:00:00Z", "conditions": [{"bucket": "b-1"}, ["starts-with", "$key", "u/"]]}"#,
    )
    .unwrap();
    let form = Submission::new("b-1").field("key", "u/a").file("a", 1);
    assert!(check_policy(&doc, &form, NOW).is_ok());
    assert_eq!(policy_failures(&doc, &form, NOW), vec![]);
    let form = form.clone().field("ignored", "after the file");
    assert!(check_policy(&doc, &form, NOW).is_ok());
    let uncovered = Submission::new("b-1")
        .field("key", "u/a")
        .field("x", "1")
        .file("a", 1);
    assert!(matches!(
        check_policy(&doc, &uncovered, NOW),
        Err(Rejection::ExtraField { .. })
    ));
}

#[test]
fn the_cached_signing_key_follows_the_secret() {
    use std::sync::atomic::{AtomicBool, Ordering};
    // The store's secret for AK changes between forms (a rotated key).
    let rotated = AtomicBool::new(false);
    let store = |id: &str| {
        let secret = if rotated.load(Ordering::SeqCst) {
            "another-secret"
        } else {
            SK
        };
        (id == AK).then(|| Credentials::new(AK, secret).unwrap())
    };
    let verifier = Verifier::new(store, Region::new("us-east-1").unwrap());
    let form = ok_form();
    assert!(verifier.verify_at(&form, NOW).is_ok());
    // Served from the cache the second time, with the same answer.
    assert!(verifier.verify_at(&form, NOW).is_ok());
    rotated.store(true, Ordering::SeqCst);
    assert!(matches!(
        verifier.verify_at(&form, NOW),
        Err(Rejection::SignatureMismatch { .. })
    ));
    rotated.store(false, Ordering::SeqCst);
    assert!(verifier.verify_at(&form, NOW).is_ok());
}

/// S3's checksum rules for a form (OpenStack Swift's s3api tests, written
/// against AWS; versitygw's PostObject checksum tests): one
/// `x-amz-checksum-*` field, a known algorithm agreeing with it, a value of
/// the digest's length; the verifier names the checksum the bytes must have.
#[test]
fn checksum_fields() {
    // Each field sent, with an exact condition for it.
    let with = |fields: &[(&str, &str)]| {
        let mut all = vec![("key", "u/a")];
        all.extend_from_slice(fields);
        let covered: String = fields
            .iter()
            .map(|(n, v)| format!(r#", {{"{n}": "{v}"}}"#))
            .collect();
        form_for(&format!("{KEY_U}{covered}"), &all).file("a", 9)
    };
    let crc = ("x-amz-checksum-crc32", "y/Q5Jg==");
    let accepted = verifier().verify_at(&with(&[crc]), NOW).unwrap();
    let checksum = accepted.checksum.unwrap();
    assert_eq!(checksum.algorithm(), crate::rules::ChecksumAlgorithm::Crc32);
    assert_eq!(checksum.expected(), "y/Q5Jg==");
    assert!(accepted.headers.is_empty(), "{:?}", accepted.headers);
    let named = [crc, ("X-Amz-Checksum-Algorithm", "CRC32")];
    assert_eq!(
        verifier().verify_at(&with(&named), NOW).unwrap().checksum,
        Some(checksum)
    );

    let code = |fields: &[(&str, &str)]| refused(&with(fields)).code();
    assert_eq!(
        code(&[("x-amz-checksum-algorithm", "SHA1")]),
        S3ErrorCode::InvalidRequest
    );
    let sha1 = ("x-amz-checksum-sha1", "98O8HYCOBHMq32eZZczDTKeuNEE=");
    assert_eq!(code(&[crc, sha1]), S3ErrorCode::InvalidRequest);
    assert_eq!(
        code(&[crc, ("x-amz-checksum-algorithm", "SHA1")]),
        S3ErrorCode::InvalidRequest
    );
    assert_eq!(
        code(&[("x-amz-checksum-algorithm", "MD5")]),
        S3ErrorCode::InvalidRequest
    );
    let short = refused(&with(&[("x-amz-checksum-crc32", "shrt")]));
    assert_eq!(short.code(), S3ErrorCode::InvalidRequest);
    assert_eq!(short.field(), Some("x-amz-checksum-crc32"));
    assert_eq!(
        short.s3_message(),
        "Value for x-amz-checksum-crc32 header is invalid."
    );
    // Uncovered checksum fields are extra fields first, as any other.
    let uncovered = form_for(KEY_U, &[("key", "u/a"), crc]).file("a", 9);
    assert_eq!(refused(&uncovered).code(), S3ErrorCode::AccessDenied);
}

/// ceph/s3-tests `missing_policy_condition`, versitygw
/// `policy_missing_bucket_condition`: 403 without a bucket condition.
#[test]
fn the_policy_must_name_the_bucket() {
    let json = format!(
        r#"{{"expiration": "2030-01-01T01:00:00.000Z", "conditions": [
            {{"x-amz-algorithm": "AWS4-HMAC-SHA256"}}, {{"x-amz-credential": "{CREDENTIAL}"}},
            {{"x-amz-date": "{DATE}"}}, ["starts-with", "$key", "u/"]]}}"#
    );
    let r = refused(&signed_raw(json.as_bytes()));
    assert_eq!(r, Rejection::PolicyLacksCondition { field: "bucket" });
    assert_eq!(r.code(), S3ErrorCode::AccessDenied);
    assert!(r.to_string().contains("add {\"bucket\": ...}"), "{r}");
    let named = json.replace(
        "[\"starts-with\"",
        "{\"BUCKET\": \"b-1\"}, [\"starts-with\"",
    );
    assert!(verifier()
        .verify_at(&signed_raw(named.as_bytes()), NOW)
        .is_ok());
}

/// The `tagging` field (ceph/s3-tests `tags_authenticated_request`,
/// versitygw `invalid_tagging`): XML, kept apart from the headers; not XML
/// is `MalformedXML`.
#[test]
fn tagging_is_an_xml_tag_set() {
    let tags = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>";
    let covered = r#", ["starts-with", "$key", "u/"], ["starts-with", "$tagging", ""]"#;
    let form = |value: &str| form_for(covered, &[("key", "u/a"), ("Tagging", value)]).file("a", 1);
    let accepted = verifier().verify_at(&form(tags), NOW).unwrap();
    assert_eq!(accepted.tagging.as_deref(), Some(tags));
    assert!(accepted.headers.is_empty(), "{:?}", accepted.headers);
    let r = refused(&form("not-xml"));
    assert_eq!(r.code(), S3ErrorCode::MalformedXML);
    assert_eq!(r.field(), Some("tagging"));
    assert!(r.to_string().contains("<Tagging><TagSet>"), "{r}");
}

/// Conditions S3 reads but no form meets (LocalStack's AWS-validated
/// recordings): a field without its `$`, a size that is not a number.
/// 403 "Policy Condition failed", where a malformed document is 400.
#[test]
fn conditions_no_form_meets_fail_the_form() {
    for condition in [
        r#"["eq", "x-amz-meta-a", "x"]"#,
        r#"["starts-with", "key", "u/"]"#,
        r#"["content-length-range", "test", "10"]"#,
    ] {
        let form = form_for(
            &format!(r#", ["starts-with", "$key", "u/"], {condition}"#),
            &[("key", "u/a"), ("x-amz-meta-a", "x")],
        )
        .file("a", 1);
        let covered = refused(&form);
        assert_eq!(
            covered,
            Rejection::UnmetCondition {
                condition: condition.into()
            },
            "{condition}"
        );
        assert_eq!(covered.code(), S3ErrorCode::AccessDenied);
        assert_eq!(
            covered.s3_message(),
            format!("Invalid according to Policy: Policy Condition failed: {condition}")
        );
    }
    // A bound that is not a number at all is still a malformed document.
    let form = form_for(r#", ["content-length-range", 1.5, 10]"#, &[("key", "u/a")]).file("a", 1);
    assert_eq!(refused(&form).code(), S3ErrorCode::InvalidPolicyDocument);
}

#[test]
fn every_code_the_rule_table_names_is_an_s3_error_code() {
    for spec in crate::rules::FIELDS {
        if let Some(code) = spec.refused_with {
            assert_eq!(
                S3ErrorCode::named(code).map(S3ErrorCode::as_str),
                Some(code),
                "{}",
                spec.name
            );
        }
    }
}

#[test]
fn sse_c_values_s3_cannot_read_are_refused() {
    let exact = |f: &str, v: &str| format!(r#", ["starts-with", "$key", ""], {{"{f}": "{v}"}}"#);
    let key = "x-amz-server-side-encryption-customer-key";
    let md5 = "x-amz-server-side-encryption-customer-key-MD5";
    for (field, value) in [
        (key, "MDEyMzQ1Njc4OWFiY2RlZg=="),
        (key, "not a key"),
        (md5, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
    ] {
        let r = check(
            &exact(field, value),
            &[("key", "k"), (field, value)],
            "a",
            1,
        )
        .unwrap_err();
        assert_eq!(
            (r.code(), r.field()),
            (S3ErrorCode::InvalidArgument, Some(field)),
            "{field}: {value}"
        );
    }
}

/// The three SSE-C fields: the algorithm, the 32 bytes
/// `0123456789abcdef0123456789abcdef` as the key, and their MD5 (its name
/// in another case).
type Field = (&'static str, &'static str);
const SSE_C: (Field, Field, Field) = (
    ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
    (
        "x-amz-server-side-encryption-customer-key",
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
    ),
    (
        "X-Amz-Server-Side-Encryption-Customer-Key-MD5",
        "hRasmdxgYDKV3nvbahU1MA==",
    ),
);

/// A form sending `key` and then `fields`, under a policy with an exact
/// condition on each of `fields`; no file yet.
fn exactly(fields: &[(&str, &str)]) -> Submission {
    let conditions: String = fields
        .iter()
        .map(|(f, v)| format!(r#", {{"{f}": "{v}"}}"#))
        .collect();
    let mut form = vec![("key", "k")];
    form.extend_from_slice(fields);
    form_for(
        &format!(r#", ["starts-with", "$key", ""]{conditions}"#),
        &form,
    )
}

/// Any SSE-C field asks for all three, and the key's MD5 must be the MD5
/// of the key's bytes; S3 answers `InvalidArgument` with its own message.
#[test]
fn sse_c_fields_go_together_and_the_md5_is_the_keys() {
    let (algorithm, key, md5) = SSE_C;
    // The MD5 of the key's base64 text instead of its bytes.
    let text_md5 = (md5.0, "t52DDCIm7WL8PC2PMFZOiw==");
    let submit = |fields: &[(&str, &str)]| verifier().verify_at(&exactly(fields).file("a", 1), NOW);
    let accepted = submit(&[algorithm, key, md5]).unwrap();
    assert!(accepted.headers.iter().any(|(n, _)| n == key.0));
    for (fields, field, s3) in [
        (
            vec![algorithm],
            key.0,
            "must provide an appropriate secret key.",
        ),
        (vec![md5], key.0, "must provide an appropriate secret key."),
        (
            vec![algorithm, key],
            "x-amz-server-side-encryption-customer-key-MD5",
            "must provide the client calculated MD5 of the secret key.",
        ),
        (
            vec![key, md5],
            algorithm.0,
            "must provide a valid encryption algorithm.",
        ),
        (
            vec![algorithm, key, text_md5],
            "x-amz-server-side-encryption-customer-key-MD5",
            "The calculated MD5 hash of the key did not match the hash that was provided.",
        ),
    ] {
        let r = submit(&fields).unwrap_err();
        assert_eq!(r.code(), S3ErrorCode::InvalidArgument, "{fields:?}");
        assert_eq!(r.http_status(), 400, "{fields:?}");
        assert_eq!(r.field(), Some(field), "{fields:?}");
        assert!(
            r.s3_message().ends_with(s3),
            "{fields:?}: {}",
            r.s3_message()
        );
    }
    let mismatch = submit(&[algorithm, key, text_md5]).unwrap_err().to_string();
    assert!(
        mismatch.contains(md5.1),
        "names the MD5 to send: {mismatch}"
    );
}

/// S3 refuses SSE-C over plain HTTP, whatever the fields hold
/// (`InvalidRequest`); a form not marked as plain HTTP came over TLS.
#[test]
fn sse_c_over_plain_http_is_refused() {
    let (algorithm, key, md5) = SSE_C;
    let submit = |fields: &[(&str, &str)], plain_http: bool| {
        let form = exactly(fields);
        let form = if plain_http { form.plain_http() } else { form };
        verifier().verify_at(&form.file("a", 1), NOW)
    };
    assert!(submit(&[algorithm, key, md5], false).is_ok());
    assert!(submit(&[], true).is_ok(), "no SSE-C: plain HTTP is fine");
    for (fields, first) in [
        (
            vec![algorithm, key, md5],
            "x-amz-server-side-encryption-customer-algorithm",
        ),
        (
            vec![md5, key, algorithm],
            "x-amz-server-side-encryption-customer-key-MD5",
        ),
        // Before the fields are checked together: one alone is refused
        // for the transport.
        (vec![key], key.0),
    ] {
        let r = submit(&fields, true).unwrap_err();
        assert_eq!(r.code(), S3ErrorCode::InvalidRequest, "{fields:?}");
        assert_eq!(r.http_status(), 400, "{fields:?}");
        assert_eq!(r.field(), Some(first), "{fields:?}");
        assert_eq!(
            r.s3_message(),
            "Requests specifying Server Side Encryption with Customer provided keys must be \
             made over a secure connection."
        );
        let message = r.to_string();
        assert!(message.contains("https://"), "{message}");
        assert!(!message.contains(key.1), "{message}");
    }
}

/// A rejection never carries a secret field's value (the SSE-C key), sent
/// or in the policy's condition: not in `Debug`, `Display`, S3's message,
/// the XML body or `value()`, whatever the rule that refused it.
#[test]
fn rejections_carry_no_sse_c_key() {
    let (algorithm, key, md5) = SSE_C;
    // Another valid key (32 bytes), and a passphrase where a key belongs.
    let other = "c2Vjb25kIGtleSBvZiB0aGlydHktdHdvIGJ5dGVzISE=";
    let passphrase = "my long secret passphrase";
    let exact = |fields: &[(&str, &str)]| -> String {
        fields
            .iter()
            .map(|(f, v)| format!(r#", {{"{f}": "{v}"}}"#))
            .collect()
    };
    let starts_key = r#", ["starts-with", "$key", ""]"#;
    let cases = [
        // The policy pins one key, the form sends another.
        (
            format!("{starts_key}{}", exact(&[algorithm, key, md5])),
            vec![("key", "k"), algorithm, (key.0, other), md5],
        ),
        // No condition covers the key.
        (
            format!("{starts_key}{}", exact(&[algorithm, md5])),
            vec![("key", "k"), algorithm, (key.0, other), md5],
        ),
        // A value S3 cannot read as a key, covered by its condition.
        (
            format!(
                "{starts_key}{}",
                exact(&[algorithm, (key.0, passphrase), md5])
            ),
            vec![("key", "k"), algorithm, (key.0, passphrase), md5],
        ),
    ];
    let mut fields_refused = Vec::new();
    for (conditions, fields) in &cases {
        let r = check(conditions, fields, "a", 1).unwrap_err();
        fields_refused.push(r.field().map(str::to_string));
        let shown = [
            format!("{r:?}"),
            r.to_string(),
            r.s3_message(),
            r.to_xml(),
            r.value().unwrap_or_default().to_string(),
        ];
        for text in shown {
            for secret in [key.1, other, passphrase] {
                assert!(!text.contains(secret), "{text}");
            }
        }
    }
    assert_eq!(
        fields_refused,
        [
            Some(key.0.to_string()),
            Some(key.0.to_string()),
            Some(key.0.to_string())
        ]
    );
}
