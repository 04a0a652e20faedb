//! The `post-policy` binary as a process: exit codes and output.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_post-policy");

/// Amazon's published browser-POST example policy (expires 2015-12-30).
const A_POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
const A_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const A_SIGNATURE: &str = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

const POLICY_JSON: &str = r#"{"expiration": "2030-01-01T00:10:00Z", "conditions": [
    {"bucket": "b-1"}, ["starts-with", "$key", "u/"],
    ["starts-with", "$Content-Type", "image/"], ["content-length-range", 1, 100]]}"#;

fn run(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_clear().envs(env.iter().copied());
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

const ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "sekrit"),
    ("AWS_REGION", "eu-west-1"),
];

fn temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("post-policy-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn signed_form() -> String {
    let o = run(
        &["sign", "-", "--now", "2030-01-01T00:00:00Z"],
        ENV,
        Some(POLICY_JSON),
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    out(&o)
}

#[test]
fn help_lists_commands_exit_codes_and_examples() {
    for args in [&["--help"][..], &["help"], &["check", "--help"]] {
        let o = run(args, &[], None);
        assert_eq!(code(&o), 0);
        let text = out(&o);
        for needle in [
            "decode",
            "check",
            "sign",
            "EXIT CODES",
            "EXAMPLES",
            "AWS_ACCESS_KEY_ID",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
    }
}

#[test]
fn usage_mistakes_exit_2_with_a_hint() {
    for args in [
        &[][..],
        &["frob"],
        &["decode"],
        &["decode", "a", "b"],
        &["decode", "x", "--bogus"],
        &["check", "--size", "1"],
        &["check", "--policy", A_POLICY],
        &["check", "--policy", A_POLICY, "--size", "ten"],
        &[
            "check", "--policy", A_POLICY, "--size", "1", "--field", "novalue",
        ],
        &[
            "check",
            "--policy",
            A_POLICY,
            "--size",
            "1",
            "--now",
            "yesterday",
        ],
        &["sign"],
    ] {
        let o = run(args, &[], None);
        assert_eq!(code(&o), 2, "{args:?}: {}", out(&o));
        assert!(
            err(&o).starts_with("post-policy: "),
            "{args:?}: {}",
            err(&o)
        );
    }
}

#[test]
fn bad_input_exits_2_and_says_why() {
    let o = run(&["decode", "not base64!"], &[], None);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("base64"), "{}", err(&o));
    let o = run(&["decode", "-"], &[], Some("{\"expiration\": 1}"));
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("invalid policy document"), "{}", err(&o));
    let o = run(&["decode", "-"], &[], Some(""));
    assert_eq!(code(&o), 2);
}

#[test]
fn decode_prints_the_policy_and_flags_problems() {
    let o = run(
        &["decode", A_POLICY, "--now", "2015-12-29T12:00:00Z"],
        &[],
        None,
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    let text = out(&o);
    assert!(text.contains("expiration: 2015-12-30T12:00:00Z"), "{text}");
    assert!(
        text.contains(r#"["starts-with", "$key", "user/user1/"]"#),
        "{text}"
    );
    assert!(text.contains("S3 would accept this policy"), "{text}");
    // The same, later: expired.
    let o = run(
        &["decode", A_POLICY, "--now", "2016-01-01T00:00:00Z"],
        &[],
        None,
    );
    assert_eq!(code(&o), 1);
    assert!(out(&o).contains("expired"), "{}", out(&o));
    // From a file, with starts-with on bucket and no signer conditions.
    let path = temp(
        "bad.json",
        r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["starts-with", "$bucket", "b"], {"acl": "world"}]}"#,
    );
    let o = run(
        &["decode", &path, "--now", "2029-01-01T00:00:00Z"],
        &[],
        None,
    );
    assert_eq!(code(&o), 1);
    let text = out(&o);
    assert!(
        text.contains("`bucket` only allows an exact match"),
        "{text}"
    );
    assert!(text.contains("`acl`"), "{text}");
    assert!(text.contains("no `key` condition"), "{text}");
}

#[test]
fn sign_needs_credentials_in_the_environment() {
    let o = run(&["sign", "-"], &[], Some(POLICY_JSON));
    assert_eq!(code(&o), 3, "{}", err(&o));
    assert!(err(&o).contains("AWS_ACCESS_KEY_ID"), "{}", err(&o));
    // An expired policy cannot be signed: bad input.
    let o = run(
        &["sign", "-", "--now", "2031-01-01T00:00:00Z"],
        ENV,
        Some(POLICY_JSON),
    );
    assert_eq!(code(&o), 2, "{}", err(&o));
}

#[test]
fn sign_prints_url_and_fields() {
    let form: serde_json::Value = serde_json::from_str(&signed_form()).unwrap();
    assert_eq!(form["url"], "https://b-1.s3.eu-west-1.amazonaws.com/");
    assert_eq!(form["fields"]["key"], "u/${filename}");
    assert_eq!(
        form["fields"]["x-amz-credential"],
        "AKIDEXAMPLE/20300101/eu-west-1/s3/aws4_request"
    );
    let o = run(
        &[
            "sign",
            "-",
            "--now",
            "2030-01-01T00:00:00Z",
            "--html",
            "--key",
            "u/x.png",
        ],
        ENV,
        Some(POLICY_JSON),
    );
    assert_eq!(code(&o), 0);
    assert!(out(&o).starts_with("<form") && out(&o).contains("u/x.png"));
}

#[test]
fn check_accepts_a_signed_form_with_the_right_secret() {
    let path = temp("form.json", &signed_form());
    let base = [
        "check",
        "--form",
        &path,
        "--now",
        "2030-01-01T00:05:00Z",
        "--file-name",
        "cat.png",
    ];
    let o = run(
        &[
            &base[..],
            &[
                "--field",
                "Content-Type=image/png",
                "--size",
                "10",
                "--secret",
                "sekrit",
            ],
        ]
        .concat(),
        &[],
        None,
    );
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(
        text.contains("S3 would accept") && text.contains("key: u/cat.png"),
        "{text}"
    );
    assert!(
        text.contains("signature: valid for access key AKIDEXAMPLE"),
        "{text}"
    );

    // Without the secret: accepted, signature unchecked.
    let o = run(
        &[
            &base[..],
            &["--field", "Content-Type=image/png", "--size", "10"],
        ]
        .concat(),
        &[],
        None,
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(out(&o).contains("not checked"));

    // The wrong secret, a Content-Type list, a file too big: all named.
    let o = run(
        &[
            &base[..],
            &[
                "--field",
                "Content-Type=image/png,text/html",
                "--size",
                "101",
                "--secret",
                "wrong",
            ],
        ]
        .concat(),
        &[],
        None,
    );
    assert_eq!(code(&o), 1);
    let text = out(&o);
    for needle in [
        "SignatureDoesNotMatch (403)",
        "AccessDenied (403)",
        "Content-Type",
        "list",
        "EntityTooLarge (400)",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    // Too late.
    let o = run(
        &[
            "check",
            "--form",
            &path,
            "--now",
            "2030-01-01T00:11:00Z",
            "--field",
            "Content-Type=image/png",
            "--size",
            "10",
        ],
        &[],
        None,
    );
    assert_eq!(code(&o), 1);
    assert!(out(&o).contains("Policy expired"), "{}", out(&o));
}

#[test]
fn check_names_the_failing_condition_of_a_bare_policy() {
    let o = run(
        &[
            "check",
            "--policy",
            "-",
            "--now",
            "2030-01-01T00:00:00Z",
            "--field",
            "key=v/a",
            "--field",
            "Content-Type=image/gif",
            "--size",
            "5",
        ],
        &[],
        Some(POLICY_JSON),
    );
    assert_eq!(code(&o), 1);
    let text = out(&o);
    assert!(
        text.contains(
            r#"`key` is "v/a", which fails the policy's condition ["starts-with", "$key", "u/"]"#
        ),
        "{text}"
    );
    // Fields after the file are ignored, so a condition on one fails.
    let o = run(
        &[
            "check",
            "--policy",
            "-",
            "--now",
            "2030-01-01T00:00:00Z",
            "--field",
            "key=u/a",
            "--after-file",
            "Content-Type=image/gif",
            "--size",
            "5",
        ],
        &[],
        Some(POLICY_JSON),
    );
    assert_eq!(code(&o), 1);
    assert!(
        out(&o).contains("no `Content-Type` field before the file"),
        "{}",
        out(&o)
    );
}

#[test]
fn check_verifies_amazons_published_example() {
    let fields = [
        "key=user/user1/${filename}",
        "acl=public-read",
        "success_action_redirect=http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html",
        "Content-Type=image/jpeg",
        "x-amz-meta-uuid=14365123651274",
        "x-amz-server-side-encryption=AES256",
        "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Date=20151229T000000Z",
        "x-amz-meta-tag=",
    ];
    let mut args = vec![
        "check",
        "--policy",
        A_POLICY,
        "--size",
        "100",
        "--now",
        "2015-12-29T12:00:00Z",
        "--secret",
        A_SECRET,
    ];
    let signature = format!("X-Amz-Signature={A_SIGNATURE}");
    for f in fields.iter().copied().chain([signature.as_str()]) {
        args.extend(["--field", f]);
    }
    let o = run(&args, &[], None);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains("answer: 303 redirect to http://sigv4examplebucket"),
        "{}",
        out(&o)
    );
}

/// A form whose URL is http:// travels in the clear, where S3 refuses
/// SSE-C; the same form posted to https:// is accepted.
#[test]
fn check_refuses_sse_c_posted_over_plain_http() {
    let policy = r#"{"expiration": "2030-01-01T00:10:00Z", "conditions": [
        {"bucket": "b-1"}, ["starts-with", "$key", "u/"],
        {"x-amz-server-side-encryption-customer-algorithm": "AES256"},
        {"x-amz-server-side-encryption-customer-key": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="},
        {"x-amz-server-side-encryption-customer-key-MD5": "hRasmdxgYDKV3nvbahU1MA=="}]}"#;
    let o = run(
        &["sign", "-", "--now", "2030-01-01T00:00:00Z"],
        ENV,
        Some(policy),
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let https = out(&o);
    let aws = "https://b-1.s3.eu-west-1.amazonaws.com/";
    assert!(https.contains(aws), "{https}");
    let http = https.replace(aws, "http://127.0.0.1:9000/b-1/");
    let check = |name: &str, form: &str| {
        let path = temp(name, form);
        run(
            &[
                "check",
                "--form",
                &path,
                "--now",
                "2030-01-01T00:05:00Z",
                "--size",
                "10",
                "--secret",
                "sekrit",
            ],
            &[],
            None,
        )
    };
    let o = check("sse-c-https.json", &https);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("S3 would accept"), "{}", out(&o));
    let o = check("sse-c-http.json", &http);
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let text = out(&o);
    for needle in [
        "InvalidRequest (400)",
        "must be made over a secure connection",
        "https://",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert!(!text.contains("SignatureDoesNotMatch"), "{text}");
}
