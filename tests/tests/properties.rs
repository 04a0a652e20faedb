//! Properties of the policy JSON, the HTML form and the form's field order,
//! over generated policies and values.

use policy_runtime::rules::{FieldKind, Role, FIELDS};
use policy_runtime::{
    Condition, Credentials, FieldName, Policy, PolicyDocument, Region, SignOptions, Signer,
};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

/// Any field name a document may hold, in canonical spelling.
fn field_name() -> impl Strategy<Value = FieldName> {
    prop_oneof![
        prop::sample::select(FIELDS.iter().map(|s| s.name).collect::<Vec<_>>())
            .prop_map(FieldName::lenient),
        "x-amz-meta-[a-z0-9-]{1,10}".prop_map(|n| FieldName::lenient(&n)),
    ]
}

fn any_condition() -> impl Strategy<Value = Condition> {
    prop_oneof![
        (field_name(), any::<String>()).prop_map(|(f, v)| Condition::eq(f, v)),
        (field_name(), any::<String>()).prop_map(|(f, v)| Condition::starts_with(f, v)),
        (any::<u64>(), any::<u64>())
            .prop_map(|(min, max)| Condition::ContentLengthRange { min, max }),
    ]
}

fn instant() -> impl Strategy<Value = OffsetDateTime> {
    // 1970 to 9999, whole milliseconds.
    (0i64..253_402_300_799_999).prop_map(|ms| {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap()
    })
}

/// Values users put in forms: anything, weighted toward what breaks
/// escaping.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[\"'<>&\\\\$ {}a-z\u{0}-\u{1f}é🎉]{0,20}",]
}

/// A valid policy with random optional conditions.
fn valid_policy() -> impl Strategy<Value = Policy> {
    let exact_key = value().prop_map(|v| (true, format!("k{}", v.replace("${filename}", ""))));
    let prefix_key = value().prop_map(|v| (false, v));
    let key = prop_oneof![exact_key, prefix_key];
    let extra = prop::collection::vec(
        (
            prop::sample::select(
                &[
                    "Content-Type",
                    "Cache-Control",
                    "Content-Disposition",
                    "Expires",
                ][..],
            ),
            value(),
            any::<bool>(),
        ),
        0..4,
    );
    let meta = prop::collection::btree_map("[a-z0-9]{1,8}", (value(), any::<bool>()), 0..4);
    (key, extra, meta, prop::option::of(0u64..1000)).prop_map(|(key, extra, meta, range)| {
        let mut b = Policy::builder()
            .bucket("bucket-1")
            .unwrap()
            .expires_in(Duration::hours(1));
        b = if key.0 {
            b.key(key.1).unwrap()
        } else {
            b.key_starts_with(key.1).unwrap()
        };
        let mut used = std::collections::BTreeSet::new();
        for (name, v, exact) in extra {
            if used.insert(name) {
                let v = v.replace("${filename}", "");
                b = if exact {
                    b.eq(name, v)
                } else {
                    b.starts_with(name, v)
                }
                .unwrap();
            }
        }
        for (name, (v, exact)) in meta {
            let field = format!("x-amz-meta-{name}");
            let v = v.replace("${filename}", "");
            b = if exact {
                b.eq(&field, v)
            } else {
                b.starts_with(&field, v)
            }
            .unwrap();
        }
        if let Some(min) = range {
            b = b.content_length_range(min..=min + 10).unwrap();
        }
        b.build().unwrap()
    })
}

fn signer(token: Option<&str>) -> Signer {
    let mut creds = Credentials::new("AKIDEXAMPLE", "secret/key+").unwrap();
    if let Some(t) = token {
        creds = creds.with_session_token(t).unwrap();
    }
    Signer::new(creds, Region::new("eu-west-1").unwrap())
}

fn now() -> OffsetDateTime {
    time::macros::datetime!(2026-11-22 12:00 UTC)
}

/// Decodes the five entities the HTML writer produces; anything else that
/// looks like markup fails the test.
fn unescape(s: &str) -> String {
    assert!(!s.contains(['<', '>', '"', '\'']), "raw markup in {s:?}");
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The `<input ...>` tags of a form: (type, name, value), in order.
fn inputs(html: &str) -> Vec<(String, String, Option<String>)> {
    let attr = |tag: &str, name: &str| {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = start + tag[start..].find('"')?;
        Some(unescape(&tag[start..end]))
    };
    html.split("<input")
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap()];
            (
                attr(tag, "type").unwrap(),
                attr(tag, "name").unwrap(),
                attr(tag, "value"),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn json_round_trips(at in instant(), conditions in prop::collection::vec(any_condition(), 0..8)) {
        let doc = PolicyDocument::new(at, conditions);
        let json = doc.to_json();
        prop_assert_eq!(PolicyDocument::from_json(&json).unwrap(), doc.clone());
        prop_assert_eq!(PolicyDocument::from_base64(&doc.to_base64()).unwrap(), doc);
    }

    #[test]
    fn values_stay_values(at in instant(), conditions in prop::collection::vec(any_condition(), 1..8)) {
        let doc = PolicyDocument::new(at, conditions.clone());
        let parsed: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
        let object = parsed.as_object().unwrap();
        prop_assert_eq!(object.len(), 2);
        let list = parsed["conditions"].as_array().unwrap();
        prop_assert_eq!(list.len(), conditions.len());
        for (json, c) in list.iter().zip(&conditions) {
            match c {
                Condition::Eq { field, value } => {
                    prop_assert_eq!(json.as_object().unwrap().len(), 1);
                    prop_assert_eq!(json[field.as_str()].as_str().unwrap(), value.as_str());
                }
                Condition::StartsWith { field, prefix } => {
                    prop_assert_eq!(json[0].as_str().unwrap(), "starts-with");
                    prop_assert_eq!(json[1].as_str().unwrap(), format!("${field}"));
                    prop_assert_eq!(json[2].as_str().unwrap(), prefix.as_str());
                }
                Condition::ContentLengthRange { min, max } => {
                    prop_assert_eq!(json[1].as_u64().unwrap(), *min);
                    prop_assert_eq!(json[2].as_u64().unwrap(), *max);
                }
            }
        }
    }

    #[test]
    fn parsing_any_text_never_panics(text in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = PolicyDocument::from_json(&text);
        let _ = PolicyDocument::from_base64(&text);
        use base64::Engine as _;
        let _ = PolicyDocument::from_base64(&base64::engine::general_purpose::STANDARD.encode(&bytes));
    }

    #[test]
    fn html_escapes_every_value(policy in valid_policy(), token in prop::option::of("[!-~]{1,40}")) {
        let post = signer(token.as_deref()).sign_at(&policy, now()).unwrap();
        let html = post.to_html();
        let found = inputs(&html);
        let mut expected: Vec<_> = post
            .fields()
            .map(|(n, v)| ("hidden".to_string(), n.to_string(), Some(v.to_string())))
            .collect();
        for c in post.client_fields() {
            expected.push(("text".into(), c.name.to_string(), Some(c.prefix.clone())));
        }
        expected.push(("file".into(), "file".into(), None));
        prop_assert_eq!(found, expected);
        prop_assert_eq!(html.matches("<form").count(), 1);
        prop_assert_eq!(html.matches("</form>").count(), 1);
    }

    #[test]
    fn fields_follow_the_policy_in_form_order(policy in valid_policy(), token in prop::option::of("[!-~]{1,40}"), chosen in prop::option::of("[a-z]{1,8}")) {
        let key = match policy.key_condition().unwrap() {
            Condition::StartsWith { prefix, .. } => chosen.map(|c| format!("{prefix}{c}")),
            _ => None,
        };
        let mut options = SignOptions::new().at(now());
        if let Some(k) = &key {
            options = options.key(k.clone());
        }
        let post = signer(token.as_deref()).sign_with(&policy, options).unwrap();
        let names: Vec<&str> = post.fields().map(|(n, _)| n).collect();

        // key first; then the policy's exact conditions in policy order; then
        // the signer's fields; policy and signature last.
        let mut expected = vec!["key"];
        for c in policy.conditions() {
            if let Condition::Eq { field, .. } = c {
                if !matches!(field.as_str(), "bucket" | "key") {
                    expected.push(field.as_str());
                }
            }
        }
        expected.extend(["x-amz-algorithm", "x-amz-credential", "x-amz-date"]);
        if token.is_some() {
            expected.push("x-amz-security-token");
        }
        expected.extend(["policy", "x-amz-signature"]);
        prop_assert_eq!(names, expected);

        // The key field satisfies the key condition (with ${filename} as S3
        // substitutes it).
        let sent_key = post.field("key").unwrap().replace("${filename}", "a.txt");
        match policy.key_condition().unwrap() {
            Condition::Eq { value, .. } => prop_assert_eq!(&sent_key, value),
            Condition::StartsWith { prefix, .. } => {
                prop_assert!(sent_key.starts_with(prefix.as_str()));
                if let Some(k) = &key {
                    prop_assert_eq!(&sent_key, k);
                }
            }
            Condition::ContentLengthRange { .. } => unreachable!(),
        }

        // Client fields are exactly the non-key starts-with conditions.
        let starts: Vec<(String, String)> = policy
            .conditions()
            .iter()
            .filter_map(|c| match c {
                Condition::StartsWith { field, prefix } if field.as_str() != "key" => {
                    Some((field.to_string(), prefix.clone()))
                }
                _ => None,
            })
            .collect();
        let client: Vec<(String, String)> = post
            .client_fields()
            .iter()
            .map(|c| (c.name.to_string(), c.prefix.clone()))
            .collect();
        prop_assert_eq!(client, starts);

        // The signed document holds the policy's conditions, then the signer's.
        let doc = PolicyDocument::from_base64(post.policy()).unwrap();
        prop_assert_eq!(&doc.conditions()[..policy.conditions().len()], policy.conditions());
        prop_assert_eq!(doc.problems(), vec![]);
        if let Some(t) = &token {
            prop_assert_eq!(post.field("x-amz-security-token"), Some(t.as_str()));
            prop_assert!(doc.conditions().contains(&Condition::eq(
                FieldName::lenient("x-amz-security-token"),
                t.clone()
            )));
        }
    }

    #[test]
    fn secrets_never_show_in_debug(secret in "[!-~]{12,40}", token in "[!-~]{12,40}") {
        let creds = Credentials::new("AKIDEXAMPLE", &secret).unwrap()
            .with_session_token(&token).unwrap();
        let signer = Signer::new(creds.clone(), Region::new("us-east-1").unwrap());
        let key = signer.signing_key(now().date());
        for shown in [format!("{creds:?}"), format!("{signer:?}"), format!("{signer:#?}"), format!("{key:?}")] {
            prop_assert!(!shown.contains(&secret), "{}", shown);
            prop_assert!(!shown.contains(&token), "{}", shown);
            prop_assert!(!shown.contains(&hex::encode(key.as_bytes())), "{}", shown);
        }
    }
}

#[test]
fn every_user_field_in_the_table_builds_and_signs() {
    // One exact condition on each field the table lets an author set, with
    // a value its rule accepts, signs into a form S3's coverage rule accepts.
    let sample = |name: &str| match name {
        "bucket" => "bucket-1",
        "acl" => "private",
        "success_action_status" => "201",
        "success_action_redirect" | "redirect" => "https://app.example/done",
        "x-amz-server-side-encryption" => "aws:kms",
        "x-amz-server-side-encryption-bucket-key-enabled" => "true",
        "x-amz-server-side-encryption-customer-algorithm" => "AES256",
        "x-amz-storage-class" => "STANDARD_IA",
        "x-amz-website-redirect-location" => "/other",
        "x-amz-checksum-algorithm" => "CRC64NVME",
        "tagging" => "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>",
        // Checksums of an empty file.
        "x-amz-checksum-crc32" | "x-amz-checksum-crc32c" => "AAAAAA==",
        "x-amz-checksum-crc64nvme" => "AAAAAAAAAAA=",
        "x-amz-checksum-sha1" => "2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
        "x-amz-checksum-sha256" => "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "x-amz-object-lock-mode" => "GOVERNANCE",
        "x-amz-object-lock-retain-until-date" => "2030-01-01T00:00:00Z",
        "x-amz-object-lock-legal-hold" => "ON",
        // base64 of `0123456789abcdef0123456789abcdef`, and of its MD5.
        "x-amz-server-side-encryption-customer-key" => {
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
        }
        "x-amz-server-side-encryption-customer-key-MD5" => "hRasmdxgYDKV3nvbahU1MA==",
        _ => "some value",
    };
    for spec in FIELDS.iter().filter(|s| s.role == Role::User) {
        if spec.name == "redirect" {
            continue; // exclusive with success_action_redirect, tested alone below
        }
        let mut b = Policy::builder().expires_in(Duration::minutes(5));
        if spec.name != "bucket" {
            b = b.bucket("bucket-1").unwrap();
        }
        if spec.name != "key" {
            b = b.key("k").unwrap();
        }
        if spec.name == "x-amz-checksum-algorithm" {
            // S3 takes the algorithm only beside its checksum.
            let crc64 = "x-amz-checksum-crc64nvme";
            b = b.eq(crc64, sample(crc64)).unwrap();
        }
        // S3 takes the SSE-C fields only together.
        let sse_c = policy_runtime::rules::SSE_C_FIELDS;
        if sse_c.contains(&spec.name) {
            for other in sse_c.into_iter().filter(|&f| f != spec.name) {
                b = b.eq(other, sample(other)).unwrap();
            }
        }
        let policy = b
            .eq(spec.name, sample(spec.name))
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name))
            .build()
            .unwrap();
        let post = signer(None).sign_at(&policy, now()).unwrap();
        if spec.name != "bucket" {
            assert_eq!(
                post.field(spec.name),
                Some(sample(spec.name)),
                "{}",
                spec.name
            );
        }
        assert!(matches!(
            policy_runtime::rules::lookup(spec.name),
            Some(FieldKind::Known(_))
        ));
    }
    let redirect = Policy::builder()
        .bucket("bucket-1")
        .unwrap()
        .key("k")
        .unwrap()
        .eq("redirect", "https://app.example/")
        .unwrap()
        .expires_in(Duration::minutes(5))
        .build()
        .unwrap();
    assert!(signer(None).sign_at(&redirect, now()).is_ok());
}
