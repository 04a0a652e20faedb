//! The upload path: one browser-style POST upload per request, streamed
//! over loopback by one client, to the local endpoint and to the peers
//! (`bench/upload.sh` starts them), beside the floor: generating the same
//! bytes, hashing them as every store must for the ETag (MD5), writing them
//! to a file on the same disk, one fsync and a rename. The local endpoint
//! runs twice: as it starts by default (`local`), and with `--fsync off`
//! (`local-nofsync`), which waits for the disk as little as Garage's
//! default configuration does. A bare server (`bare`) is measured too: a
//! thread per connection that reads the request, hashes the body (MD5) as
//! it writes it to a file, syncs, renames and answers, parsing nothing:
//! the floor with the loopback connection and the client on the same
//! cores included.
//!
//! ```text
//! upload [--sizes 1KiB,1MiB,64MiB,1GiB] [--rounds 3] [--rps-seconds 2]
//!        [--concurrency 1,16,100] [--dir DIR]
//! ```
//!
//! Needs `POST_POLICY_LOCAL_BIN` (a release build of `post-policy-local`)
//! and reads the peers from `POST_POLICY_E2E` (with each server's `pid`, as
//! `tests/servers.sh` writes it). Prints one JSON object per line: each
//! upload time, the floor's, peak memory, requests per second.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};
use policy_runtime::{Credentials, Endpoint, Policy, Region, SignOptions, SignedPost, Signer};

/// The pattern every upload repeats: 1 MiB of xorshift bytes.
const PATTERN_LEN: usize = 1 << 20;
/// Where the uploads go, under each store's bucket.
const KEY_PREFIX: &str = "bench/";
/// The local endpoint's credentials (it runs only for this benchmark).
const LOCAL_KEY: &str = "AKIDBENCHLOCAL";
const LOCAL_SECRET: &str = "bench-local-secret";
const LOCAL_BUCKET: &str = "bench";

struct Target {
    name: String,
    /// `http://127.0.0.1:PORT`.
    endpoint: String,
    host_port: String,
    bucket: String,
    signer: Signer,
    pid: Option<u32>,
}

struct Settings {
    sizes: Vec<u64>,
    rounds: usize,
    rps_seconds: u64,
    concurrency: Vec<usize>,
    dir: PathBuf,
}

fn main() {
    let settings = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("upload: {e}\nusage: upload [--sizes 1KiB,1MiB,64MiB,1GiB] [--rounds 3] [--rps-seconds 2] [--concurrency 1,16,100] [--dir DIR]");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&settings) {
        eprintln!("upload: {e}");
        std::process::exit(1);
    }
}

fn run(settings: &Settings) -> Result<(), String> {
    std::fs::create_dir_all(&settings.dir)
        .map_err(|e| format!("{}: {e}", settings.dir.display()))?;
    let pattern = pattern();
    let mut local = LocalEndpoint::start(&settings.dir, "local", &[])?;
    let mut unsynced = LocalEndpoint::start(&settings.dir, "local-nofsync", &["--fsync", "off"])?;
    // Peak memory is measured on the default endpoint only: fsync changes
    // nothing held in memory.
    let bare = BareServer::start(&settings.dir)?;
    let mut targets = vec![
        local.target()?,
        Target {
            pid: None,
            ..unsynced.target()?
        },
        bare.target()?,
    ];
    targets.extend(peers()?);
    // The memory and request-rate loads reuse one key each; every timed
    // upload has its own, so none replaces (and frees) the one before.
    let forms: Vec<SignedPost> = targets
        .iter()
        .map(|t| sign(t, "load"))
        .collect::<Result<_, _>>()?;
    for (target, form) in targets.iter().zip(&forms) {
        upload(target, form, 1, &pattern)
            .map_err(|e| format!("{}: a first upload fails: {e}", target.name))?;
    }

    // Interleaved rounds: each size, the floor then every store, the order
    // of the stores rotating per round. A store that refuses a size is
    // reported once and not asked for that size or larger again.
    let mut refuses_from: Vec<Option<u64>> = vec![None; targets.len()];
    for round in 0..settings.rounds {
        for &size in &settings.sizes {
            // Written-back before each size, so that no measurement waits
            // for the dirty pages of the one before it (an fsync of 1 KiB
            // after a GiB took 200 ms).
            settle();
            let floor = floor(&settings.dir, &format!("{size}-{round}"), size, &pattern)?;
            line(&format!(
                r#"{{"kind":"time","target":"floor","size":{size},"round":{round},"ns":{}}}"#,
                floor.as_nanos()
            ));
            for k in 0..targets.len() {
                let i = (k + round) % targets.len();
                if refuses_from[i].is_some_and(|from| size >= from) {
                    continue;
                }
                let form = sign(&targets[i], &format!("{size}-{round}"))?;
                match upload(&targets[i], &form, size, &pattern) {
                    Ok(took) => line(&format!(
                        r#"{{"kind":"time","target":"{}","size":{size},"round":{round},"ns":{}}}"#,
                        targets[i].name,
                        took.as_nanos()
                    )),
                    Err(e) => {
                        refuses_from[i] = Some(size);
                        line(&format!(
                            r#"{{"kind":"refused","target":"{}","size":{size},"error":{}}}"#,
                            targets[i].name,
                            serde_json::Value::from(e)
                        ));
                    }
                }
            }
        }
    }

    // Peak resident memory over idle: during the largest upload, and
    // during 100 concurrent 1 MiB uploads.
    let largest = settings.sizes.iter().copied().max().unwrap_or(1 << 20);
    for ((target, form), refuses) in targets.iter().zip(&forms).zip(&refuses_from) {
        let Some(pid) = target.pid else { continue };
        let largest = match refuses {
            Some(from) => match settings.sizes.iter().copied().filter(|&s| s < *from).max() {
                Some(size) => size,
                None => continue,
            },
            None => largest,
        };
        let large = sign(target, "memory")?;
        settle();
        let idle = reset_peak(pid)?;
        upload(target, &large, largest, &pattern).map_err(|e| format!("{}: {e}", target.name))?;
        let peak = peak_kib(pid)?;
        line(&format!(
            r#"{{"kind":"memory","target":"{}","load":"one upload of {largest} bytes","idle_kib":{idle},"peak_kib":{peak}}}"#,
            target.name
        ));
        let idle = reset_peak(pid)?;
        concurrently(target, form, 100, 1 << 20, &pattern, None)?;
        let peak = peak_kib(pid)?;
        line(&format!(
            r#"{{"kind":"memory","target":"{}","load":"100 concurrent uploads of 1 MiB","idle_kib":{idle},"peak_kib":{peak}}}"#,
            target.name
        ));
    }

    // Requests per second for 1 KiB uploads: for each number of clients,
    // interleaved rounds, the order of the stores rotating per round (the
    // disk's fsync latency drifts over seconds).
    for &clients in &settings.concurrency {
        for round in 0..settings.rounds {
            for k in 0..targets.len() {
                let i = (k + round) % targets.len();
                let (target, form) = (&targets[i], &forms[i]);
                settle();
                let done = concurrently(
                    target,
                    form,
                    clients,
                    1024,
                    &pattern,
                    Some(Duration::from_secs(settings.rps_seconds)),
                )?;
                line(&format!(
                    r#"{{"kind":"rps","target":"{}","clients":{clients},"round":{round},"rps":{:.1}}}"#,
                    target.name,
                    done as f64 / settings.rps_seconds as f64
                ));
            }
        }
    }
    local.stop();
    unsynced.stop();
    // The objects and the floor's files: gigabytes.
    let _ = std::fs::remove_dir_all(&settings.dir);
    Ok(())
}

/// Writes back every dirty page (`sync(1)`), outside any timing.
fn settle() {
    let _ = Command::new("sync").status();
}

fn line(json: &str) {
    println!("{json}");
}

fn settings() -> Result<Settings, String> {
    let mut s = Settings {
        sizes: vec![1 << 10, 1 << 20, 64 << 20, 1 << 30],
        rounds: 3,
        rps_seconds: 2,
        concurrency: vec![1, 16, 100],
        dir: std::env::temp_dir().join("post-policy-upload-bench"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--sizes" => {
                s.sizes = value()?
                    .split(',')
                    .map(parse_size)
                    .collect::<Result<_, _>>()?
            }
            "--rounds" => s.rounds = number(&value()?)?,
            "--rps-seconds" => s.rps_seconds = number(&value()?)?,
            "--concurrency" => {
                s.concurrency = value()?.split(',').map(number).collect::<Result<_, _>>()?
            }
            "--dir" => s.dir = PathBuf::from(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if s.sizes.is_empty() || s.rounds == 0 || s.rps_seconds == 0 {
        return Err("sizes, rounds and --rps-seconds must not be empty or zero".into());
    }
    Ok(s)
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number"))
}

/// `1KiB`, `64MiB`, `1GiB` or a number of bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, scale) = [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        .iter()
        .find_map(|(unit, scale)| text.strip_suffix(unit).map(|d| (d, *scale)))
        .unwrap_or((text, 1));
    let n: u64 = number(digits)?;
    n.checked_mul(scale)
        .filter(|&n| n <= 5 << 30)
        .ok_or_else(|| format!("{text} is more than one POST upload can carry (5 GiB)"))
}

/// 1 MiB of xorshift bytes: incompressible, the same in every run.
fn pattern() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(PATTERN_LEN);
    while out.len() < PATTERN_LEN {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

/// The floor for `size` bytes: the same bytes hashed (MD5) and written to
/// a file on the store's disk, fsynced and renamed into place.
fn floor(dir: &Path, name: &str, size: u64, pattern: &[u8]) -> Result<Duration, String> {
    let temp = dir.join(format!("floor-{name}.partial"));
    let done = dir.join(format!("floor-{name}.object"));
    let io = |e: std::io::Error| format!("the floor's file in {}: {e}", dir.display());
    let chunks = || {
        let mut left = size;
        std::iter::from_fn(move || {
            let n = left.min(pattern.len() as u64) as usize;
            left -= n as u64;
            (n > 0).then(|| &pattern[..n])
        })
    };
    let start = Instant::now();
    // Hashing and writing overlap, as a server can overlap them: the floor
    // is the slower of the two, not their sum.
    let written = std::thread::scope(|s| {
        let hashing = s.spawn(|| {
            let mut md5 = Md5::new();
            chunks().for_each(|chunk| md5.update(chunk));
            std::hint::black_box(md5.finalize());
        });
        let written = (|| {
            let mut file = std::fs::File::create(&temp)?;
            for chunk in chunks() {
                file.write_all(chunk)?;
            }
            file.sync_all()?;
            drop(file);
            std::fs::rename(&temp, &done)
        })();
        let _ = hashing.join();
        written
    });
    written.map_err(io)?;
    Ok(start.elapsed())
}

/// A form for the target's bucket and the key `bench/NAME`: any size one
/// POST can carry, answered with 201.
fn sign(target: &Target, name: &str) -> Result<SignedPost, String> {
    let policy = Policy::builder()
        .bucket(&target.bucket)
        .and_then(|b| b.key_starts_with(KEY_PREFIX))
        .and_then(|b| b.content_length_range(0..=5 << 30))
        .and_then(|b| b.success_action_status(201))
        .map(|b| b.expires_in(time::Duration::hours(2)))
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?;
    target
        .signer
        .sign_with(
            &policy,
            SignOptions::new().key(format!("{KEY_PREFIX}{name}")),
        )
        .map_err(|e| format!("{}: {e}", target.name))
}

/// Posts one form with `size` bytes of file, streamed; the time from
/// connecting to the whole answer.
fn upload(
    target: &Target,
    form: &SignedPost,
    size: u64,
    pattern: &[u8],
) -> Result<Duration, String> {
    let boundary = "----postpolicybenchboundary7MA4YWxkTrZu0gW";
    let mut head = String::new();
    for (name, value) in form.fields() {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"object.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    ));
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() as u64 + size + tail.len() as u64;
    let path = form
        .url()
        .strip_prefix(&target.endpoint)
        .filter(|p| p.starts_with('/'))
        .ok_or_else(|| {
            format!(
                "the form's URL {} is not on {}",
                form.url(),
                target.endpoint
            )
        })?;
    let io = |e: std::io::Error| e.to_string();
    let start = Instant::now();
    let mut stream = TcpStream::connect(&target.host_port).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(300)))
        .map_err(io)?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{head}",
        target.host_port
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut left = size;
    while left > 0 {
        let n = left.min(pattern.len() as u64) as usize;
        stream.write_all(&pattern[..n]).map_err(io)?;
        left -= n as u64;
    }
    stream.write_all(tail.as_bytes()).map_err(io)?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).map_err(io)?;
    let mut answer = Vec::new();
    reader.read_to_end(&mut answer).map_err(io)?;
    let took = start.elapsed();
    let status = status_line.split_whitespace().nth(1).unwrap_or("");
    if status != "201" {
        return Err(format!(
            "answered {:?}: {}",
            status_line.trim(),
            String::from_utf8_lossy(&answer)
                .chars()
                .take(600)
                .collect::<String>()
        ));
    }
    Ok(took)
}

/// `clients` threads uploading `size` bytes each: once each, or in a loop
/// for `for_how_long`. Returns how many uploads completed.
fn concurrently(
    target: &Target,
    form: &SignedPost,
    clients: usize,
    size: u64,
    pattern: &[u8],
    for_how_long: Option<Duration>,
) -> Result<u64, String> {
    let done = AtomicU64::new(0);
    let stop = Arc::new(AtomicBool::new(false));
    let failed = std::sync::Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| loop {
                match upload(target, form, size, pattern) {
                    Ok(_) => {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        stop.store(true, Ordering::Relaxed);
                        return;
                    }
                }
                if for_how_long.is_none() || stop.load(Ordering::Relaxed) {
                    return;
                }
            });
        }
        if let Some(d) = for_how_long {
            std::thread::sleep(d);
            stop.store(true, Ordering::Relaxed);
        }
    });
    match failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some(e) => Err(format!(
            "{}: {clients} concurrent uploads: {e}",
            target.name
        )),
        None => Ok(done.load(Ordering::Relaxed)),
    }
}

/// Resets the process's peak resident set (`VmHWM`) to its current size,
/// and returns that, in KiB.
fn reset_peak(pid: u32) -> Result<u64, String> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .map_err(|e| format!("cannot reset the peak memory of process {pid}: {e}"))?;
    status_kib(pid, "VmRSS:")
}

fn peak_kib(pid: u32) -> Result<u64, String> {
    status_kib(pid, "VmHWM:")
}

fn status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status"))
}

/// The peers of `POST_POLICY_E2E`.
fn peers() -> Result<Vec<Target>, String> {
    let Ok(raw) = std::env::var("POST_POLICY_E2E") else {
        eprintln!("upload: POST_POLICY_E2E is not set: the local endpoint only");
        return Ok(Vec::new());
    };
    let servers: Vec<serde_json::Value> =
        serde_json::from_str(&raw).map_err(|e| format!("POST_POLICY_E2E: {e}"))?;
    servers
        .iter()
        .map(|s| {
            let text = |k: &str| {
                s.get(k)
                    .and_then(|v| v.as_str())
                    .ok_or_else(|| format!("POST_POLICY_E2E: a server without {k:?}"))
            };
            let endpoint = text("endpoint")?.to_string();
            let signer = Signer::new(
                Credentials::new(text("access_key")?, text("secret")?)
                    .map_err(|e| e.to_string())?,
                Region::new(text("region")?).map_err(|e| e.to_string())?,
            )
            .with_endpoint(Endpoint::custom(&endpoint).map_err(|e| e.to_string())?);
            Ok(Target {
                name: text("name")?.to_string(),
                host_port: host_port(&endpoint)?,
                endpoint,
                bucket: text("bucket")?.to_string(),
                signer,
                pid: s
                    .get("pid")
                    .and_then(|p| p.as_u64())
                    .and_then(|p| u32::try_from(p).ok()),
            })
        })
        .collect()
}

fn host_port(endpoint: &str) -> Result<String, String> {
    endpoint
        .strip_prefix("http://")
        .map(|rest| rest.trim_end_matches('/').to_string())
        .ok_or_else(|| format!("{endpoint}: only http:// endpoints on this machine"))
}

/// The bare server: the floor's work behind a loopback connection. It
/// reads a request's headers, then `Content-Length` bytes of body, each
/// chunk hashed (MD5) while a second thread writes it to a file, syncs,
/// renames it and answers 201; no multipart, no policy. Its thread stops
/// with the process.
struct BareServer {
    endpoint: String,
}

impl BareServer {
    fn start(dir: &Path) -> Result<BareServer, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let objects = dir.join("bare-data");
        let _ = std::fs::remove_dir_all(&objects);
        std::fs::create_dir_all(&objects).map_err(|e| e.to_string())?;
        let next = Arc::new(AtomicU64::new(0));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (objects, next) = (objects.clone(), next.clone());
                std::thread::spawn(move || {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if let Err(e) = BareServer::serve(stream, &objects, n) {
                        eprintln!("upload: the bare server: {e}");
                    }
                });
            }
        });
        Ok(BareServer {
            endpoint: format!("http://{addr}"),
        })
    }

    fn serve(stream: TcpStream, objects: &Path, n: u64) -> std::io::Result<()> {
        let mut reader = BufReader::with_capacity(256 << 10, stream.try_clone()?);
        let mut length = 0u64;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().map_err(std::io::Error::other)?;
                }
            }
        }
        let temp = objects.join(format!("{n}.part"));
        let mut file = std::fs::File::create(&temp)?;
        let mut md5 = Md5::new();
        let mut left = length;
        // Hashing and writing overlap, as in the floor and the endpoint: a
        // writer thread takes the chunks.
        let (chunks, writes) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let writer = std::thread::spawn(move || -> std::io::Result<()> {
            for chunk in writes {
                file.write_all(&chunk)?;
            }
            file.sync_all()
        });
        while left > 0 {
            let chunk = reader.fill_buf()?;
            if chunk.is_empty() {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let take = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            md5.update(&chunk[..take]);
            chunks
                .send(chunk[..take].to_vec())
                .map_err(std::io::Error::other)?;
            reader.consume(take);
            left -= take as u64;
        }
        drop(chunks);
        writer
            .join()
            .map_err(|_| std::io::Error::other("the writer panicked"))??;
        std::fs::rename(&temp, objects.join(format!("{n}.object")))?;
        let etag = hex::encode(md5.finalize());
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 201 Created\r\nETag: \"{etag}\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    }

    fn target(&self) -> Result<Target, String> {
        own_target("bare", self.endpoint.clone(), None)
    }
}

/// A target this tool runs (the local endpoint, the bare server): its
/// credentials and bucket, at `endpoint`.
fn own_target(name: &str, endpoint: String, pid: Option<u32>) -> Result<Target, String> {
    let signer = Signer::new(
        Credentials::new(LOCAL_KEY, LOCAL_SECRET).map_err(|e| e.to_string())?,
        Region::new("us-east-1").map_err(|e| e.to_string())?,
    )
    .with_endpoint(Endpoint::custom(&endpoint).map_err(|e| e.to_string())?);
    Ok(Target {
        name: name.into(),
        host_port: host_port(&endpoint)?,
        endpoint,
        bucket: LOCAL_BUCKET.into(),
        signer,
        pid,
    })
}

/// The local endpoint, started from `POST_POLICY_LOCAL_BIN` on a free
/// port, read from its ready file.
struct LocalEndpoint {
    name: &'static str,
    child: Child,
    ready: PathBuf,
}

impl LocalEndpoint {
    fn start(dir: &Path, name: &'static str, args: &[&str]) -> Result<LocalEndpoint, String> {
        let bin = std::env::var("POST_POLICY_LOCAL_BIN").map_err(|_| {
            "POST_POLICY_LOCAL_BIN is not set: point it at a release build of post-policy-local"
                .to_string()
        })?;
        let data = dir.join(format!("{name}-data"));
        let ready = dir.join(format!("{name}-ready.json"));
        let _ = std::fs::remove_dir_all(&data);
        let _ = std::fs::remove_file(&ready);
        let child = Command::new(&bin)
            .args(["--credentials", &format!("{LOCAL_KEY}:{LOCAL_SECRET}")])
            .args([
                "--port",
                "0",
                "--bucket",
                LOCAL_BUCKET,
                "--idle-timeout",
                "120",
            ])
            .args(args)
            .arg("--dir")
            .arg(&data)
            .arg("--ready-file")
            .arg(&ready)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{bin}: {e}"))?;
        let mut local = LocalEndpoint { name, child, ready };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !local.ready.exists() {
            if Instant::now() > deadline {
                local.stop();
                return Err("post-policy-local did not write its ready file in 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(local)
    }

    fn target(&self) -> Result<Target, String> {
        let text = std::fs::read_to_string(&self.ready).map_err(|e| e.to_string())?;
        let ready: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let endpoint = ready
            .get("endpoint")
            .and_then(|v| v.as_str())
            .ok_or("the ready file has no endpoint")?
            .to_string();
        own_target(self.name, endpoint, Some(self.child.id()))
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LocalEndpoint {
    fn drop(&mut self) {
        self.stop();
    }
}
