//! Front-ends written for the AWS SDK for JavaScript's `createPresignedPost`
//! or boto3's `generate_presigned_post` work unchanged with our `SignedPost`
//! JSON.
//!
//! For the same bucket, key, conditions, credentials (with a session token),
//! region and clock, `@aws-sdk/s3-presigned-post` (pinned by
//! `tests/browser/package-lock.json`) signs in node, offline, and:
//!
//! - both answers are `{"url", "fields"}`;
//! - the URLs are equal, virtual-hosted on AWS and path-style on a custom
//!   endpoint;
//! - the field names are the same set, compared as S3 compares them
//!   (case-insensitively: the SDK writes `X-Amz-Date` and `Policy`), but
//!   for the SDK's extra `bucket` field (a field S3 accepts and its policy
//!   covers); the values of every field both sign are equal;
//! - the SDK's policy parses here to the same expiration and conditions, and
//!   re-signs here to the SDK's signature.
//!
//! boto3 signs the same for the custom endpoint (the botocore differential
//! covers AWS endpoints): same URL, same field names and values.
//!
//! Then a page's upload code, as the SDK's and boto3's guides write it (every
//! field into a `FormData`, the Content-Type, the file last, `fetch`), runs
//! in node unchanged with our JSON, the SDK's and boto3's, against the local
//! S3 POST endpoint: all three land.
//!
//! Needs node and the packages of `tests/browser/package.json`, installed by
//! `./test.sh` into the directory it exports as `POST_POLICY_PLAYWRIGHT`, and
//! boto3 (`POST_POLICY_TEST_PYTHON`, also from `./test.sh`). Without the
//! first the test prints why and checks nothing; without the second it
//! prints why and leaves boto3 out.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use policy_runtime::{
    post_policy, Credentials, Endpoint, PolicyDocument, Region, SignOptions, SignedPost, Signer,
};
use post_policy_local::{Config, LocalS3};
use serde_json::{json, Value};
use time::OffsetDateTime;

post_policy! {
    /// Images of 1 byte to 10 MiB under `uploads/`, private, answered with
    /// 201, for 10 minutes.
    struct ImageUpload {
        bucket = {bucket},
        key starts_with "uploads/",
        content_length 1..=10_485_760,
        content_type starts_with "image/",
        acl = "private",
        success_action_status = 201,
        expires_in = 10 min,
    }
}

const ACCESS_KEY: &str = "ASIAEXAMPLEJSSDK";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE/js+sdk=";

/// The directory holding `node_modules`, or `None` (printed) to skip.
fn node_modules() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("POST_POLICY_PLAYWRIGHT") else {
        println!(
            "skipped: POST_POLICY_PLAYWRIGHT is not set; ./test.sh installs \
             tests/browser/package.json (with @aws-sdk/s3-presigned-post) and sets it"
        );
        return None;
    };
    let dir = PathBuf::from(dir);
    assert!(
        dir.join("node_modules/@aws-sdk/s3-presigned-post/package.json")
            .exists(),
        "POST_POLICY_PLAYWRIGHT={} holds no node_modules/@aws-sdk/s3-presigned-post; \
         run ./test.sh to install tests/browser/package.json",
        dir.display()
    );
    Some(dir)
}

/// Runs `tests/browser/js_sdk.mjs` on `spec`.
fn node(spec: Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/js_sdk.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "js_sdk.mjs failed:\n{stderr}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("js_sdk.mjs printed no JSON ({e}):\n{stderr}"))
}

/// Field names as S3 compares them.
fn names<'a>(names: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    names.map(str::to_ascii_lowercase).collect()
}

/// The SDK's value of a field, looked up case-insensitively.
fn sdk_field<'a>(fields: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// A policy's expiration and conditions, as S3 reads them.
fn parsed(policy: &str) -> (OffsetDateTime, BTreeSet<String>) {
    let doc = PolicyDocument::from_base64(policy).unwrap();
    let conditions = doc.conditions().iter().map(|c| c.to_string()).collect();
    (doc.expiration(), conditions)
}

/// What `createPresignedPost` is given for `ImageUpload`: the same rules in
/// the SDK's terms.
fn sdk_request(now: OffsetDateTime, client: Value, bucket: &str) -> Value {
    let iso = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    json!({
        "now": iso,
        "client": client,
        "input": {
            "Bucket": bucket,
            "Key": "uploads/${filename}",
            "Conditions": [
                ["content-length-range", 1, 10_485_760],
                ["starts-with", "$Content-Type", "image/"],
                {"acl": "private"},
                {"success_action_status": "201"},
            ],
            "Fields": {"acl": "private", "success_action_status": "201"},
            "Expires": 600,
        },
    })
}

/// boto3's `generate_presigned_post` for `ImageUpload` on a path-style
/// endpoint, or `None` (printed) without `POST_POLICY_TEST_PYTHON`.
fn boto3(endpoint: &str, region: &str, bucket: &str) -> Option<Value> {
    let Some(python) = std::env::var_os("POST_POLICY_TEST_PYTHON") else {
        println!("boto3 left out: POST_POLICY_TEST_PYTHON is not set (./test.sh sets it)");
        return None;
    };
    const SCRIPT: &str = r#"
import json, sys
import boto3
from botocore.config import Config
spec = json.load(sys.stdin)
s3 = boto3.client(
    "s3", region_name=spec["region"], endpoint_url=spec["endpoint"],
    aws_access_key_id=spec["access_key"], aws_secret_access_key=spec["secret"],
    aws_session_token=spec["token"],
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
post = s3.generate_presigned_post(
    Bucket=spec["bucket"], Key="uploads/${filename}",
    Fields={"acl": "private", "success_action_status": "201"},
    Conditions=[["content-length-range", 1, 10485760],
                ["starts-with", "$Content-Type", "image/"],
                {"acl": "private"}, {"success_action_status": "201"}],
    ExpiresIn=600)
print(json.dumps(post))
"#;
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    let spec = json!({
        "endpoint": endpoint, "region": region, "bucket": bucket,
        "access_key": ACCESS_KEY, "secret": SECRET, "token": TOKEN,
    });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "boto3 failed");
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

#[test]
fn js_sdk_and_boto3_forms_and_ours_are_interchangeable() {
    let Some(modules) = node_modules() else {
        return;
    };
    let credentials = Credentials::new(ACCESS_KEY, SECRET)
        .unwrap()
        .with_session_token(TOKEN)
        .unwrap();
    let sdk_credentials = json!({
        "accessKeyId": ACCESS_KEY,
        "secretAccessKey": SECRET,
        "sessionToken": TOKEN,
    });
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("js-sdk-local");
    let _ = std::fs::remove_dir_all(&dir);
    let local_region = Region::new("garage").unwrap();
    let config = Config::new(&dir, local_region.clone()).credentials(credentials.clone());
    let local = LocalS3::new(config)
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .unwrap();

    // Whole seconds: the SDK's clock has milliseconds, its x-amz-date not.
    let now =
        OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    // (signer, the SDK's client options, bucket)
    let setups = [
        (
            Signer::new(credentials.clone(), Region::new("eu-west-3").unwrap()),
            json!({"region": "eu-west-3", "credentials": sdk_credentials}),
            "photos",
        ),
        (
            Signer::new(credentials.clone(), Region::new("us-east-1").unwrap()),
            json!({"region": "us-east-1", "credentials": sdk_credentials}),
            "photos",
        ),
        (
            Signer::new(credentials.clone(), local_region)
                .with_endpoint(Endpoint::custom(local.url()).unwrap()),
            json!({
                "region": "garage",
                "endpoint": local.url(),
                "forcePathStyle": true,
                "credentials": sdk_credentials,
            }),
            "photos",
        ),
    ];
    let ours: Vec<SignedPost> = setups
        .iter()
        .map(|(signer, _, bucket)| {
            ImageUpload {
                bucket: bucket.to_string(),
            }
            .sign_with(signer, SignOptions::new().at(now))
            .unwrap()
        })
        .collect();
    let sign: Vec<Value> = setups
        .iter()
        .map(|(_, client, bucket)| sdk_request(now, client.clone(), bucket))
        .collect();
    let answer = node(json!({"modules": modules, "sign": sign}));
    let signed = answer["signed"].as_array().unwrap();
    assert_eq!(signed.len(), setups.len());

    for ((ours, sdk), (signer, client, bucket)) in ours.iter().zip(signed).zip(&setups) {
        let setup = &client["region"];
        let our_json = serde_json::to_string(ours).unwrap();
        assert!(our_json.starts_with(r#"{"url":"#), "{our_json}");
        let our_value: Value = serde_json::from_str(&our_json).unwrap();
        assert_eq!(our_value.as_object().unwrap().len(), 2);
        let sdk = sdk.as_object().unwrap();
        let keys: BTreeSet<&str> = sdk.keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["url", "fields"]), "{setup}");

        assert_eq!(sdk["url"], ours.url(), "{setup}: the URLs differ");

        let fields = sdk["fields"].as_object().unwrap();
        let mut sdk_names = names(fields.keys().map(String::as_str));
        assert!(
            sdk_names.remove("bucket"),
            "{setup}: the SDK sends no bucket field"
        );
        assert_eq!(sdk_field(fields, "bucket"), Some(*bucket));
        assert_eq!(
            sdk_names,
            names(ours.fields().map(|(n, _)| n)),
            "{setup}: the field names differ"
        );
        for (name, value) in ours.fields() {
            if !matches!(name, "policy" | "x-amz-signature") {
                assert_eq!(
                    sdk_field(fields, name),
                    Some(value),
                    "{setup}: field {name}"
                );
            }
        }
        assert_eq!(ours.field("x-amz-security-token"), Some(TOKEN));
        assert_eq!(
            ours.field("x-amz-date"),
            Some(
                now.format(time::macros::format_description!(
                    "[year][month][day]T[hour][minute][second]Z"
                ))
                .unwrap()
                .as_str()
            )
        );

        // The SDK's policy: the same rules (plus its `bucket` field's
        // condition, which ours has too), signed as we sign.
        let sdk_policy = sdk_field(fields, "policy").unwrap();
        assert_eq!(
            parsed(sdk_policy),
            parsed(ours.policy()),
            "{setup}: the policies differ"
        );
        assert_eq!(
            signer
                .sign_base64_policy(sdk_policy, now.date())
                .to_string(),
            sdk_field(fields, "x-amz-signature").unwrap(),
            "{setup}: the SDK's policy re-signs differently"
        );
    }

    // boto3 on the custom endpoint (its clock is its own: the date-bound
    // fields are left to the upload below).
    let local_ours = &ours[2];
    let boto = boto3(local.url(), "garage", "photos");
    if let Some(boto) = &boto {
        let keys: BTreeSet<&str> = boto
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, BTreeSet::from(["url", "fields"]));
        assert_eq!(boto["url"], local_ours.url(), "boto3's URL differs");
        let fields = boto["fields"].as_object().unwrap();
        assert_eq!(
            names(fields.keys().map(String::as_str)),
            names(local_ours.fields().map(|(n, _)| n)),
            "boto3's field names differ"
        );
        for (name, value) in local_ours.fields() {
            if !matches!(
                name,
                "policy" | "x-amz-signature" | "x-amz-date" | "x-amz-credential"
            ) {
                assert_eq!(sdk_field(fields, name), Some(value), "boto3's field {name}");
            }
        }
    }

    // A page written for the SDK or boto3, unchanged, with each JSON,
    // uploading to the local endpoint (the last setup).
    let file = |name: &str| json!({"name": name, "type": "image/png", "text": "not really a PNG"});
    let mut uploads = vec![
        ("ours.png", serde_json::to_string(local_ours).unwrap()),
        ("sdk.png", signed[2].to_string()),
    ];
    if let Some(boto) = &boto {
        uploads.push(("boto3.png", boto.to_string()));
    }
    let answer = node(json!({
        "modules": modules,
        "upload": uploads.iter()
            .map(|(name, post)| json!({"post": post, "file": file(name)}))
            .collect::<Vec<_>>(),
    }));
    let uploaded = answer["uploaded"].as_array().unwrap();
    assert_eq!(uploaded.len(), uploads.len());
    for (upload, (name, _)) in uploaded.iter().zip(&uploads) {
        assert_eq!(upload["status"], 201, "{name}: {upload}");
        let body = upload["body"].as_str().unwrap();
        assert!(
            body.contains(&format!("<Key>uploads/{name}</Key>")),
            "{body}"
        );
    }
}
