//! Forms signed by our `Signer`, filled in as a browser would, verify; the
//! same forms with one thing wrong are refused for that reason.

use policy_runtime::verify::{Rejection, S3ErrorCode, Submission, Verifier};
use policy_runtime::{Credentials, Policy, Region, SignOptions, SignedPost, Signer};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

#[derive(Clone, Debug)]
struct Case {
    token: Option<String>,
    region: &'static str,
    now: i64,
    key_prefix: String,
    content_type: Option<(bool, String)>,
    meta: Vec<(String, String)>,
    range: Option<(u64, u64)>,
    size_pick: u64,
    file_name: String,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ._/-]{0,20}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
        Just("\"\\$'<>&%+ é🎉\u{0}\n".to_string()),
    ]
    .prop_map(|s| s.replace("${filename}", "$filename").replace(',', ";"))
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::option::of("[A-Za-z0-9/+=]{16,64}"),
        prop::sample::select(&["us-east-1", "eu-west-3", "garage", "auto"][..]),
        1_577_836_800i64..2_082_758_400,
        text(),
        prop::option::of((any::<bool>(), text())),
        prop::collection::btree_map("[a-z0-9][a-z0-9-]{0,8}", text(), 0..3),
        prop::option::of((0u64..=5 << 30, 0u64..=5 << 30)),
        any::<u64>(),
        text(),
    )
        .prop_map(
            |(token, region, now, key_prefix, content_type, meta, range, size_pick, file_name)| {
                Case {
                    token,
                    region,
                    now,
                    key_prefix,
                    content_type,
                    meta: meta.into_iter().collect(),
                    range: range.map(|(a, b)| (a.min(b), a.max(b))),
                    size_pick,
                    file_name,
                }
            },
        )
}

fn credentials(case: &Case) -> Credentials {
    let c = Credentials::new("AKIDEXAMPLE", "secret/with+chars").unwrap();
    match &case.token {
        Some(t) => c.with_session_token(t).unwrap(),
        None => c,
    }
}

fn sign(case: &Case) -> (SignedPost, OffsetDateTime) {
    let mut b = Policy::builder()
        .bucket("bucket-1")
        .unwrap()
        .key_starts_with(case.key_prefix.clone())
        .unwrap()
        .expires_in(Duration::minutes(10));
    if let Some((exact, v)) = &case.content_type {
        b = if *exact {
            b.content_type(v.clone())
        } else {
            b.starts_with("Content-Type", v.clone())
        }
        .unwrap();
    }
    for (n, v) in &case.meta {
        b = b.meta(n, v.clone()).unwrap();
    }
    if let Some((min, max)) = case.range {
        b = b.content_length_range(min..=max).unwrap();
    }
    let signer = Signer::new(credentials(case), Region::new(case.region).unwrap());
    let now = OffsetDateTime::from_unix_timestamp(case.now).unwrap();
    let post = signer
        .sign_with(&b.build().unwrap(), SignOptions::new().at(now))
        .unwrap();
    (post, now)
}

/// The browser's form: the signed fields, each client field with its
/// prefix plus `tail`, then the file.
fn browser_form(post: &SignedPost, tail: &str, file: &str, size: u64) -> Submission {
    let mut form = Submission::new("bucket-1");
    for (n, v) in post.fields() {
        form.push_field(n, v);
    }
    for c in post.client_fields() {
        form.push_field(c.name.as_str(), format!("{}{tail}", c.prefix));
    }
    form.file(file, size)
}

fn size(case: &Case) -> u64 {
    match case.range {
        Some((min, max)) => min + case.size_pick % (max - min + 1).max(1),
        None => case.size_pick % (5 << 30),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn signed_forms_verify(case in case()) {
        let (post, now) = sign(&case);
        let verifier = Verifier::new(credentials(&case), Region::new(case.region).unwrap());
        let size = size(&case);
        let form = browser_form(&post, "x", &case.file_name, size);
        let accepted = verifier.verify_at(&form, now + Duration::minutes(5));
        let base = case.file_name.rsplit(['/', '\\']).next().unwrap();
        if case.key_prefix.is_empty() && base.is_empty() {
            // The key comes out empty, which S3 refuses.
            let r = accepted.unwrap_err();
            prop_assert_eq!(r.code(), S3ErrorCode::InvalidArgument, "{}", r);
            return Ok(());
        }
        let accepted = match accepted {
            Ok(a) => a,
            Err(e) => return Err(TestCaseError::fail(format!("{e} ({e:?})"))),
        };
        prop_assert_eq!(&accepted.key, &format!("{}{base}", case.key_prefix));
        prop_assert_eq!(accepted.size, size);
        prop_assert_eq!(accepted.metadata.len(), case.meta.len());
        if let Some((true, ct)) = &case.content_type {
            prop_assert_eq!(accepted.content_type.as_deref(), Some(ct.as_str()));
        }
    }

    #[test]
    fn one_wrong_thing_is_refused_for_that_reason(case in case(), which in 0usize..6) {
        let (post, now) = sign(&case);
        let verifier = Verifier::new(credentials(&case), Region::new(case.region).unwrap());
        let size = size(&case);
        let later = now + Duration::minutes(5);
        let (form, at, expect) = match which {
            0 => (browser_form(&post, "", "f", size), now + Duration::minutes(11), S3ErrorCode::AccessDenied),
            1 => {
                let mut form = browser_form(&post, "", "f", size);
                form = form_with(&form, "x-amz-signature", |s| {
                    let flipped = if s.starts_with('0') { "1" } else { "0" };
                    format!("{flipped}{}", &s[1..])
                });
                (form, later, S3ErrorCode::SignatureDoesNotMatch)
            }
            2 => (
                form_with(&browser_form(&post, "", "f", size), "key", |k| format!("other/{k}")),
                later,
                S3ErrorCode::AccessDenied,
            ),
            3 => {
                let mut form = Submission::new("bucket-1");
                for (n, v) in browser_form(&post, "", "f", size).fields() {
                    form.push_field(n, v);
                }
                (form.field("x-uncovered", "1").file("f", size), later, S3ErrorCode::AccessDenied)
            }
            4 => match case.range {
                Some((_, max)) if max < 5 << 30 => {
                    (browser_form(&post, "", "f", max + 1), later, S3ErrorCode::EntityTooLarge)
                }
                Some((min, _)) if min > 0 => {
                    (browser_form(&post, "", "f", min - 1), later, S3ErrorCode::EntityTooSmall)
                }
                _ => (browser_form(&post, "", "f", (5 << 30) + 1), later, S3ErrorCode::EntityTooLarge),
            },
            _ => {
                let other = Verifier::new(credentials(&case), Region::new("ap-south-2").unwrap());
                let r = other.verify_at(&browser_form(&post, "", "f", size), later).unwrap_err();
                prop_assert!(matches!(r, Rejection::MalformedCredential { .. }), "{:?}", r);
                return Ok(());
            }
        };
        // A key outside a prefix `""` does not exist.
        if which == 2 && case.key_prefix.is_empty() {
            return Ok(());
        }
        let r = verifier.verify_at(&form, at).unwrap_err();
        prop_assert_eq!(r.code(), expect, "{}", r);
    }
}

fn form_with(form: &Submission, name: &str, change: impl Fn(&str) -> String) -> Submission {
    let mut out = Submission::new(form.bucket());
    for (n, v) in form.fields() {
        if n == name {
            out.push_field(n, change(v));
        } else {
            out.push_field(n, v);
        }
    }
    let file = form.uploaded_file().unwrap();
    out.file(file.name.clone(), file.size)
}
