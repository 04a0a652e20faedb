//! The `post-policy-local` binary as a process: it prints its URL first,
//! takes an upload signed by the runtime, stops cleanly on SIGTERM, and
//! refuses bad flags with exit code 2.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use policy_runtime::time::Duration;
use policy_runtime::{Credentials, Endpoint, Policy, Region, SignOptions, Signer};
use reqwest::blocking::{multipart, Client};

const BIN: &str = env!("CARGO_BIN_EXE_post-policy-local");
const SECRET: &str = "binary-test-secret-0123456789";

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "post-policy-local-bin-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn start(args: &[&str], env: &[(&str, &str)]) -> (Child, String, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.next().expect("a first line").unwrap();
    let banner: Vec<String> = lines
        .by_ref()
        .map(Result::unwrap)
        .take_while(|l| !l.starts_with("stop with"))
        .collect();
    (child, url, banner)
}

#[cfg(unix)]
fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + StdDuration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "did not stop within 10 s");
        std::thread::sleep(StdDuration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn prints_its_url_takes_an_upload_and_stops_on_sigterm() {
    let dir = temp_dir("run");
    let credentials = format!("AKIDBIN:{SECRET}");
    let (mut child, url, banner) = start(
        &[
            "--credentials",
            &credentials,
            "--region",
            "eu-west-1",
            "--port",
            "0",
            "--dir",
            dir.to_str().unwrap(),
        ],
        &[],
    );
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let banner = banner.join("\n");
    assert!(banner.contains("region: eu-west-1"), "{banner}");
    assert!(banner.contains("AKIDBIN"), "{banner}");
    assert!(
        !banner.contains("fsync"),
        "fsync is on unless set: {banner}"
    );
    assert!(!banner.contains(SECRET), "the secret is printed: {banner}");
    assert!(banner.contains(&dir.display().to_string()), "{banner}");

    let signer = Signer::new(
        Credentials::new("AKIDBIN", SECRET).unwrap(),
        Region::new("eu-west-1").unwrap(),
    )
    .with_endpoint(Endpoint::custom(&url).unwrap());
    let policy = Policy::builder()
        .bucket("bin-bucket")
        .unwrap()
        .key_starts_with("up/")
        .unwrap()
        .content_type("text/plain")
        .unwrap()
        .success_action_status(201)
        .unwrap()
        .expires_in(Duration::minutes(5))
        .build()
        .unwrap();
    let signed = signer
        .sign_with(&policy, SignOptions::new().key("up/a.txt"))
        .unwrap();
    let mut form = multipart::Form::new();
    for (name, value) in signed.fields() {
        form = form.text(name.to_string(), value.to_string());
    }
    form = form.part(
        "file",
        multipart::Part::bytes(b"from a process".to_vec()).file_name("a.txt"),
    );
    let client = Client::new();
    let response = client.post(signed.url()).multipart(form).send().unwrap();
    assert_eq!(response.status(), 201);
    let read = client
        .get(format!("{url}/bin-bucket/up/a.txt"))
        .send()
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["content-type"], "text/plain");
    assert_eq!(read.text().unwrap(), "from a process");

    signal(&child, "-TERM");
    let status = wait(&mut child);
    assert_eq!(status.code(), Some(0), "exit after SIGTERM");
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn reads_its_settings_from_the_environment_and_stops_on_ctrl_c() {
    let dir = temp_dir("env");
    let (mut child, url, banner) = start(
        &[],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("POST_POLICY_LOCAL_CREDENTIALS", ""),
            ("POST_POLICY_LOCAL_REGION", "ap-south-1"),
            ("POST_POLICY_LOCAL_DIR", dir.to_str().unwrap()),
            ("POST_POLICY_LOCAL_FSYNC", "off"),
            (
                "POST_POLICY_LOCAL_ALLOW_ORIGIN",
                "http://a.test,http://b.test",
            ),
        ],
    );
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let banner = banner.join("\n");
    assert!(banner.contains("region: ap-south-1"), "{banner}");
    assert!(banner.contains("credentials: AKIDENV"), "{banner}");
    assert!(banner.contains("http://a.test, http://b.test"), "{banner}");
    assert!(banner.contains("fsync: off"), "{banner}");
    assert!(!banner.contains(SECRET), "{banner}");
    // Ctrl-C.
    signal(&child, "-INT");
    assert_eq!(wait(&mut child).code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_flags_give_a_clear_error_and_exit_code_2() {
    for (args, needle) in [
        (&["--port", "http"][..], "port `http` is not a number"),
        (&["--port", "70000"], "port `70000`"),
        (&["--bind", "localhost:80"], "bind address"),
        (&["--nope"], "unknown option `--nope`"),
        (&["extra"], "unexpected argument `extra`"),
        (&["--region"], "`--region` needs a value"),
        (
            &["--idle-timeout", "0"],
            "idle timeout `0` is not a number of seconds",
        ),
        (&["--idle-timeout", "soon"], "idle timeout `soon`"),
        (&["--fsync", "no"], "fsync `no` is neither `on` nor `off`"),
        (&["--credentials", "no-colon"], "not AKID:SECRET"),
        (
            &["--credentials", "AKID:one", "--credentials", "AKID:two"],
            "credentials for `AKID` are given twice",
        ),
        (&[], "no credentials"),
    ] {
        let mut args = args.to_vec();
        if !args.contains(&"--credentials") && !args.is_empty() {
            args.extend(["--credentials", "AKID:secret"]);
        }
        let output = Command::new(BIN).args(&args).env_clear().output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(stderr.contains("--help"), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "--credentials",
        "--port",
        "--allow-origin",
        "--idle-timeout",
        "--fsync on|off",
        "EXIT CODES",
        "SIGTERM",
    ] {
        assert!(text.contains(needle), "{needle}");
    }
}

#[test]
fn a_port_in_use_is_a_start_failure() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = temp_dir("busy");
    let mut child = Command::new(BIN)
        .args(["--credentials", "AKID:secret", "--port", &port])
        .args(["--dir", dir.to_str().unwrap()])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait(&mut child);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot listen"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
