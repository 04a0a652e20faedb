//! What several of the endpoint's test files share: a scratch directory,
//! the files under it, a signed form's fields as multipart parts, and one
//! raw HTTP exchange over TCP (for bodies no HTTP client would send).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use policy_runtime::{Credentials, Endpoint, Policy, Region, SignOptions, Signer};

/// A fresh directory for one test: `post-policy-local-{suite}-{name}-{pid}`.
pub fn temp_dir(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "post-policy-local-{suite}-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every file under `dir`, sorted (directories are walked, not listed).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The fields of a valid form for `url`'s `bucket`, signed with
/// `credentials` in `region`: keys under `prefix` (the form sends
/// `prefix${filename}`), files of `sizes` bytes, valid for 30 minutes.
pub fn signed_fields(
    url: &str,
    credentials: Credentials,
    region: &str,
    bucket: &str,
    prefix: &str,
    sizes: RangeInclusive<u64>,
) -> Vec<(String, String)> {
    let signer = Signer::new(credentials, Region::new(region).unwrap())
        .with_endpoint(Endpoint::custom(url).unwrap());
    let policy = Policy::builder()
        .bucket(bucket)
        .unwrap()
        .key_starts_with(prefix)
        .unwrap()
        .content_length_range(sizes)
        .unwrap()
        .expires_in(policy_runtime::time::Duration::minutes(30))
        .build()
        .unwrap();
    let signed = signer
        .sign_with(
            &policy,
            SignOptions::new().key(format!("{prefix}${{filename}}")),
        )
        .unwrap();
    signed
        .fields()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// `fields` as multipart parts under `boundary`, each closed by its line
/// end (the next part's boundary follows).
pub fn as_parts(fields: &[(String, String)], boundary: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    out
}

/// An answer read off the wire: status, head and body as text.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl RawAnswer {
    /// The S3 error code in the body, if any.
    pub fn code(&self) -> Option<&str> {
        let (_, rest) = self.body.split_once("<Code>")?;
        Some(rest.split_once("</Code>")?.0)
    }
}

/// Sends `method path` with `headers` and exactly `body` (its length as
/// `Content-Length`, `Connection: close`) and reads the whole answer.
/// Panics if none comes within 30 s.
pub fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawAnswer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    // The server may answer (and stop reading) before the body is in.
    let mut writer = stream.try_clone().unwrap();
    let mut sent = request.into_bytes();
    sent.extend_from_slice(body);
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(&sent);
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "no complete answer within 30 s: {e}; got {:?}",
                String::from_utf8_lossy(&answer)
            ),
        }
    }
    let _ = sending.join();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    RawAnswer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}
