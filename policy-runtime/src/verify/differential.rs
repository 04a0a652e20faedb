//! The verifier against the oracle in `reference.rs` (the implementation
//! before the borrowed parse): for generated policies and forms, valid and
//! broken, both must give exactly the same verdict, reason strings
//! included.

use base64::Engine as _;
use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::document::BASE64;
use crate::sigv4::SigningKey;
use crate::{Credentials, Region};

const AK: &str = "AKIDEXAMPLE";
const SK: &str = "diff/secret+key";
const TOKEN: &str = "TOKEN-EXAMPLE";
const SIGNED_AT: OffsetDateTime = datetime!(2030-01-01 00:00 UTC);

/// Names in policies and forms, in several spellings.
const NAMES: &[&str] = &[
    "key",
    "KEY",
    "Key",
    "bucket",
    "BUCKET",
    "acl",
    "Content-Type",
    "content-type",
    "CONTENT-TYPE",
    "x-amz-meta-owner",
    "X-Amz-Meta-Owner",
    "x-amz-meta-",
    "x-amz-meta-a b",
    "x-ignore-x",
    "X-IGNORE-y",
    "file",
    "policy",
    "Policy",
    "x-amz-signature",
    "success_action_status",
    "success_action_redirect",
    "redirect",
    "x-amz-storage-class",
    "x-amz-security-token",
    "tagging",
    "Expires",
    "x-amz-algorithm",
    "X-Amz-Credential",
    "x-amz-date",
    "Cache-Control",
    "x-amz-server-side-encryption",
    "x-amz-object-lock-retain-until-date",
    "x-amz-checksum-algorithm",
    "Content-MD5",
    "",
    "x-unknown",
    "ß",
    "\u{212a}ey",
    "contenttype",
];

/// Values in policies and forms.
const VALUES: &[&str] = &[
    "u/a",
    "u/${filename}",
    "${filename}",
    "${filename}${filename}",
    "u/",
    "",
    "private",
    "public-read",
    "world",
    "image/png",
    "image/png,text/plain",
    "image/png,image/gif",
    "image/",
    "201",
    "200",
    "202",
    "b-1",
    "Bad_Bucket",
    "https://example.com/done",
    "/done",
    "ftp://x",
    "GLACIER",
    "glacier",
    "AES256",
    "SHA256",
    "2030-01-01T00:00:00Z",
    "tomorrow",
    "é",
    "🎉",
    "a\"b\\c",
    "AWS4-HMAC-SHA256",
    "AKIDEXAMPLE/20300101/us-east-1/s3/aws4_request",
    "20300101T000000Z",
    TOKEN,
];

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(NAMES).prop_map(str::to_string),
        1 => "[a-zA-Z$_-]{0,6}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::sample::select(VALUES).prop_map(str::to_string),
        1 => any::<String>(),
        1 => (1usize..1100).prop_map(|n| "x".repeat(n)),
    ]
}

/// A JSON string literal for `s`, sometimes with escapes JSON allows but
/// a serializer would not write.
fn json_str(s: &str, escape: u8) -> String {
    match escape % 4 {
        0 => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '/' => out.push_str("\\/"),
                    c if c.is_ascii_alphabetic() && c as u32 % 3 == 0 => {
                        out.push_str(&format!("\\u{:04x}", c as u32));
                    }
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        _ => serde_json::to_string(s).unwrap_or_default(),
    }
}

fn condition() -> impl Strategy<Value = String> {
    let op = prop::sample::select(
        &[
            "eq",
            "EQ",
            "starts-with",
            "Starts-With",
            "in",
            "content-length-range",
        ][..],
    );
    let size = prop_oneof![
        Just("0".to_string()),
        Just("1".to_string()),
        Just("10".to_string()),
        Just("5368709120".to_string()),
        Just("5368709121".to_string()),
        Just("-1".to_string()),
        Just("1.5".to_string()),
        Just("\"5\"".to_string()),
        (0u64..2000).prop_map(|n| n.to_string()),
    ];
    prop_oneof![
        4 => (name(), value(), any::<u8>(), any::<u8>())
            .prop_map(|(n, v, e, f)| format!("{{{}: {}}}", json_str(&n, e), json_str(&v, f))),
        1 => (name(), value(), name(), value())
            .prop_map(|(n, v, m, w)| format!("{{{}: {}, {}: {}}}", json_str(&n, 1), json_str(&v, 1), json_str(&m, 1), json_str(&w, 1))),
        4 => (op.clone(), name(), value(), any::<u8>(), 0u8..8)
            .prop_map(|(o, n, v, e, dollar)| {
                let field = if dollar > 0 { format!("${n}") } else { n };
                format!("[{}, {}, {}]", json_str(o, e), json_str(&field, e), json_str(&v, e))
            }),
        2 => (size.clone(), size)
            .prop_map(|(a, b)| format!("[\"content-length-range\", {a}, {b}]")),
        1 => prop::sample::select(&[
            "{}", "[]", "[\"eq\"]", "[\"eq\", \"$key\"]", "[\"eq\", \"$key\", \"a\", \"b\"]",
            "{\"key\": 1}", "[\"starts-with\", \"$key\", null]", "7", "\"x\"",
        ][..]).prop_map(str::to_string),
    ]
}

fn expiration() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "\"2030-01-01T01:00:00.000Z\"",
            "\"2030-01-01T01:00:00.000Z\"",
            "\"2030-01-01T01:00:00.000Z\"",
            "\"2030-01-01T01:00:00Z\"",
            "\"2030-01-01T00:00:00Z\"",
            "\"2030-01-01T00:30:00.0009Z\"",
            "\"2030-01-01T02:00:00+01:00\"",
            "\"2029-12-31T23:59:59.999999999Z\"",
            "\"tomorrow\"",
            "1",
        ][..],
    )
    .prop_map(str::to_string)
}

/// The signer's conditions, when the generated policy is meant to pass.
const SIGNER: &str = r#"{"bucket": "b-1"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": "AKIDEXAMPLE/20300101/us-east-1/s3/aws4_request"}, {"x-amz-date": "20300101T000000Z"}"#;

fn policy_json() -> impl Strategy<Value = String> {
    (
        expiration(),
        prop::collection::vec(condition(), 0..7),
        any::<bool>(),
        0u8..24,
    )
        .prop_map(|(exp, conds, signer, shape)| {
            let mut all: Vec<String> = Vec::new();
            if signer {
                all.push(SIGNER.to_string());
                all.push(r#"["starts-with", "$key", "u/"]"#.to_string());
            }
            all.extend(conds);
            let list = all.join(", ");
            match shape {
                0 => format!("{{\"conditions\": [{list}], \"expiration\": {exp}}}"),
                1 => format!("{{\"expiration\": {exp}, \"conditions\": [{list}]}} x"),
                2 => format!("{{\"expiration\": {exp}, \"conditions\": [{list}], \"x\": 1}}"),
                3 => format!("{{\"expiration\": {exp}}}"),
                _ => format!("{{\"expiration\": {exp}, \"conditions\": [{list}]}}"),
            }
        })
}

fn signature(policy: &str) -> String {
    SigningKey::derive(SK, "20300101", "us-east-1", "s3")
        .sign(policy.as_bytes())
        .to_string()
}

#[derive(Clone, Debug)]
struct Case {
    policy: String,
    fields: Vec<(String, String)>,
    file_at: Option<usize>,
    file_name: String,
    size: u64,
    minutes: i64,
    temporary: bool,
}

impl Case {
    fn form(&self) -> Submission {
        let mut form = Submission::new("b-1");
        for (i, (n, v)) in self.fields.iter().enumerate() {
            if self.file_at == Some(i) {
                form = form.file(self.file_name.clone(), self.size);
            }
            form.push_field(n.clone(), v.clone());
        }
        if self.file_at.is_some_and(|i| i >= self.fields.len()) {
            form = form.file(self.file_name.clone(), self.size);
        }
        form
    }

    fn now(&self) -> OffsetDateTime {
        SIGNED_AT + Duration::minutes(self.minutes)
    }

    fn credentials(&self) -> Credentials {
        let c = Credentials::new(AK, SK).unwrap();
        if self.temporary {
            c.with_session_token(TOKEN).unwrap()
        } else {
            c
        }
    }
}

fn mostly<T: Clone + std::fmt::Debug + 'static>(good: T, bad: &'static [T]) -> BoxedStrategy<T> {
    prop_oneof![9 => Just(good), 1 => prop::sample::select(bad)].boxed()
}

/// Names that do not collide with the fields every case sends.
fn extra_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => name().prop_filter("not a base field", |n| {
            !["key", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date",
              "x-amz-signature", "x-amz-security-token"]
                .iter()
                .any(|b| b.eq_ignore_ascii_case(n))
        }),
        1 => name(),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let policy = prop_oneof![
        12 => policy_json().prop_map(|j| BASE64.encode(j)),
        1 => policy_json().prop_map(|j| BASE64.encode(j) + "\r\n"),
        1 => "[A-Za-z0-9+/=\r\n]{0,24}",
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| BASE64.encode(b)),
    ];
    let sigv4 = (
        mostly("AWS4-HMAC-SHA256", &["AWS4-HMAC-SHA1", "aws4-hmac-sha256"]),
        mostly(
            "AKIDEXAMPLE/20300101/us-east-1/s3/aws4_request",
            &[
                "AKIDEXAMPLE/20300101/eu-west-1/s3/aws4_request",
                "OTHER/20300101/us-east-1/s3/aws4_request",
                "AKIDEXAMPLE/20300101/us-east-1/s3",
            ],
        ),
        mostly("20300101T000000Z", &["20300102T000000Z", "2030"]),
    );
    (
        policy,
        sigv4,
        prop::collection::vec((extra_name(), value()), 0..5),
        any::<prop::sample::Index>(),
        (0u8..80, 0u8..20),
        (any::<bool>(), 0u8..10, 0u8..20),
        prop::sample::select(&["a.png", "dir/a.png", "C:\\x\\${filename}", ""][..]),
        prop_oneof![4 => 0u64..2000, 1 => Just(5368709121u64), 1 => any::<u64>()],
        -90i64..90,
    )
        .prop_map(
            |(
                policy,
                (alg, cred, date),
                extra,
                at,
                (drop, file),
                flags,
                file_name,
                size,
                minutes,
            )| {
                let (temporary, token, bad_signature) = flags;
                let send_token = if token == 0 { !temporary } else { temporary };
                let sig = if bad_signature == 0 {
                    "0".repeat(64)
                } else {
                    signature(&policy)
                };
                let mut fields: Vec<(String, String)> = vec![
                    ("key".into(), "u/${filename}".into()),
                    ("x-amz-algorithm".into(), alg.into()),
                    ("x-amz-credential".into(), cred.into()),
                    ("x-amz-date".into(), date.into()),
                    ("policy".into(), policy),
                    ("x-amz-signature".into(), sig),
                ];
                if send_token {
                    fields.push(("x-amz-security-token".into(), TOKEN.into()));
                }
                // Sometimes drop one of the required fields.
                if let Some(i) = (drop as usize).checked_sub(74) {
                    if i < fields.len() {
                        fields.remove(i);
                    }
                }
                let at = at.index(fields.len() + 1);
                for (k, f) in extra.into_iter().enumerate() {
                    fields.insert((at + k).min(fields.len()), f);
                }
                let file_at = match file {
                    0 => None,
                    1 => Some(0),
                    2 => Some(fields.len() / 2),
                    _ => Some(fields.len()),
                };
                Case {
                    policy: String::new(),
                    fields,
                    file_at,
                    file_name: file_name.into(),
                    size,
                    minutes,
                    temporary,
                }
            },
        )
        .prop_map(|mut c| {
            c.policy = c
                .fields
                .iter()
                .find(|(n, _)| n == "policy")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            c
        })
}

fn compare(case: &Case) -> Result<(), TestCaseError> {
    let form = case.form();
    let now = case.now();
    let region = Region::new("us-east-1").unwrap();
    let verifier = Verifier::new(case.credentials(), region.clone());
    let new = verifier.verify_at(&form, now);
    let old = reference::verify_at(&case.credentials(), &region, &form, now);
    let new_doc = PolicyDocument::from_base64(&case.policy);
    let old_doc = reference::from_base64(&case.policy);
    // The reference predates reading the conditions S3 reads but no form
    // meets (a field without its `$`, a size that is not a number): it
    // refuses such documents as they are read, so it cannot speak for
    // them. The verifier's answers on them are the conformance suite's.
    let reads_unmet = |e: &crate::Error| {
        let reason = e.to_string();
        reason.contains("is written with a `$`")
            || reason.contains("expected a whole, non-negative number of bytes")
    };
    if old_doc.as_ref().err().is_some_and(reads_unmet) {
        prop_assert!(new_doc.is_err(), "{:?}", new_doc);
        return Ok(());
    }
    prop_assert_eq!(&new, &old, "verify_at on {:?}", form);
    // Again, through the cached key.
    prop_assert_eq!(verifier.verify_at(&form, now), old, "cached key");
    prop_assert_eq!(&new_doc, &old_doc, "from_base64 {:?}", case.policy);
    if let Ok(doc) = new_doc {
        prop_assert_eq!(
            check_policy(&doc, &form, now),
            reference::check_policy(&doc, &form, now)
        );
        prop_assert_eq!(
            policy_failures(&doc, &form, now),
            reference::policy_failures(&doc, &form, now)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn the_verifier_agrees_with_the_reference(case in case()) {
        compare(&case)?;
    }

    /// Valid forms for a policy that passes, with more conditions and
    /// fields.
    #[test]
    fn near_valid_forms_agree(case in near_valid()) {
        compare(&case)?;
    }
}

fn near_valid() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(condition(), 0..3),
        prop::collection::vec((extra_name(), value()), 0..3),
        prop::collection::vec((extra_name(), value(), any::<bool>(), any::<u8>()), 0..4),
        0u64..2000,
        -90i64..90,
    )
        .prop_map(|(conds, mut extra, paired, size, minutes)| {
            let mut conds: Vec<String> = conds;
            // Fields with a condition they meet.
            for (n, v, exact, e) in paired {
                if exact {
                    conds.push(format!("{{{}: {}}}", json_str(&n, e), json_str(&v, e)));
                } else {
                    let prefix: String = v.chars().take(2).collect();
                    conds.push(format!("[\"starts-with\", {}, {}]", json_str(&format!("${n}"), e), json_str(&prefix, e)));
                }
                extra.push((n, v));
            }
            let json = format!(
                "{{\"expiration\": \"2030-01-01T01:00:00.000Z\", \"conditions\": [{SIGNER}, [\"starts-with\", \"$key\", \"u/\"]{}]}}",
                conds.iter().map(|c| format!(", {c}")).collect::<String>()
            );
            let policy = BASE64.encode(json);
            let mut fields: Vec<(String, String)> = vec![
                ("key".into(), "u/${filename}".into()),
                ("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()),
                ("x-amz-credential".into(), "AKIDEXAMPLE/20300101/us-east-1/s3/aws4_request".into()),
                ("x-amz-date".into(), "20300101T000000Z".into()),
                ("x-amz-signature".into(), signature(&policy)),
                ("policy".into(), policy.clone()),
            ];
            fields.extend(extra);
            let n = fields.len();
            Case {
                policy,
                fields,
                file_at: Some(n),
                file_name: "d/a.png".into(),
                size,
                minutes,
                temporary: false,
            }
        })
}

/// Forms with many fields take the hashed paths.
#[test]
fn many_fields_agree() {
    let json = format!(
        "{{\"expiration\": \"2030-01-01T01:00:00.000Z\", \"conditions\": [{SIGNER}, [\"starts-with\", \"$key\", \"u/\"]{}]}}",
        (0..40)
            .map(|i| format!(", {{\"x-amz-meta-f{i}\": \"v\"}}"))
            .collect::<String>()
    );
    let policy = BASE64.encode(json);
    for variant in 0..6 {
        let mut fields: Vec<(String, String)> = vec![
            ("key".into(), "u/${filename}".into()),
            ("x-amz-algorithm".into(), "AWS4-HMAC-SHA256".into()),
            (
                "x-amz-credential".into(),
                "AKIDEXAMPLE/20300101/us-east-1/s3/aws4_request".into(),
            ),
            ("x-amz-date".into(), "20300101T000000Z".into()),
            ("x-amz-signature".into(), signature(&policy)),
            ("policy".into(), policy.clone()),
        ];
        for i in 0..40 {
            if variant == 1 && i == 7 {
                continue;
            }
            let value = if variant == 2 && i == 30 { "w" } else { "v" };
            fields.push((format!("X-Amz-Meta-F{i}"), value.into()));
        }
        if variant == 3 {
            fields.push(("x-amz-meta-f12".into(), "v".into()));
        }
        if variant == 4 {
            fields.push(("x-amz-meta-extra".into(), "v".into()));
        }
        if variant == 5 {
            fields.insert(20, ("KEY".into(), "u/b".into()));
        }
        let n = fields.len();
        let case = Case {
            policy: policy.clone(),
            fields,
            file_at: Some(n),
            file_name: "a.png".into(),
            size: 3,
            minutes: 1,
            temporary: false,
        };
        compare(&case).unwrap();
    }
}
