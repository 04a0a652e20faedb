//! Checksum fields through the local endpoint, as S3 treats them: the value
//! of each algorithm checked against the bytes before anything is stored
//! (`400 BadDigest`); two checksum fields, an unknown algorithm, an
//! algorithm without a value or a malformed value refused (`400
//! InvalidRequest`); the stored checksum served back when asked for with
//! `x-amz-checksum-mode: ENABLED`.
//!
//! The values are AWS's for `123456789` (OpenStack Swift's s3api checksum
//! tests, written against AWS; the CRC-32C one is the CRC catalogue's check
//! value `0xE3069283`).

use std::path::PathBuf;
use std::time::Duration as StdDuration;

use base64::Engine as _;
use policy_runtime::time::OffsetDateTime;
use policy_runtime::{Credentials, Region, Signer};
use post_policy_local::{Config, LocalS3, Running};
use reqwest::blocking::{multipart, Client};
use support::{files_under, temp_dir};

mod support;

const BUCKET: &str = "checksum-bucket";
const REGION: &str = "us-east-1";
const AKID: &str = "AKIDCHECKSUMS";
const SECRET: &str = "checksum-test-secret-0123456789";
const BODY: &[u8] = b"123456789";

/// `(field, right value, a well-formed wrong value)` per algorithm.
const VALUES: &[(&str, &str, &str)] = &[
    ("x-amz-checksum-crc32", "y/Q5Jg==", "z/Q5Jg=="),
    ("x-amz-checksum-crc32c", "4waSgw==", "5waSgw=="),
    ("x-amz-checksum-crc64nvme", "rosUhgp5mIg=", "sosUhgp5mIg="),
    (
        "x-amz-checksum-sha1",
        "98O8HYCOBHMq32eZZczDTKeuNEE=",
        "+8O8HYCOBHMq32eZZczDTKeuNEE=",
    ),
    (
        "x-amz-checksum-sha256",
        "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
        "GeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
    ),
];

struct Fixture {
    dir: PathBuf,
    running: Running,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir = temp_dir("checksums", name);
        let config = Config::new(&dir, Region::new(REGION).unwrap())
            .credentials(Credentials::new(AKID, SECRET).unwrap());
        let running = LocalS3::new(config)
            .unwrap()
            .spawn("127.0.0.1:0".parse().unwrap())
            .unwrap();
        Fixture { dir, running }
    }

    /// Posts `BODY` with a form signed for exactly `fields` (each covered by
    /// an exact condition) under `key`: status, S3 code (if refused), body.
    fn post(&self, key: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let now = OffsetDateTime::now_utc();
        let date = format!(
            "{:04}{:02}{:02}",
            now.year(),
            u8::from(now.month()),
            now.day()
        );
        let amz_date = format!(
            "{date}T{:02}{:02}{:02}Z",
            now.hour(),
            now.minute(),
            now.second()
        );
        let credential = format!("{AKID}/{date}/{REGION}/s3/aws4_request");
        let expiration = now.year() + 1;
        let mut conditions = vec![
            format!(r#"{{"bucket": "{BUCKET}"}}"#),
            format!(r#"{{"key": "{key}"}}"#),
            r#"{"x-amz-algorithm": "AWS4-HMAC-SHA256"}"#.to_string(),
            format!(r#"{{"x-amz-credential": "{credential}"}}"#),
            format!(r#"{{"x-amz-date": "{amz_date}"}}"#),
        ];
        for (name, value) in fields {
            conditions.push(format!(r#"{{"{name}": "{value}"}}"#));
        }
        let json = format!(
            r#"{{"expiration": "{}-01-01T00:00:00Z", "conditions": [{}]}}"#,
            expiration,
            conditions.join(", ")
        );
        let policy = base64::engine::general_purpose::STANDARD.encode(json);
        let signer = Signer::new(
            Credentials::new(AKID, SECRET).unwrap(),
            Region::new(REGION).unwrap(),
        );
        let signature = signer.sign_base64_policy(&policy, now.date()).to_string();
        let mut form = multipart::Form::new()
            .text("key", key.to_string())
            .text("policy", policy)
            .text("x-amz-algorithm", "AWS4-HMAC-SHA256")
            .text("x-amz-credential", credential)
            .text("x-amz-date", amz_date)
            .text("x-amz-signature", signature);
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        form = form.part(
            "file",
            multipart::Part::bytes(BODY.to_vec()).file_name("digits.txt"),
        );
        let response = client()
            .post(format!("{}/{BUCKET}", self.running.url()))
            .multipart(form)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().unwrap())
    }

    /// GET `key`: status and the `x-amz-checksum-*` headers, with or
    /// without checksum mode.
    fn checksums(&self, key: &str, mode: bool) -> (u16, Vec<(String, String)>) {
        let mut request = client().get(format!("{}/{BUCKET}/{key}", self.running.url()));
        if mode {
            request = request.header("x-amz-checksum-mode", "ENABLED");
        }
        let response = request.send().unwrap();
        let checksums = response
            .headers()
            .iter()
            .filter(|(name, _)| name.as_str().starts_with("x-amz-checksum-"))
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        (response.status().as_u16(), checksums)
    }

    fn stored_files(&self) -> Vec<PathBuf> {
        files_under(&self.dir)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn client() -> Client {
    Client::builder()
        .timeout(StdDuration::from_secs(30))
        .build()
        .unwrap()
}

fn code(body: &str) -> &str {
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("", |(code, _)| code)
}

#[test]
fn each_algorithm_is_checked_against_the_bytes_before_anything_is_stored() {
    let f = Fixture::new("each");
    for (i, (field, right, wrong)) in VALUES.iter().enumerate() {
        let algorithm = field.trim_start_matches("x-amz-checksum-").to_uppercase();

        let key = format!("wrong-{i}");
        let before = f.stored_files();
        let (status, body) = f.post(&key, &[(field, wrong)]);
        assert_eq!((status, code(&body)), (400, "BadDigest"), "{field}: {body}");
        assert!(
            body.contains(&format!(
                "The {algorithm} you specified did not match the calculated checksum."
            )),
            "{body}"
        );
        assert_eq!(f.checksums(&key, true).0, 404, "{field}: stored anyway");
        assert_eq!(f.stored_files(), before, "{field}: left a file");

        let key = format!("right-{i}");
        let with_algorithm = [(*field, *right), ("x-amz-checksum-algorithm", &algorithm)];
        let (status, body) = f.post(&key, &with_algorithm);
        assert_eq!(status, 204, "{field}: {body}");
        assert_eq!(f.checksums(&key, false), (200, vec![]), "{field}");
        assert_eq!(
            f.checksums(&key, true),
            (200, vec![(field.to_string(), right.to_string())]),
            "{field}"
        );
    }
}

#[test]
fn unusable_checksum_fields_are_refused_as_s3_refuses_them() {
    let f = Fixture::new("unusable");
    let crc = ("x-amz-checksum-crc32", "y/Q5Jg==");
    let sha1 = ("x-amz-checksum-sha1", "98O8HYCOBHMq32eZZczDTKeuNEE=");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            "two checksum fields",
            &[crc, sha1],
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        ),
        (
            "the algorithm without a value (S3 checks a checksum, computes none)",
            &[("x-amz-checksum-algorithm", "CRC32")],
            "x-amz-checksum-algorithm specified, but no corresponding x-amz-checksum-*",
        ),
        (
            "an unknown algorithm",
            &[("x-amz-checksum-algorithm", "MD5")],
            "Checksum algorithm provided is unsupported.",
        ),
        (
            "an algorithm in lower case",
            &[crc, ("x-amz-checksum-algorithm", "crc32")],
            "Checksum algorithm provided is unsupported.",
        ),
        (
            "an algorithm other than the value's",
            &[crc, ("x-amz-checksum-algorithm", "SHA1")],
            "Value for x-amz-checksum-algorithm header is invalid.",
        ),
        (
            "a value too short",
            &[("x-amz-checksum-crc32", "shrt")],
            "Value for x-amz-checksum-crc32 header is invalid.",
        ),
        (
            "a value with stray bits",
            &[("x-amz-checksum-sha1", "98O8HYCOBHMq32eZZczDTKeuNEF=")],
            "Value for x-amz-checksum-sha1 header is invalid.",
        ),
        (
            "a value of another algorithm's length",
            &[("x-amz-checksum-sha256", "y/Q5Jg==")],
            "Value for x-amz-checksum-sha256 header is invalid.",
        ),
    ];
    for (i, (case, fields, message)) in cases.iter().enumerate() {
        let key = format!("refused-{i}");
        let (status, body) = f.post(&key, fields);
        assert_eq!(
            (status, code(&body)),
            (400, "InvalidRequest"),
            "{case}: {body}"
        );
        assert!(body.contains(message), "{case}: {body}");
        assert_eq!(f.checksums(&key, true).0, 404, "{case}: stored anyway");
    }
    assert!(f.stored_files().is_empty(), "{:?}", f.stored_files());
}
