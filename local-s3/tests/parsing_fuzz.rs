//! Fuzzing the endpoint's request parsing, and the kept corpus.
//!
//! `generated_bodies_get_a_complete_answer_never_a_crash` builds multipart
//! bodies from parts (boundaries and Content-Types of every kind, known and
//! odd field names, file names, extra and endless headers, values with
//! boundaries, NULs and invalid UTF-8, values past S3's 20 KiB, LF-only
//! line ends, missing or doubled closing boundaries, bodies cut anywhere),
//! with the signed fields of a valid form among them, and posts each to an
//! in-process endpoint: every one gets a complete answer, a success or a
//! 4xx with S3's error code, never a 5xx or a dropped connection, and no
//! upload is left half-written. `POST_POLICY_FUZZ_CASES` sets the number of
//! cases (default 2,000); a failure is kept by proptest in
//! `proptest-regressions/` and replayed on every run.
//!
//! `the_corpus_gets_its_recorded_answers` replays `tests/corpus/multipart/`:
//! bodies worth keeping, each with the status and code it must get.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use policy_runtime::{Credentials, Region};
use post_policy_local::{Config, LocalS3, Running};
use proptest::prelude::*;
use support::{as_parts, exchange, files_under, signed_fields, temp_dir, RawAnswer};

const BUCKET: &str = "fuzz-bucket";
const REGION: &str = "us-east-1";
const AKID: &str = "AKIDFUZZ";
const SECRET: &str = "fuzz-test-secret-0123456789";
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/multipart");

struct Target {
    dir: PathBuf,
    running: Running,
    /// The fields of a valid signed form (keys under `f/`, files of 0 to
    /// 4096 bytes), in order.
    fields: Vec<(String, String)>,
}

impl Target {
    fn start(name: &str) -> Target {
        let dir = temp_dir("fuzz", name);
        let config = Config::new(&dir, Region::new(REGION).unwrap())
            .credentials(Credentials::new(AKID, SECRET).unwrap())
            .idle_timeout(std::time::Duration::from_secs(5));
        let running = LocalS3::new(config)
            .unwrap()
            .spawn("127.0.0.1:0".parse().unwrap())
            .unwrap();
        let credentials = Credentials::new(AKID, SECRET).unwrap();
        let fields = signed_fields(running.url(), credentials, REGION, BUCKET, "f/", 0..=4096);
        Target {
            dir,
            running,
            fields,
        }
    }

    fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// The signed fields as parts under `boundary`.
    fn field_parts(&self, boundary: &str) -> Vec<u8> {
        as_parts(&self.fields, boundary)
    }

    fn post(&self, content_type: &str, body: &[u8]) -> RawAnswer {
        exchange(
            self.addr(),
            "POST",
            &format!("/{BUCKET}"),
            &[("Content-Type", content_type)],
            body,
        )
    }

    /// Uploads left half-written (there must be none between requests).
    fn incoming(&self) -> Vec<PathBuf> {
        files_under(&self.dir.join(".incoming"))
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One part of a generated body.
#[derive(Clone, Debug)]
struct Part {
    name: String,
    filename: Option<String>,
    /// Header lines after Content-Disposition, without line ends.
    headers: Vec<Vec<u8>>,
    value: Vec<u8>,
    /// The line end used in this part.
    crlf: bool,
}

/// A generated request: its Content-Type and body.
#[derive(Clone, Debug)]
struct Case {
    boundary: String,
    content_type: String,
    before: Vec<Part>,
    /// Whether the signed fields are sent (after `before`).
    signed: bool,
    /// A well-formed file part after them: its file name and bytes.
    file: Option<(String, Vec<u8>)>,
    after: Vec<Part>,
    preamble: Vec<u8>,
    closing: &'static str,
    epilogue: Vec<u8>,
    /// Where to cut the body, as a fraction of its length.
    cut: Option<f64>,
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "key", "file", "policy", "x-amz-signature", "x-amz-credential", "x-amz-date",
            "x-amz-algorithm", "Content-Type", "x-amz-meta-a", "x-ignore-a", "acl",
            "success_action_status", "success_action_redirect", "x-amz-checksum-crc32",
            "FILE", "Key", "bucket", "",
        ])
        .prop_map(str::to_string),
        1 => "[ -~]{0,24}",
        1 => "\\PC{0,12}",
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => "[ -~]{0,40}".prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 0..200),
        1 => Just(b"--XYZ".to_vec()),
        1 => Just(b"a\r\n--XYZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nf/x".to_vec()),
        1 => (0usize..40_000).prop_map(|n| vec![b'a'; n]),
    ]
}

fn part() -> impl Strategy<Value = Part> {
    let header = prop_oneof![
        Just(b"Content-Type: text/plain".to_vec()),
        Just(b"Content-Type: application/octet-stream; charset=\"x\"".to_vec()),
        "[!-9;-~]{1,20}: [ -~]{0,40}".prop_map(String::into_bytes),
        (0usize..20_000).prop_map(|n| {
            let mut h = b"X-Long: ".to_vec();
            h.resize(8 + n, b'h');
            h
        }),
        prop::collection::vec(any::<u8>(), 0..40),
    ];
    (
        name(),
        prop::option::weighted(0.3, "[ -~]{0,30}"),
        prop::collection::vec(header, 0..3),
        value(),
        prop::bool::weighted(0.95),
    )
        .prop_map(|(name, filename, headers, value, crlf)| Part {
            name,
            filename,
            headers,
            value,
            crlf,
        })
}

fn case() -> impl Strategy<Value = Case> {
    let boundary = prop_oneof![
        6 => Just("XYZ".to_string()),
        1 => Just("--XYZ".to_string()),
        1 => Just("x".repeat(70)),
        1 => "[0-9A-Za-z'()+_,./:=?-]{1,70}",
    ];
    (boundary, 0usize..16)
        .prop_flat_map(|(boundary, content_type)| {
            let content_type = match content_type {
                0 => format!("multipart/form-data; boundary=\"{boundary}\""),
                1 => format!("MULTIPART/FORM-DATA; BOUNDARY={boundary}"),
                2 => "multipart/form-data".to_string(),
                3 => format!("multipart/mixed; boundary={boundary}"),
                4 => format!("text/plain; boundary={boundary}"),
                _ => format!("multipart/form-data; boundary={boundary}"),
            };
            let file = prop::option::weighted(
                0.8,
                ("[ -~]{0,20}", prop::collection::vec(any::<u8>(), 0..5000)),
            );
            (
                Just(boundary),
                Just(content_type),
                prop::collection::vec(part(), 0..3),
                prop::bool::weighted(0.8),
                file,
                prop::collection::vec(part(), 0..3),
                prop_oneof![8 => Just(Vec::new()), 1 => prop::collection::vec(any::<u8>(), 0..100)],
                prop_oneof![
                    12 => Just("--\r\n"),
                    1 => prop::sample::select(vec!["--", "", "\r\n", "--\r\n--"]),
                ],
                prop_oneof![8 => Just(Vec::new()), 1 => prop::collection::vec(any::<u8>(), 0..100)],
                prop::option::weighted(0.05, 0.0f64..1.0),
            )
        })
        .prop_map(
            |(
                boundary,
                content_type,
                before,
                signed,
                file,
                after,
                preamble,
                closing,
                epilogue,
                cut,
            )| Case {
                boundary,
                content_type,
                before,
                signed,
                file,
                after,
                preamble,
                closing,
                epilogue,
                cut,
            },
        )
}

fn render_part(boundary: &str, part: &Part, out: &mut Vec<u8>) {
    let end: &[u8] = if part.crlf { b"\r\n" } else { b"\n" };
    out.extend_from_slice(format!("--{boundary}").as_bytes());
    out.extend_from_slice(end);
    out.extend_from_slice(
        format!("Content-Disposition: form-data; name=\"{}\"", part.name).as_bytes(),
    );
    if let Some(filename) = &part.filename {
        out.extend_from_slice(format!("; filename=\"{filename}\"").as_bytes());
    }
    out.extend_from_slice(end);
    for header in &part.headers {
        out.extend_from_slice(header);
        out.extend_from_slice(end);
    }
    out.extend_from_slice(end);
    out.extend_from_slice(&part.value);
    out.extend_from_slice(end);
}

fn render(case: &Case, signed_fields: &[u8]) -> Vec<u8> {
    let mut out = case.preamble.clone();
    for part in &case.before {
        render_part(&case.boundary, part, &mut out);
    }
    if case.signed {
        out.extend_from_slice(signed_fields);
    }
    if let Some((name, bytes)) = &case.file {
        out.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n",
                case.boundary
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    for part in &case.after {
        render_part(&case.boundary, part, &mut out);
    }
    out.extend_from_slice(format!("--{}{}", case.boundary, case.closing).as_bytes());
    out.extend_from_slice(&case.epilogue);
    if let Some(cut) = case.cut {
        out.truncate((out.len() as f64 * cut) as usize);
    }
    out
}

/// The answer is complete, S3's kind, and nothing is left half-written.
fn check(endpoint: &Target, answer: &RawAnswer) -> Result<(), String> {
    let ok = matches!(answer.status, 200 | 201 | 204 | 303)
        || ((400..500).contains(&answer.status) && answer.code().is_some());
    if !ok {
        return Err(format!("answered {answer:?}"));
    }
    let incoming = endpoint.incoming();
    if !incoming.is_empty() {
        return Err(format!("left half-written: {incoming:?}"));
    }
    Ok(())
}

#[test]
fn generated_bodies_get_a_complete_answer_never_a_crash() {
    let cases = std::env::var("POST_POLICY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let endpoint = Target::start("generated");
    let statuses = std::cell::RefCell::new(std::collections::BTreeMap::<(u16, String), u32>::new());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    });
    let result = runner.run(&case(), |case| {
        let body = render(&case, &endpoint.field_parts(&case.boundary));
        let answer = endpoint.post(&case.content_type, &body);
        check(&endpoint, &answer).map_err(TestCaseError::fail)?;
        let code = answer.code().unwrap_or_default().to_string();
        *statuses
            .borrow_mut()
            .entry((answer.status, code))
            .or_default() += 1;
        Ok(())
    });
    println!("{cases} generated bodies: {:?}", statuses.borrow());
    if let Err(e) = result {
        panic!("{e}");
    }
    // Still serving: the valid form alone is accepted.
    let mut body = endpoint.field_parts("XYZ");
    body.extend_from_slice(
        b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ok.txt\"\r\n\r\nok\r\n--XYZ--\r\n",
    );
    let answer = endpoint.post("multipart/form-data; boundary=XYZ", &body);
    assert_eq!(answer.status, 204, "{answer:?}");
}

/// A corpus file: `# comments`, `expect: STATUS [CODE]`, `content-type: ...`,
/// a line `--`, then the body. Line breaks in the body are not sent; write
/// `\r`, `\n`, `\xHH` and `\\`; `{{fields}}` stands for the signed fields
/// as parts under the boundary `XYZ`.
struct CorpusCase {
    name: String,
    status: u16,
    code: Option<String>,
    content_type: String,
    body: Vec<u8>,
}

fn corpus(signed_fields: &[u8]) -> Vec<CorpusCase> {
    let mut cases = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (head, body) = text
            .split_once("\n--\n")
            .unwrap_or_else(|| panic!("{name}: no `--` line before the body"));
        let mut expect = None;
        let mut content_type = None;
        for line in head.lines().filter(|l| !l.starts_with('#')) {
            if let Some(v) = line.strip_prefix("expect: ") {
                let mut words = v.split_whitespace();
                let status = words.next().and_then(|s| s.parse().ok());
                expect = Some((status.expect(&name), words.next().map(str::to_string)));
            } else if let Some(v) = line.strip_prefix("content-type: ") {
                content_type = Some(v.to_string());
            } else if !line.trim().is_empty() {
                panic!("{name}: unknown line {line:?}");
            }
        }
        let (status, code) = expect.unwrap_or_else(|| panic!("{name}: no `expect:` line"));
        cases.push(CorpusCase {
            content_type: content_type.unwrap_or_else(|| panic!("{name}: no `content-type:`")),
            body: unescape(&name, body, signed_fields),
            name,
            status,
            code,
        });
    }
    cases
}

fn unescape(name: &str, text: &str, signed_fields: &[u8]) -> Vec<u8> {
    let text: String = text.lines().collect();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{fields}}") {
            out.extend_from_slice(signed_fields);
            rest = after;
        } else if let Some(after) = rest.strip_prefix('\\') {
            let (byte, len) = match after.as_bytes().first() {
                Some(b'r') => (b'\r', 1),
                Some(b'n') => (b'\n', 1),
                Some(b'\\') => (b'\\', 1),
                Some(b'x') => (
                    u8::from_str_radix(after.get(1..3).unwrap_or(""), 16)
                        .unwrap_or_else(|_| panic!("{name}: bad \\x escape")),
                    3,
                ),
                _ => panic!("{name}: unknown escape at {after:?}"),
            };
            out.push(byte);
            rest = &after[len..];
        } else {
            let c = rest.chars().next().unwrap();
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[test]
fn the_corpus_gets_its_recorded_answers() {
    let endpoint = Target::start("corpus");
    let cases = corpus(&endpoint.field_parts("XYZ"));
    assert!(cases.len() >= 12, "{} corpus cases", cases.len());
    for case in &cases {
        let answer = endpoint.post(&case.content_type, &case.body);
        check(&endpoint, &answer).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(
            (answer.status, answer.code().map(str::to_string)),
            (case.status, case.code.clone()),
            "{}: {}",
            case.name,
            answer.body
        );
    }
    println!("{} corpus bodies replayed", cases.len());
}
