//! The upload widgets example in a real browser (headless Chromium driven
//! by playwright-core through `tests/browser/run.mjs`), once against the
//! local S3 POST endpoint it starts in-process, and once against each real
//! store of `POST_POLICY_E2E` that has bucket CORS (Garage, as `./test.sh`
//! starts it). For Uppy (`@uppy/aws-s3`, form POST) and Dropzone, with their
//! bundles served from the npm packages `./test.sh` installs
//! (`POST_POLICY_PLAYWRIGHT`):
//!
//! - with the page's checks skipped, three files given at once (a PNG, a
//!   PNG over the declared 5 MB, a text file) are each posted with a form
//!   the service signed: the PNG lands in the store with the Content-Type
//!   the browser gave and the `x-amz-meta-uploaded-by` the policy says
//!   (read back with a signed `GET`), its progress reaching 100%; the other
//!   two are refused by the store, leave nothing, and the widget and the
//!   page show the store's refusal in words (its XML `Code` and `Message`);
//! - with the page's checks on, the same two are refused by the page before
//!   anything is signed or sent, in words with sizes in human units.
//!
//! The example binary serves each bundle as the npm package has it, only
//! those, and the pages' rules from the declaration; without the packages
//! it exits with where it looked and how to install them.
//!
//! Like `upload_demo.rs` it fails, never skips, without
//! `POST_POLICY_CHROMIUM` and `POST_POLICY_PLAYWRIGHT`; the run against
//! real stores is skipped, with the reason printed, without
//! `POST_POLICY_E2E`. Screenshots of each finished page and console logs
//! are kept under `target/tmp/browser-artifacts/widgets-local/` and
//! `.../widgets-SERVER/`.

#[allow(dead_code)]
#[path = "../upload_widgets/app.rs"]
mod app;
#[path = "common/png.rs"]
mod png;
// The end-to-end suites' servers and signed S3 requests (bucket CORS,
// reading objects back).
#[path = "../../tests/tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{json, Value};

fn env_path(name: &str) -> PathBuf {
    let value = std::env::var_os(name).unwrap_or_else(|| {
        panic!(
            "{name} is not set: the widgets' browser test needs it; run ./test.sh, which sets it"
        )
    });
    let path = PathBuf::from(value);
    assert!(path.exists(), "{name}={} does not exist", path.display());
    path
}

/// The widgets, by page: the CSS selector of the file input each one adds.
const WIDGETS: [(&str, &str); 2] = [
    (
        "uppy",
        "input.uppy-Dashboard-input[multiple]:not([webkitdirectory])",
    ),
    ("dropzone", "input.dz-hidden-input"),
];

/// One widget's files, under `dir/files`, named after it so that both
/// widgets' uploads can share a bucket.
struct Files {
    photo: Vec<u8>,
    paths: [PathBuf; 3],
}

impl Files {
    fn write(dir: &Path, widget: &str) -> Files {
        let photo = png::png(400, 300);
        let mut huge = photo.clone();
        huge.resize(5_000_001, 0);
        let mut paths = Vec::new();
        for (name, bytes) in [
            ("photo.png", photo.clone()),
            ("huge.png", huge),
            ("notes.txt", b"not an image\n".to_vec()),
        ] {
            let path = dir.join("files").join(format!("{widget}-{name}"));
            std::fs::write(&path, bytes).unwrap();
            paths.push(path);
        }
        Files {
            photo,
            paths: paths.try_into().unwrap(),
        }
    }
}

/// A fresh artifacts directory `browser-artifacts/NAME`.
fn artifacts(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser-artifacts")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("files")).unwrap();
    println!("browser artifacts: {}", dir.display());
    dir
}

fn bundles() -> app::Bundles {
    let node_modules = env_path("POST_POLICY_PLAYWRIGHT").join("node_modules");
    app::Bundles::read(&node_modules).unwrap_or_else(|e| {
        panic!(
            "{e}: the widgets' bundles come from tests/browser/package.json, which ./test.sh \
             installs"
        )
    })
}

#[track_caller]
fn ensure(step: &Value, ok: bool, what: &str) {
    assert!(
        ok,
        "widget step {}: {what}\n  screenshot: {}\n  console log: {}\n  reported: {step}",
        step["name"], step["screenshot"], step["console_log"]
    );
}

/// Runs every widget's steps (store's checks, then page's checks) on
/// `widgets` in one Chromium; the report of each step, by name.
fn run_steps(
    dir: &Path,
    widgets: &app::Widgets,
    files: &HashMap<&str, Files>,
) -> HashMap<String, Value> {
    let chromium = env_path("POST_POLICY_CHROMIUM");
    let playwright = env_path("POST_POLICY_PLAYWRIGHT");
    assert_ne!(
        widgets.url(),
        widgets.store_url(),
        "the store is another origin"
    );
    let mut steps = Vec::new();
    for (widget, input) in WIDGETS {
        let paths = &files[widget].paths;
        steps.push(json!({
            "name": format!("{widget}-store"), "kind": "widget",
            "page": format!("{}/{widget}", widgets.url()), "input": input,
            "files": paths, "skip_checks": true,
        }));
        steps.push(json!({
            "name": format!("{widget}-page"), "kind": "widget",
            "page": format!("{}/{widget}", widgets.url()), "input": input,
            "files": &paths[1..], "skip_checks": false,
        }));
    }
    let spec = json!({
        "chromium": chromium, "playwright": playwright, "artifacts": dir, "steps": steps,
    });
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/browser/run.mjs");
    let started = Instant::now();
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
    println!(
        "{} steps in {:.1} s",
        steps.len(),
        started.elapsed().as_secs_f64()
    );
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

/// How a store refuses: HTTP status and S3 code.
type Refusal = (u16, &'static str);

/// What every run must show, for each widget: with the store's checks
/// only, the photo stored with progress to 100%, the huge file and the text
/// file refused by the store as `too_large` and `wrong_type`, in words in
/// the widget and in the page's list; with the page's checks, both refused
/// before sending, in words.
fn check_steps(seen: &HashMap<String, Value>, too_large: Refusal, wrong_type: Refusal) {
    for (widget, _) in WIDGETS {
        let step = &seen[&format!("{widget}-store")];
        ensure(step, step["ok"] == true, "the browser step failed");
        let file = |name: &str| &step["files"][format!("{widget}-{name}")];
        let photo = file("photo.png");
        ensure(
            step,
            photo["outcome"] == "stored",
            "the photo was not stored",
        );
        ensure(
            step,
            photo["key"] == format!("widgets/42/{widget}-photo.png"),
            "stored under another key",
        );
        ensure(
            step,
            photo["progress"].as_array().and_then(|p| p.last()) == Some(&json!(100)),
            "the photo's progress did not reach 100%",
        );
        let outcomes = step["outcomes_text"].as_str().unwrap_or_default();
        ensure(
            step,
            outcomes.contains(&format!(
                "{widget}-photo.png, 360.4 kB: Stored as widgets/42/{widget}-photo.png"
            )),
            "the page does not list the stored photo with its size",
        );
        for (name, (status, code), what) in [
            ("huge.png", too_large, "a file over 5 MB"),
            ("notes.txt", wrong_type, "a text file"),
        ] {
            let refused = file(name);
            ensure(
                step,
                refused["outcome"] == "refused" && refused["status"] == status,
                &format!("the store did not refuse {what} with {status}"),
            );
            ensure(
                step,
                refused["code"] == code,
                &format!("not the store's code for {what} ({code})"),
            );
            let words = refused["words"].as_str().unwrap_or_default();
            ensure(
                step,
                words.starts_with(&format!("Refused by the store: {code} (")),
                &format!("the refusal of {what} is not in words: {words:?}"),
            );
            // Dropzone shows it on the file; Uppy's Dashboard on the file's
            // "?" button, its status bar and its informer.
            let shown = step["widget_text"]
                .as_str()
                .unwrap_or_default()
                .contains(words)
                || step["widget_labels"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|l| l == words));
            ensure(
                step,
                shown,
                &format!("the widget does not show why {what} was refused"),
            );
            ensure(
                step,
                outcomes.contains(&format!("{widget}-{name}, ")) && outcomes.contains(words),
                &format!("the page does not list the refusal of {what}"),
            );
        }
        ensure(
            step,
            outcomes.contains(&format!("{widget}-huge.png, 5 MB (5,000,001 bytes): ")),
            "the huge file's size is not in human units",
        );
        let screenshot = step["screenshot"].as_str().unwrap_or_default();
        ensure(
            step,
            Path::new(screenshot).is_file(),
            "no screenshot of the finished page",
        );

        let step = &seen[&format!("{widget}-page")];
        ensure(step, step["ok"] == true, "the browser step failed");
        for (name, why) in [
            ("huge.png", "Not sent: files of 1 byte to 5 MB are allowed"),
            (
                "notes.txt",
                "Not sent: only image/* is allowed, not text/plain",
            ),
        ] {
            let rejected = &step["files"][format!("{widget}-{name}")];
            ensure(
                step,
                rejected["outcome"] == "rejected" && rejected["words"] == why,
                &format!("the page's check did not refuse {name} in words"),
            );
            // Dropzone shows it on the file; Uppy's Dashboard in its informer.
            let text = step["widget_text"].as_str().unwrap_or_default();
            ensure(
                step,
                text.contains(why),
                &format!("the widget does not show why {name} was not sent"),
            );
        }
    }
}

/// An object as the store holds it: status, Content-Type,
/// `x-amz-meta-uploaded-by` and bytes.
fn read_back(
    server: &support::Server,
    key: &str,
) -> (u16, Option<String>, Option<String>, Vec<u8>) {
    let reply = support::s3_request(
        server,
        "GET",
        &support::object_path(server, key),
        "",
        &[],
        &[],
    );
    (
        reply.status,
        reply.header("content-type"),
        reply.header("x-amz-meta-uploaded-by"),
        reply.body,
    )
}

/// What the store holds after the steps: each widget's photo with the
/// Content-Type and metadata the policy says; nothing for refused files.
fn check_store(server: &support::Server, files: &HashMap<&str, Files>) {
    for (widget, _) in WIDGETS {
        let key = format!("widgets/42/{widget}-photo.png");
        let (status, content_type, uploaded_by, bytes) = read_back(server, &key);
        assert_eq!(status, 200, "{}: {key} is not stored", server.name);
        assert!(
            bytes == files[widget].photo,
            "{}: other bytes stored for {key}",
            server.name
        );
        assert_eq!(
            content_type.as_deref(),
            Some("image/png"),
            "{}: stored Content-Type of {key}",
            server.name
        );
        assert_eq!(
            uploaded_by.as_deref(),
            Some(app::USER),
            "{}: x-amz-meta-uploaded-by of {key}, from meta(\"uploaded-by\") = \"{{user_id}}\"",
            server.name
        );
        for name in ["huge.png", "notes.txt"] {
            let key = format!("widgets/42/{widget}-{name}");
            assert_eq!(
                read_back(server, &key).0,
                404,
                "{}: the refused {key} was stored",
                server.name
            );
        }
    }
}

/// How S3 refuses a file over `content-length-range`, and a Content-Type
/// outside the policy ("Invalid according to Policy").
const TOO_LARGE: Refusal = (400, "EntityTooLarge");
const WRONG_TYPE: Refusal = (403, "AccessDenied");

fn write_files(dir: &Path) -> HashMap<&'static str, Files> {
    WIDGETS
        .iter()
        .map(|(widget, _)| (*widget, Files::write(dir, widget)))
        .collect()
}

#[test]
fn the_widgets_upload_to_the_local_endpoint_and_show_its_refusals() {
    let started = Instant::now();
    let dir = artifacts("widgets-local");
    let files = write_files(&dir);
    let widgets = app::start(
        "127.0.0.1:0".parse().unwrap(),
        app::Storage::Local {
            dir: dir.join("data"),
        },
        bundles(),
    )
    .unwrap();
    let seen = run_steps(&dir, &widgets, &files);
    check_steps(&seen, TOO_LARGE, WRONG_TYPE);
    let endpoint = widgets
        .store_url()
        .strip_suffix(&format!("/{}", app::LOCAL_BUCKET))
        .unwrap();
    let local = support::Server {
        name: "local".into(),
        endpoint: endpoint.into(),
        region: app::LOCAL_REGION.into(),
        access_key: app::LOCAL_ACCESS_KEY.into(),
        secret: app::LOCAL_SECRET.into(),
        session_token: None,
        bucket: app::LOCAL_BUCKET.into(),
    };
    check_store(&local, &files);
    println!("local: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn the_widgets_upload_to_real_stores() {
    let Ok(raw) = std::env::var("POST_POLICY_E2E") else {
        println!(
            "skipped: POST_POLICY_E2E is not set; ./test.sh starts Garage and sets it for the \
             widgets' run against a real store"
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
        let started = Instant::now();
        against_store(&server);
        println!("{}: {:.1} s", server.name, started.elapsed().as_secs_f64());
    }
}

/// The widgets uploading to `server`'s bucket, whose CORS rules let the
/// page's origin `POST` and read `ETag` (which `@uppy/aws-s3` needs).
fn against_store(server: &support::Server) {
    let dir = artifacts(&format!("widgets-{}", server.name));
    let files = write_files(&dir);
    let storage = app::Storage::Store {
        signer: support::signer(server),
        bucket: server.bucket.clone(),
    };
    let widgets = app::start("127.0.0.1:0".parse().unwrap(), storage, bundles()).unwrap();
    let reply = support::put_bucket_cors(server, widgets.url());
    assert_eq!(
        reply.status,
        200,
        "{}: PUT ?cors: {}",
        server.name,
        reply.text()
    );
    // Nothing left from an earlier run.
    for (widget, _) in WIDGETS {
        for name in ["photo.png", "huge.png", "notes.txt"] {
            let key = format!("widgets/42/{widget}-{name}");
            let path = support::object_path(server, &key);
            let reply = support::s3_request(server, "DELETE", &path, "", &[], &[]);
            assert!(
                (200..300).contains(&reply.status),
                "{}: DELETE {key}: {} {}",
                server.name,
                reply.status,
                reply.text()
            );
        }
    }
    let seen = run_steps(&dir, &widgets, &files);
    let too_large = if support::has_quirk(server, "size-refused-as-invalid-request") {
        (400, "InvalidRequest")
    } else {
        TOO_LARGE
    };
    let wrong_type = if support::has_quirk(server, "condition-refused-as-invalid-request") {
        (400, "InvalidRequest")
    } else {
        WRONG_TYPE
    };
    check_steps(&seen, too_large, wrong_type);
    check_store(server, &files);
}

/// The example binary, as `cargo test` builds it with the tests.
fn widgets_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples")
        .join(format!("upload-widgets{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: `cargo test -p examples` builds it with the tests (a `--test` filter \
         alone does not)",
        bin.display()
    );
    bin
}

#[test]
fn the_example_serves_the_bundles_from_npm_and_says_when_they_are_missing() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    // No bundles: a clear error, nothing served.
    let missing = Command::new(widgets_binary())
        .args(["--port", "0"])
        .env("UPLOAD_WIDGETS_NODE_MODULES", "/nonexistent/node_modules")
        .env_remove("UPLOAD_WIDGETS_BUCKET")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("/nonexistent/node_modules")
            && stderr.contains("npm ci --prefix tests/browser --ignore-scripts"),
        "{stderr}"
    );

    let node_modules = env_path("POST_POLICY_PLAYWRIGHT").join("node_modules");
    let mut child = Command::new(widgets_binary())
        .args(["--port", "0"])
        .env("UPLOAD_WIDGETS_NODE_MODULES", &node_modules)
        .env_remove("UPLOAD_WIDGETS_BUCKET")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut printed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("upload-widgets stopped before printing the URL: {printed:?}");
        };
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("open ") {
            break rest.split('/').take(3).collect::<Vec<_>>().join("/");
        }
    };
    let fetch = |path: &str| {
        support::client()
            .get(format!("{url}{path}"))
            .send()
            .map(|r| {
                let status = r.status().as_u16();
                let content_type = r
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap_or_default().to_string());
                (status, content_type, r.bytes().unwrap_or_default().to_vec())
            })
            .unwrap()
    };
    let uppy = fetch("/uppy");
    let dropzone = fetch("/dropzone");
    let bundle = fetch("/vendor/uppy.min.js");
    let css = fetch("/vendor/dropzone.css");
    let outside = fetch("/vendor/..%2Fpackage.json");
    let form = fetch("/uploads/new");
    let _ = child.kill();
    let _ = child.wait();

    assert!(
        printed
            .iter()
            .any(|l| l.starts_with("widgets: uppy 5.2.0, dropzone 6.3.5")),
        "the pinned versions: {printed:?}"
    );
    assert!(
        printed
            .iter()
            .any(|l| l.starts_with("uploads go to the local S3 POST endpoint at http://127.0.0.1:")),
        "{printed:?}"
    );
    for (page, bundle) in [
        (&uppy, "/vendor/uppy.min.js"),
        (&dropzone, "/vendor/dropzone-min.js"),
    ] {
        let body = String::from_utf8_lossy(&page.2);
        assert_eq!(page.0, 200, "{body}");
        assert!(
            body.contains(&format!("<script src=\"{bundle}\"></script>"))
                && body
                    .contains(r#"const RULES = {"max":5000000,"min":1,"type_prefix":"image/"};"#)
                && !body.contains("https://"),
            "the page, its rules from the declaration, its bundle served here: {body}"
        );
    }
    assert_eq!(
        bundle.2,
        std::fs::read(node_modules.join("uppy/dist/uppy.min.js")).unwrap(),
        "the npm package's bundle, as it is"
    );
    assert_eq!(bundle.1.as_deref(), Some("text/javascript"));
    assert_eq!((css.0, css.1.as_deref()), (200, Some("text/css")));
    assert_eq!(outside.0, 404, "only the listed bundles are served");
    let form: Value = serde_json::from_slice(&form.2).unwrap();
    assert_eq!(form["fields"]["key"], "widgets/42/${filename}");
    assert_eq!(form["fields"]["x-amz-meta-uploaded-by"], "42");
    assert_eq!(form["fields"]["success_action_status"], "201");
}
