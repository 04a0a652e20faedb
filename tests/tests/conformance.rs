//! The conformance suite: every published PostObject behaviour we know of
//! (ceph/s3-tests, versitygw, AWS's documentation, other servers' bug
//! reports) as a case in `tests/conformance/*.json`, each with its source
//! and the answer AWS S3 gives, played against four targets:
//!
//! 1. the verifier API (`Verifier::verify_at`, with the checksum the bytes
//!    must have checked over the case's file);
//! 2. the local endpoint (`post-policy-local`, in-process) over HTTP;
//! 3. Garage and 4. s3s-fs, as `./test.sh` starts them (`POST_POLICY_E2E`).
//!
//! The verifier and the local endpoint must give AWS's answer on every
//! case. A real server's difference is a named quirk in
//! `tests/conformance/quirks.json` (server, case, the answer it gives,
//! why), never a weakened expectation; a quirk that no longer shows fails
//! too. The run writes the table to `CONFORMANCE.md` with
//! `POST_POLICY_CONFORMANCE_WRITE=1`, and otherwise fails when the file
//! differs from what it would write.
//!
//! A case (all members but `id`, `source` and `aws` optional):
//!
//! ```text
//! { "id": "kebab-name", "source": "suite test name, or AWS page",
//!   "note": "what the case shows; say when AWS's answer is undocumented",
//!   "expiration": "+10m" | "-1h" | a literal value,
//!   "conditions": [ JSON conditions ],      // the SigV4 ones are added
//!   "sigv4_in_policy": false,               // ... unless this
//!   "policy_json": "raw document text",     // instead of the two above
//!   "fields": [[name, value], ...],         // before the signer's fields
//!   "auth": "valid" | "wrong-secret" | "unknown-key" | "wrong-region" |
//!           "no-signature" | "no-policy" | "no-algorithm" | "no-credential" |
//!           "no-date" | "bad-algorithm" | "bad-date" | "bad-credential" |
//!           "custom" (the fields hold {{policy}} and {{signature}}),
//!   "file": {"name": "a.txt", "content": "text" | "size": bytes,
//!            "content_type": "of the part", "no_filename": true} | null,
//!   "after": [[name, value], ...],          // fields after the file
//!   "request_content_type": "...", "boundary": "...",  // HTTP targets only
//!   "truncate_policy": 2,                   // characters cut after signing
//!   "token_field": "X-Amz-Security-Token",  // sign with temporary credentials,
//!   "token_condition": "...", "token_value": "...",  // their token sent so
//!   "aws": {..., "body_contains": ["<Key>...</Key>"]},  // HTTP targets
//!   "aws": {"status": 204, "code": "S3 code of a refusal",
//!           "stored": {"key", "content_type", "meta": {name: value}},
//!           "location_prefix": "..."},
//!   "out_of_scope": "why the case is listed but not run" }
//! ```
//!
//! Placeholders in strings: `{{bucket}}`, `{{case}}` (the id),
//! `{{credential}}`, `{{date}}` (x-amz-date), `{{algorithm}}`, and in a
//! `policy_json` also `{{expiration}}` and `{{sigv4}}` (the three SigV4
//! conditions).

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use policy_runtime::sigv4::SigningKey;
use policy_runtime::verify::{Submission, Verifier};
use policy_runtime::{Credentials, Region};
use post_policy_local::{Config, LocalS3};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance");
const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../CONFORMANCE.md");
const LOCAL_AKID: &str = "AKIDCONFORMANCE";
const LOCAL_SECRET: &str = "conformance-secret-0123456789";
const LOCAL_BUCKET: &str = "conformance-bucket";
const BOUNDARY: &str = "----conformance5f0a";
const TEMP_AKID: &str = "ASIACONFORMANCE";
const TEMP_SECRET: &str = "temporary-conformance-secret-0123";
const TEMP_TOKEN: &str = "FwoGZXIvYXdzEXAMPLEconformanceTOKEN";

/// Where a case is played.
struct Target {
    name: String,
    /// `None`: the verifier API.
    endpoint: Option<String>,
    region: String,
    access_key: String,
    secret: String,
    bucket: String,
    /// For reading objects back through a server's S3 API.
    server: Option<support::Server>,
    /// Temporary credentials it knows: access key, secret, session token.
    temporary: Option<(String, String, String)>,
}

/// An answer, reduced to what the cases compare.
#[derive(Clone, Debug, Default)]
struct Answer {
    status: u16,
    code: Option<String>,
    /// Where a 303 points.
    location: Option<String>,
    /// The object as read back after a success: (Content-Type, metadata).
    stored: Option<(Option<String>, BTreeMap<String, String>)>,
    /// The response body (HTTP targets).
    body: Option<String>,
    /// The key the object is stored under (the verifier says it; HTTP
    /// targets are read back at the expected key).
    key: Option<String>,
}

impl Answer {
    /// The answer in one line, as the table and the quirk list write it.
    fn summary(&self) -> String {
        match &self.code {
            Some(code) => format!("{} {code}", self.status),
            None => self.status.to_string(),
        }
    }
}

struct Case {
    id: String,
    source: String,
    note: String,
    json: Value,
}

impl Case {
    fn str(&self, member: &str) -> Option<&str> {
        self.json[member].as_str()
    }

    fn http_only(&self) -> bool {
        self.json.get("request_content_type").is_some() || self.json.get("boundary").is_some()
    }

    fn expected(&self) -> &Value {
        &self.json["aws"]
    }

    /// The expected answer in one line.
    fn aws_summary(&self) -> String {
        let aws = self.expected();
        let status = aws["status"].as_u64().unwrap_or(0);
        match aws["code"].as_str() {
            Some(code) => format!("{status} {code}"),
            None => status.to_string(),
        }
    }
}

fn load_cases() -> (Vec<Case>, Vec<(String, String, String)>) {
    let mut files: Vec<_> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && p.file_name().is_some_and(|n| n != "quirks.json")
        })
        .collect();
    files.sort();
    let mut cases = Vec::new();
    let mut out_of_scope = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let list: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        for json in list
            .as_array()
            .unwrap_or_else(|| panic!("{name}: not a list"))
        {
            let id = json["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: a case without id"))
                .to_string();
            let source = json["source"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: no source"))
                .to_string();
            if let Some(why) = json["out_of_scope"].as_str() {
                out_of_scope.push((id, source, why.to_string()));
                continue;
            }
            assert!(json["aws"]["status"].is_u64(), "{id}: no aws.status");
            assert!(
                !cases.iter().any(|c: &Case| c.id == id),
                "{id}: two cases with one id"
            );
            cases.push(Case {
                note: json["note"].as_str().unwrap_or_default().to_string(),
                id,
                source,
                json: json.clone(),
            });
        }
    }
    (cases, out_of_scope)
}

/// What one case sends to one target.
struct Request {
    fields: Vec<(String, String)>,
    /// The file: its name (`None`: no `filename` parameter), bytes and
    /// part Content-Type.
    file: Option<(Option<String>, Vec<u8>, Option<String>)>,
    after: Vec<(String, String)>,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn build(case: &Case, target: &Target, now: OffsetDateTime) -> Request {
    let auth = case.str("auth").unwrap_or("valid");
    let date = support::amz_date(now);
    // A case with `"token_field"` signs with temporary credentials and
    // sends their token under that spelling.
    let temporary = case.str("token_field").map(|field| {
        (
            field,
            target.temporary.as_ref().expect("temporary credentials"),
        )
    });
    let access_key = if auth == "unknown-key" {
        "AKIDNOSUCHKEY00000000"
    } else if let Some((_, (akid, _, _))) = temporary {
        akid
    } else {
        &target.access_key
    };
    let scope_region = if auth == "wrong-region" {
        if target.region == "eu-central-1" {
            "eu-west-1"
        } else {
            "eu-central-1"
        }
    } else {
        &target.region
    };
    let credential = format!("{access_key}/{}/{scope_region}/s3/aws4_request", &date[..8]);
    let algorithm = if auth == "bad-algorithm" {
        "AWS4-HMAC-SHA512"
    } else {
        "AWS4-HMAC-SHA256"
    };
    let subst = |text: &str| {
        text.replace("{{bucket}}", &target.bucket)
            .replace("{{case}}", &case.id)
            .replace("{{credential}}", &credential)
            .replace("{{date}}", &date)
            .replace("{{algorithm}}", algorithm)
    };
    let mut sigv4 = vec![
        format!(r#"{{"x-amz-algorithm": "{algorithm}"}}"#),
        format!(r#"{{"x-amz-credential": "{credential}"}}"#),
        format!(r#"{{"x-amz-date": "{date}"}}"#),
    ];
    if let Some((_, (_, _, token))) = temporary {
        let condition_name = case
            .str("token_condition")
            .unwrap_or("x-amz-security-token");
        sigv4.push(format!(r#"{{"{condition_name}": "{token}"}}"#));
    }
    let expiration = match case.str("expiration").unwrap_or("+10m") {
        offset if offset.starts_with(['+', '-']) => {
            let (sign, rest) = offset.split_at(1);
            let (n, unit) = rest.split_at(rest.len() - 1);
            let n: i64 = n.parse().unwrap();
            let d = match unit {
                "m" => Duration::minutes(n),
                "h" => Duration::hours(n),
                "d" => Duration::days(n),
                _ => panic!("{}: expiration unit {unit}", case.id),
            };
            let at = if sign == "+" { now + d } else { now - d };
            serde_json::to_string(&rfc3339(at)).unwrap()
        }
        literal => serde_json::to_string(literal).unwrap(),
    };
    let policy_json = match case.str("policy_json") {
        Some(raw) => subst(raw)
            .replace("{{expiration}}", &expiration)
            .replace("{{sigv4}}", &sigv4.join(", ")),
        None => {
            let mut conditions: Vec<String> = case.json["conditions"]
                .as_array()
                .map(|a| a.iter().map(|c| subst(&c.to_string())).collect())
                .unwrap_or_default();
            if case.json["sigv4_in_policy"].as_bool() != Some(false) {
                conditions.extend(sigv4.iter().cloned());
            }
            format!(
                r#"{{"expiration": {expiration}, "conditions": [{}]}}"#,
                conditions.join(", ")
            )
        }
    };
    let policy = base64::engine::general_purpose::STANDARD.encode(policy_json);
    let secret = if auth == "wrong-secret" {
        "not-the-secret-0123456789"
    } else {
        temporary.map_or(&target.secret, |(_, (_, secret, _))| secret)
    };
    let signature = SigningKey::derive(secret, &date[..8], scope_region, "s3")
        .sign(policy.as_bytes())
        .to_string();
    // A policy field cut short after signing (`truncate_policy`: characters).
    let sent_policy = match case.json["truncate_policy"].as_u64() {
        Some(cut) => policy[..policy.len().saturating_sub(cut as usize)].to_string(),
        None => policy.clone(),
    };
    let pairs = |member: &str| -> Vec<(String, String)> {
        case.json[member]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        let value = subst(p[1].as_str().unwrap())
                            .replace("{{policy}}", &sent_policy)
                            .replace("{{signature}}", &signature);
                        (subst(p[0].as_str().unwrap()), value)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut fields = pairs("fields");
    if auth != "custom" {
        let mut push = |name: &str, value: &str, omit: &str| {
            if auth != omit {
                fields.push((name.to_string(), value.to_string()));
            }
        };
        let sent_date = if auth == "bad-date" {
            "2030-13-45T00:00:00Z"
        } else {
            &date
        };
        let sent_credential = if auth == "bad-credential" {
            format!("{access_key}/notadate/{scope_region}/s3")
        } else {
            credential.clone()
        };
        push("x-amz-algorithm", algorithm, "no-algorithm");
        push("x-amz-credential", &sent_credential, "no-credential");
        push("x-amz-date", sent_date, "no-date");
        if let Some((field, (_, _, token))) = temporary {
            let sent = case.str("token_value").unwrap_or(token);
            push(field, sent, "no-token");
        }
        if auth != "no-policy" {
            push("policy", &policy, "no-policy");
            push("x-amz-signature", &signature, "no-signature");
        }
    }
    let file = match &case.json["file"] {
        Value::Null if case.json.get("file").is_some() => None,
        Value::Object(f) => {
            let bytes = match (f.get("content"), f.get("size")) {
                (Some(c), _) => c.as_str().unwrap().as_bytes().to_vec(),
                (None, Some(n)) => vec![b'x'; n.as_u64().unwrap() as usize],
                _ => b"hello".to_vec(),
            };
            let no_filename = f.get("no_filename").and_then(Value::as_bool) == Some(true);
            Some((
                (!no_filename).then(|| {
                    f.get("name")
                        .and_then(Value::as_str)
                        .map_or("hello.txt".to_string(), subst)
                }),
                bytes,
                f.get("content_type")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            ))
        }
        _ => Some((Some("hello.txt".to_string()), b"hello".to_vec(), None)),
    };
    Request {
        fields,
        file,
        after: pairs("after"),
    }
}

/// The key the case stores, if it expects a success.
fn expected_key(case: &Case, target: &Target) -> Option<String> {
    case.expected()["stored"]["key"].as_str().map(|k| {
        k.replace("{{case}}", &case.id)
            .replace("{{bucket}}", &target.bucket)
    })
}

/// Whether the case can be played on the target.
fn applies(case: &Case, target: &Target) -> bool {
    let needs_http = case.http_only() && target.endpoint.is_none();
    let needs_token = case.json.get("token_field").is_some() && target.temporary.is_none();
    !needs_http && !needs_token
}

fn play_verifier(case: &Case, target: &Target, now: OffsetDateTime) -> Option<Answer> {
    let request = build(case, target, now);
    let mut store = vec![Credentials::new(&target.access_key, &target.secret).unwrap()];
    if let Some((akid, secret, token)) = &target.temporary {
        store.push(
            Credentials::new(akid, secret)
                .unwrap()
                .with_session_token(token)
                .unwrap(),
        );
    }
    let verifier = Verifier::new(store, Region::new(&target.region).unwrap());
    let mut form = Submission::new(&target.bucket);
    for (name, value) in &request.fields {
        form.push_field(name, value);
    }
    form = match &request.file {
        Some((Some(name), bytes, _)) => form.file(name.clone(), bytes.len() as u64),
        Some((None, bytes, _)) => form.file_without_filename(bytes.len() as u64),
        None => form,
    };
    for (name, value) in &request.after {
        form.push_field(name, value);
    }
    let verdict = verifier.verify_at(&form, now).and_then(|accepted| {
        if let (Some(checksum), Some((_, bytes, _))) = (&accepted.checksum, &request.file) {
            let mut hasher = checksum.hasher();
            hasher.update(bytes);
            checksum.check(hasher)?;
        }
        Ok(accepted)
    });
    Some(match verdict {
        Err(rejection) => Answer {
            status: rejection.http_status(),
            code: Some(rejection.code().as_str().to_string()),
            ..Answer::default()
        },
        Ok(accepted) => Answer {
            status: if accepted.redirect.is_some() {
                303
            } else {
                accepted.success_action_status
            },
            code: None,
            location: accepted.redirect.clone(),
            // Without a Content-Type field S3 stores its default.
            stored: Some((
                Some(
                    accepted
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "binary/octet-stream".into()),
                ),
                accepted.metadata.iter().cloned().collect(),
            )),
            key: Some(accepted.key.clone()),
            body: None,
        },
    })
}

fn body_of(request: &Request, boundary: &str) -> Vec<u8> {
    let mut body = Vec::new();
    let field = |body: &mut Vec<u8>, (name, value): &(String, String)| {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    };
    request.fields.iter().for_each(|f| field(&mut body, f));
    if let Some((name, bytes, content_type)) = &request.file {
        let filename = name
            .as_ref()
            .map_or(String::new(), |name| format!("; filename=\"{name}\""));
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"{filename}\r\nContent-Type: {}\r\n\r\n",
                content_type.as_deref().unwrap_or("application/octet-stream")
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    request.after.iter().for_each(|f| field(&mut body, f));
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

fn play_http(case: &Case, target: &Target, now: OffsetDateTime) -> Answer {
    let endpoint = target.endpoint.as_deref().unwrap();
    let request = build(case, target, now);
    let boundary = case.str("boundary").unwrap_or(BOUNDARY);
    let content_type = case
        .str("request_content_type")
        .map_or(format!("multipart/form-data; boundary={boundary}"), |t| {
            t.replace("{{boundary}}", boundary)
        });
    let response = support::client()
        .post(format!("{endpoint}/{}", target.bucket))
        .header("content-type", content_type)
        .body(body_of(&request, boundary))
        .send()
        .unwrap_or_else(|e| panic!("{}: {}: no answer: {e}", target.name, case.id));
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let text = response.text().unwrap_or_default();
    let code = (status >= 400).then(|| {
        text.split_once("<Code>")
            .and_then(|(_, rest)| rest.split_once("</Code>"))
            .map_or("(no code)".to_string(), |(code, _)| code.to_string())
    });
    let stored = if status < 400 {
        expected_key(case, target).and_then(|key| read_back(target, &key))
    } else {
        None
    };
    Answer {
        status,
        code,
        location,
        stored,
        body: Some(text),
        key: None,
    }
}

/// The object at `key`: its Content-Type and metadata, if it exists.
fn read_back(target: &Target, key: &str) -> Option<(Option<String>, BTreeMap<String, String>)> {
    let (status, headers) = match &target.server {
        Some(server) => {
            let reply = support::s3_request(
                server,
                "GET",
                &support::object_path(server, key),
                "",
                &[],
                &[],
            );
            (reply.status, reply.headers)
        }
        None => {
            let mut path = String::new();
            for b in key.bytes() {
                if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
                    path.push(b as char);
                } else {
                    path.push_str(&format!("%{b:02X}"));
                }
            }
            let response = support::client()
                .get(format!(
                    "{}/{}/{path}",
                    target.endpoint.as_deref().unwrap(),
                    target.bucket
                ))
                .send()
                .unwrap();
            (response.status().as_u16(), response.headers().clone())
        }
    };
    if status != 200 {
        return None;
    }
    let text =
        |v: &reqwest::header::HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
    let meta = headers
        .iter()
        .filter_map(|(name, value)| {
            name.as_str()
                .strip_prefix("x-amz-meta-")
                .map(|n| (n.to_string(), text(value)))
        })
        .collect();
    Some((headers.get("content-type").map(text), meta))
}

/// Whether `answer` is AWS's answer to `case`; if not, why.
fn judge(case: &Case, target: &Target, answer: &Answer) -> Result<(), String> {
    let aws = case.expected();
    let status = aws["status"].as_u64().unwrap() as u16;
    if answer.status != status || answer.code.as_deref() != aws["code"].as_str() {
        return Err(answer.summary());
    }
    if let Some(prefix) = aws["location_prefix"].as_str() {
        if !answer
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with(prefix))
        {
            return Err(format!("{}, Location {:?}", answer.status, answer.location));
        }
    }
    if let (Some(body), Some(parts)) = (&answer.body, aws["body_contains"].as_array()) {
        // Compared as XML text: `&quot;` and `"` are the same character.
        let body = body
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        for part in parts {
            let part = part
                .as_str()
                .unwrap()
                .replace("{{case}}", &case.id)
                .replace("{{bucket}}", &target.bucket);
            if !body.contains(&part) {
                return Err(format!("{}, body without {part}", answer.status));
            }
        }
    }
    let stored = &aws["stored"];
    if let (Some(key), Some(expected)) = (&answer.key, expected_key(case, target)) {
        if *key != expected {
            return Err(format!("{}, stored at `{key}`", answer.status));
        }
    }
    if stored.is_object() {
        let Some((content_type, meta)) = &answer.stored else {
            let key = expected_key(case, target).unwrap_or_default();
            return Err(format!("{}, no object at `{key}`", answer.status));
        };
        if let Some(expected) = stored["content_type"].as_str() {
            if content_type.as_deref() != Some(expected) {
                return Err(match content_type {
                    Some(t) => format!("{}, stored as {t}", answer.status),
                    None => format!("{}, stored with no Content-Type", answer.status),
                });
            }
        }
        if let Some(expected) = stored["meta"].as_object() {
            for (name, value) in expected {
                if meta.get(name).map(String::as_str) != value.as_str() {
                    return Err(format!(
                        "{}, stored x-amz-meta-{name} {:?}",
                        answer.status,
                        meta.get(name)
                    ));
                }
            }
        }
    }
    Ok(())
}

/// One cell of the table.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Match,
    NotApplicable,
    Quirk(String),
    Wrong(String),
}

struct Quirk {
    server: String,
    case: String,
    answer: String,
    what: String,
}

fn load_quirks() -> Vec<Quirk> {
    let list: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{DIR}/quirks.json")).unwrap())
            .unwrap();
    // The named entries are behaviours the other suites ask for by name.
    list.as_array()
        .unwrap()
        .iter()
        .filter(|q| q.get("case").is_some())
        .map(|q| Quirk {
            server: q["server"].as_str().unwrap().to_string(),
            case: q["case"].as_str().unwrap().to_string(),
            answer: q["answer"].as_str().unwrap().to_string(),
            what: q["what"].as_str().unwrap().to_string(),
        })
        .collect()
}

fn targets() -> (Vec<Target>, tempdir::Guard, post_policy_local::Running) {
    let dir = tempdir::Guard::new();
    let config = Config::new(&dir.0, Region::new("us-east-1").unwrap())
        .credentials(Credentials::new(LOCAL_AKID, LOCAL_SECRET).unwrap())
        .credentials(
            Credentials::new(TEMP_AKID, TEMP_SECRET)
                .unwrap()
                .with_session_token(TEMP_TOKEN)
                .unwrap(),
        );
    let running = LocalS3::new(config)
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .unwrap();
    let local = |name: &str, endpoint: Option<String>| Target {
        name: name.to_string(),
        endpoint,
        region: "us-east-1".into(),
        access_key: LOCAL_AKID.into(),
        secret: LOCAL_SECRET.into(),
        bucket: LOCAL_BUCKET.into(),
        server: None,
        temporary: Some((TEMP_AKID.into(), TEMP_SECRET.into(), TEMP_TOKEN.into())),
    };
    let mut targets = vec![
        local("verifier", None),
        local("local", Some(running.url().to_string())),
    ];
    for server in support::servers() {
        targets.push(Target {
            name: server.name.clone(),
            endpoint: Some(server.endpoint.clone()),
            region: server.region.clone(),
            access_key: server.access_key.clone(),
            secret: server.secret.clone(),
            bucket: server.bucket.clone(),
            temporary: None,
            server: Some(server),
        });
    }
    (targets, dir, running)
}

mod tempdir {
    /// A scratch directory removed on drop.
    pub struct Guard(pub std::path::PathBuf);

    impl Guard {
        pub fn new() -> Guard {
            let dir = std::env::temp_dir().join(format!("conformance-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            Guard(dir)
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn every_case_gets_aws_answer_or_a_named_quirk() {
    let (cases, out_of_scope) = load_cases();
    let quirks = load_quirks();
    let (targets, _dir, _running) = targets();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut failures = Vec::new();
    let mut rows: Vec<(&Case, Vec<Cell>)> = Vec::new();
    std::thread::scope(|scope| {
        let columns: Vec<_> = targets
            .iter()
            .map(|target| {
                let cases = &cases;
                scope.spawn(move || {
                    cases
                        .iter()
                        .map(|case| {
                            let answer = match target.endpoint {
                                _ if !applies(case, target) => None,
                                None => play_verifier(case, target, now),
                                Some(_) => Some(play_http(case, target, now)),
                            };
                            match answer {
                                None => Cell::NotApplicable,
                                Some(answer) => match judge(case, target, &answer) {
                                    Ok(()) => Cell::Match,
                                    Err(what) => Cell::Wrong(what),
                                },
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let columns: Vec<Vec<Cell>> = columns.into_iter().map(|h| h.join().unwrap()).collect();
        for (i, case) in cases.iter().enumerate() {
            rows.push((case, columns.iter().map(|c| c[i].clone()).collect()));
        }
    });
    for (case, cells) in &mut rows {
        for (target, cell) in targets.iter().zip(cells.iter_mut()) {
            let quirk = quirks
                .iter()
                .find(|q| q.server == target.name && q.case == case.id);
            match (&*cell, quirk) {
                (Cell::Wrong(answer), Some(q)) if *answer == q.answer => {
                    *cell = Cell::Quirk(answer.clone());
                }
                (Cell::Wrong(answer), _) => failures.push(format!(
                    "{} on {}: answered {answer}, AWS answers {}",
                    case.id,
                    target.name,
                    case.aws_summary()
                )),
                (Cell::Match, Some(q)) => failures.push(format!(
                    "{} on {}: quirk recorded ({}) but the answer is AWS's now: remove it",
                    case.id, target.name, q.answer
                )),
                _ => {}
            }
        }
    }
    for q in &quirks {
        let known_target = targets.iter().any(|t| t.name == q.server);
        let known_case = cases.iter().any(|c| c.id == q.case);
        if known_target && !known_case {
            failures.push(format!("quirk for unknown case {}", q.case));
        }
        assert!(
            q.server != "verifier" && q.server != "local",
            "{}: our verifier and endpoint have no quirks",
            q.case
        );
    }
    let table = render(&targets, &rows, &quirks, &out_of_scope);
    println!("{}", table.lines().take(12).collect::<Vec<_>>().join("\n"));
    assert!(
        failures.is_empty(),
        "{} differences from AWS:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(rows.len() >= 80, "{} cases", rows.len());
    let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    if names != ["verifier", "local", "garage", "s3s-fs"] {
        println!("CONFORMANCE.md is written for garage and s3s-fs only; not checked");
    } else if std::env::var_os("POST_POLICY_CONFORMANCE_WRITE").is_some() {
        std::fs::write(TABLE, &table).unwrap();
    } else {
        let current = std::fs::read_to_string(TABLE).unwrap_or_default();
        assert!(
            current == table,
            "CONFORMANCE.md is not what this run gives: rerun with \
             POST_POLICY_CONFORMANCE_WRITE=1 (./test.sh sets up the servers) and commit it"
        );
    }
}

fn render(
    targets: &[Target],
    rows: &[(&Case, Vec<Cell>)],
    quirks: &[Quirk],
    out_of_scope: &[(String, String, String)],
) -> String {
    let mut out = String::new();
    out.push_str("# Conformance\n\n");
    out.push_str(
        "Every published PostObject behaviour we know of, as a case with its source and \
         the answer AWS S3 gives, played against our verifier, the local endpoint, Garage \
         2.5.0 and s3s-fs 0.14.1. Written by `tests/tests/conformance.rs` from the cases in \
         `tests/conformance/`; `./test.sh` fails when this file is not what the run gives \
         (rewrite it with `POST_POLICY_CONFORMANCE_WRITE=1 ./test.sh`).\n\n",
    );
    let _ = writeln!(out, "{} cases.\n", rows.len());
    out.push_str("| target | AWS's answer | a named quirk | not applicable |\n|---|---|---|---|\n");
    for (i, target) in targets.iter().enumerate() {
        let count = |f: fn(&Cell) -> bool| rows.iter().filter(|(_, cells)| f(&cells[i])).count();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            target.name,
            count(|c| *c == Cell::Match),
            count(|c| matches!(c, Cell::Quirk(_))),
            count(|c| *c == Cell::NotApplicable),
        );
    }
    out.push_str(
        "\n✓: the target gives AWS's answer. A quirk cell shows the target's answer instead \
         (see the list below). —: not applicable: the case is about the HTTP request, which \
         the verifier API does not see, or needs temporary credentials, which Garage and \
         s3s-fs do not have.\n\n",
    );
    out.push_str("| case | source | AWS |");
    for t in targets {
        let _ = write!(out, " {} |", t.name);
    }
    out.push_str("\n|---|---|---|");
    for _ in targets {
        out.push_str("---|");
    }
    out.push('\n');
    for (case, cells) in rows {
        let _ = write!(
            out,
            "| `{}` | {} | {} |",
            case.id,
            case.source.replace('|', "\\|"),
            case.aws_summary()
        );
        for cell in cells {
            let text = match cell {
                Cell::Match => "✓".to_string(),
                Cell::NotApplicable => "—".to_string(),
                Cell::Quirk(answer) => format!("quirk: {answer}"),
                Cell::Wrong(answer) => format!("**{answer}**"),
            };
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
    out.push_str("\n## Quirks\n\n");
    for q in quirks {
        let _ = writeln!(
            out,
            "- {} on `{}`: {} ({})",
            q.server, q.case, q.what, q.answer
        );
    }
    out.push_str("\n## Notes on cases\n\n");
    for (case, _) in rows.iter().filter(|(c, _)| !c.note.is_empty()) {
        let _ = writeln!(out, "- `{}`: {}", case.id, case.note);
    }
    out.push_str("\n## Out of scope\n\n");
    for (id, source, why) in out_of_scope {
        let _ = writeln!(out, "- `{id}` ({source}): {why}");
    }
    out
}
