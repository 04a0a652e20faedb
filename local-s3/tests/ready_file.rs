//! `--ready-file`: what a test harness in any language reads to learn where
//! the binary listens. The file appears only once the port takes
//! connections, holds one complete JSON object without the secret, is
//! enough to sign and post a form, and is gone again after the endpoint
//! stops; a stale one is removed at start; paths it cannot write are refused
//! with a clear error.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use policy_runtime::Credentials;
use reqwest::blocking::{multipart, Client};
use serde_json::Value;

use support::{files_under, signed_fields, temp_dir};

const BIN: &str = env!("CARGO_BIN_EXE_post-policy-local");
const SECRET: &str = "ready-file-secret-0123456789abcdef";

fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Polls for `path` while `child` runs; returns its text the first time it
/// exists.
fn wait_for_file(path: &Path, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match std::fs::read_to_string(path) {
            Ok(text) => return text,
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{e}"),
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("exited ({status}) without writing {}", path.display());
        }
        assert!(Instant::now() < deadline, "no ready file within 20 s");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn wait(child: &mut Child) -> (Option<i32>, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not stop within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.code(), stderr)
}

#[cfg(unix)]
fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[cfg(unix)]
#[test]
fn the_ready_file_says_where_it_listens_once_it_listens_and_never_the_secret() {
    let scratch = temp_dir("ready", "run");
    std::fs::create_dir_all(&scratch).unwrap();
    let ready = scratch.join("ready.json");
    let data = scratch.join("data");
    let credentials = format!("AKIDREADY:{SECRET}");
    let mut child = spawn(
        &[
            "--credentials",
            &credentials,
            "--credentials",
            "AKIDOTHER:other-secret-0123456789",
            "--region",
            "eu-west-1",
            "--bucket",
            "photos",
            "--dir",
            path_str(&data),
            "--ready-file",
            path_str(&ready),
        ],
        &[],
    );
    let text = wait_for_file(&ready, &mut child);

    // It appears only once the port is listening.
    let json: Value = serde_json::from_str(&text).expect("one complete JSON object");
    let port = json["port"].as_u64().expect("a port") as u16;
    std::net::TcpStream::connect(("127.0.0.1", port)).expect("the port takes connections");

    assert_eq!(json["endpoint"], format!("http://127.0.0.1:{port}"));
    assert_eq!(json["region"], "eu-west-1");
    assert_eq!(json["access_key_id"], "AKIDREADY");
    assert_eq!(
        json["access_key_ids"],
        serde_json::json!(["AKIDREADY", "AKIDOTHER"])
    );
    assert_eq!(json["buckets"], serde_json::json!(["photos"]));
    assert_eq!(json["dir"], path_str(&data));
    assert_eq!(json["pid"], child.id());
    assert!(text.ends_with("}\n"), "{text:?}");
    assert!(!text.contains(SECRET), "the secret is on disk: {text}");
    assert!(
        !text.contains("other-secret"),
        "a secret is on disk: {text}"
    );
    // Written beside itself and renamed: no temporary file is left.
    let beside: Vec<_> = std::fs::read_dir(&scratch)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}"); // ready.json and data/

    // What it says is enough to sign a form and post it there.
    let endpoint = json["endpoint"].as_str().unwrap();
    let fields = signed_fields(
        endpoint,
        Credentials::new(json["access_key_id"].as_str().unwrap(), SECRET).unwrap(),
        json["region"].as_str().unwrap(),
        "photos",
        "ready/",
        1..=100,
    );
    let mut form = multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name, value);
    }
    form = form.part(
        "file",
        multipart::Part::bytes(b"posted where the file said".to_vec()).file_name("a.txt"),
    );
    let client = Client::new();
    let posted = client
        .post(format!("{endpoint}/photos"))
        .multipart(form)
        .send()
        .unwrap();
    assert_eq!(posted.status(), 204);
    let read = client
        .get(format!("{endpoint}/photos/ready/a.txt"))
        .send()
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.text().unwrap(), "posted where the file said");

    // Stopped, it is no longer ready.
    terminate(&child);
    let (code, stderr) = wait(&mut child);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!ready.exists(), "the ready file outlives the endpoint");
    let _ = std::fs::remove_dir_all(&scratch);
}

#[cfg(unix)]
#[test]
fn the_ready_file_path_can_come_from_the_environment() {
    let scratch = temp_dir("ready", "env");
    std::fs::create_dir_all(&scratch).unwrap();
    let ready = scratch.join("from-env.json");
    let data = scratch.join("data");
    let mut child = spawn(
        &[],
        &[
            (
                "POST_POLICY_LOCAL_CREDENTIALS",
                "AKIDENV:env-secret-0123456789",
            ),
            ("POST_POLICY_LOCAL_DIR", path_str(&data)),
            ("POST_POLICY_LOCAL_READY_FILE", path_str(&ready)),
        ],
    );
    let text = wait_for_file(&ready, &mut child);
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["access_key_id"], "AKIDENV");
    assert_eq!(json["region"], "us-east-1");
    assert_eq!(json["buckets"], Value::Null, "any bucket: null");
    assert!(!text.contains("env-secret"), "{text}");
    terminate(&child);
    assert_eq!(wait(&mut child).0, Some(0));
    assert!(!ready.exists());
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn a_stale_ready_file_is_removed_and_none_is_written_when_it_cannot_listen() {
    let scratch = temp_dir("ready", "busy");
    std::fs::create_dir_all(&scratch).unwrap();
    let ready = scratch.join("ready.json");
    std::fs::write(&ready, r#"{"endpoint": "http://127.0.0.1:1"}"#).unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let data = scratch.join("data");
    let mut child = spawn(
        &[
            "--credentials",
            "AKID:secret",
            "--port",
            &port,
            "--dir",
            path_str(&data),
            "--ready-file",
            path_str(&ready),
        ],
        &[],
    );
    let (code, stderr) = wait(&mut child);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot listen"), "{stderr}");
    assert!(
        !ready.exists(),
        "a ready file for an endpoint that never listened"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn a_ready_file_it_cannot_write_is_a_start_failure_that_says_so() {
    let scratch = temp_dir("ready", "unwritable");
    std::fs::create_dir_all(&scratch).unwrap();
    let missing: PathBuf = scratch.join("no-such-dir").join("ready.json");
    let data = scratch.join("data");
    let mut child = spawn(
        &[
            "--credentials",
            "AKID:secret",
            "--dir",
            path_str(&data),
            "--ready-file",
            path_str(&missing),
        ],
        &[],
    );
    let (code, stderr) = wait(&mut child);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write the ready file")
            && stderr.contains(path_str(&missing))
            && stderr.contains("writable directory"),
        "{stderr}"
    );
    // A directory is not a file to write.
    let output = Command::new(BIN)
        .args(["--credentials", "AKID:secret", "--dir", path_str(&data)])
        .args(["--ready-file", path_str(&scratch)])
        .env_clear()
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is a directory: give a file path in it"),
        "{stderr}"
    );
    assert!(scratch.is_dir());

    // Nothing half-written is left beside where it was meant to go.
    assert_eq!(
        files_under(&scratch.join("no-such-dir")),
        Vec::<PathBuf>::new()
    );

    for (path, needle) in [
        (format!("{}/", path_str(&scratch)), "names a directory"),
        (format!("{}/..", path_str(&scratch)), "names a directory"),
        ("--port".to_string(), "`--ready-file` needs a value"),
    ] {
        let output = Command::new(BIN)
            .args(["--credentials", "AKID:secret", "--ready-file", &path])
            .env_clear()
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains(needle), "{path}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
