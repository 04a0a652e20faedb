//! End to end against real S3-compatible servers (Garage, s3s-fs).
//!
//! Forms are signed by the runtime and posted with a real HTTP client
//! (multipart, file last); accepted objects are read back through the
//! server's S3 API; refused uploads must leave no object. `./test.sh`
//! installs and starts the servers and sets `POST_POLICY_E2E`; without it
//! this test fails, it never skips.
//!
//! Where a server departs from AWS's documented behaviour the test names the
//! quirk (see `tests/conformance/quirks.json`) and asserts what that server
//! does instead.

mod support;

use policy_runtime::{
    post_policy, Credentials, Endpoint, Policy, PolicyBuilder, Region, SignOptions, SignedPost,
    Signer,
};
use reqwest::blocking::multipart;
use support::{client, get, has_quirk, servers, signer, Server};
use time::{Duration, OffsetDateTime};

/// The rules most cases share: the bucket, keys under `prefix`, 1 to 64
/// bytes, `text/plain`, one metadata field, 201.
fn base(server: &Server, prefix: &str) -> PolicyBuilder {
    Policy::builder()
        .bucket(&server.bucket)
        .unwrap()
        .key_starts_with(prefix)
        .unwrap()
        .content_length_range(1..=64)
        .unwrap()
        .content_type("text/plain")
        .unwrap()
        .meta("origin", "e2e")
        .unwrap()
        .success_action_status(201)
        .unwrap()
        .expires_in(Duration::minutes(10))
}

fn policy_text_prefix(server: &Server) -> Policy {
    Policy::builder()
        .bucket(&server.bucket)
        .unwrap()
        .key_starts_with("list/")
        .unwrap()
        .starts_with("Content-Type", "text/")
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap()
}

struct Response {
    status: u16,
    location: Option<String>,
    body: String,
}

/// Posts `fields` then the file, then `after` (fields S3 must ignore).
fn post_fields(
    url: &str,
    fields: &[(String, String)],
    file_name: &str,
    bytes: &[u8],
    after: &[(String, String)],
) -> Response {
    let mut form = multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name.clone(), value.clone());
    }
    let part = multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_string());
    form = form.part("file", part);
    for (name, value) in after {
        form = form.text(name.clone(), value.clone());
    }
    let response = client().post(url).multipart(form).send().unwrap();
    Response {
        status: response.status().as_u16(),
        location: response
            .headers()
            .get("location")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        body: response.text().unwrap_or_default(),
    }
}

fn fields_of(post: &SignedPost) -> Vec<(String, String)> {
    post.fields()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn post(post: &SignedPost, bytes: &[u8]) -> Response {
    post_fields(post.url(), &fields_of(post), "hello.txt", bytes, &[])
}

fn assert_stored(server: &Server, key: &str, bytes: &[u8]) {
    let object = get(server, key);
    assert_eq!(object.status, 200, "{}: GET {key:?}", server.name);
    assert_eq!(object.bytes, bytes, "{}: bytes of {key:?}", server.name);
    assert_eq!(
        object.content_type.as_deref(),
        Some("text/plain"),
        "{}",
        server.name
    );
    assert_eq!(
        object.meta_origin.as_deref(),
        Some("e2e"),
        "{}",
        server.name
    );
}

fn assert_refused(server: &Server, case: &str, response: &Response, key: &str) {
    assert!(
        (400..500).contains(&response.status),
        "{}: {case}: expected a refusal, got {} {}",
        server.name,
        response.status,
        response.body
    );
    assert_eq!(
        get(server, key).status,
        404,
        "{}: {case}: a refused upload left an object at {key:?}",
        server.name
    );
}

#[test]
fn accepts_what_the_policy_allows() {
    for server in servers() {
        let signer = signer(&server);

        // Exact, starts-with, size range, metadata, status 201.
        let policy = base(&server, "accept/").build().unwrap();
        let key = "accept/plain.txt";
        let signed = signer
            .sign_with(&policy, SignOptions::new().key(key))
            .unwrap();
        let r = post(&signed, b"hello, world");
        assert_eq!(r.status, 201, "{}: {}", server.name, r.body);
        assert!(
            r.body.contains("<Key>accept/plain.txt</Key>"),
            "{}: {}",
            server.name,
            r.body
        );
        assert_stored(&server, key, b"hello, world");

        // Each boundary of the size range is inclusive.
        for (key, size) in [("accept/min.txt", 1), ("accept/max.txt", 64)] {
            let signed = signer
                .sign_with(&policy, SignOptions::new().key(key))
                .unwrap();
            let r = post(&signed, &vec![b'x'; size]);
            assert_eq!(r.status, 201, "{}: {size} bytes: {}", server.name, r.body);
            assert_stored(&server, key, &vec![b'x'; size]);
        }

        // success_action_status 200 and 204.
        for status in [200u16, 204] {
            let policy = Policy::builder()
                .bucket(&server.bucket)
                .unwrap()
                .key_starts_with("status/")
                .unwrap()
                .success_action_status(status)
                .unwrap()
                .expires_in(Duration::minutes(10))
                .build()
                .unwrap();
            let key = format!("status/{status}");
            let signed = signer
                .sign_with(&policy, SignOptions::new().key(&key))
                .unwrap();
            let r = post(&signed, b"x");
            assert_eq!(r.status, status, "{}: {}", server.name, r.body);
            assert_eq!(get(&server, &key).status, 200, "{}", server.name);
        }

        // A Content-Type starts-with rule, filled in by the client, and an
        // `x-ignore-` field the policy need not cover.
        let policy = Policy::builder()
            .bucket(&server.bucket)
            .unwrap()
            .key_starts_with("client/")
            .unwrap()
            .starts_with("Content-Type", "text/")
            .unwrap()
            .expires_in(Duration::minutes(10))
            .build()
            .unwrap();
        let signed = signer
            .sign_with(&policy, SignOptions::new().key("client/a.txt"))
            .unwrap();
        let mut fields = fields_of(&signed);
        fields.push(("Content-Type".into(), "text/plain".into()));
        fields.push(("x-ignore-note".into(), "anything".into()));
        let r = post_fields(signed.url(), &fields, "a.txt", b"abc", &[]);
        assert!(r.status < 300, "{}: {} {}", server.name, r.status, r.body);
        let object = get(&server, "client/a.txt");
        assert_eq!(object.status, 200, "{}", server.name);
        assert_eq!(object.content_type.as_deref(), Some("text/plain"));

        // Content-Type starts-with and a comma list: every part must match.
        let signed = signer
            .sign_with(
                &policy_text_prefix(&server),
                SignOptions::new().key("list/ok.txt"),
            )
            .unwrap();
        let mut fields = fields_of(&signed);
        fields.push(("Content-Type".into(), "text/plain,text/csv".into()));
        let r = post_fields(signed.url(), &fields, "a.txt", b"abc", &[]);
        assert!(r.status < 300, "{}: {} {}", server.name, r.status, r.body);
        assert_eq!(get(&server, "list/ok.txt").status, 200, "{}", server.name);
        let signed = signer
            .sign_with(
                &policy_text_prefix(&server),
                SignOptions::new().key("list/bad.txt"),
            )
            .unwrap();
        let mut fields = fields_of(&signed);
        fields.push(("Content-Type".into(), "text/plain,image/png".into()));
        let r = post_fields(signed.url(), &fields, "a.txt", b"abc", &[]);
        if has_quirk(&server, "no-content-type-list-rule") {
            assert!(
                r.status < 300,
                "{}: quirk gone? {} {}",
                server.name,
                r.status,
                r.body
            );
        } else {
            assert_refused(
                &server,
                "a Content-Type list with a part outside the prefix",
                &r,
                "list/bad.txt",
            );
        }

        // success_action_redirect: a 303 to the URL, with bucket, key and
        // ETag in its query.
        let policy = Policy::builder()
            .bucket(&server.bucket)
            .unwrap()
            .key_starts_with("redirect/")
            .unwrap()
            .eq(
                "success_action_redirect",
                "https://app.example/done?from=s3",
            )
            .unwrap()
            .expires_in(Duration::minutes(10))
            .build()
            .unwrap();
        let signed = signer
            .sign_with(&policy, SignOptions::new().key("redirect/a.txt"))
            .unwrap();
        let r = post(&signed, b"abc");
        assert_eq!(r.status, 303, "{}: {}", server.name, r.body);
        let location = r.location.unwrap_or_default();
        assert!(
            location.starts_with("https://app.example/done?from=s3&")
                && location.contains("key=redirect%2Fa.txt"),
            "{}: Location {location:?}",
            server.name
        );
        assert_eq!(
            get(&server, "redirect/a.txt").status,
            200,
            "{}",
            server.name
        );

        // `${filename}`: S3 puts the file's name in the key.
        let policy = base(&server, "named/").build().unwrap();
        let signed = signer.sign(&policy).unwrap();
        assert_eq!(signed.field("key"), Some("named/${filename}"));
        let r = post_fields(signed.url(), &fields_of(&signed), "report.txt", b"abc", &[]);
        assert_eq!(r.status, 201, "{}: {}", server.name, r.body);
        if has_quirk(&server, "no-filename-substitution") {
            assert_stored(&server, "named/${filename}", b"abc");
            assert_eq!(get(&server, "named/report.txt").status, 404);
        } else {
            assert_stored(&server, "named/report.txt", b"abc");
        }
    }
}

#[test]
fn values_that_break_naive_implementations_round_trip() {
    for server in servers() {
        let signer = signer(&server);
        for (i, tail) in [
            "with space.txt",
            "quote\"d'.txt",
            "dollar$sign.txt",
            "brace${notvar}.txt",
            "back\\slash.txt",
            "plus+percent%20.txt",
            "ünïcödé-日本.txt",
            "emoji-🎉.txt",
        ]
        .into_iter()
        .enumerate()
        {
            let prefix = format!("odd {i} $ \" é/");
            let key = format!("{prefix}{tail}");
            let meta = format!("v {i} $ ${{x}} \" \\ + % é 🎉");
            let policy = Policy::builder()
                .bucket(&server.bucket)
                .unwrap()
                .key_starts_with(&prefix)
                .unwrap()
                .meta("note", meta.clone())
                .unwrap()
                .content_type("text/plain")
                .unwrap()
                .meta("origin", "e2e")
                .unwrap()
                .expires_in(Duration::minutes(10))
                .build()
                .unwrap();
            let signed = signer
                .sign_with(&policy, SignOptions::new().key(&key))
                .unwrap();
            let r = post(&signed, tail.as_bytes());
            assert!(
                r.status < 300,
                "{}: {key:?}: {} {}",
                server.name,
                r.status,
                r.body
            );
            assert_stored(&server, &key, tail.as_bytes());
        }
    }
}

#[test]
fn refuses_what_the_policy_forbids() {
    for server in servers() {
        let signer = signer(&server);
        let policy = base(&server, "refuse/").build().unwrap();
        let sign = |key: &str| {
            signer
                .sign_with(&policy, SignOptions::new().key(key))
                .unwrap()
        };
        let with = |signed: &SignedPost, name: &str, value: &str| {
            let mut fields = fields_of(signed);
            for f in &mut fields {
                if f.0 == name {
                    f.1 = value.to_string();
                }
            }
            fields
        };

        let key = "refuse/signature.txt";
        let s = sign(key);
        let mut bad = s.signature().to_string();
        let last = if bad.ends_with('0') { "1" } else { "0" };
        bad.replace_range(63.., last);
        let r = post_fields(
            s.url(),
            &with(&s, "x-amz-signature", &bad),
            "a",
            b"abc",
            &[],
        );
        assert_refused(&server, "wrong signature", &r, key);

        let key = "refuse/tampered.txt";
        let s = sign(key);
        let json = String::from_utf8(base64_decode(s.policy())).unwrap();
        // A later expiration: the form still meets every condition, so only
        // the signature can catch it.
        let year = OffsetDateTime::now_utc().year();
        let later = json.replacen(
            &format!("\"expiration\":\"{year}"),
            &format!("\"expiration\":\"{}", year + 1),
            1,
        );
        assert_ne!(later, json);
        let tampered = base64_encode(later.as_bytes());
        let r = post_fields(s.url(), &with(&s, "policy", &tampered), "a", b"abc", &[]);
        assert_refused(&server, "policy tampered after signing", &r, key);

        let s = sign("refuse/in.txt");
        let r = post_fields(
            s.url(),
            &with(&s, "key", "elsewhere/out.txt"),
            "a",
            b"abc",
            &[],
        );
        assert_refused(&server, "key outside the prefix", &r, "elsewhere/out.txt");

        let key = "refuse/large.txt";
        let r = post(&sign(key), &[b'x'; 65]);
        assert_refused(&server, "one byte above the range", &r, key);

        let key = "refuse/small.txt";
        let r = post(&sign(key), b"");
        assert_refused(&server, "one byte below the range", &r, key);

        let key = "refuse/expired.txt";
        let expired = base(&server, "refuse/")
            .expires_in(Duration::minutes(1))
            .build()
            .unwrap();
        let s = signer
            .sign_with(
                &expired,
                SignOptions::new()
                    .key(key)
                    .at(OffsetDateTime::now_utc() - Duration::minutes(5)),
            )
            .unwrap();
        let r = post(&s, b"abc");
        assert_refused(&server, "expired policy", &r, key);

        let key = "refuse/extra.txt";
        let s = sign(key);
        let mut fields = fields_of(&s);
        fields.insert(1, ("x-amz-meta-extra".into(), "1".into()));
        let r = post_fields(s.url(), &fields, "a", b"abc", &[]);
        assert_refused(&server, "a field the policy does not cover", &r, key);

        let key = "refuse/type.txt";
        let s = sign(key);
        let r = post_fields(
            s.url(),
            &with(&s, "Content-Type", "text/html"),
            "a",
            b"abc",
            &[],
        );
        assert_refused(&server, "wrong Content-Type", &r, key);

        let key = "refuse/bucket.txt";
        let other = Policy::builder()
            .bucket("some-other-bucket")
            .unwrap()
            .key(key)
            .unwrap()
            .expires_in(Duration::minutes(10))
            .build()
            .unwrap();
        let s = signer.sign(&other).unwrap();
        let url = s.url().replace("some-other-bucket", &server.bucket);
        let r = post_fields(&url, &fields_of(&s), "a", b"abc", &[]);
        assert_refused(&server, "wrong bucket", &r, key);

        let key = "refuse/unknown-key.txt";
        let stranger = Signer::new(
            Credentials::new("GK000000000000000000000000", "0".repeat(64)).unwrap(),
            Region::new(&server.region).unwrap(),
        )
        .with_endpoint(Endpoint::custom(&server.endpoint).unwrap());
        let s = stranger
            .sign_with(&policy, SignOptions::new().key(key))
            .unwrap();
        let r = post(&s, b"abc");
        assert_refused(&server, "unknown access key", &r, key);

        // A field after the file is ignored, so the Content-Type condition
        // is not met.
        let key = "refuse/after.txt";
        let s = sign(key);
        let fields: Vec<_> = fields_of(&s)
            .into_iter()
            .filter(|(n, _)| n != "Content-Type")
            .collect();
        let after = [("Content-Type".to_string(), "text/plain".to_string())];
        let r = post_fields(s.url(), &fields, "a", b"abc", &after);
        assert_refused(&server, "a field placed after the file", &r, key);
    }
}

post_policy! {
    /// The shared rules, declared with the macro; the bucket and the user's
    /// folder are placeholders.
    struct MacroUpload {
        bucket = {bucket},
        key starts_with "macro/{user}/",
        content_length 1..=64,
        content_type = "text/plain",
        meta("origin") = "e2e",
        success_action_status = 201,
        expires_in = 10 min,
    }
}

#[test]
fn a_post_policy_struct_is_accepted_and_enforced() {
    for server in servers() {
        let signer = signer(&server);
        let upload = MacroUpload {
            bucket: server.bucket.clone(),
            user: "u1".into(),
        };
        let sign = |key: &str| {
            upload
                .sign_with(&signer, SignOptions::new().key(key))
                .unwrap()
        };

        let key = "macro/u1/plain.txt";
        let r = post(&sign(key), b"from the macro");
        assert_eq!(r.status, 201, "{}: {}", server.name, r.body);
        assert_stored(&server, key, b"from the macro");

        // The declared size range reaches the server.
        let key = "macro/u1/big.txt";
        let r = post(&sign(key), &[b'x'; 65]);
        assert_refused(&server, "macro: one byte above the range", &r, key);

        // The placeholder's folder is in the signed policy: another user's
        // folder is refused by the server.
        let signed = sign("macro/u1/x.txt");
        let other = "macro/u2/x.txt";
        let fields: Vec<(String, String)> = fields_of(&signed)
            .into_iter()
            .map(|(n, v)| {
                if n == "key" {
                    (n, other.to_string())
                } else {
                    (n, v)
                }
            })
            .collect();
        let r = post_fields(signed.url(), &fields, "x.txt", b"x", &[]);
        assert_refused(&server, "macro: key in another user's folder", &r, other);
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Temporary credentials: the signer puts `x-amz-security-token` in the
/// policy and the form. AWS refuses a token it did not issue (403); servers
/// without temporary credentials ignore it (quirk `ignores-session-token`).
/// Either way a form whose token the policy does not match is refused.
#[test]
fn session_tokens() {
    for server in servers() {
        let token = "FwoGZXIvYXdzEN7//////////wEaDPOSTPOLICYE2E+not/issued==";
        let with_token = Signer::new(
            Credentials::new(&server.access_key, &server.secret)
                .unwrap()
                .with_session_token(token)
                .unwrap(),
            Region::new(&server.region).unwrap(),
        )
        .with_endpoint(Endpoint::custom(&server.endpoint).unwrap());
        let policy = base(&server, "token/").build().unwrap();

        let key = "token/unknown.txt";
        let signed = with_token
            .sign_with(&policy, SignOptions::new().key(key))
            .unwrap();
        assert_eq!(signed.field("x-amz-security-token"), Some(token));
        let json = String::from_utf8(base64_decode(signed.policy())).unwrap();
        let condition = serde_json::json!({ "x-amz-security-token": token }).to_string();
        assert!(json.contains(&condition), "{json}");
        let r = post(&signed, b"token");
        if has_quirk(&server, "ignores-session-token") {
            assert_eq!(
                r.status, 201,
                "{}: quirk gone? an unknown session token: {} {}",
                server.name, r.status, r.body
            );
            assert_stored(&server, key, b"token");
        } else {
            assert_eq!(
                r.status, 403,
                "{}: an unknown session token: {}",
                server.name, r.body
            );
            assert_refused(&server, "an unknown session token", &r, key);
        }

        // The policy names a token the form does not send.
        let key = "token/missing.txt";
        let signed = with_token
            .sign_with(&policy, SignOptions::new().key(key))
            .unwrap();
        let fields: Vec<_> = fields_of(&signed)
            .into_iter()
            .filter(|(n, _)| n != "x-amz-security-token")
            .collect();
        let r = post_fields(signed.url(), &fields, "a", b"abc", &[]);
        assert_refused(&server, "a policy token the form lacks", &r, key);

        // The form sends a token the policy does not name.
        let key = "token/uncovered.txt";
        let signed = signer(&server)
            .sign_with(&policy, SignOptions::new().key(key))
            .unwrap();
        assert_eq!(
            signed.field("x-amz-security-token"),
            server.session_token.as_deref()
        );
        if server.session_token.is_none() {
            let mut fields = fields_of(&signed);
            fields.insert(1, ("x-amz-security-token".into(), token.into()));
            let r = post_fields(signed.url(), &fields, "a", b"abc", &[]);
            assert_refused(&server, "a form token the policy does not name", &r, key);
        }
    }
}

/// `https://` endpoints (real AWS S3, see README) are spoken to over TLS.
/// Checked without a network: a listener on 127.0.0.1 receives the
/// client's first bytes, which must open a TLS handshake.
#[test]
fn https_endpoints_speak_tls() {
    let aws = support::parse_servers(
        r#"[{"name": "aws", "endpoint": "https://s3.eu-west-1.amazonaws.com/",
             "region": "eu-west-1", "access_key": "AKIAEXAMPLE", "secret": "secret",
             "session_token": "token", "bucket": "my-test-bucket"}]"#,
    );
    let aws = &aws[0];
    assert_eq!(aws.host(), "s3.eu-west-1.amazonaws.com");
    assert_eq!(aws.origin(), "https://s3.eu-west-1.amazonaws.com");
    let signed = signer(aws)
        .sign_with(
            &base(aws, "tls/").build().unwrap(),
            SignOptions::new().key("tls/a.txt"),
        )
        .unwrap();
    assert_eq!(
        signed.url(),
        "https://s3.eu-west-1.amazonaws.com/my-test-bucket"
    );
    assert_eq!(signed.field("x-amz-security-token"), Some("token"));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, first_bytes) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::Read as _;
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 3];
        stream.read_exact(&mut buf).unwrap();
        sender.send(buf).unwrap();
    });
    let result = client()
        .post(format!("https://127.0.0.1:{port}/my-test-bucket"))
        .timeout(std::time::Duration::from_secs(5))
        .send();
    let err = result.expect_err("the listener never answers the handshake");
    let buf = first_bytes
        .recv_timeout(std::time::Duration::from_secs(5))
        .unwrap_or_else(|_| panic!("the client never connected: {err}"));
    // A TLS record: type 22 (handshake), protocol version 3.x.
    assert_eq!(buf[0], 0x16, "not a TLS handshake: {buf:?} ({err})");
    assert_eq!(buf[1], 0x03, "not a TLS handshake: {buf:?} ({err})");
}

/// Posts `bytes` with a form signed for exactly `fields` (each under an
/// exact condition) besides the bucket, `key` and the SigV4 fields, built
/// as JSON so that values the builder refuses can be sent too.
fn post_raw(server: &Server, key: &str, fields: &[(&str, &str)], bytes: &[u8]) -> Response {
    let now = OffsetDateTime::now_utc();
    let amz_date = support::amz_date(now);
    let credential = format!(
        "{}/{}/{}/s3/aws4_request",
        server.access_key,
        &amz_date[..8],
        server.region
    );
    let mut all: Vec<(&str, &str)> = vec![
        ("bucket", &server.bucket),
        ("key", key),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", &credential),
        ("x-amz-date", &amz_date),
    ];
    all.extend_from_slice(fields);
    let conditions: Vec<String> = all
        .iter()
        .map(|(n, v)| serde_json::json!({ *n: *v }).to_string())
        .collect();
    let json = format!(
        r#"{{"expiration": "{}-01-01T00:00:00Z", "conditions": [{}]}}"#,
        now.year() + 1,
        conditions.join(", ")
    );
    let policy = base64_encode(json.as_bytes());
    let signature = signer(server)
        .sign_base64_policy(&policy, now.date())
        .to_string();
    let mut form: Vec<(String, String)> = all[1..]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    form.push(("policy".into(), policy));
    form.push(("x-amz-signature".into(), signature));
    let url = format!("{}/{}", server.endpoint, server.bucket);
    post_fields(&url, &form, "digits.txt", bytes, &[])
}

/// `(field, right value, a well-formed wrong value)` for `123456789`, per
/// algorithm (AWS's values; see `local-s3/tests/checksums.rs`).
const CHECKSUMS: &[(&str, &str, &str)] = &[
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

/// The S3 error code in an XML error body.
fn error_code(body: &str) -> &str {
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("", |(code, _)| code)
}

/// The `x-amz-checksum-*` headers of `key`, read with checksum mode on.
fn stored_checksums(server: &Server, key: &str) -> Vec<(String, String)> {
    let reply = support::s3_request(
        server,
        "GET",
        &format!("/{}/{key}", server.bucket),
        "",
        &[("x-amz-checksum-mode", "ENABLED".into())],
        &[],
    );
    assert_eq!(reply.status, 200, "{}: GET {key}", server.name);
    reply
        .headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-amz-checksum-"))
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect()
}

/// What a server answers to one checksum case, where it departs from AWS:
/// the quirk, and the status and code it answers instead (`204` and `""`
/// for an accepted upload). Whether the refused upload is stored anyway is
/// the quirk `bad-digest-stored-anyway`.
type Departure = (&'static str, &'static str, u16, &'static str);

/// Checksum fields as AWS treats them (OpenStack Swift's s3api checksum
/// tests, written against AWS; versitygw's PostObject checksum tests): the
/// right checksum of each algorithm accepted and kept, a wrong one refused
/// with `400 BadDigest`, and two checksum fields, an unknown algorithm, an
/// algorithm without or against the value, or a malformed value refused
/// with `400 InvalidRequest`. Nothing refused is stored.
#[test]
fn checksums_are_checked_as_aws_checks_them() {
    const IGNORED: &str = "checksum-fields-ignored";
    const ALGORITHM_IGNORED: &str = "checksum-algorithm-ignored";
    let bytes = b"123456789";
    for server in servers() {
        let departure = |departures: &[Departure]| {
            departures
                .iter()
                .find(|(name, ..)| *name == server.name)
                .map(|&(_, quirk, status, code)| {
                    assert!(
                        has_quirk(&server, quirk),
                        "{}: {quirk} not in tests/conformance/quirks.json",
                        server.name
                    );
                    (status, code)
                })
        };
        let assert_answer = |case: &str, key: &str, r: &Response, expected: (u16, &str)| {
            assert_eq!(
                (r.status, error_code(&r.body)),
                expected,
                "{}: {case}: {}",
                server.name,
                r.body
            );
            let stored = get(&server, key).status;
            // Refused uploads leave nothing, unless the server stores before
            // it checks the checksum.
            let stored_anyway =
                expected == (400, "BadDigest") && has_quirk(&server, "bad-digest-stored-anyway");
            let kept = if expected.0 == 204 || stored_anyway {
                200
            } else {
                404
            };
            assert_eq!(stored, kept, "{}: {case}: GET {key}", server.name);
        };
        for (field, right, wrong) in CHECKSUMS {
            let algorithm = field.trim_start_matches("x-amz-checksum-").to_uppercase();
            let key = format!("checksum/right-{algorithm}");
            let r = post_raw(&server, &key, &[(field, right)], bytes);
            assert_answer(&format!("right {algorithm}"), &key, &r, (204, ""));
            let kept = if has_quirk(&server, IGNORED) {
                vec![]
            } else {
                vec![(field.to_string(), right.to_string())]
            };
            assert_eq!(stored_checksums(&server, &key), kept, "{}", server.name);

            let key = format!("checksum/wrong-{algorithm}");
            let r = post_raw(&server, &key, &[(field, wrong)], bytes);
            let expected = departure(&[("garage", IGNORED, 204, "")]).unwrap_or((400, "BadDigest"));
            assert_answer(&format!("wrong {algorithm}"), &key, &r, expected);
        }

        let crc = ("x-amz-checksum-crc32", "y/Q5Jg==");
        let sha1 = ("x-amz-checksum-sha1", "98O8HYCOBHMq32eZZczDTKeuNEE=");
        type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [Departure]);
        let cases: &[Case] = &[
            (
                "two-checksums",
                vec![crc, sha1],
                &[
                    ("garage", IGNORED, 204, ""),
                    ("s3s-fs", "multiple-checksums-accepted", 204, ""),
                ],
            ),
            (
                "unknown-algorithm",
                vec![("x-amz-checksum-algorithm", "MD5")],
                &[("s3s-fs", ALGORITHM_IGNORED, 204, "")],
            ),
            (
                "algorithm-without-checksum",
                vec![("x-amz-checksum-algorithm", "CRC32")],
                &[("s3s-fs", ALGORITHM_IGNORED, 204, "")],
            ),
            (
                "algorithm-against-checksum",
                vec![crc, ("x-amz-checksum-algorithm", "SHA1")],
                &[("s3s-fs", ALGORITHM_IGNORED, 204, "")],
            ),
            (
                "malformed-checksum",
                vec![("x-amz-checksum-crc32", "shrt")],
                &[
                    ("garage", IGNORED, 204, ""),
                    (
                        "s3s-fs",
                        "malformed-checksum-as-bad-digest",
                        400,
                        "BadDigest",
                    ),
                ],
            ),
        ];
        for (case, fields, departures) in cases {
            let key = format!("checksum/{case}");
            let r = post_raw(&server, &key, fields, bytes);
            let expected = departure(departures).unwrap_or((400, "InvalidRequest"));
            assert_answer(case, &key, &r, expected);
        }
    }
}
