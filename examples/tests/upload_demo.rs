//! The upload demo in a real browser (headless Chromium driven by
//! playwright-core through `tests/browser/run.mjs`), once against the local
//! S3 POST endpoint it starts in-process, and once against each real store
//! of `POST_POLICY_E2E` that has bucket CORS (Garage, as `./test.sh` starts
//! it), in the demo's store mode:
//!
//! - the file picker offers `image/*`, from the declaration's Content-Type
//!   prefix;
//! - a valid PNG, picked, is checked, uploaded with progress up to 100%,
//!   recorded by the service once the store has it (a presigned `HEAD`),
//!   and previewed from the store (a presigned `GET`); another, dropped on
//!   the page, is too;
//! - a file over the declared 5 MB, and a text file, are refused by the
//!   page's own checks;
//! - the same files with those checks skipped are refused by the storage,
//!   and the page says so in the storage's words.
//!
//! Like `tests/tests/browser.rs` it fails, never skips, without
//! `POST_POLICY_CHROMIUM` and `POST_POLICY_PLAYWRIGHT` (`./test.sh` sets
//! them); the run against real stores is skipped, with the reason printed,
//! without `POST_POLICY_E2E`. Screenshots and console logs of every step
//! are kept under `target/tmp/browser-artifacts/demo/` and
//! `.../demo-SERVER/`.

#[allow(dead_code)]
#[path = "../upload_demo/app.rs"]
mod app;

// The end-to-end suites' servers and signed S3 requests (bucket CORS,
// reading objects back).
#[path = "../../tests/tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

#[path = "common/png.rs"]
mod png;
use png::png;

fn env_path(name: &str) -> PathBuf {
    let value = std::env::var_os(name).unwrap_or_else(|| {
        panic!("{name} is not set: the demo's browser test needs it; run ./test.sh, which sets it")
    });
    let path = PathBuf::from(value);
    assert!(path.exists(), "{name}={} does not exist", path.display());
    path
}

#[track_caller]
fn ensure(step: &Value, ok: bool, what: &str) {
    assert!(
        ok,
        "demo step {}: {what}\n  screenshot: {}\n  console log: {}\n  reported: {step}",
        step["name"], step["screenshot"], step["console_log"]
    );
}

/// The files the steps upload, under `dir/files`: two valid PNGs (one to
/// pick, one to drop), one over the declared 5 MB, a text file, and two
/// more PNGs to pick at once with the text file.
struct Files {
    photo: Vec<u8>,
    photo_file: PathBuf,
    dropped: Vec<u8>,
    dropped_file: PathBuf,
    huge_file: PathBuf,
    text_file: PathBuf,
    gallery: Vec<(Vec<u8>, PathBuf)>,
}

/// A fresh artifacts directory `browser-artifacts/NAME` with the files.
fn artifacts(name: &str) -> (PathBuf, Files) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser-artifacts")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("files")).unwrap();
    println!("browser artifacts: {}", dir.display());

    let photo = png(640, 400);
    assert!(
        photo.len() > 700_000,
        "large enough for several progress events"
    );
    let photo_file = dir.join("files/photo.png");
    std::fs::write(&photo_file, &photo).unwrap();
    let mut huge = photo.clone();
    huge.resize(5_000_001, 0);
    let huge_file = dir.join("files/huge.png");
    std::fs::write(&huge_file, &huge).unwrap();
    let dropped = png(320, 200);
    let dropped_file = dir.join("files/dropped.png");
    std::fs::write(&dropped_file, &dropped).unwrap();
    let text_file = dir.join("files/notes.txt");
    std::fs::write(&text_file, "not an image\n").unwrap();
    let gallery = [("gallery-1.png", 200, 100), ("gallery-2.png", 100, 200)]
        .map(|(name, width, height)| {
            let bytes = png(width, height);
            let path = dir.join("files").join(name);
            std::fs::write(&path, &bytes).unwrap();
            (bytes, path)
        })
        .to_vec();
    (
        dir,
        Files {
            photo,
            photo_file,
            dropped,
            dropped_file,
            huge_file,
            text_file,
            gallery,
        },
    )
}

/// Runs the steps on the demo's page in Chromium; the report of each step,
/// by name.
fn run_steps(dir: &Path, files: &Files, demo: &app::Demo) -> HashMap<String, Value> {
    let chromium = env_path("POST_POLICY_CHROMIUM");
    let playwright = env_path("POST_POLICY_PLAYWRIGHT");
    assert_ne!(demo.url(), demo.store_url(), "the store is another origin");
    // Name, files, skip the page's checks, drop instead of picking.
    let several = vec![&files.gallery[0].1, &files.gallery[1].1, &files.text_file];
    let steps = [
        ("demo-photo", vec![&files.photo_file], false, false),
        ("demo-dropped", vec![&files.dropped_file], false, true),
        ("demo-huge-page-check", vec![&files.huge_file], false, false),
        ("demo-huge-storage", vec![&files.huge_file], true, false),
        ("demo-text-page-check", vec![&files.text_file], false, false),
        ("demo-text-storage", vec![&files.text_file], true, true),
        ("demo-several", several, true, false),
    ];
    let spec = json!({
        "chromium": chromium,
        "playwright": playwright,
        "artifacts": dir,
        "steps": steps.iter().map(|(name, files, skip, drop)| json!({
            "name": name, "kind": "demo", "page": demo.url(), "files": files,
            "skip_checks": skip, "drop": drop,
        })).collect::<Vec<_>>(),
    });
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/browser/run.mjs");
    let output = Command::new("node")
        .arg(&script)
        .arg(&spec_path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `node` ({e}): the browser test needs Node.js 20+"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "{} failed ({}): no report\n{stdout}\n{}",
                script.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
    assert!(output.status.success(), "{} failed", script.display());
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

/// What a refusal by the storage looks like in the page.
#[derive(Clone, Copy)]
struct Refusal {
    status: u16,
    code: &'static str,
}

/// How S3 refuses a file above `content-length-range`.
const TOO_LARGE: Refusal = Refusal {
    status: 400,
    code: "EntityTooLarge",
};

/// How S3 refuses a form whose Content-Type the policy does not allow
/// ("Invalid according to Policy: Policy Condition failed").
const WRONG_TYPE: Refusal = Refusal {
    status: 403,
    code: "AccessDenied",
};

/// What every run must show: the picker filtered to `image/*`; the photo
/// stored, recorded and previewed with the progress bar at 100%, the dropped
/// one too; the huge file and the text file refused by the page, then by
/// the storage as `too_large` and `wrong_type`, in words.
fn check_steps(seen: &HashMap<String, Value>, too_large: Refusal, wrong_type: Refusal) {
    for (name, key, width) in [
        ("demo-photo", "user/42/photo.png", 640),
        ("demo-dropped", "user/42/dropped.png", 320),
    ] {
        let step = &seen[name];
        ensure(step, step["ok"] == true, "the browser step failed");
        ensure(
            step,
            step["accept"] == "image/*",
            "the file picker does not offer what the policy allows",
        );
        ensure(
            step,
            step["outcome"] == "stored",
            "the image was not stored",
        );
        ensure(step, step["key"] == key, "stored under another key");
        ensure(
            step,
            step["progress"] == 100,
            "the progress bar did not reach 100%",
        );
        ensure(
            step,
            step["natural_width"] == width,
            "the preview did not load from the store",
        );
        ensure_listed(step, &[key]);
        ensure_explained(
            step,
            &[
                "For the file, the service signed a form",
                "straight to the store",
                "and stored 1 file.",
            ],
        );
        let screenshot = step["screenshot"].as_str().unwrap_or_default();
        ensure(
            step,
            Path::new(screenshot).is_file(),
            "no screenshot of the finished page",
        );
    }

    for (name, why) in [
        (
            "demo-huge-page-check",
            [
                "huge.png is 5 MB (5,000,001 bytes)",
                "files of 1 byte to 5 MB are allowed",
            ],
        ),
        (
            "demo-text-page-check",
            ["type \"text/plain\"", "only image/* is allowed"],
        ),
    ] {
        let step = &seen[name];
        ensure(step, step["ok"] == true, "the browser step failed");
        ensure(
            step,
            step["outcome"] == "rejected",
            "the page's check did not refuse the file",
        );
        let text = step["text"].as_str().unwrap_or_default();
        ensure(
            step,
            text.starts_with("Not sent: ") && why.iter().all(|w| text.contains(w)),
            "the page does not say why",
        );
        ensure_explained(
            step,
            &["This page refused 1 file before asking for a form."],
        );
    }

    for (name, refusal, what) in [
        ("demo-huge-storage", too_large, "a file too large"),
        (
            "demo-text-storage",
            wrong_type,
            "a Content-Type outside the policy",
        ),
    ] {
        let step = &seen[name];
        ensure(step, step["ok"] == true, "the browser step failed");
        ensure(
            step,
            step["outcome"] == "refused" && step["status"] == refusal.status,
            &format!("the storage did not refuse {what} with {}", refusal.status),
        );
        ensure(
            step,
            step["code"] == refusal.code,
            &format!("not the storage's code for {what} ({})", refusal.code),
        );
        let text = step["text"].as_str().unwrap_or_default();
        ensure(
            step,
            text.contains(&format!(
                "The storage refused the upload: {} (",
                refusal.code
            )),
            "the refusal is not shown in words",
        );
        ensure_explained(step, &["and refused 1 file with its own error."]);
    }

    // Three files at once, the page's checks skipped: the two images are
    // stored, listed with links and previewed; the store refuses the text.
    let step = &seen["demo-several"];
    ensure(step, step["ok"] == true, "the browser step failed");
    let results = step["files"].as_array().cloned().unwrap_or_default();
    ensure(step, results.len() == 3, "not one result per file");
    for (result, (key, width)) in results.iter().zip([
        ("user/42/gallery-1.png", 200),
        ("user/42/gallery-2.png", 100),
    ]) {
        ensure(
            step,
            result["outcome"] == "stored"
                && result["key"] == key
                && result["progress"] == 100
                && result["natural_width"] == width,
            &format!("{key} was not stored, with its progress and preview"),
        );
    }
    ensure(
        step,
        results[2]["outcome"] == "refused" && results[2]["code"] == wrong_type.code,
        "the store did not refuse the text file among the images",
    );
    ensure_listed(step, &["user/42/gallery-1.png", "user/42/gallery-2.png"]);
    ensure_explained(
        step,
        &[
            "For each of the 3 files, the service signed a form",
            "the bytes never passed through the service",
            "and stored 2 files and refused 1 file with its own error.",
        ],
    );
}

/// The page lists exactly `keys` as uploaded, each linked to the store with a
/// presigned URL.
#[track_caller]
fn ensure_listed(step: &Value, keys: &[&str]) {
    let links = step["uploaded"].as_array().cloned().unwrap_or_default();
    let mut listed: Vec<&str> = links.iter().filter_map(|l| l["text"].as_str()).collect();
    listed.sort_unstable();
    ensure(
        step,
        listed == keys,
        "the list of uploads is not what was stored",
    );
    ensure(
        step,
        links.iter().all(|l| {
            l["href"]
                .as_str()
                .is_some_and(|h| h.contains("X-Amz-Signature="))
        }),
        "an upload is not linked with a presigned URL",
    );
}

/// The page's explanation of what just happened says each of `parts`.
#[track_caller]
fn ensure_explained(step: &Value, parts: &[&str]) {
    let text = step["explanation"].as_str().unwrap_or_default();
    ensure(
        step,
        text.starts_with("What just happened: ") && parts.iter().all(|p| text.contains(p)),
        &format!("the page does not explain what happened: {parts:?}"),
    );
}

/// The service records only what the store has: a key never uploaded is
/// refused with 409, the store's 404 in words.
fn check_records_only_stored_keys(demo: &app::Demo) {
    let reply = support::client()
        .post(format!("{}/uploads/done", demo.url()))
        .header("content-type", "application/json")
        .body(r#"{"key": "user/42/never-uploaded.png"}"#)
        .send()
        .unwrap();
    let status = reply.status().as_u16();
    let text = reply.text().unwrap_or_default();
    assert!(
        status == 409 && text.contains("has no \"user/42/never-uploaded.png\" (404"),
        "a key the store does not have: {status} {text}"
    );
}

#[test]
fn the_upload_demo_uploads_previews_and_shows_refusals() {
    let (dir, files) = artifacts("demo");
    let demo = app::start(
        "127.0.0.1:0".parse().unwrap(),
        app::Storage::Local {
            dir: dir.join("data"),
        },
    )
    .unwrap();
    let seen = run_steps(&dir, &files, &demo);
    check_steps(&seen, TOO_LARGE, WRONG_TYPE);
    check_records_only_stored_keys(&demo);
    check_recorded(&demo, "local");
}

/// What the service recorded: the picked and the dropped photo, then the two
/// images picked at once (in the order their uploads ended).
fn check_recorded(demo: &app::Demo, server: &str) {
    let mut recorded = demo.uploads();
    assert!(recorded.len() == 4, "{server}: recorded {recorded:?}");
    recorded[2..].sort();
    assert_eq!(
        recorded,
        [
            "user/42/photo.png",
            "user/42/dropped.png",
            "user/42/gallery-1.png",
            "user/42/gallery-2.png"
        ],
        "{server}: what the service recorded"
    );
}

/// `GET /uploads/new` of a running demo: `{"url", "fields"}` and its
/// policy JSON, decoded.
fn new_upload(demo: &app::Demo) -> (Value, Value) {
    use base64::Engine as _;
    let reply = support::client()
        .get(format!("{}/uploads/new", demo.url()))
        .send()
        .unwrap();
    assert_eq!(reply.status(), 200, "GET /uploads/new");
    let signed: Value = serde_json::from_str(&reply.text().unwrap()).unwrap();
    let policy = base64::engine::general_purpose::STANDARD
        .decode(signed["fields"]["policy"].as_str().unwrap())
        .unwrap();
    (signed, serde_json::from_slice(&policy).unwrap())
}

#[test]
fn the_demo_signs_a_fresh_form_for_the_current_user_on_every_request() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-fresh-forms");
    let _ = std::fs::remove_dir_all(&dir);
    let demo = app::start("127.0.0.1:0".parse().unwrap(), app::Storage::Local { dir }).unwrap();
    let (first, first_policy) = new_upload(&demo);
    // x-amz-date has whole seconds.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let before = time::OffsetDateTime::now_utc();
    let (second, policy) = new_upload(&demo);
    let after = time::OffsetDateTime::now_utc();

    // serde_json's map lists keys sorted.
    let keys: Vec<_> = second.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["fields", "url"], "boto3's shape");
    assert_eq!(second["url"], demo.store_url());
    let fields = &second["fields"];
    assert_eq!(
        fields["key"], "user/42/${filename}",
        "the current user's folder"
    );
    assert_eq!(fields["success_action_status"], "201");
    assert_ne!(
        first["fields"]["x-amz-date"], fields["x-amz-date"],
        "signed per request, not once"
    );
    assert_ne!(
        first["fields"]["x-amz-signature"],
        fields["x-amz-signature"]
    );
    assert_ne!(first_policy["expiration"], policy["expiration"]);

    // Valid for the declared 10 minutes from the request.
    let expiration = time::OffsetDateTime::parse(
        policy["expiration"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let lifetime = time::Duration::minutes(10);
    assert!(
        expiration >= (before + lifetime).replace_millisecond(0).unwrap()
            && expiration <= after + lifetime,
        "expiration {expiration} is not 10 minutes after the request ({before} to {after})"
    );
    let conditions = policy["conditions"].to_string();
    for condition in [
        r#"["starts-with","$key","user/42/"]"#,
        r#"["content-length-range",1,5000000]"#,
        r#"["starts-with","$Content-Type","image/"]"#,
        r#"{"bucket":"uploads"}"#,
    ] {
        assert!(
            conditions.contains(condition),
            "{condition} not in {conditions}"
        );
    }
}

/// The example binary, as `cargo test` builds it with the tests.
fn demo_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples")
        .join(format!("upload-demo{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: `cargo test -p examples` builds it with the tests (a `--test` filter \
         alone does not)",
        bin.display()
    );
    bin
}

#[test]
fn the_readmes_first_command_serves_the_demo_on_the_local_endpoint() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    // As on a developer's machine: AWS credentials set, no UPLOAD_DEMO_BUCKET.
    let mut child = Command::new(demo_binary())
        .args(["--port", "0"])
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .env_remove("UPLOAD_DEMO_BUCKET")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut printed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("upload-demo stopped before printing the URL: {printed:?}");
        };
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("open ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let page = support::client()
        .get(&url)
        .send()
        .map(|r| (r.status(), r.text()));
    let form = support::client()
        .get(format!("{url}/uploads/new"))
        .send()
        .and_then(|r| r.text());
    let _ = child.kill();
    let _ = child.wait();

    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        printed[0].contains("UPLOAD_DEMO_BUCKET is not: using the local endpoint"),
        "no word on the unused credentials: {printed:?}"
    );
    assert!(
        printed
            .iter()
            .any(|l| l.starts_with("uploads go to the local S3 POST endpoint at http://127.0.0.1:")),
        "{printed:?}"
    );
    let (status, body) = page.unwrap();
    assert_eq!(status, 200);
    let body = body.unwrap();
    assert!(
        body.contains("<h1>Upload images</h1>") && body.contains(r#""content_length":[1,5000000]"#),
        "the page with the declaration's rules: {body}"
    );
    let form: Value = serde_json::from_str(&form.unwrap()).unwrap();
    assert_eq!(form["fields"]["key"], "user/42/${filename}");
    assert!(form["url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));

    let bad = Command::new(demo_binary())
        .args(["--port", "eighty"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("usage: upload-demo [--port PORT]"));
}

#[test]
fn the_upload_demo_uploads_to_real_stores() {
    let Ok(raw) = std::env::var("POST_POLICY_E2E") else {
        println!(
            "skipped: POST_POLICY_E2E is not set; ./test.sh starts Garage and sets it for the \
             demo's run against a real store"
        );
        return;
    };
    for server in support::parse_servers(&raw) {
        if support::has_quirk(&server, "no-cors") {
            println!(
                "{}: skipped: no bucket CORS (quirk no-cors), so a page cannot upload to it",
                server.name
            );
            continue;
        }
        against_store(&server);
    }
}

/// The demo in store mode, configured through the standard variables,
/// uploading to `server`'s bucket.
fn against_store(server: &support::Server) {
    let (dir, files) = artifacts(&format!("demo-{}", server.name));
    let mut vars = HashMap::from([
        ("AWS_ACCESS_KEY_ID", server.access_key.clone()),
        ("AWS_SECRET_ACCESS_KEY", server.secret.clone()),
        ("AWS_REGION", server.region.clone()),
        ("AWS_ENDPOINT_URL_S3", server.endpoint.clone()),
        ("UPLOAD_DEMO_BUCKET", server.bucket.clone()),
    ]);
    if let Some(token) = &server.session_token {
        vars.insert("AWS_SESSION_TOKEN", token.clone());
    }
    let storage = app::Storage::from_lookup(&|name| vars.get(name).cloned())
        .unwrap()
        .expect("store mode");
    let demo = app::start("127.0.0.1:0".parse().unwrap(), storage).unwrap();
    assert_eq!(
        demo.store_url(),
        format!("{}/{}", server.endpoint, server.bucket),
        "{}: path-style, at the custom endpoint",
        server.name
    );

    // The page's origin may post to the bucket.
    let origin = demo.url().trim_end_matches('/');
    let reply = support::put_bucket_cors(server, origin);
    assert_eq!(
        reply.status,
        200,
        "{}: PUT ?cors: {}",
        server.name,
        reply.text()
    );
    // Nothing left from an earlier run.
    for key in [
        "user/42/photo.png",
        "user/42/dropped.png",
        "user/42/huge.png",
        "user/42/notes.txt",
        "user/42/gallery-1.png",
        "user/42/gallery-2.png",
    ] {
        let path = support::object_path(server, key);
        let reply = support::s3_request(server, "DELETE", &path, "", &[], &[]);
        assert!(
            (200..300).contains(&reply.status),
            "{}: DELETE {key}: {} {}",
            server.name,
            reply.status,
            reply.text()
        );
        assert_eq!(
            support::get(server, key).status,
            404,
            "{}: {key}",
            server.name
        );
    }

    let seen = run_steps(&dir, &files, &demo);
    let too_large = if support::has_quirk(server, "size-refused-as-invalid-request") {
        Refusal {
            status: 400,
            code: "InvalidRequest",
        }
    } else {
        TOO_LARGE
    };
    let wrong_type = if support::has_quirk(server, "condition-refused-as-invalid-request") {
        Refusal {
            status: 400,
            code: "InvalidRequest",
        }
    } else {
        WRONG_TYPE
    };
    check_steps(&seen, too_large, wrong_type);
    check_records_only_stored_keys(&demo);
    check_recorded(&demo, &server.name);
    for (key, bytes) in [
        ("user/42/photo.png", &files.photo),
        ("user/42/dropped.png", &files.dropped),
        ("user/42/gallery-1.png", &files.gallery[0].0),
        ("user/42/gallery-2.png", &files.gallery[1].0),
    ] {
        let stored = support::get(server, key);
        assert_eq!(stored.status, 200, "{}: {key} is not stored", server.name);
        assert!(
            &stored.bytes == bytes,
            "{}: other bytes stored for {key}",
            server.name
        );
        assert_eq!(
            stored.content_type.as_deref(),
            Some("image/png"),
            "{}: stored Content-Type of {key}",
            server.name
        );
    }
    for key in ["user/42/huge.png", "user/42/notes.txt"] {
        assert_eq!(
            support::get(server, key).status,
            404,
            "{}: the refused {key} was stored",
            server.name
        );
    }
}
