//! The endpoint against hostile and concurrent clients: writers racing on
//! one key while readers read it, bodies of hundreds of MB of junk,
//! redirects S3 would not follow, secrets it would not keep. Each test
//! prints its figure (objects checked, peak memory).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use md5::{Digest, Md5};
use policy_runtime::time::Duration;
use policy_runtime::{Credentials, Endpoint, Policy, Region, SignOptions, SignedPost, Signer};
use post_policy_local::{Config, LocalS3, Running};
use reqwest::blocking::{multipart, Client};

mod support;

const BUCKET: &str = "hostile-bucket";
const REGION: &str = "us-east-1";
const AKID: &str = "AKIDHOSTILE";
const SECRET: &str = "hostile-test-secret-0123456789";
const BIN: &str = env!("CARGO_BIN_EXE_post-policy-local");

fn temp_dir(name: &str) -> PathBuf {
    support::temp_dir("hostile", name)
}

fn spawn(dir: &PathBuf) -> Running {
    let config = Config::new(dir, Region::new(REGION).unwrap())
        .credentials(Credentials::new(AKID, SECRET).unwrap());
    LocalS3::new(config)
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .unwrap()
}

fn signer(url: &str) -> Signer {
    Signer::new(
        Credentials::new(AKID, SECRET).unwrap(),
        Region::new(REGION).unwrap(),
    )
    .with_endpoint(Endpoint::custom(url).unwrap())
}

fn client() -> Client {
    Client::builder()
        .timeout(StdDuration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn post(signed: &SignedPost, extra: &[(&str, &str)], body: Vec<u8>) -> reqwest::blocking::Response {
    let mut form = multipart::Form::new();
    for (name, value) in signed.fields() {
        form = form.text(name.to_string(), value.to_string());
    }
    for (name, value) in extra {
        form = form.text(name.to_string(), value.to_string());
    }
    form = form.part("file", multipart::Part::bytes(body).file_name("f.bin"));
    client().post(signed.url()).multipart(form).send().unwrap()
}

fn header(r: &reqwest::blocking::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The body writer `i` uploads: its id first, a length of its own.
fn body_of(i: usize) -> Vec<u8> {
    let mut body = format!("writer-{i:02}:").into_bytes();
    let len = 20_000 + i * 7_919;
    while body.len() < len {
        body.push(b'a' + (body.len() % 26) as u8);
    }
    body
}

fn writer_of(body: &[u8]) -> Option<usize> {
    std::str::from_utf8(body.get(7..9)?).ok()?.parse().ok()
}

#[test]
fn writers_racing_on_one_key_leave_one_whole_object_and_readers_never_see_a_mix() {
    const WRITERS: usize = 50;
    const READERS: usize = 4;
    let dir = temp_dir("race");
    let running = spawn(&dir);
    let url = running.url().to_string();
    let policy = Policy::builder()
        .bucket(BUCKET)
        .unwrap()
        .key("race/object.bin")
        .unwrap()
        .starts_with("Content-Type", "text/x-writer-")
        .unwrap()
        .starts_with("x-amz-meta-writer", "")
        .unwrap()
        .content_length_range(1..=1_000_000)
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap();
    let signed = signer(&url).sign(&policy).unwrap();
    let write = |signed: &SignedPost, i: usize| {
        let content_type = format!("text/x-writer-{i:02}");
        let writer = i.to_string();
        let r = post(
            signed,
            &[
                ("Content-Type", &content_type),
                ("x-amz-meta-writer", &writer),
            ],
            body_of(i),
        );
        assert_eq!(
            r.status(),
            204,
            "writer {i}: {}",
            r.text().unwrap_or_default()
        );
    };
    // An object to read from the start.
    write(&signed, 0);

    let done = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (done, checked, url) = (done.clone(), checked.clone(), url.clone());
            std::thread::spawn(move || {
                let client = client();
                let mut mixes = Vec::new();
                while !done.load(Ordering::Relaxed) {
                    let r = client
                        .get(format!("{url}/{BUCKET}/race/object.bin"))
                        .send()
                        .unwrap();
                    if r.status() == 404 {
                        continue;
                    }
                    assert_eq!(r.status(), 200);
                    let length = header(&r, "content-length");
                    let etag = header(&r, "etag");
                    let content_type = header(&r, "content-type");
                    let meta = header(&r, "x-amz-meta-writer");
                    let body = match r.bytes() {
                        Ok(body) => body.to_vec(),
                        Err(e) => {
                            mixes.push(format!("the body broke off: {e}"));
                            continue;
                        }
                    };
                    let id = writer_of(&body);
                    let expected = id.map(body_of);
                    let problems = [
                        (length != Some(body.len().to_string()), "Content-Length"),
                        (
                            etag != Some(format!("\"{}\"", hex::encode(Md5::digest(&body)))),
                            "ETag",
                        ),
                        (
                            content_type != id.map(|i| format!("text/x-writer-{i:02}")),
                            "Content-Type",
                        ),
                        (meta != id.map(|i| i.to_string()), "x-amz-meta-writer"),
                        (expected.as_deref() != Some(&body[..]), "bytes"),
                    ];
                    for (wrong, what) in problems {
                        if wrong {
                            mixes.push(format!("{what} of writer {id:?} does not match its body"));
                        }
                    }
                    checked.fetch_add(1, Ordering::Relaxed);
                }
                mixes
            })
        })
        .collect();

    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let signed = signed.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    write(&signed, i);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    // Readers keep reading the settled object for a moment too.
    std::thread::sleep(StdDuration::from_millis(200));
    done.store(true, Ordering::Relaxed);
    let mixes: Vec<String> = readers
        .into_iter()
        .flat_map(|r| r.join().unwrap())
        .collect();
    let checked = checked.load(Ordering::Relaxed);
    println!(
        "{WRITERS} writers, {checked} GETs checked, {} mixed",
        mixes.len()
    );
    assert!(
        mixes.is_empty(),
        "{} of {checked} GETs mixed objects: {:#?}",
        mixes.len(),
        &mixes[..mixes.len().min(10)]
    );
    assert!(checked > 0, "no GET saw an object");

    let r = client()
        .get(format!("{url}/{BUCKET}/race/object.bin"))
        .send()
        .unwrap();
    let content_type = header(&r, "content-type").unwrap();
    let body = r.bytes().unwrap().to_vec();
    let id = writer_of(&body).expect("a writer's body");
    assert_eq!(
        body,
        body_of(id),
        "the final object is one writer's whole upload"
    );
    assert_eq!(content_type, format!("text/x-writer-{id:02}"));
    running.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A policy allowing any value of the redirect `field`, and `status` if
/// given, signed for `url`.
fn open_policy(url: &str, field: &str, status: Option<u16>) -> SignedPost {
    let mut policy = Policy::builder();
    if let Some(status) = status {
        policy = policy.success_action_status(status).unwrap();
    }
    let policy = policy
        .bucket(BUCKET)
        .unwrap()
        .key_starts_with("r/")
        .unwrap()
        .starts_with(field, "")
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap();
    signer(url)
        .sign_with(&policy, SignOptions::new().key("r/a.txt"))
        .unwrap()
}

#[test]
fn redirects_that_are_not_absolute_http_urls_are_not_followed() {
    let dir = temp_dir("redirect");
    let running = spawn(&dir);
    for bad in [
        "not a url",
        "javascript:alert(document.domain)",
        "",
        "/relative/path",
        "relative",
        "ftp://example.com/done",
        "https://",
        "https:// spaced.example/",
        "data:text/html,<script>alert(1)</script>",
    ] {
        for field in ["success_action_redirect", "redirect"] {
            let signed = open_policy(running.url(), field, None);
            let created = open_policy(running.url(), field, Some(201));
            let r = post(&signed, &[(field, bad)], b"x".to_vec());
            assert_eq!(
                r.status(),
                204,
                "{field}={bad:?}: S3 acts as if it were absent"
            );
            let location = header(&r, "location").unwrap_or_default();
            assert!(
                !location.starts_with(bad)
                    || bad.is_empty() && location.starts_with("http://127.0.0.1"),
                "{field}={bad:?}: Location {location}"
            );
            let r = post(&created, &[(field, bad)], b"x".to_vec());
            assert_eq!(
                r.status(),
                201,
                "{field}={bad:?} with success_action_status 201"
            );
        }
    }
    for field in ["success_action_redirect", "redirect"] {
        let signed = open_policy(running.url(), field, None);
        let r = post(&signed, &[(field, "https://example.com/ok")], b"x".to_vec());
        assert_eq!(r.status(), 303, "{field}");
        assert!(header(&r, "location")
            .unwrap()
            .starts_with("https://example.com/ok?"));
    }
    running.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sse_c_over_plain_http_is_refused_and_the_key_never_stored_or_echoed() {
    let dir = temp_dir("secrets");
    let running = spawn(&dir);
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let key_md5 = "hRasmdxgYDKV3nvbahU1MA==";
    let policy = Policy::builder()
        .bucket(BUCKET)
        .unwrap()
        .key("s/secret.bin")
        .unwrap()
        .eq("x-amz-server-side-encryption-customer-algorithm", "AES256")
        .unwrap()
        .eq("x-amz-server-side-encryption-customer-key", key)
        .unwrap()
        .eq("x-amz-server-side-encryption-customer-key-MD5", key_md5)
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap();
    let signed = signer(running.url()).sign(&policy).unwrap();
    assert!(signed.fields().any(|(_, v)| v == key));
    // The endpoint speaks plain HTTP, where S3 refuses SSE-C, valid or
    // not: InvalidRequest, S3's message.
    let r = post(&signed, &[], b"top secret".to_vec());
    assert_eq!(r.status(), 400);
    let carries_key = |bytes: &[u8]| bytes.windows(key.len()).any(|w| w == key.as_bytes());
    for (name, value) in r.headers() {
        assert!(!carries_key(value.as_bytes()), "{name} carries the key");
    }
    let body = r.text().unwrap();
    assert!(!carries_key(body.as_bytes()), "{body}");
    assert!(body.contains("<Code>InvalidRequest</Code>"), "{body}");
    assert!(
        body.contains(
            "Requests specifying Server Side Encryption with Customer provided keys must be \
             made over a secure connection."
        ),
        "{body}"
    );
    // Another key than the policy's: refused by the condition first, and
    // neither key is in the answer.
    let other = "c2Vjb25kIGtleSBvZiB0aGlydHktdHdvIGJ5dGVzISE=";
    let mut form = multipart::Form::new();
    for (name, value) in signed.fields() {
        let value = if value == key { other } else { value };
        form = form.text(name.to_string(), value.to_string());
    }
    let form = form.part("file", multipart::Part::bytes(b"top secret".to_vec()));
    let r = client().post(signed.url()).multipart(form).send().unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().unwrap();
    assert!(
        body.contains("x-amz-server-side-encryption-customer-key"),
        "{body}"
    );
    for secret in [key, other] {
        assert!(!body.contains(secret), "{body}");
    }
    let r = client()
        .get(format!("{}/{BUCKET}/s/secret.bin", running.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    running.stop().unwrap();
    for file in support::files_under(&dir) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(!carries_key(&bytes), "{file:?} holds the SSE-C key");
        assert!(
            !bytes.windows(10).any(|w| w == b"top secret"),
            "{file:?} holds the refused upload"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn objects_are_served_inert() {
    let dir = temp_dir("inert");
    let running = spawn(&dir);
    let policy = Policy::builder()
        .bucket(BUCKET)
        .unwrap()
        .key("s/page.html")
        .unwrap()
        .content_type("text/html")
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap();
    let signed = signer(running.url()).sign(&policy).unwrap();
    let page = b"<script>alert(document.cookie)</script>".to_vec();
    let r = post(&signed, &[], page.clone());
    assert_eq!(r.status(), 204, "{}", r.text().unwrap_or_default());

    let r = client()
        .get(format!("{}/{BUCKET}/s/page.html", running.url()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert_eq!(
        header(&r, "content-security-policy").as_deref(),
        Some("sandbox")
    );
    assert_eq!(r.bytes().unwrap().to_vec(), page);
    running.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary, started on a free port; its URL and process.
struct Process {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Process {
    fn start(name: &str) -> Process {
        let dir = temp_dir(name);
        let credentials = format!("{AKID}:{SECRET}");
        let mut child = Command::new(BIN)
            .args([
                "--credentials",
                &credentials,
                "--region",
                REGION,
                "--port",
                "0",
            ])
            .arg("--dir")
            .arg(&dir)
            .env_clear()
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = lines.next().expect("a first line").unwrap();
        std::thread::spawn(move || lines.for_each(drop));
        Process { child, url, dir }
    }

    /// Peak and current resident memory, in KiB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap()
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Posts `head` then `junk_len` bytes from `fill` to `url`'s bucket (as one
/// `Content-Length` body), reading the answer while still writing. Returns
/// the status and the body of the answer, and how much was written.
fn post_junk(url: &str, head: &[u8], fill: &[u8], junk_len: u64) -> (u16, String, u64) {
    let addr = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(StdDuration::from_secs(60)))
        .unwrap();
    let total = head.len() as u64 + junk_len;
    let request = format!(
        "POST /{BUCKET} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n"
    );
    let mut writer = stream.try_clone().unwrap();
    let head = head.to_vec();
    let fill = fill.repeat((64 * 1024 / fill.len()).max(1));
    let written = std::thread::spawn(move || {
        let mut written = 0u64;
        if writer.write_all(request.as_bytes()).is_err() || writer.write_all(&head).is_err() {
            return written;
        }
        while written < junk_len {
            let n = fill.len().min((junk_len - written) as usize);
            if writer.write_all(&fill[..n]).is_err() {
                break;
            }
            written += n as u64;
        }
        written
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the head and a body of Content-Length have arrived.
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_string)
                })
                .and_then(|v| v.trim().parse::<usize>().ok());
            if length.is_some_and(|n| body.len() >= n) {
                break;
            }
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let written = written.join().unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text, written)
}

/// A junk body: its name, the bytes it starts with, the bytes repeated
/// after them, and the S3 codes it may be refused with.
type JunkCase = (
    &'static str,
    Vec<u8>,
    &'static [u8],
    &'static [&'static str],
);

#[cfg(target_os = "linux")]
#[test]
fn hundreds_of_megabytes_of_junk_are_refused_in_flat_memory() {
    const JUNK: u64 = 300 << 20;
    let process = Process::start("junk");
    // A first request, so the runtime's threads and buffers exist.
    let (status, _, _) = post_junk(&process.url, b"--XYZ--\r\n", b" ", 0);
    assert_eq!(status, 400);
    let (idle_peak, idle) = process.memory();

    let signed = signer(&process.url)
        .sign_with(
            &Policy::builder()
                .bucket(BUCKET)
                .unwrap()
                .key_starts_with("j/")
                .unwrap()
                .expires_in(Duration::minutes(10))
                .build()
                .unwrap(),
            SignOptions::new().key("j/a.bin"),
        )
        .unwrap();
    let mut valid_head = Vec::new();
    for (name, value) in signed.fields() {
        valid_head.extend_from_slice(
            format!("--XYZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    valid_head.extend_from_slice(
        b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\nfile bytes\r\n--XYZ\r\nContent-Disposition: form-data; name=\"x-after\"\r\n\r\n",
    );
    let cases: Vec<JunkCase> = vec![
        (
            "no boundary ever",
            Vec::new(),
            b"junk without a boundary ",
            &["MaxPostPreDataLengthExceeded"],
        ),
        (
            "part headers that never end",
            b"--XYZ\r\nContent-Disposition: form-data; name=\"key\"\r\nX-Junk: ".to_vec(),
            b"aaaaaaaa",
            &["MaxPostPreDataLengthExceeded", "MalformedPOSTRequest"],
        ),
        (
            "a field that never ends",
            b"--XYZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n".to_vec(),
            b"value ",
            &["MaxPostPreDataLengthExceeded"],
        ),
        (
            "parts without end",
            Vec::new(),
            b"--XYZ\r\nContent-Disposition: form-data; name=\"x-ignore-n\"\r\n\r\nv\r\n",
            &["MaxPostPreDataLengthExceeded"],
        ),
        (
            "a field after the file that never ends",
            valid_head,
            b"after ",
            &["MalformedPOSTRequest"],
        ),
    ];
    let mut worst = 0;
    for (case, head, fill, codes) in cases {
        let started = Instant::now();
        let (status, answer, written) = post_junk(&process.url, &head, fill, JUNK);
        assert_eq!(status, 400, "{case}: {answer}");
        assert!(
            codes.iter().any(|c| answer.contains(&format!("<Code>{c}"))),
            "{case}: expected one of {codes:?}: {answer}"
        );
        let (peak, now) = process.memory();
        worst = worst.max(peak);
        println!(
            "{case}: 400 after {:?}, {} MiB of {} MiB sent; server peak RSS {} MiB (idle {} MiB, now {} MiB)",
            started.elapsed(),
            written >> 20,
            JUNK >> 20,
            peak >> 10,
            idle >> 10,
            now >> 10
        );
        assert!(written < JUNK, "{case}: the whole body was read");
    }
    println!("peak RSS over idle: {} MiB", (worst - idle_peak) >> 10);
    assert!(
        worst - idle_peak < 64 << 10,
        "memory grew by {} MiB over the idle peak",
        (worst - idle_peak) >> 10
    );
}

/// A small deterministic generator (xorshift64*), so a failing case can be
/// replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Mutates a valid multipart body: bytes flipped, cut, repeated, boundaries
/// and CRLFs inserted, parts swapped.
fn mutate(body: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = body.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            1 => out.truncate(at),
            2 => {
                let end = (at + rng.below(200)).min(out.len());
                let piece = out[at..end].to_vec();
                for _ in 0..rng.below(50) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            3 => {
                out.splice(at..at, b"\r\n--XYZ\r\n".iter().copied());
            }
            4 => {
                out.splice(at..at, b"\r\n\r\n".iter().copied());
            }
            5 => {
                let end = (at + rng.below(100)).min(out.len());
                out.drain(at..end);
            }
            _ => {
                out.splice(at..at, b"--XYZ--\r\n".iter().copied());
            }
        }
    }
    out
}

#[test]
fn mutated_multipart_bodies_get_an_answer_never_a_crash() {
    const CASES: u64 = 400;
    let dir = temp_dir("mutate");
    let running = spawn(&dir);
    let url = running.url().to_string();
    let signed = signer(&url)
        .sign_with(
            &Policy::builder()
                .bucket(BUCKET)
                .unwrap()
                .key_starts_with("m/")
                .unwrap()
                .content_length_range(1..=4096)
                .unwrap()
                .expires_in(Duration::minutes(10))
                .build()
                .unwrap(),
            SignOptions::new().key("m/${filename}"),
        )
        .unwrap();
    let mut valid = Vec::new();
    for (name, value) in signed.fields() {
        valid.extend_from_slice(
            format!("--XYZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    valid.extend_from_slice(
        b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\nsome file bytes\r\n--XYZ--\r\n",
    );
    let (status, answer, _) = post_junk(&url, &valid, b" ", 0);
    assert_eq!(status, 204, "the unmutated body is accepted: {answer}");

    let mut statuses = std::collections::BTreeMap::new();
    for seed in 1..=CASES {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let body = mutate(&valid, &mut rng);
        let (status, answer, _) = post_junk(&url, &body, b" ", 0);
        assert!(
            (200..500).contains(&status),
            "seed {seed}: answered {status}: {answer}"
        );
        if status >= 400 {
            assert!(answer.contains("<Code>"), "seed {seed}: {answer}");
        }
        *statuses.entry(status).or_insert(0) += 1;
    }
    println!("{CASES} mutated bodies: {statuses:?}");
    // Still serving, and nothing half-written left behind.
    let (status, _, _) = post_junk(&url, &valid, b" ", 0);
    assert_eq!(status, 204);
    running.stop().unwrap();
    let incoming: Vec<_> = std::fs::read_dir(dir.join(".incoming")).unwrap().collect();
    assert!(incoming.is_empty(), "left in .incoming: {incoming:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
