//! The README's "Migrating" section: the same upload policy written by hand,
//! with boto3 and with `post_policy!`. The files under `readme/` are the
//! README's snippets, verbatim (checked here), so they compile and run:
//!
//! - the hand-written form and the declared one have the same URL, the same
//!   fields and a policy with the same expiration and conditions, and both
//!   pass the verifier;
//! - boto3's `generate_presigned_post`, as the README calls it, signs the
//!   same form (with `POST_POLICY_TEST_PYTHON`, from `./test.sh`; without
//!   it that part prints why and is left out).

#[allow(dead_code)]
#[path = "readme/post_policy.rs"]
mod declared;
#[path = "readme/hand_written.rs"]
mod hand_written;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use policy_runtime::verify::{Submission, Verifier};
use policy_runtime::{Credentials, PolicyDocument, Region, Signer};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

const README: &str = include_str!("../../README.md");
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[test]
fn the_readme_shows_these_snippets() {
    for (file, text) in [
        ("hand_written.rs", include_str!("readme/hand_written.rs")),
        ("post_policy.rs", include_str!("readme/post_policy.rs")),
        ("boto3.py", include_str!("readme/boto3.py")),
    ] {
        assert!(
            README.contains(&format!("\n{text}```\n")),
            "README.md does not show examples/tests/readme/{file} as it is; copy the file into its code block"
        );
    }
}

/// The fields but `policy` and `x-amz-signature`, and the policy's
/// expiration and conditions, as S3 reads them.
fn form(json: &Value) -> (BTreeSet<(String, String)>, OffsetDateTime, BTreeSet<String>) {
    let fields = json["fields"].as_object().unwrap();
    let signed = fields
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "policy" | "x-amz-signature"))
        .map(|(n, v)| (n.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    let policy = PolicyDocument::from_base64(fields["policy"].as_str().unwrap()).unwrap();
    let conditions = policy.conditions().iter().map(|c| c.to_string()).collect();
    (signed, policy.expiration(), conditions)
}

/// What S3 says to `json`'s form with a PNG of `size` bytes.
fn verdict(json: &Value, size: u64, now: OffsetDateTime) -> Result<String, String> {
    let mut submission = Submission::new("avatars");
    for (name, value) in json["fields"].as_object().unwrap() {
        submission.push_field(name.as_str(), value.as_str().unwrap());
    }
    submission.push_field("Content-Type", "image/png");
    let verifier = Verifier::new(
        Credentials::new(ACCESS_KEY, SECRET).unwrap(),
        Region::new("eu-west-1").unwrap(),
    );
    verifier
        .verify_at(&submission.file("me.png", size), now + Duration::minutes(1))
        .map(|accepted| accepted.key)
        .map_err(|rejection| rejection.code().as_str().to_owned())
}

/// boto3.py, as the README shows it, with fixed credentials and clock; or
/// `None` (printed) without `POST_POLICY_TEST_PYTHON`.
fn boto3(now: OffsetDateTime) -> Option<Value> {
    let Some(python) = std::env::var_os("POST_POLICY_TEST_PYTHON") else {
        println!("boto3 left out: POST_POLICY_TEST_PYTHON is not set (./test.sh sets it)");
        return None;
    };
    let script = format!(
        "import datetime, json, botocore.auth, botocore.signers\n\
         now = datetime.datetime.utcfromtimestamp({})\n\
         botocore.auth.get_current_datetime = lambda: now\n\
         botocore.signers.get_current_datetime = lambda: now\n\
         {}\n\
         print(json.dumps(post))\n",
        now.unix_timestamp(),
        include_str!("readme/boto3.py"),
    );
    let mut child = Command::new(python)
        .arg("-")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "boto3.py failed");
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

#[test]
fn the_same_form_by_hand_with_boto3_and_declared() {
    let now = OffsetDateTime::from_unix_timestamp(1_795_348_800).unwrap();
    let signer = Signer::new(
        Credentials::new(ACCESS_KEY, SECRET).unwrap(),
        Region::new("eu-west-1").unwrap(),
    );
    let declared = declared::AvatarUpload {
        user_id: "42".into(),
    }
    .sign_at(&signer, now)
    .unwrap();
    let declared: Value = serde_json::from_str(&declared.to_json()).unwrap();
    let by_hand = hand_written::avatar_form(ACCESS_KEY, SECRET, "eu-west-1", "42", now);

    assert_eq!(
        declared["url"],
        "https://avatars.s3.eu-west-1.amazonaws.com/"
    );
    assert_eq!(by_hand["url"], declared["url"]);
    assert_eq!(form(&by_hand), form(&declared));
    for json in [&by_hand, &declared] {
        assert_eq!(verdict(json, 48_213, now), Ok("user/42/me.png".to_owned()));
        assert_eq!(
            verdict(json, 5_000_001, now),
            Err("EntityTooLarge".to_owned())
        );
    }

    if let Some(boto) = boto3(now) {
        assert_eq!(boto["url"], "https://avatars.s3.amazonaws.com/"); // the global host
        assert_eq!(form(&boto), form(&declared));
        assert_eq!(verdict(&boto, 48_213, now), Ok("user/42/me.png".to_owned()));
    }

    // The declared form's helper, and its refusal of a user id leaving the
    // folder.
    let json: Value = serde_json::from_str(&declared::avatar_form(&signer, "42").unwrap()).unwrap();
    assert_eq!(json["fields"]["key"], "user/42/${filename}");
    assert!(declared::avatar_form(&signer, "../43").is_err());
}
