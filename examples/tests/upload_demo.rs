//! The upload demo in a real browser (headless Chromium driven by
//! playwright-core through `tests/browser/run.mjs`), against the local S3
//! POST endpoint it starts in-process:
//!
//! - a valid PNG is checked, uploaded with progress up to 100%, recorded by
//!   the service once the store has it, and previewed from the store;
//! - a file over the declared 5 MB is refused by the page's own checks;
//! - the same file with those checks skipped is refused by the storage, and
//!   the page says so in the storage's words.
//!
//! Like `tests/tests/browser.rs` it fails, never skips, without
//! `POST_POLICY_CHROMIUM` and `POST_POLICY_PLAYWRIGHT` (`./test.sh` sets
//! them). Screenshots and console logs of every step are kept under
//! `target/tmp/browser-artifacts/demo/`.

#[allow(dead_code)]
#[path = "../upload_demo/app.rs"]
mod app;

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

#[test]
fn the_upload_demo_uploads_previews_and_shows_refusals() {
    let chromium = env_path("POST_POLICY_CHROMIUM");
    let playwright = env_path("POST_POLICY_PLAYWRIGHT");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-artifacts/demo");
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

    let demo = app::start(
        "127.0.0.1:0".parse().unwrap(),
        app::Storage::Local {
            dir: dir.join("data"),
        },
    )
    .unwrap();
    assert_ne!(demo.url(), demo.store_url(), "the store is another origin");

    let steps = [
        ("demo-photo", &photo_file, false),
        ("demo-huge-page-check", &huge_file, false),
        ("demo-huge-storage", &huge_file, true),
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
    let seen: HashMap<&str, &Value> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s))
        .collect();

    let step = seen["demo-photo"];
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

    let step = seen["demo-huge-page-check"];
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

    let step = seen["demo-huge-storage"];
    ensure(step, step["ok"] == true, "the browser step failed");
    ensure(
        step,
        step["outcome"] == "refused" && step["status"] == 400,
        "the storage did not refuse",
    );
    ensure(
        step,
        step["code"] == "EntityTooLarge",
        "not S3's code for a file too large",
    );
    let text = step["text"].as_str().unwrap_or_default();
    ensure(
        step,
        text.contains("The storage refused the upload: EntityTooLarge ("),
        "the refusal is not shown in words",
    );

    assert_eq!(
        demo.uploads(),
        ["user/42/photo.png"],
        "what the service recorded"
    );
}
