//! Fuzzing the policy decoder and the verifier with proptest: arbitrary and
//! mutated inputs, 10 000 cases each, must never panic, and what they accept
//! must really satisfy S3's rules. Then the committed corpus
//! (`tests/corpus/`) of inputs worth keeping is replayed.
//!
//! (cargo-fuzz needs a nightly compiler; proptest runs on stable in the
//! normal suite.)

use std::path::Path;

use base64::Engine as _;
use policy_runtime::sigv4::SigningKey;
use policy_runtime::verify::{Rejection, Submission, Verifier};
use policy_runtime::{Credentials, Policy, PolicyDocument, Region, SignOptions, Signer};
use proptest::prelude::*;
use serde_json::Value;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const AK: &str = "AKIDEXAMPLE";
const SK: &str = "fuzz/secret+key";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLETOKEN";
const SIGNED_AT: OffsetDateTime = datetime!(2030-01-01 00:00 UTC);
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");

fn creds() -> Credentials {
    Credentials::new(AK, SK)
        .unwrap()
        .with_session_token(TOKEN)
        .unwrap()
}

fn verifier() -> Verifier<Credentials> {
    Verifier::new(creds(), Region::new("us-east-1").unwrap())
}

/// Signs any `policy` field value the way a client holding the secret would.
fn signature(policy: &str) -> String {
    SigningKey::derive(SK, "20300101", "us-east-1", "s3")
        .sign(policy.as_bytes())
        .to_string()
}

/// A valid signed form with a bit of everything, browser-filled.
fn base_form() -> Vec<(String, String)> {
    let policy = Policy::builder()
        .bucket("bucket-1")
        .unwrap()
        .key_starts_with("u/")
        .unwrap()
        .starts_with("Content-Type", "image/")
        .unwrap()
        .meta("owner", "42")
        .unwrap()
        .acl("private")
        .unwrap()
        .content_length_range(1..=1000)
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap();
    let post = Signer::new(creds(), Region::new("us-east-1").unwrap())
        .sign_with(&policy, SignOptions::new().at(SIGNED_AT))
        .unwrap();
    let mut fields: Vec<(String, String)> = post
        .fields()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    fields.push(("Content-Type".into(), "image/png".into()));
    fields
}

/// Policy JSON texts to mutate.
fn seeds() -> Vec<String> {
    let a = std::fs::read_to_string(format!("{CORPUS}/policies/aws-example-a.ok.txt")).unwrap();
    let a = String::from_utf8(B64.decode(a.trim()).unwrap()).unwrap();
    let ours = base_form()
        .into_iter()
        .find(|(n, _)| n == "policy")
        .unwrap()
        .1;
    let ours = String::from_utf8(B64.decode(ours).unwrap()).unwrap();
    vec![a, ours]
}

#[derive(Clone, Debug)]
enum Edit {
    Insert(usize, String),
    Delete(usize, usize),
    Repeat(usize, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let interesting = prop_oneof![
        prop::sample::select(
            &[
                "\"",
                "\\",
                "[",
                "]",
                "{",
                "}",
                ",",
                ":",
                "$",
                "-1",
                "1e3",
                "0.5",
                "null",
                "true",
                "\\u0000",
                "\\ud800",
                "99999999999999999999",
                "${filename}",
                "\"eq\"",
                "\"starts-with\"",
                "\"content-length-range\"",
                "\"$key\"",
                "\"expiration\"",
                "\"conditions\"",
                "\u{0}",
                "é",
                "🎉",
            ][..]
        )
        .prop_map(str::to_string),
        any::<String>().prop_map(|s| s.chars().take(4).collect()),
    ];
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), interesting).prop_map(|(i, s)| Edit::Insert(i, s)),
            (any::<usize>(), 0usize..16).prop_map(|(i, n)| Edit::Delete(i, n)),
            (any::<usize>(), 1usize..32).prop_map(|(i, n)| Edit::Repeat(i, n)),
        ],
        1..5,
    )
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    let at = |s: &str, i: usize| {
        let mut i = i % (s.len() + 1);
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    for e in edits {
        match e {
            Edit::Insert(i, t) => {
                let i = at(&s, *i);
                s.insert_str(i, t);
            }
            Edit::Delete(i, n) | Edit::Repeat(i, n) => {
                let start = at(&s, *i);
                let mut end = (start + n).min(s.len());
                while !s.is_char_boundary(end) {
                    end += 1;
                }
                if matches!(e, Edit::Delete(..)) {
                    s.replace_range(start..end, "");
                } else {
                    let piece = s[start..end].to_string();
                    s.insert_str(end, &piece);
                }
            }
        }
    }
    s
}

/// Policy field values: mostly base64 of mutated JSON, some arbitrary text.
fn policy_value() -> impl Strategy<Value = String> {
    let seeds = seeds();
    prop_oneof![
        6 => (prop::sample::select(seeds), edits()).prop_map(|(s, e)| B64.encode(apply(&s, &e))),
        1 => prop::collection::vec(any::<u8>(), 0..200).prop_map(|b| B64.encode(b)),
        1 => any::<String>(),
        1 => "[A-Za-z0-9+/=\r\n ]{0,64}",
    ]
}

/// Everything a decoded document offers must work, and survive a round trip.
fn exercise(doc: &PolicyDocument) -> Result<(), TestCaseError> {
    let _ = doc.problems();
    for c in doc.conditions() {
        let _ = c.to_string();
    }
    let json = doc.to_json();
    let back = PolicyDocument::from_json(&json);
    prop_assert_eq!(back.as_ref(), Ok(doc), "round trip of {}", json);
    Ok(())
}

fn exercise_rejection(r: &Rejection) {
    let _ = (
        r.to_string(),
        r.s3_message(),
        r.to_xml(),
        r.code(),
        r.field(),
        r.value(),
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn the_decoder_never_panics(policy in policy_value()) {
        if let Ok(doc) = PolicyDocument::from_base64(&policy) {
            exercise(&doc)?;
        }
    }

    /// Arbitrary forms whose policy is signed correctly, so the fuzzed
    /// document reaches the condition checks.
    #[test]
    fn the_verifier_never_panics_behind_a_valid_signature(
        policy in policy_value(),
        fields in prop::collection::vec(
            (prop_oneof![
                prop::sample::select(&[
                    "key", "KEY", "Content-Type", "acl", "bucket", "x-amz-meta-owner",
                    "x-ignore-x", "file", "success_action_status", "x-amz-storage-class",
                    "x-amz-security-token", "tagging", "",
                ][..]).prop_map(str::to_string),
                any::<String>(),
            ], any::<String>()),
            0..8,
        ),
        file in prop::option::of((any::<String>(), any::<u64>())),
        minutes in -10_000i64..10_000,
    ) {
        let mut form = Submission::new("bucket-1")
            .field("x-amz-algorithm", "AWS4-HMAC-SHA256")
            .field("x-amz-credential", format!("{AK}/20300101/us-east-1/s3/aws4_request"))
            .field("x-amz-date", "20300101T000000Z")
            .field("x-amz-security-token", TOKEN)
            .field("x-amz-signature", signature(&policy))
            .field("policy", policy.clone());
        for (n, v) in fields {
            form.push_field(n, v);
        }
        if let Some((name, size)) = file {
            form = form.file(name, size);
        }
        match verifier().verify_at(&form, SIGNED_AT + Duration::minutes(minutes)) {
            Ok(accepted) => {
                // What is accepted really satisfies the policy.
                let doc = PolicyDocument::from_base64(&policy).unwrap();
                prop_assert!(SIGNED_AT + Duration::minutes(minutes) <= doc.expiration());
                let covered: Vec<String> = doc.conditions().iter()
                    .filter_map(|c| c.field()).map(|f| f.as_str().to_ascii_lowercase()).collect();
                for (n, _) in form.fields() {
                    let n = n.to_ascii_lowercase();
                    prop_assert!(
                        covered.contains(&n) || ["policy", "x-amz-signature", "file"].contains(&n.as_str())
                            || n.starts_with("x-ignore-"),
                        "{} accepted without a condition", n
                    );
                }
                prop_assert!(!accepted.key.is_empty());
            }
            Err(r) => exercise_rejection(&r),
        }
    }

    /// A valid form, edited: names re-cased, fields dropped, duplicated,
    /// reordered or changed, the file moved; the clock and size anywhere.
    /// Whatever is accepted carries the policy and signature unchanged.
    #[test]
    fn mutated_forms_are_accepted_only_when_still_valid(
        ops in prop::collection::vec((0u8..6, any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<String>()), 0..4),
        file_at in prop::option::of(any::<prop::sample::Index>()),
        size in prop_oneof![0u64..1200, any::<u64>()],
        minutes in -100i64..100,
    ) {
        let original = base_form();
        let mut fields = original.clone();
        for (op, i, j, text) in &ops {
            if fields.is_empty() {
                break;
            }
            let i = i.index(fields.len());
            let j = j.index(fields.len());
            match op {
                0 => fields[i].0 = fields[i].0.to_uppercase(),
                1 => { fields.remove(i); }
                2 => { let f = fields[i].clone(); fields.insert(j, f); }
                3 => fields.swap(i, j),
                4 => fields[i].1 = text.clone(),
                _ => {
                    let mut v: Vec<char> = fields[i].1.chars().collect();
                    if !v.is_empty() {
                        let k = j % v.len();
                        v[k] = if v[k] == 'A' { 'B' } else { 'A' };
                    }
                    fields[i].1 = v.into_iter().collect();
                }
            }
        }
        let mut form = Submission::new("bucket-1");
        let cut = file_at.map_or(fields.len(), |i| i.index(fields.len() + 1));
        for (n, v) in &fields[..cut] {
            form.push_field(n.clone(), v.clone());
        }
        form = form.file("dir\\photo.png", size);
        for (n, v) in &fields[cut..] {
            form.push_field(n.clone(), v.clone());
        }
        let now = SIGNED_AT + Duration::minutes(minutes);
        match verifier().verify_at(&form, now) {
            Ok(accepted) => {
                let get = |fs: &[(String, String)], n: &str| {
                    fs.iter().find(|(m, _)| m.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone())
                };
                for n in ["policy", "x-amz-signature", "x-amz-credential", "x-amz-date", "x-amz-security-token"] {
                    prop_assert_eq!(form.get(n).map(str::to_string), get(&original, n), "{}", n);
                }
                prop_assert!(accepted.key.starts_with("u/"));
                prop_assert!((1..=1000).contains(&accepted.size));
                prop_assert!(minutes <= 10);
                prop_assert!(accepted.content_type.unwrap().starts_with("image/"));
            }
            Err(r) => exercise_rejection(&r),
        }
    }
}

#[test]
fn the_unmutated_base_form_is_accepted() {
    let mut form = Submission::new("bucket-1");
    for (n, v) in base_form() {
        form.push_field(n, v);
    }
    let form = form.file("photo.png", 10);
    assert_eq!(
        verifier().verify_at(&form, SIGNED_AT).unwrap().key,
        "u/photo.png"
    );
}

#[test]
fn huge_forms_are_refused_before_any_work() {
    let mut form = Submission::new("bucket-1").field("policy", "A".repeat(50_000_000));
    for i in 0..100_000 {
        form.push_field(format!("f{i}"), "v");
    }
    let start = std::time::Instant::now();
    let r = verifier()
        .verify_at(&form.file("f", 1), SIGNED_AT)
        .unwrap_err();
    assert!(matches!(r, Rejection::FormTooLarge { .. }), "{r:?}");
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

/// `tests/corpus/policies/NAME.ok.txt` / `NAME.err.txt`: a `policy` field
/// value and whether it decodes.
#[test]
fn corpus_policies_decode_as_recorded() {
    let dir = Path::new(CORPUS).join("policies");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let decoded = PolicyDocument::from_base64(text.trim_end());
        if name.ends_with(".ok.txt") {
            let doc = decoded.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                PolicyDocument::from_json(&doc.to_json()).as_ref(),
                Ok(&doc),
                "{name}"
            );
        } else {
            assert!(
                name.ends_with(".err.txt"),
                "{name}: name it NAME.ok.txt or NAME.err.txt"
            );
            assert!(decoded.is_err(), "{name} decoded: {decoded:?}");
        }
        seen += 1;
    }
    assert!(seen >= 5, "only {seen} policies in {}", dir.display());
}

/// `tests/corpus/forms/*.json`: a form and the verdict it must get.
///
/// `{"fields": [[name, value], ...], "file": [name, size] | null,
///   "after": [[name, value], ...], "now": RFC 3339, "expect": "Accepted" | S3 code,
///   "field": the field the rejection names (optional)}`.
/// A `policy_json` member is encoded into any field value `{{policy}}`;
/// `{{signature}}` becomes the signature of the `policy` field under the
/// test secret (`AKIDEXAMPLE`, `fuzz/secret+key`, us-east-1, 2030-01-01,
/// session token `FwoGZXIvYXdzEXAMPLETOKEN`).
#[test]
fn corpus_forms_get_their_recorded_verdicts() {
    let dir = Path::new(CORPUS).join("forms");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let policy = case["policy_json"].as_str().map(|j| B64.encode(j));
        let pairs = |v: &Value| -> Vec<(String, String)> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            (
                                p[0].as_str().unwrap().to_string(),
                                p[1].as_str().unwrap().to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut fields = pairs(&case["fields"]);
        for (_, v) in &mut fields {
            if let Some(p) = &policy {
                *v = v.replace("{{policy}}", p);
            }
        }
        let sent_policy = fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("policy"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let mut form = Submission::new("bucket-1");
        for (n, v) in fields {
            form.push_field(n, v.replace("{{signature}}", &signature(&sent_policy)));
        }
        if let Some(file) = case["file"].as_array() {
            form = form.file(file[0].as_str().unwrap(), file[1].as_u64().unwrap());
        }
        for (n, v) in pairs(&case["after"]) {
            form.push_field(n, v);
        }
        let now = OffsetDateTime::parse(
            case["now"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let verdict = verifier().verify_at(&form, now);
        let expect = case["expect"].as_str().unwrap();
        match &verdict {
            Ok(_) => assert_eq!(expect, "Accepted", "{name}: accepted"),
            Err(r) => {
                assert_eq!(r.code().as_str(), expect, "{name}: {r}");
                if let Some(field) = case["field"].as_str() {
                    assert_eq!(r.field(), Some(field), "{name}: {r}");
                }
            }
        }
        seen += 1;
    }
    assert!(seen >= 5, "only {seen} forms in {}", dir.display());
}
