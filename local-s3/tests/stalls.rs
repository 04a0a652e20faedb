//! Clients that go quiet: a body that stops arriving is answered `400
//! RequestTimeout` (S3's answer to an idle connection) and leaves nothing
//! behind, headers that stop arriving close the connection, and stopping
//! the endpoint does not wait on such clients. The endpoint runs with a
//! one-second idle timeout; the tests wait up to 30 s for what should take
//! one, so a hang fails instead of blocking the suite.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration as StdDuration, Instant};

use policy_runtime::{Credentials, Region};
use post_policy_local::{Config, LocalS3, Running};
use support::{as_parts, files_under, signed_fields, temp_dir};

mod support;

const BUCKET: &str = "stall-bucket";
const REGION: &str = "us-east-1";
const AKID: &str = "AKIDSTALLS";
const SECRET: &str = "stall-test-secret-0123456789";
const IDLE: StdDuration = StdDuration::from_secs(1);
/// Far longer than anything here should take.
const PATIENCE: StdDuration = StdDuration::from_secs(30);

fn start(name: &str) -> (PathBuf, Running) {
    let dir = temp_dir("stalls", name);
    let config = Config::new(&dir, Region::new(REGION).unwrap())
        .credentials(Credentials::new(AKID, SECRET).unwrap())
        .idle_timeout(IDLE);
    let running = LocalS3::new(config)
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .unwrap();
    (dir, running)
}

/// Connects and sends `bytes`, then nothing more.
fn stall(running: &Running, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(running.addr()).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.write_all(bytes).unwrap();
    stream
}

/// Everything the server sends until it closes the connection, and how
/// long that took; panics if it has not closed it within [`PATIENCE`].
fn until_closed(mut stream: TcpStream) -> (String, StdDuration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the connection was still open after {:?} ({e}); received {:?}",
                started.elapsed(),
                String::from_utf8_lossy(&answer)
            ),
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// The request line and headers of a multipart POST announcing `length`
/// bytes of body.
fn post_head(running: &Running, length: usize) -> String {
    format!(
        "POST /{BUCKET} HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\n\
         Content-Length: {length}\r\n\r\n",
        running.addr()
    )
}

/// The parts of a valid signed form, up to and including the file part's
/// headers.
fn signed_parts(running: &Running) -> String {
    let credentials = Credentials::new(AKID, SECRET).unwrap();
    let fields = signed_fields(
        running.url(),
        credentials,
        REGION,
        BUCKET,
        "s/",
        1..=1_000_000,
    );
    let mut parts = String::from_utf8(as_parts(&fields, "XYZ")).unwrap();
    parts.push_str(
        "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n",
    );
    parts
}

#[test]
fn a_body_that_stops_arriving_is_answered_request_timeout_and_leaves_nothing() {
    let (dir, running) = start("body");
    let fields = "--XYZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\ns/half";
    let in_the_file = format!("{}first bytes of the file", signed_parts(&running));
    for (case, body) in [
        ("in a field", fields.to_string()),
        ("in the file", in_the_file),
    ] {
        let request = format!("{}{body}", post_head(&running, body.len() + 100_000));
        let (answer, took) = until_closed(stall(&running, request.as_bytes()));
        println!("{case}: answered after {took:?}");
        assert!(answer.starts_with("HTTP/1.1 400"), "{case}: {answer}");
        assert!(
            answer.contains("<Code>RequestTimeout</Code>"),
            "{case}: {answer}"
        );
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{case}: {answer}"
        );
        assert_eq!(files_under(&dir), Vec::<PathBuf>::new(), "{case}");
    }
    // A body that keeps arriving, however slowly, is not cut off.
    let parts = signed_parts(&running);
    let file = "slow but steady";
    let tail = format!("{file}\r\n--XYZ--\r\n");
    let mut stream = stall(
        &running,
        format!("{}{parts}", post_head(&running, parts.len() + tail.len())).as_bytes(),
    );
    for byte in tail.as_bytes() {
        std::thread::sleep(IDLE / 4);
        // The answer may come once the closing boundary is in, before the
        // last line end: the write then fails.
        if stream.write_all(&[*byte]).is_err() {
            break;
        }
    }
    let (answer, _) = until_closed_or_answered(stream);
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    running.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The answer's head, once it has arrived (the connection may stay open).
fn until_closed_or_answered(mut stream: TcpStream) -> (String, StdDuration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) => panic!("no answer after {:?}: {e}", started.elapsed()),
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn headers_that_stop_arriving_close_the_connection() {
    let (dir, running) = start("headers");
    let half = format!(
        "POST /{BUCKET} HTTP/1.1\r\nHost: {}\r\nContent-Ty",
        running.addr()
    );
    for (case, bytes) in [("half a head", half.as_bytes()), ("nothing", &b""[..])] {
        let (answer, took) = until_closed(stall(&running, bytes));
        println!("{case}: closed after {took:?}");
        assert!(!answer.contains("HTTP/1.1 2"), "{case}: {answer}");
    }
    running.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stopping_does_not_wait_for_clients_that_went_quiet() {
    let (dir, running) = start("stop");
    let half_head = format!("POST /{BUCKET} HTTP/1.1\r\nHost: {}\r\n", running.addr());
    let half_body = format!(
        "{}--XYZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n",
        post_head(&running, 100_000)
    );
    let quiet: Vec<TcpStream> = [half_head.as_bytes(), half_body.as_bytes(), b""]
        .into_iter()
        .map(|bytes| stall(&running, bytes))
        .collect();
    std::thread::sleep(IDLE / 4);
    let (done, stopped) = std::sync::mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || done.send(running.stop()).unwrap());
    let result = stopped
        .recv_timeout(PATIENCE)
        .unwrap_or_else(|_| panic!("stop() still waiting after {PATIENCE:?}"));
    result.unwrap();
    println!("stopped after {:?} with 3 quiet clients", started.elapsed());
    drop(quiet);
    let _ = std::fs::remove_dir_all(&dir);
}
