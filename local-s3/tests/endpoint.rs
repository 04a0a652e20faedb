//! The endpoint in-process: uploads signed by the runtime, posted with a
//! real HTTP client, read back; every kind of refusal with S3's code and
//! status and nothing left on disk; keys that try to leave the directory;
//! an interrupted upload; many uploads at once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use policy_runtime::time::{Duration, OffsetDateTime};
use policy_runtime::{
    Credentials, Endpoint, Policy, PolicyBuilder, Region, SignOptions, SignedPost, Signer,
};
use post_policy_local::{Config, LocalS3, Running};
use reqwest::blocking::{multipart, Client};

mod support;

const BUCKET: &str = "local-bucket";
const REGION: &str = "us-east-1";
const AKID: &str = "AKIDLOCALTEST";
const SECRET: &str = "local-test-secret-0123456789";

struct Fixture {
    dir: PathBuf,
    running: Running,
}

impl Fixture {
    fn new(name: &str) -> Fixture {
        let dir =
            std::env::temp_dir().join(format!("post-policy-local-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = Config::new(&dir, Region::new(REGION).unwrap())
            .credentials(Credentials::new(AKID, SECRET).unwrap())
            .credentials(Credentials::new("AKIDSECOND", "second-secret").unwrap());
        let running = LocalS3::new(config)
            .unwrap()
            .spawn("127.0.0.1:0".parse().unwrap())
            .unwrap();
        Fixture { dir, running }
    }

    fn signer(&self) -> Signer {
        Signer::new(
            Credentials::new(AKID, SECRET).unwrap(),
            Region::new(REGION).unwrap(),
        )
        .with_endpoint(Endpoint::custom(self.running.url()).unwrap())
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url())
    }

    /// Every file under the directory (the `.incoming` folder included).
    fn files(&self) -> Vec<PathBuf> {
        support::files_under(&self.dir)
    }

    fn get(&self, key: &str) -> Object {
        let response = client()
            .get(self.url(&format!("/{BUCKET}/{}", encode(key))))
            .send()
            .unwrap();
        let header = |n: &str| {
            response
                .headers()
                .get(n)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        Object {
            status: response.status().as_u16(),
            content_type: header("content-type"),
            meta_origin: header("x-amz-meta-origin"),
            cache_control: header("cache-control"),
            etag: header("etag"),
            bytes: response.bytes().unwrap().to_vec(),
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Object {
    status: u16,
    content_type: Option<String>,
    meta_origin: Option<String>,
    cache_control: Option<String>,
    etag: Option<String>,
    bytes: Vec<u8>,
}

fn encode(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        // `/` too, so that no segment is `..` for the client to resolve.
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn client() -> Client {
    Client::builder()
        .timeout(StdDuration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Keys under `prefix`, 1 to 64 bytes, text/plain, one metadata field,
/// Cache-Control, 201.
fn base(prefix: &str) -> PolicyBuilder {
    Policy::builder()
        .bucket(BUCKET)
        .unwrap()
        .key_starts_with(prefix)
        .unwrap()
        .content_length_range(1..=64)
        .unwrap()
        .content_type("text/plain")
        .unwrap()
        .meta("origin", "local")
        .unwrap()
        .eq("Cache-Control", "no-cache")
        .unwrap()
        .success_action_status(201)
        .unwrap()
        .expires_in(Duration::minutes(10))
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }
}

fn post_fields(
    url: &str,
    fields: &[(String, String)],
    file_name: &str,
    bytes: &[u8],
    after: &[(String, String)],
) -> Answer {
    let mut form = multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name.clone(), value.clone());
    }
    form = form.part(
        "file",
        multipart::Part::bytes(bytes.to_vec()).file_name(file_name.to_string()),
    );
    for (name, value) in after {
        form = form.text(name.clone(), value.clone());
    }
    let response = client()
        .post(url)
        .header("origin", "http://page.test")
        .multipart(form)
        .send()
        .unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().unwrap_or_default(),
    }
}

fn fields_of(post: &SignedPost) -> Vec<(String, String)> {
    post.fields()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn with(post: &SignedPost, name: &str, value: &str) -> Vec<(String, String)> {
    let mut fields = fields_of(post);
    for f in &mut fields {
        if f.0 == name {
            f.1 = value.to_string();
        }
    }
    fields
}

fn post(post: &SignedPost, bytes: &[u8]) -> Answer {
    post_fields(post.url(), &fields_of(post), "hello.txt", bytes, &[])
}

#[test]
fn accepts_stores_and_serves_back() {
    let f = Fixture::new("accept");
    let signer = f.signer();
    let policy = base("accept/").build().unwrap();
    let signed = signer
        .sign_with(&policy, SignOptions::new().key("accept/plain.txt"))
        .unwrap();
    let r = post(&signed, b"hello, world");
    assert_eq!(r.status, 201, "{}", r.body);
    let etag = r.header("etag").unwrap();
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
    for part in [
        format!(
            "<Location>{}/{BUCKET}/accept/plain.txt</Location>",
            f.running.url()
        ),
        format!("<Bucket>{BUCKET}</Bucket>"),
        "<Key>accept/plain.txt</Key>".to_string(),
        format!("<ETag>{}</ETag>", etag.replace('"', "&quot;")),
    ] {
        assert!(r.body.contains(&part), "{part} in {}", r.body);
    }
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );

    let object = f.get("accept/plain.txt");
    assert_eq!(object.status, 200);
    assert_eq!(object.bytes, b"hello, world");
    assert_eq!(object.content_type.as_deref(), Some("text/plain"));
    assert_eq!(object.meta_origin.as_deref(), Some("local"));
    assert_eq!(object.cache_control.as_deref(), Some("no-cache"));
    assert_eq!(object.etag.as_deref(), Some(etag.as_str()));

    // HEAD gives the headers alone.
    let head = client()
        .head(f.url(&format!("/{BUCKET}/accept/plain.txt")))
        .send()
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "12");

    // The size range is inclusive at both ends; the second key may be
    // signed by the other credentials.
    let second = Signer::new(
        Credentials::new("AKIDSECOND", "second-secret").unwrap(),
        Region::new(REGION).unwrap(),
    )
    .with_endpoint(Endpoint::custom(f.running.url()).unwrap());
    for (signer, key, size) in [(&signer, "accept/min", 1), (&second, "accept/max", 64)] {
        let signed = signer
            .sign_with(&policy, SignOptions::new().key(key))
            .unwrap();
        let r = post(&signed, &vec![b'x'; size]);
        assert_eq!(r.status, 201, "{size}: {}", r.body);
        assert_eq!(f.get(key).bytes, vec![b'x'; size]);
    }

    // 200 and 204 answer without a body; 204 is also what an unknown status
    // gives.
    for status in [200u16, 204] {
        let policy = Policy::builder()
            .bucket(BUCKET)
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
        assert_eq!(r.status, status, "{}", r.body);
        assert!(r.body.is_empty());
        let object = f.get(&key);
        assert_eq!(object.status, 200);
        assert_eq!(
            object.content_type.as_deref(),
            Some("binary/octet-stream"),
            "S3's default content type"
        );
    }

    // success_action_redirect: 303 with bucket, key and ETag in the query.
    let policy = Policy::builder()
        .bucket(BUCKET)
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
        .sign_with(&policy, SignOptions::new().key("redirect/a b.txt"))
        .unwrap();
    let r = post(&signed, b"abc");
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap();
    assert!(
        location.starts_with(&format!(
            "https://app.example/done?from=s3&bucket={BUCKET}&key=redirect%2Fa%20b.txt&etag=%22"
        )),
        "{location}"
    );
    assert_eq!(f.get("redirect/a b.txt").bytes, b"abc");

    // `${filename}` is the file's base name, and fields after the file are
    // ignored.
    let policy = base("named/").build().unwrap();
    let signed = signer.sign(&policy).unwrap();
    let after = [("x-amz-meta-late".to_string(), "ignored".to_string())];
    let r = post_fields(
        signed.url(),
        &fields_of(&signed),
        r"C:\Users\me\report.txt",
        b"abc",
        &after,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(f.get("named/report.txt").bytes, b"abc");

    // Nothing half-written remains.
    assert!(f
        .files()
        .iter()
        .all(|p| !p.to_string_lossy().contains(".incoming")));
}

/// Asserts a refusal with S3's status and code, a reason, and that the
/// directory holds exactly what it held before.
fn assert_refused(f: &Fixture, case: &str, r: &Answer, status: u16, code: &str) {
    assert_eq!(r.status, status, "{case}: {}", r.body);
    assert!(
        r.body.contains(&format!("<Code>{code}</Code>")),
        "{case}: {}",
        r.body
    );
    assert!(r.body.contains("<Message>"), "{case}: {}", r.body);
    assert!(r.body.contains("<Reason>"), "{case}: {}", r.body);
    let reason = r.header("x-post-policy-reason").unwrap_or_default();
    assert!(!reason.is_empty(), "{case}: no reason header");
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*"),
        "{case}"
    );
    assert!(f.files().is_empty(), "{case}: left behind {:?}", f.files());
}

#[test]
fn refuses_each_kind_of_broken_form_and_stores_nothing() {
    let f = Fixture::new("refuse");
    let signer = f.signer();
    let policy = base("refuse/").build().unwrap();
    let sign = |key: &str| {
        signer
            .sign_with(&policy, SignOptions::new().key(key))
            .unwrap()
    };
    let s = sign("refuse/a.txt");
    let url = s.url().to_string();

    let mut bad = s.signature().to_string();
    bad.replace_range(63.., if bad.ends_with('0') { "1" } else { "0" });
    let r = post_fields(&url, &with(&s, "x-amz-signature", &bad), "a", b"abc", &[]);
    assert_refused(&f, "wrong signature", &r, 403, "SignatureDoesNotMatch");

    let tampered = base("").build().unwrap();
    let other = signer
        .sign_with(&tampered, SignOptions::new().key("anywhere.txt"))
        .unwrap();
    let r = post_fields(&url, &with(&s, "policy", other.policy()), "a", b"abc", &[]);
    assert_refused(
        &f,
        "policy swapped after signing",
        &r,
        403,
        "SignatureDoesNotMatch",
    );

    let r = post_fields(&url, &with(&s, "key", "elsewhere/a.txt"), "a", b"abc", &[]);
    assert_refused(&f, "key outside the prefix", &r, 403, "AccessDenied");
    assert!(r.body.contains("starts-with"), "{}", r.body);

    let r = post(&s, &[b'x'; 65]);
    assert_refused(&f, "one byte above the range", &r, 400, "EntityTooLarge");

    let r = post(&s, b"");
    assert_refused(&f, "one byte below the range", &r, 400, "EntityTooSmall");

    let expired = signer
        .sign_with(
            &base("refuse/")
                .expires_in(Duration::minutes(1))
                .build()
                .unwrap(),
            SignOptions::new()
                .key("refuse/a.txt")
                .at(OffsetDateTime::now_utc() - Duration::minutes(5)),
        )
        .unwrap();
    let r = post(&expired, b"abc");
    assert_refused(&f, "expired policy", &r, 403, "AccessDenied");
    assert!(r.body.contains("Policy expired"), "{}", r.body);

    let mut fields = fields_of(&s);
    fields.insert(1, ("x-amz-meta-extra".into(), "1".into()));
    let r = post_fields(&url, &fields, "a", b"abc", &[]);
    assert_refused(&f, "an uncovered field", &r, 403, "AccessDenied");
    assert!(
        r.body.contains("Extra input fields: x-amz-meta-extra"),
        "{}",
        r.body
    );

    let r = post_fields(
        &url,
        &with(&s, "Content-Type", "text/html"),
        "a",
        b"abc",
        &[],
    );
    assert_refused(&f, "wrong Content-Type", &r, 403, "AccessDenied");

    let r = post_fields(&f.url("/other-bucket"), &fields_of(&s), "a", b"abc", &[]);
    assert_refused(&f, "posted to another bucket", &r, 403, "AccessDenied");

    let stranger = Signer::new(
        Credentials::new("AKIDSTRANGER", "x".repeat(40)).unwrap(),
        Region::new(REGION).unwrap(),
    )
    .with_endpoint(Endpoint::custom(f.running.url()).unwrap());
    let r = post(
        &stranger
            .sign_with(&policy, SignOptions::new().key("refuse/a.txt"))
            .unwrap(),
        b"abc",
    );
    assert_refused(&f, "unknown access key", &r, 403, "InvalidAccessKeyId");

    let elsewhere = Signer::new(
        Credentials::new(AKID, SECRET).unwrap(),
        Region::new("eu-west-1").unwrap(),
    )
    .with_endpoint(Endpoint::custom(f.running.url()).unwrap());
    let r = post(
        &elsewhere
            .sign_with(&policy, SignOptions::new().key("refuse/a.txt"))
            .unwrap(),
        b"abc",
    );
    assert_refused(&f, "another region", &r, 400, "InvalidArgument");

    let before: Vec<_> = fields_of(&s)
        .into_iter()
        .filter(|(n, _)| n != "Content-Type")
        .collect();
    let after = [("Content-Type".to_string(), "text/plain".to_string())];
    let r = post_fields(&url, &before, "a", b"abc", &after);
    assert_refused(&f, "a field after the file", &r, 403, "AccessDenied");

    let mut fields = fields_of(&s);
    fields.insert(1, ("x-ignore-pad".into(), "x".repeat(21_000)));
    let r = post_fields(&url, &fields, "a", b"abc", &[]);
    assert_refused(
        &f,
        "fields above 20 KiB",
        &r,
        400,
        "MaxPostPreDataLengthExceeded",
    );

    let mut fields = fields_of(&s);
    fields.insert(1, ("x-ignore-pad".into(), "x".repeat(17_000)));
    let r = post_fields(&url, &fields, "a", b"abc", &[]);
    assert_eq!(r.status, 201, "fields under 20 KiB: {}", r.body);
    std::fs::remove_dir_all(f.dir.join(BUCKET)).unwrap();

    // No file part at all.
    let mut form = multipart::Form::new();
    for (n, v) in fields_of(&s) {
        form = form.text(n, v);
    }
    let response = client().post(&url).multipart(form).send().unwrap();
    let r = Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().unwrap(),
    };
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("<Code>InvalidArgument</Code>"),
        "{}",
        r.body
    );

    // Not a form: S3's 412, naming the condition.
    let response = client()
        .post(&url)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(response.status(), 412);
    let text = response.text().unwrap();
    assert!(text.contains("<Code>PreconditionFailed</Code>"), "{text}");
    assert!(
        text.contains(
            "<Condition>Bucket POST must be of the enclosure-type multipart/form-data</Condition>"
        ),
        "{text}"
    );

    // A bucket name that is not one.
    let r = post_fields(&f.url("/Bad_Bucket"), &fields_of(&s), "a", b"abc", &[]);
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("<Code>InvalidBucketName</Code>"),
        "{}",
        r.body
    );

    // A key above 1024 bytes.
    let any = base("").build().unwrap();
    let long = signer
        .sign_with(&any, SignOptions::new().key("short"))
        .unwrap();
    let r = post_fields(
        &url,
        &with(&long, "key", &"k".repeat(1025)),
        "a",
        b"abc",
        &[],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("<Code>KeyTooLongError</Code>"),
        "{}",
        r.body
    );
    assert!(f
        .files()
        .iter()
        .all(|p| !p.to_string_lossy().contains(".part")));
}

#[test]
fn a_file_far_above_the_range_is_cut_off_and_nothing_stays() {
    let f = Fixture::new("huge");
    let signer = f.signer();
    let policy = base("huge/").build().unwrap();
    let s = signer
        .sign_with(&policy, SignOptions::new().key("huge/a.txt"))
        .unwrap();
    // 32 MiB: more than the endpoint reads of a refused body. The body is
    // written on a thread of its own, since the endpoint answers and closes
    // the connection before it is all sent.
    let boundary = "hugehugehuge";
    let mut body = Vec::new();
    for (name, value) in s.fields() {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n"
    )
    .unwrap();
    body.extend(std::iter::repeat_n(b'x', 32 << 20));
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    let mut stream = TcpStream::connect(f.running.addr()).unwrap();
    // An endpoint that kept the connection open would fail here, not hang.
    stream
        .set_read_timeout(Some(StdDuration::from_secs(20)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = format!(
        "POST /{BUCKET} HTTP/1.1\r\nHost: local\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 400"), "{answer}");
    assert!(answer.contains("<code>entitytoolarge</code>"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    drop(stream);
    sender.join().unwrap();
    assert!(f.files().is_empty(), "left behind: {:?}", f.files());
}

#[test]
fn keys_never_leave_the_directory() {
    let f = Fixture::new("traversal");
    let signer = f.signer();
    let policy = Policy::builder()
        .bucket(BUCKET)
        .unwrap()
        .key_starts_with("")
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap();
    let marker = f
        .dir
        .parent()
        .unwrap()
        .join(format!("post-policy-local-escaped-{}", std::process::id()));
    let keys = [
        "../../escaped.txt".to_string(),
        format!("../../../../../../{}", marker.display()),
        marker.display().to_string(),
        "a/../../b".into(),
        "nul\0byte".into(),
        r"..\..\windows.txt".into(),
        "./.incoming/x".into(),
        "k".repeat(1024),
        "é/🎉/x y".into(),
    ];
    for (i, key) in keys.iter().enumerate() {
        let signed = signer
            .sign_with(&policy, SignOptions::new().key(key))
            .unwrap();
        let body = format!("object {i}");
        let r = post(&signed, body.as_bytes());
        assert_eq!(r.status, 204, "{key:?}: {}", r.body);
        let object = f.get(key);
        assert_eq!(object.status, 200, "{key:?}");
        assert_eq!(object.bytes, body.as_bytes(), "{key:?}");
    }
    assert!(!marker.exists());
    assert!(!f.dir.parent().unwrap().join("escaped.txt").exists());
    let files = f.files();
    // One file per object: its bytes and description together.
    assert_eq!(files.len(), keys.len(), "{files:?}");
    for path in files {
        assert_eq!(path.parent().unwrap(), f.dir.join(BUCKET), "{path:?}");
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(
            name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()),
            "{path:?}"
        );
    }
}

#[test]
fn an_interrupted_upload_leaves_nothing_behind() {
    let f = Fixture::new("interrupted");
    let signer = f.signer();
    let policy = Policy::builder()
        .bucket(BUCKET)
        .unwrap()
        .key_starts_with("cut/")
        .unwrap()
        .content_length_range(1..=10_000_000)
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap();
    let signed = signer
        .sign_with(&policy, SignOptions::new().key("cut/a.bin"))
        .unwrap();
    let boundary = "cutcutcutcut";
    let mut head = Vec::new();
    for (name, value) in signed.fields() {
        write!(
            head,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    write!(
        head,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n"
    )
    .unwrap();
    let total = head.len() + 5_000_000;
    let mut stream = TcpStream::connect(f.running.addr()).unwrap();
    write!(
        stream,
        "POST /{BUCKET} HTTP/1.1\r\nHost: local\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n"
    )
    .unwrap();
    stream.write_all(&head).unwrap();
    stream.write_all(&vec![b'x'; 1_000_000]).unwrap();
    // The file is being written...
    let incoming = f.dir.join(".incoming");
    let mut seen = false;
    for _ in 0..100 {
        if std::fs::read_dir(&incoming).unwrap().count() > 0 {
            seen = true;
            break;
        }
        std::thread::sleep(StdDuration::from_millis(20));
    }
    assert!(seen, "the upload is streamed to a file as it arrives");
    // ...when the client goes away.
    drop(stream);
    let mut left = f.files();
    for _ in 0..100 {
        left = f.files();
        if left.is_empty() {
            break;
        }
        std::thread::sleep(StdDuration::from_millis(20));
    }
    assert!(left.is_empty(), "left behind: {left:?}");
    assert_eq!(f.get("cut/a.bin").status, 404);
}

#[test]
fn a_hundred_uploads_at_once_all_land_intact() {
    let f = Fixture::new("concurrent");
    let signer = f.signer();
    let policy = Policy::builder()
        .bucket(BUCKET)
        .unwrap()
        .key_starts_with("many/")
        .unwrap()
        .content_length_range(1..=1_000_000)
        .unwrap()
        .starts_with("x-amz-meta-n", "")
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap();
    let body = |i: usize| -> Vec<u8> {
        (0..(1 + i * 2_731))
            .map(|j| (j * 31 + i * 7) as u8)
            .collect()
    };
    let barrier = std::sync::Barrier::new(100);
    std::thread::scope(|scope| {
        for i in 0..100 {
            let signed = signer
                .sign_with(&policy, SignOptions::new().key(format!("many/{i}")))
                .unwrap();
            let barrier = &barrier;
            scope.spawn(move || {
                let mut fields = fields_of(&signed);
                fields.push(("x-amz-meta-n".into(), i.to_string()));
                barrier.wait();
                let r = post_fields(signed.url(), &fields, "f", &body(i), &[]);
                assert_eq!(r.status, 204, "upload {i}: {}", r.body);
            });
        }
    });
    for i in 0..100 {
        let response = client()
            .get(f.url(&format!("/{BUCKET}/many/{i}")))
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{i}");
        assert_eq!(response.headers()["x-amz-meta-n"], i.to_string().as_str());
        assert_eq!(response.bytes().unwrap().to_vec(), body(i), "bytes of {i}");
    }
    assert_eq!(f.files().len(), 100);
}

#[test]
fn cors_preflight_and_configured_origins() {
    let dir = std::env::temp_dir().join(format!("post-policy-local-cors-{}", std::process::id()));
    let config = Config::new(&dir, Region::new(REGION).unwrap())
        .credentials(Credentials::new(AKID, SECRET).unwrap())
        .allow_origin("http://app.test:5173");
    let running = LocalS3::new(config)
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .unwrap();
    let preflight = |origin: &str| {
        let mut s = TcpStream::connect(running.addr()).unwrap();
        write!(
            s,
            "OPTIONS /{BUCKET} HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        answer.to_ascii_lowercase()
    };
    let ok = preflight("http://app.test:5173");
    assert!(ok.starts_with("http/1.1 204"), "{ok}");
    assert!(
        ok.contains("access-control-allow-origin: http://app.test:5173"),
        "{ok}"
    );
    assert!(
        ok.contains("access-control-allow-methods: get, head, post"),
        "{ok}"
    );
    assert!(
        ok.contains("access-control-allow-headers: content-type"),
        "{ok}"
    );
    let other = preflight("http://evil.test");
    assert!(!other.contains("access-control-allow-origin"), "{other}");
    running.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn other_requests_get_s3_xml_errors() {
    let f = Fixture::new("other");
    let signer = f.signer();
    let signed = signer
        .sign_with(&base("other/").build().unwrap(), SignOptions::new())
        .unwrap();
    // A valid form posted to an object's URL rather than the bucket's: S3
    // answers 405 with the method and the kind of resource, and stores
    // nothing.
    let answer = post_fields(
        &f.url(&format!("/{BUCKET}/other/hello.txt")),
        &with(&signed, "key", "other/hello.txt"),
        "hello.txt",
        b"hello",
        &[],
    );
    assert_eq!(answer.status, 405, "{}", answer.body);
    assert!(
        answer.body.contains("<Code>MethodNotAllowed</Code>")
            && answer.body.contains("<Method>POST</Method>")
            && answer.body.contains("<ResourceType>OBJECT</ResourceType>"),
        "{}",
        answer.body
    );
    assert_eq!(answer.header("allow").as_deref(), Some("GET, HEAD"));
    assert_eq!(
        answer.header("content-type").as_deref(),
        Some("application/xml")
    );
    assert_eq!(
        answer.header("access-control-allow-origin").as_deref(),
        Some("*"),
        "readable by the page that posted (the fixture allows any origin)"
    );
    assert_eq!(f.get("other/hello.txt").status, 404);
    assert!(f.files().is_empty(), "{:?}", f.files());

    // (method, path, status, code, resource type and Allow of a 405)
    let cases = [
        ("POST", "/", 405, "MethodNotAllowed", Some(("SERVICE", ""))),
        (
            "PATCH",
            "/local-bucket",
            405,
            "MethodNotAllowed",
            Some(("BUCKET", "POST")),
        ),
        (
            "PATCH",
            "/local-bucket/a.txt",
            405,
            "MethodNotAllowed",
            Some(("OBJECT", "GET, HEAD")),
        ),
        (
            "POST",
            "/local-bucket/a.txt?tagging",
            405,
            "MethodNotAllowed",
            Some(("OBJECT", "GET, HEAD")),
        ),
        // What S3 has and this endpoint does not: listing, PUT, DELETE,
        // multipart uploads.
        ("GET", "/", 501, "NotImplemented", None),
        ("GET", "/local-bucket", 501, "NotImplemented", None),
        ("GET", "/local-bucket/", 501, "NotImplemented", None),
        ("PUT", "/local-bucket", 501, "NotImplemented", None),
        ("PUT", "/local-bucket/a.txt", 501, "NotImplemented", None),
        ("DELETE", "/local-bucket/a.txt", 501, "NotImplemented", None),
        (
            "POST",
            "/local-bucket/a.txt?uploads",
            501,
            "NotImplemented",
            None,
        ),
        (
            "POST",
            "/local-bucket/a.txt?uploadId=1",
            501,
            "NotImplemented",
            None,
        ),
    ];
    for (method, path, status, code, not_allowed) in cases {
        let response = client()
            .request(method.parse().unwrap(), f.url(path))
            .send()
            .unwrap();
        let what = format!("{method} {path}");
        assert_eq!(response.status().as_u16(), status, "{what}");
        let allow = response
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string());
        let content_type = response.headers().get("content-type").cloned();
        let body = response.text().unwrap();
        assert_eq!(
            content_type.as_ref().and_then(|v| v.to_str().ok()),
            Some("application/xml"),
            "{what}"
        );
        assert!(
            body.starts_with("<?xml") && body.contains(&format!("<Code>{code}</Code>")),
            "{what}: {body}"
        );
        if let Some((resource_type, methods)) = not_allowed {
            assert!(
                body.contains(&format!("<Method>{method}</Method>"))
                    && body.contains(&format!("<ResourceType>{resource_type}</ResourceType>")),
                "{what}: {body}"
            );
            assert_eq!(allow.as_deref(), Some(methods), "{what}");
        }
    }
    assert!(f.files().is_empty(), "{:?}", f.files());
}

#[test]
fn refusals_made_before_reading_the_body_still_reach_a_client_that_is_sending_one() {
    let f = Fixture::new("unread-body");
    // 6 MiB (under the 8 MiB the endpoint reads of a refused body): far
    // more than the socket buffers hold, so a server that answered and
    // closed without reading would reset the connection under the client's
    // feet. Each case three times: that reset is a race.
    let body = vec![b'x'; 6 << 20];
    for (case, path, content_type, status, code) in [
        (
            "a POST to an object",
            format!("/{BUCKET}/a.txt"),
            "multipart/form-data; boundary=XYZ",
            405,
            "MethodNotAllowed",
        ),
        (
            "an invalid bucket name",
            "/Not_A_Bucket".to_string(),
            "multipart/form-data; boundary=XYZ",
            400,
            "InvalidBucketName",
        ),
        (
            "not multipart",
            format!("/{BUCKET}"),
            "application/octet-stream",
            412,
            "PreconditionFailed",
        ),
        (
            "a PUT",
            format!("/{BUCKET}/a.txt"),
            "application/octet-stream",
            501,
            "NotImplemented",
        ),
    ]
    .iter()
    .flat_map(|case| [case, case, case])
    {
        let method = if *case == "a PUT" { "PUT" } else { "POST" };
        let response = client()
            .request(method.parse().unwrap(), f.url(path))
            .header("content-type", *content_type)
            .body(body.clone())
            .send()
            .unwrap_or_else(|e| panic!("{case}: no answer: {e}"));
        assert_eq!(response.status().as_u16(), *status, "{case}");
        let text = response.text().unwrap();
        assert!(
            text.contains(&format!("<Code>{code}</Code>")),
            "{case}: {text}"
        );
    }
    assert!(f.files().is_empty(), "{:?}", f.files());
}
