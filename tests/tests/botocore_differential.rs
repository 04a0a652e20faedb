//! Differential test against botocore, the signer inside boto3.
//!
//! 300 generated policies (random fields, Unicode, quotes, `$`, backslashes,
//! control characters, long values, session tokens, clocks and regions) are
//! signed here and checked by `python/botocore_oracle.py`, which decodes
//! them with Python's own JSON parser, re-signs them with botocore, applies
//! S3's coverage rule and parses the HTML form. botocore's
//! `generate_presigned_post` signs the same inputs with the same clock; its
//! policy must parse here to the same conditions and re-sign to its
//! signature, and botocore's form must pass our verifier. Both answer with
//! the same `{"url", "fields"}` JSON and a virtual-hosted URL.
//!
//! Needs a Python with boto3: `./test.sh` provides one and sets
//! `POST_POLICY_TEST_PYTHON`. Without it the test fails; it never skips.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use policy_runtime::verify::{Rejection, Submission, Verifier};
use policy_runtime::{Credentials, Policy, PolicyDocument, Region, SignOptions, Signer};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

const CASES: usize = 300;

#[derive(Clone, Debug)]
enum Spec {
    Eq(String, String),
    StartsWith(String, String),
    Range(u64, u64),
}

#[derive(Clone, Debug)]
struct Case {
    access_key: String,
    secret: String,
    token: Option<String>,
    region: &'static str,
    now: i64,
    expires_in: i64,
    bucket: String,
    conditions: Vec<Spec>,
}

/// Strings that break naive implementations, mixed with arbitrary Unicode.
fn nasty() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("\"".to_string()),
        Just("\\".to_string()),
        Just("$".to_string()),
        Just("${".to_string()),
        Just("\\$".to_string()),
        Just("'".to_string()),
        Just("</script><b>&amp;".to_string()),
        Just("\u{0}\u{1}\n\r\t\u{7f}".to_string()),
        Just("\u{2028}\u{2029}".to_string()),
        Just("é ü ß 日本 🎉 👩‍👩‍👧".to_string()),
        Just("+%20/ ".to_string()),
        "[a-zA-Z0-9 ._/-]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ];
    prop_oneof![
        3 => prop::collection::vec(atoms, 0..6).prop_map(|v| v.concat()),
        1 => "[a-z]{1,4}".prop_map(|s| s.repeat(300)),
    ]
}

/// At most `max` bytes of `s`, cut at a character boundary (S3 keys are at
/// most 1024 bytes).
fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn case() -> impl Strategy<Value = Case> {
    let key = prop_oneof![
        nasty().prop_map(|v| Spec::Eq("key".into(), format!("k{}", truncate(&v, 1000)))),
        nasty().prop_map(|v| Spec::StartsWith("key".into(), truncate(&v, 1000))),
    ];
    let optional = prop::collection::vec(
        prop_oneof![
            nasty().prop_map(|v| Spec::Eq("Content-Type".into(), v)),
            nasty().prop_map(|v| Spec::StartsWith("Content-Type".into(), v)),
            prop::sample::select(policy_runtime::rules::CANNED_ACLS)
                .prop_map(|v| Spec::Eq("acl".into(), v.into())),
            prop::sample::select(&["200", "201", "204"][..])
                .prop_map(|v| Spec::Eq("success_action_status".into(), v.into())),
            nasty().prop_map(|v| Spec::Eq("Cache-Control".into(), v)),
            nasty().prop_map(|v| Spec::StartsWith("Content-Disposition".into(), v)),
            "[a-z0-9/._-]{0,30}".prop_map(|v| Spec::Eq(
                "success_action_redirect".into(),
                format!("https://app.example/{v}")
            )),
            prop::sample::select(&["STANDARD", "GLACIER_IR", "INTELLIGENT_TIERING"][..])
                .prop_map(|v| Spec::Eq("x-amz-storage-class".into(), v.into())),
            prop::sample::select(&["AES256", "aws:kms"][..])
                .prop_map(|v| Spec::Eq("x-amz-server-side-encryption".into(), v.into())),
            (0u64..=5 << 30, 0u64..=5 << 30).prop_map(|(a, b)| Spec::Range(a.min(b), a.max(b))),
        ],
        0..6,
    );
    let meta = prop::collection::vec(("[a-z0-9][a-z0-9_-]{0,10}", nasty(), any::<bool>()), 0..4);
    let token = prop::option::of("[A-Za-z0-9/+=]{20,600}");
    (
        "AK[A-Z0-9]{14,18}",
        "[!-~]{20,60}",
        token,
        prop::sample::select(
            &[
                "us-east-1",
                "eu-west-3",
                "ap-southeast-2",
                "cn-north-1",
                "garage",
                "auto",
            ][..],
        ),
        1_577_836_800i64..2_082_758_400,
        1i64..=7 * 86_400,
        "[a-z0-9][a-z0-9-]{1,40}[a-z0-9]",
        key,
        optional,
        meta,
    )
        .prop_map(
            |(access_key, secret, token, region, now, expires_in, bucket, key, opt, meta)| {
                let mut conditions = vec![Spec::Eq("bucket".into(), bucket.clone()), key];
                let mut seen = BTreeSet::new();
                for spec in opt {
                    let name = match &spec {
                        Spec::Eq(n, _) | Spec::StartsWith(n, _) => n.to_string(),
                        Spec::Range(..) => "content-length-range".to_string(),
                    };
                    if seen.insert(name) {
                        conditions.push(spec);
                    }
                }
                for (name, value, exact) in meta {
                    let name = format!("x-amz-meta-{name}");
                    if seen.insert(name.clone()) {
                        conditions.push(if exact {
                            Spec::Eq(name, value)
                        } else {
                            Spec::StartsWith(name, value)
                        });
                    }
                }
                // S3 substitutes `${filename}` before checking, so an exact
                // value holding it could never match: the builder refuses
                // those (tested elsewhere); keep them out of this test.
                for c in &mut conditions {
                    if let Spec::Eq(_, v) = c {
                        *v = v.replace("${filename}", "$filename");
                    }
                }
                Case {
                    access_key,
                    secret,
                    token,
                    region,
                    now,
                    expires_in,
                    bucket,
                    conditions,
                }
            },
        )
}

fn build(case: &Case) -> (Signer, Policy) {
    let mut creds = Credentials::new(&case.access_key, &case.secret).unwrap();
    if let Some(t) = &case.token {
        creds = creds.with_session_token(t).unwrap();
    }
    let signer = Signer::new(creds, Region::new(case.region).unwrap());
    let mut b = Policy::builder().expires_in(Duration::seconds(case.expires_in));
    for spec in &case.conditions {
        b = match spec {
            Spec::Eq(n, v) => b.eq(n, v.clone()),
            Spec::StartsWith(n, v) => b.starts_with(n, v.clone()),
            Spec::Range(min, max) => b.content_length_range(*min..=*max),
        }
        .unwrap_or_else(|e| panic!("{spec:?} refused: {e}"));
    }
    (signer, b.build().unwrap())
}

fn spec_json(spec: &Spec) -> Value {
    match spec {
        Spec::Eq(n, v) => json!(["eq", n, v]),
        Spec::StartsWith(n, v) => json!(["starts-with", n, v]),
        Spec::Range(a, b) => json!(["content-length-range", a, b]),
    }
}

fn python() -> String {
    std::env::var("POST_POLICY_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "POST_POLICY_TEST_PYTHON is not set: this test needs a Python with boto3. \
             Run ./test.sh, which installs one, or set the variable to such a python."
        )
    })
}

#[test]
fn botocore_agrees_on_generated_policies() {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = case();
    let mut input = String::new();
    let mut signed = Vec::new();
    for id in 0..CASES {
        let case = strategy.new_tree(&mut runner).unwrap().current();
        let (signer, policy) = build(&case);
        let now = OffsetDateTime::from_unix_timestamp(case.now).unwrap();
        let post = signer
            .sign_with(&policy, SignOptions::new().at(now))
            .unwrap();
        let line = json!({
            "id": id,
            "access_key": case.access_key,
            "secret": case.secret,
            "token": case.token,
            "region": case.region,
            "now": case.now,
            "expires_in": case.expires_in,
            "bucket": case.bucket,
            "conditions": case.conditions.iter().map(spec_json).collect::<Vec<_>>(),
            "ours": {
                "url": post.url(),
                "fields": post.fields().collect::<Vec<_>>(),
                "client_fields": post.client_fields().iter()
                    .map(|c| json!({"name": c.name.as_str(), "prefix": c.prefix}))
                    .collect::<Vec<_>>(),
                "html": post.to_html(),
            },
        });
        input.push_str(&line.to_string());
        input.push('\n');
        signed.push((case, signer, post));
    }

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/botocore_oracle.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the botocore oracle");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "the oracle failed");
    let results: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), CASES, "one verdict per case");

    let mut failures = Vec::new();
    let mut verified = 0;
    for (result, (case, signer, ours)) in results.iter().zip(&signed) {
        let id = &result["id"];
        for e in result["errors"].as_array().unwrap() {
            failures.push(format!("case {id} ({case:?}): {}", e.as_str().unwrap()));
        }
        let Some(boto) = result["boto"].as_object() else {
            continue;
        };
        // The same `{"url", "fields"}` JSON. The URL is virtual-hosted in
        // both, but botocore names the legacy global host
        // (`BUCKET.s3.amazonaws.com`) outside China, we the regional one.
        let our_json = serde_json::to_value(ours).unwrap();
        let keys = |v: &serde_json::Map<String, Value>| v.keys().cloned().collect::<BTreeSet<_>>();
        if keys(our_json.as_object().unwrap()) != keys(boto) {
            failures.push(format!(
                "case {id}: JSON shapes differ: {our_json} vs {boto:?}"
            ));
        }
        let boto_url = boto["url"].as_str().unwrap().replacen(
            ".s3.amazonaws.com/",
            &format!(".s3.{}.amazonaws.com/", case.region),
            1,
        );
        if boto_url != ours.url() {
            failures.push(format!(
                "case {id}: botocore posts to {} (regional: {boto_url}), we to {}",
                boto["url"],
                ours.url()
            ));
        }

        // botocore's policy parses here to the same conditions (it orders
        // bucket and key last) and re-signs to botocore's signature.
        let boto_fields = boto["fields"].as_object().unwrap();
        let boto_policy = boto_fields["policy"].as_str().unwrap();
        let theirs = PolicyDocument::from_base64(boto_policy).unwrap();
        let mine = PolicyDocument::from_base64(ours.policy()).unwrap();
        let set = |d: &PolicyDocument| {
            d.conditions()
                .iter()
                .map(|c| c.to_string())
                .collect::<BTreeSet<_>>()
        };
        if set(&theirs) != set(&mine) {
            failures.push(format!(
                "case {id}: botocore's conditions {:?} != ours {:?}",
                set(&theirs),
                set(&mine)
            ));
        }
        if theirs.problems() != vec![] {
            failures.push(format!(
                "case {id}: botocore's policy has problems {:?}",
                theirs.problems()
            ));
        }
        let now = OffsetDateTime::from_unix_timestamp(case.now).unwrap();
        let date = now.date();
        let resigned = signer.sign_base64_policy(boto_policy, date).to_string();
        if resigned != boto_fields["x-amz-signature"] {
            failures.push(format!("case {id}: botocore's policy re-signs differently"));
        }
        let ours_fields: BTreeSet<(String, String)> = ours
            .fields()
            .filter(|(n, _)| !matches!(*n, "policy" | "x-amz-signature"))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let boto_set: BTreeSet<(String, String)> = boto_fields
            .iter()
            .filter(|(n, _)| !matches!(n.as_str(), "policy" | "x-amz-signature"))
            .map(|(n, v)| (n.clone(), v.as_str().unwrap().to_string()))
            .collect();
        // botocore's form, filled in as a browser would, passes our verifier
        // (or fails only where S3 itself would: a Content-Type prefix with a
        // comma can never be met, and over-long forms exceed 20 KiB).
        let mut form = Submission::new(&case.bucket);
        let mut impossible = false;
        for (n, v) in boto_fields {
            form.push_field(n.as_str(), v.as_str().unwrap());
        }
        for c in ours.client_fields() {
            impossible |= c.name.as_str() == "Content-Type" && c.prefix.contains(',');
            form.push_field(c.name.as_str(), c.prefix.as_str());
        }
        let size = ours.content_length_range().map_or(0, |r| *r.start());
        // `${filename}` as the file's name makes the substitution the identity,
        // so prefixes holding the placeholder stay met.
        let form = form.file("${filename}", size);
        let verifier = Verifier::new(signer.credentials().clone(), signer.region().clone());
        match verifier.verify_at(&form, now + Duration::seconds(case.expires_in)) {
            Ok(_) if !impossible => verified += 1,
            Err(Rejection::FormTooLarge { .. }) => {}
            Err(Rejection::ConditionFailed { field, .. })
                if impossible && field == "Content-Type" => {}
            other => failures.push(format!(
                "case {id}: our verifier on botocore's form: {other:?}"
            )),
        }
        if ours_fields != boto_set {
            failures.push(format!(
                "case {id}: form fields differ from botocore's: {ours_fields:?} vs {boto_set:?}"
            ));
        }
    }
    assert!(
        verified > CASES * 3 / 4,
        "only {verified} of botocore's forms verified"
    );
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
}
