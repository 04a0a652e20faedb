//! A real browser (headless Chromium driven by playwright-core) uploads to
//! the real servers of `POST_POLICY_E2E`:
//!
//! - through the HTML form `SignedPost::to_html` renders, served unmodified
//!   from a page server here: a file within the policy lands, one byte over
//!   the size range is refused and leaves no object;
//! - from a page on another origin, with `XMLHttpRequest` and a `FormData`
//!   built from the runtime's JSON (`{"url", "fields"}`), recording upload
//!   progress and reading the response, after the bucket's CORS rules allow
//!   that origin (a SigV4-signed `PUT ?cors`). Where a server has no CORS
//!   (quirk `no-cors`), the test asserts that the browser cannot upload.
//!
//! Signing, page serving and every assertion about stored objects happen
//! here; `tests/browser/run.mjs` only drives the browser and reports what it
//! saw. `./test.sh` installs Chromium and playwright-core and sets
//! `POST_POLICY_CHROMIUM` and `POST_POLICY_PLAYWRIGHT`; without them (or
//! without `node`) this test fails, it never skips. Each browser step keeps
//! a screenshot and the page's console log under
//! `target/tmp/browser-artifacts/`; a failed assertion prints their paths and
//! the log.

mod support;

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use policy_runtime::{Policy, SignOptions, SignedPost};
use serde_json::{json, Value};
use support::{get, has_quirk, put_bucket_cors, servers, signer, Server};
use time::Duration;

/// Chromium and playwright-core, as `./test.sh` installs them.
struct Browser {
    chromium: PathBuf,
    playwright: PathBuf,
}

fn browser() -> Browser {
    let var = |name: &str, what: &str| {
        let value = std::env::var_os(name).unwrap_or_else(|| {
            panic!(
                "{name} is not set: the browser suite needs {what}, which ./test.sh installs. \
                 Run ./test.sh."
            )
        });
        let path = PathBuf::from(value);
        assert!(path.exists(), "{name}={} does not exist", path.display());
        path
    };
    let browser = Browser {
        chromium: var("POST_POLICY_CHROMIUM", "Chromium (Debian's `chromium`)"),
        playwright: var(
            "POST_POLICY_PLAYWRIGHT",
            "playwright-core (tests/browser/package.json)",
        ),
    };
    assert!(
        browser
            .playwright
            .join("node_modules/playwright-core/package.json")
            .exists(),
        "POST_POLICY_PLAYWRIGHT={} holds no node_modules/playwright-core",
        browser.playwright.display()
    );
    browser
}

/// A directory for one test's screenshots, console logs and files, emptied
/// first.
fn artifacts(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser-artifacts")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    println!("browser artifacts: {}", dir.display());
    dir
}

/// A tiny HTTP server on 127.0.0.1 serving fixed pages: its own origin.
struct PageServer {
    origin: String,
}

impl PageServer {
    fn start(pages: HashMap<String, (&'static str, Vec<u8>)>) -> PageServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let pages = Arc::new(pages);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let pages = Arc::clone(&pages);
                // One thread per connection: browsers open spare ones.
                std::thread::spawn(move || {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&request);
                    let target = head.split(' ').nth(1).unwrap_or("/");
                    let path = target.split('?').next().unwrap_or(target);
                    let (status, content_type, body) = match pages.get(path) {
                        Some((content_type, body)) => ("200 OK", *content_type, body.as_slice()),
                        None => ("404 Not Found", "text/plain", &b"not found"[..]),
                    };
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n\
                         content-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(body);
                });
            }
        });
        PageServer { origin }
    }
}

/// The page for the form test: the runtime's `<form>`, exactly as
/// `to_html` renders it, in a minimal document.
fn form_page(signed: &SignedPost) -> Vec<u8> {
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>upload</title></head><body>\n{}</body></html>\n",
        signed.to_html()
    )
    .into_bytes()
}

struct Step {
    name: String,
    kind: &'static str,
    page: String,
    file: PathBuf,
}

/// What the browser reported for one step.
struct Seen(Value);

impl Seen {
    fn status(&self) -> i64 {
        self.0["status"].as_i64().unwrap_or(-1)
    }

    fn body(&self) -> &str {
        self.0["body"].as_str().unwrap_or_default()
    }

    /// Panics unless `ok`, with the step, its screenshot and console log.
    #[track_caller]
    fn ensure(&self, ok: bool, what: impl std::fmt::Display) {
        if ok {
            return;
        }
        let console = self.0["console"]
            .as_array()
            .map(|lines| {
                lines
                    .iter()
                    .map(|l| format!("    {}", l.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        let mut report = self.0.clone();
        report.as_object_mut().unwrap().remove("console");
        panic!(
            "browser step {:?}: {what}\n  step error: {}\n  screenshot: {}\n  console log: {}\n  \
             console:\n{console}\n  reported: {report}",
            self.0["name"].as_str().unwrap_or_default(),
            self.0["error"].as_str().unwrap_or("none"),
            self.0["screenshot"].as_str().unwrap_or("none taken"),
            self.0["console_log"].as_str().unwrap_or("none"),
        );
    }
}

/// Runs the steps in one headless Chromium; returns what it saw, by step
/// name.
fn run_browser(dir: &Path, steps: &[Step]) -> HashMap<String, Seen> {
    let browser = browser();
    let spec = json!({
        "chromium": browser.chromium,
        "playwright": browser.playwright,
        "artifacts": dir,
        "steps": steps.iter().map(|s| json!({
            "name": s.name, "kind": s.kind, "page": s.page, "file": s.file,
        })).collect::<Vec<_>>(),
    });
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/run.mjs");
    let started = Instant::now();
    let output = Command::new("node")
        .arg(&script)
        .arg(&spec_path)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `node` ({e}): the browser suite needs Node.js 20 or later")
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "{} failed ({}): no report\n-- stdout:\n{stdout}\n-- stderr:\n{stderr}\n\
                 (artifacts: {})",
                script.display(),
                output.status,
                dir.display()
            )
        });
    assert!(
        output.status.success(),
        "{} exited with {}\n{stderr}",
        script.display(),
        output.status
    );
    println!(
        "{} ran {} steps in {:.1} s",
        report["browser"],
        steps.len(),
        started.elapsed().as_secs_f64()
    );
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), Seen(s.clone())))
        .collect()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join("files").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The `<Code>` of an S3 error body.
fn error_code(body: &str) -> &str {
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("(no code)", |(code, _)| code)
}

/// Up to `max` bytes of `text/plain` under `prefix`, metadata, 201.
fn policy(server: &Server, prefix: &str, max: u64) -> Policy {
    Policy::builder()
        .bucket(&server.bucket)
        .unwrap()
        .key_starts_with(prefix)
        .unwrap()
        .content_length_range(1..=max)
        .unwrap()
        .content_type("text/plain")
        .unwrap()
        .meta("origin", "e2e")
        .unwrap()
        .success_action_status(201)
        .unwrap()
        .expires_in(Duration::minutes(10))
        .build()
        .unwrap()
}

#[test]
fn the_rendered_form_uploads_from_a_real_browser() {
    let dir = artifacts("form");
    let servers = servers();
    let max = 1024;
    let small = "hello from a real browser: é, 日本, 🎉\n"
        .as_bytes()
        .to_vec();
    let large = vec![b'x'; max as usize + 1];
    let small_file = write_file(&dir, "hello.txt", &small);
    let large_file = write_file(&dir, "large.txt", &large);

    let mut pages = HashMap::new();
    let mut cases = Vec::new();
    for server in &servers {
        let signer = signer(server);
        let policy = policy(server, "browser/form/", max);
        for (case, file) in [("accepted", &small_file), ("too-large", &large_file)] {
            let key = format!("browser/form/{case}.txt");
            let signed = signer
                .sign_with(&policy, SignOptions::new().key(&key))
                .unwrap();
            pages.insert(
                format!("/{}/{case}.html", server.name),
                ("text/html; charset=utf-8", form_page(&signed)),
            );
            cases.push((server, case, key, file.clone()));
        }
    }
    let site = PageServer::start(pages);
    let steps: Vec<Step> = cases
        .iter()
        .map(|(server, case, _, file)| Step {
            name: format!("form-{}-{case}", server.name),
            kind: "form",
            page: format!("{}/{}/{case}.html", site.origin, server.name),
            file: file.clone(),
        })
        .collect();
    let seen = run_browser(&dir, &steps);

    for (server, case, key, _) in &cases {
        let step = &seen[&format!("form-{}-{case}", server.name)];
        step.ensure(step.0["ok"] == true, "the browser step failed");
        let object = get(server, key);
        if *case == "accepted" {
            step.ensure(
                step.status() == 201,
                format!("{}: expected 201, got {}", server.name, step.status()),
            );
            step.ensure(
                step.body().contains(&format!("<Key>{key}</Key>")),
                format!("{}: the 201 body names no key", server.name),
            );
            step.ensure(
                object.status == 200 && object.bytes == small,
                format!(
                    "{}: {key:?} read back {} with {} bytes",
                    server.name,
                    object.status,
                    object.bytes.len()
                ),
            );
            step.ensure(
                object.content_type.as_deref() == Some("text/plain")
                    && object.meta_origin.as_deref() == Some("e2e"),
                format!(
                    "{}: stored Content-Type {:?}, x-amz-meta-origin {:?}",
                    server.name, object.content_type, object.meta_origin
                ),
            );
        } else {
            step.ensure(
                (400..500).contains(&step.status()),
                format!(
                    "{}: {} bytes over a {max}-byte limit: expected a refusal, got {}",
                    server.name,
                    large.len(),
                    step.status()
                ),
            );
            step.ensure(
                step.body().contains("<Error>"),
                format!("{}: the refusal has no S3 error body", server.name),
            );
            step.ensure(
                object.status == 404,
                format!(
                    "{}: a refused upload left an object at {key:?} ({})",
                    server.name, object.status
                ),
            );
            println!(
                "{}: {} bytes refused with {} {}",
                server.name,
                large.len(),
                step.status(),
                error_code(step.body())
            );
        }
    }
}

#[test]
fn a_page_on_another_origin_uploads_with_progress() {
    let dir = artifacts("xhr");
    let servers = servers();
    let max = 4 << 20;
    // Large enough for the upload to take more than one progress event.
    let bytes: Vec<u8> = (0..(1 << 20))
        .map(|i: u32| b"abcdefghijklmnopqrstuvwxyz\n"[(i % 27) as usize])
        .collect();
    let file = write_file(&dir, "big.txt", &bytes);

    let mut pages = HashMap::new();
    pages.insert(
        "/upload.html".to_string(),
        (
            "text/html; charset=utf-8",
            std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/upload.html"))
                .unwrap(),
        ),
    );
    let mut keys = Vec::new();
    for server in &servers {
        let key = "browser/xhr/big.txt".to_string();
        let signed = signer(server)
            .sign_with(
                &policy(server, "browser/xhr/", max),
                SignOptions::new().key(&key),
            )
            .unwrap();
        // What a back end would hand the page: the runtime's JSON.
        pages.insert(
            format!("/{}/signed.json", server.name),
            ("application/json", signed.to_json().into_bytes()),
        );
        keys.push(key);
    }
    let site = PageServer::start(pages);

    for server in &servers {
        assert_ne!(
            site.origin,
            server.origin(),
            "the page needs its own origin"
        );
        let reply = put_bucket_cors(server, &site.origin);
        if has_quirk(server, "no-cors") {
            assert_eq!(
                reply.status,
                501,
                "{}: quirk gone? PUT ?cors: {}",
                server.name,
                reply.text()
            );
        } else {
            assert_eq!(
                reply.status,
                200,
                "{}: PUT ?cors: {}",
                server.name,
                reply.text()
            );
        }
    }

    let steps: Vec<Step> = servers
        .iter()
        .map(|server| Step {
            name: format!("xhr-{}", server.name),
            kind: "xhr",
            page: format!(
                "{}/upload.html?signed=/{}/signed.json",
                site.origin, server.name
            ),
            file: file.clone(),
        })
        .collect();
    let seen = run_browser(&dir, &steps);

    for (server, key) in servers.iter().zip(&keys) {
        let step = &seen[&format!("xhr-{}", server.name)];
        step.ensure(step.0["ok"] == true, "the browser step failed");
        step.ensure(
            step.0["file_size"] == bytes.len(),
            "the page saw another file",
        );
        let progress = step.0["progress"].as_array().cloned().unwrap_or_default();
        let object = get(server, key);
        if has_quirk(server, "no-cors") {
            // Upload listeners make the request need a preflight, which the
            // server does not answer with CORS headers: nothing is sent.
            step.ensure(
                step.status() == 0 && step.0["events"] == json!(["error"]),
                format!("{}: quirk gone? the upload was not blocked", server.name),
            );
            step.ensure(
                object.status == 404,
                format!("{}: a blocked upload left an object", server.name),
            );
            continue;
        }
        step.ensure(
            step.status() == 201 && step.0["events"] == json!(["load"]),
            format!(
                "{}: expected a readable 201, got {}",
                server.name,
                step.status()
            ),
        );
        step.ensure(
            step.body().contains(&format!("<Key>{key}</Key>")),
            format!("{}: the response names no key", server.name),
        );
        step.ensure(
            step.0["etag"].as_str().is_some_and(|e| !e.is_empty()),
            format!("{}: the exposed ETag header is unreadable", server.name),
        );
        step.ensure(
            !progress.is_empty(),
            format!("{}: no upload progress event", server.name),
        );
        let last = progress.last().unwrap();
        let total = last["total"].as_u64().unwrap_or(0);
        step.ensure(
            last["computable"] == true
                && last["loaded"].as_u64() == Some(total)
                && total >= bytes.len() as u64,
            format!(
                "{}: progress ends at {last} for a {}-byte file",
                server.name,
                bytes.len()
            ),
        );
        step.ensure(
            progress
                .windows(2)
                .all(|w| w[0]["loaded"].as_u64() <= w[1]["loaded"].as_u64()),
            format!("{}: progress went backwards", server.name),
        );
        step.ensure(
            object.status == 200 && object.bytes == bytes,
            format!(
                "{}: {key:?} read back {} with {} bytes",
                server.name,
                object.status,
                object.bytes.len()
            ),
        );
        step.ensure(
            object.content_type.as_deref() == Some("text/plain"),
            format!(
                "{}: stored Content-Type {:?}",
                server.name, object.content_type
            ),
        );
        println!(
            "{}: {} progress events, last {last}",
            server.name,
            progress.len()
        );
    }
}
