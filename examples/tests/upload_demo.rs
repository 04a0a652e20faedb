//! The upload demo in a real browser (headless Chromium driven by
//! playwright-core through `tests/browser/run.mjs`), once against the local
//! S3 POST endpoint it starts in-process, and once against each real store
//! of `POST_POLICY_E2E` that has bucket CORS (Garage, as `./test.sh` starts
//! it), in the demo's store mode:
//!
//! - a valid PNG is checked, uploaded with progress up to 100%, recorded by
//!   the service once the store has it (a presigned `HEAD`), and previewed
//!   from the store (a presigned `GET`);
//! - a file over the declared 5 MB is refused by the page's own checks;
//! - the same file with those checks skipped is refused by the storage, and
//!   the page says so in the storage's words.
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

fn env_path(name: &str) -> PathBuf {
    let value = std::env::var_os(name).unwrap_or_else(|| {
        panic!("{name} is not set: the demo's browser test needs it; run ./test.sh, which sets it")
    });
    let path = PathBuf::from(value);
    assert!(path.exists(), "{name}={} does not exist", path.display());
    path
}

/// A valid PNG, `width` x `height` RGB, a gradient, uncompressed (stored
/// deflate blocks).
fn png(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.extend_from_slice(&[(x * 255 / width) as u8, (y * 255 / height) as u8, 160]);
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[track_caller]
fn ensure(step: &Value, ok: bool, what: &str) {
    assert!(
        ok,
        "demo step {}: {what}\n  screenshot: {}\n  console log: {}\n  reported: {step}",
        step["name"], step["screenshot"], step["console_log"]
    );
}

/// The files the steps upload, under `dir/files`: a valid PNG and one
/// over the declared 5 MB.
struct Files {
    photo: Vec<u8>,
    photo_file: PathBuf,
    huge_file: PathBuf,
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
    (
        dir,
        Files {
            photo,
            photo_file,
            huge_file,
        },
    )
}

/// Runs the three steps on the demo's page in Chromium; the report of each
/// step, by name.
fn run_steps(dir: &Path, files: &Files, demo: &app::Demo) -> HashMap<String, Value> {
    let chromium = env_path("POST_POLICY_CHROMIUM");
    let playwright = env_path("POST_POLICY_PLAYWRIGHT");
    assert_ne!(demo.url(), demo.store_url(), "the store is another origin");
    let steps = [
        ("demo-photo", &files.photo_file, false),
        ("demo-huge-page-check", &files.huge_file, false),
        ("demo-huge-storage", &files.huge_file, true),
    ];
    let spec = json!({
        "chromium": chromium,
        "playwright": playwright,
        "artifacts": dir,
        "steps": steps.iter().map(|(name, file, skip)| json!({
            "name": name, "kind": "demo", "page": demo.url(), "file": file, "skip_checks": skip,
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

/// What every run must show: the photo stored, recorded and previewed with
/// the progress bar at 100%, the huge file refused by the page, then by the
/// storage with `status` and S3 error `code`, in words.
fn check_steps(seen: &HashMap<String, Value>, status: u16, code: &str) {
    let step = &seen["demo-photo"];
    ensure(step, step["ok"] == true, "the browser step failed");
    ensure(
        step,
        step["outcome"] == "stored",
        "the photo was not stored",
    );
    ensure(
        step,
        step["key"] == "user/42/photo.png",
        "stored under another key",
    );
    ensure(
        step,
        step["progress"] == 100,
        "the progress bar did not reach 100%",
    );
    ensure(
        step,
        step["natural_width"] == 640,
        "the preview did not load from the store",
    );
    let screenshot = step["screenshot"].as_str().unwrap_or_default();
    ensure(
        step,
        Path::new(screenshot).is_file(),
        "no screenshot of the finished page",
    );

    let step = &seen["demo-huge-page-check"];
    ensure(step, step["ok"] == true, "the browser step failed");
    ensure(
        step,
        step["outcome"] == "rejected",
        "the page's check did not refuse the file",
    );
    let text = step["text"].as_str().unwrap_or_default();
    ensure(
        step,
        text.contains("5000001 bytes") && text.contains("5000000"),
        "the page does not say why",
    );

    let step = &seen["demo-huge-storage"];
    ensure(step, step["ok"] == true, "the browser step failed");
    ensure(
        step,
        step["outcome"] == "refused" && step["status"] == status,
        &format!("the storage did not refuse with {status}"),
    );
    ensure(
        step,
        step["code"] == code,
        &format!("not the storage's code for a file too large ({code})"),
    );
    let text = step["text"].as_str().unwrap_or_default();
    ensure(
        step,
        text.contains(&format!("The storage refused the upload: {code} (")),
        "the refusal is not shown in words",
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
    check_steps(&seen, 400, "EntityTooLarge");
    check_records_only_stored_keys(&demo);
    assert_eq!(
        demo.uploads(),
        ["user/42/photo.png"],
        "what the service recorded"
    );
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
    for key in ["user/42/photo.png", "user/42/huge.png"] {
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
        "InvalidRequest"
    } else {
        "EntityTooLarge"
    };
    check_steps(&seen, 400, too_large);
    check_records_only_stored_keys(&demo);
    assert_eq!(
        demo.uploads(),
        ["user/42/photo.png"],
        "{}: what the service recorded",
        server.name
    );
    let stored = support::get(server, "user/42/photo.png");
    assert_eq!(
        stored.status, 200,
        "{}: the photo is not stored",
        server.name
    );
    assert!(
        stored.bytes == files.photo,
        "{}: other bytes stored",
        server.name
    );
    assert_eq!(
        stored.content_type.as_deref(),
        Some("image/png"),
        "{}: stored Content-Type",
        server.name
    );
    assert_eq!(
        support::get(server, "user/42/huge.png").status,
        404,
        "{}: the refused file was stored",
        server.name
    );
}
