//! `post-policy-local`: a local S3 POST endpoint for development and tests.
//! See `post-policy-local --help`.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use policy_runtime::{Credentials, Region};
use post_policy_local::{url_of, Config, LocalS3};

const HELP: &str = "\
post-policy-local: a local S3 POST endpoint for development and tests

Takes browser uploads (POST /BUCKET, multipart/form-data), checks each form
exactly as S3 does (signature, policy, expiration, every condition, size),
stores what it accepts and serves it back with GET /BUCKET/KEY. Answers like
S3, plus the reason in words (XML <Reason>, header x-post-policy-reason).
Not a general S3: no listing, no deletes, no authentication of GETs.

USAGE
  post-policy-local [OPTIONS]

OPTIONS (each also read from the environment variable shown)
  --credentials AKID:SECRET  credentials forms may be signed with; repeat for
                             more [POST_POLICY_LOCAL_CREDENTIALS, comma-
                             separated; else AWS_ACCESS_KEY_ID and
                             AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)]
  --region REGION            the region of credential scopes
                             [POST_POLICY_LOCAL_REGION, else AWS_REGION, else
                             AWS_DEFAULT_REGION; default us-east-1]
  --port PORT                0 for a free one [POST_POLICY_LOCAL_PORT;
                             default 0]
  --bind ADDRESS             [POST_POLICY_LOCAL_BIND; default 127.0.0.1]
  --dir PATH                 where objects are stored [POST_POLICY_LOCAL_DIR;
                             default ./post-policy-local-data]
  --allow-origin ORIGIN      an origin whose pages may post, or *; repeat
                             for more [POST_POLICY_LOCAL_ALLOW_ORIGIN, comma-
                             separated; default *]
  --bucket NAME              serve only these buckets; repeat for more
                             [POST_POLICY_LOCAL_BUCKETS, comma-separated;
                             default any]
  --idle-timeout SECONDS     how long a request may pause before it is
                             answered 400 RequestTimeout (body) or closed
                             (headers); also how long stopping waits
                             [POST_POLICY_LOCAL_IDLE_TIMEOUT; default 20]
  --fsync on|off             off: answer an upload once its object is
                             renamed into place, without waiting for the
                             disk (objects stay whole or absent to readers,
                             but a machine crash can lose or damage recent
                             ones); for throwaway test data only
                             [POST_POLICY_LOCAL_FSYNC; default on]
  --ready-file PATH          once listening, write one JSON object to PATH
                             (atomically: a reader sees all of it or no
                             file): endpoint, port, region, access_key_id,
                             access_key_ids, buckets (null: any), dir, pid.
                             Never the secret: whoever reads it gave it.
                             Removed at start and on stop
                             [POST_POLICY_LOCAL_READY_FILE]
  -h, --help                 this text

OUTPUT
  The first line on stdout is the URL it listens on (sign forms for it as a
  custom endpoint, path-style); the settings follow, secrets shortened.
  Test harnesses in any language can read --ready-file instead.
  Ctrl-C or SIGTERM stops it.

EXIT CODES
  0  stopped by Ctrl-C or SIGTERM
  1  could not start (directory not writable, address in use, ready file
     not writable, ...)
  2  usage error

EXAMPLE
  post-policy-local --credentials AKIDLOCAL:local-secret --port 9000
  post-policy-local --credentials AKIDLOCAL:local-secret --ready-file /tmp/s3.json
";

/// The settings of one run.
struct Settings {
    config: Config,
    addr: SocketAddr,
    /// Access key ids and shortened secrets, for the banner.
    shown: Vec<(String, String)>,
    /// The buckets served, for the ready file; empty: any.
    buckets: Vec<String>,
    /// Where to write the ready file, if anywhere.
    ready_file: Option<PathBuf>,
}

fn parse(args: Vec<String>, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, String> {
    let mut credentials = Vec::new();
    let mut origins = Vec::new();
    let mut buckets = Vec::new();
    let (mut region, mut port, mut bind, mut dir) = (None, None, None, None);
    let mut idle = None;
    let mut fsync = None;
    let mut ready_file = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let known = [
            "--credentials",
            "--region",
            "--port",
            "--bind",
            "--dir",
            "--allow-origin",
            "--bucket",
            "--idle-timeout",
            "--fsync",
            "--ready-file",
        ];
        if !known.contains(&name.as_str()) {
            return Err(if name.starts_with('-') {
                format!(
                    "unknown option `{name}`; the options are {}",
                    known.join(", ")
                )
            } else {
                format!("unexpected argument `{arg}`; this command takes options only")
            });
        }
        let value = match inline {
            Some(v) => v,
            None => match args.next() {
                Some(v) if !v.starts_with("--") => v,
                _ => return Err(format!("`{name}` needs a value")),
            },
        };
        match name.as_str() {
            "--credentials" => credentials.push(value),
            "--region" => region = Some(value),
            "--port" => port = Some(value),
            "--bind" => bind = Some(value),
            "--dir" => dir = Some(value),
            "--allow-origin" => origins.push(value),
            "--idle-timeout" => idle = Some(value),
            "--fsync" => fsync = Some(value),
            "--ready-file" => ready_file = Some(value),
            _ => buckets.push(value),
        }
    }
    let list = |var: &str| -> Vec<String> {
        env(var)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    if credentials.is_empty() {
        credentials = list("POST_POLICY_LOCAL_CREDENTIALS");
    }
    let mut parsed = Vec::new();
    for pair in &credentials {
        let (id, secret) = pair
            .split_once(':')
            .ok_or_else(|| format!("credentials `{}` are not AKID:SECRET", shorten_pair(pair)))?;
        if parsed.iter().any(|c: &Credentials| c.access_key_id() == id) {
            return Err(format!(
                "credentials for `{id}` are given twice: give each access key id once"
            ));
        }
        parsed.push(
            Credentials::new(id, secret).map_err(|e| format!("credentials for `{id}`: {e}"))?,
        );
    }
    if parsed.is_empty() {
        if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            let mut c = Credentials::new(&id, secret)
                .map_err(|e| format!("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: {e}"))?;
            if let Some(token) = env("AWS_SESSION_TOKEN") {
                c = c
                    .with_session_token(token)
                    .map_err(|e| format!("AWS_SESSION_TOKEN: {e}"))?;
            }
            parsed.push(c);
        }
    }
    let region = region
        .or_else(|| env("POST_POLICY_LOCAL_REGION"))
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".into());
    let region = Region::new(&region).map_err(|e| format!("region `{region}`: {e}"))?;
    let port = port
        .or_else(|| env("POST_POLICY_LOCAL_PORT"))
        .unwrap_or_else(|| "0".into());
    let port: u16 = port
        .parse()
        .map_err(|_| format!("port `{port}` is not a number from 0 to 65535"))?;
    let bind = bind
        .or_else(|| env("POST_POLICY_LOCAL_BIND"))
        .unwrap_or_else(|| "127.0.0.1".into());
    let ip: IpAddr = bind.parse().map_err(|_| {
        format!("bind address `{bind}` is not an IP address such as 127.0.0.1 or ::1")
    })?;
    let dir = dir
        .or_else(|| env("POST_POLICY_LOCAL_DIR"))
        .unwrap_or_else(|| "post-policy-local-data".into());
    if origins.is_empty() {
        origins = list("POST_POLICY_LOCAL_ALLOW_ORIGIN");
    }
    if buckets.is_empty() {
        buckets = list("POST_POLICY_LOCAL_BUCKETS");
    }
    let idle = match idle.or_else(|| env("POST_POLICY_LOCAL_IDLE_TIMEOUT")) {
        None => post_policy_local::DEFAULT_IDLE_TIMEOUT,
        Some(text) => match text.parse::<f64>() {
            Ok(secs) if (0.1..=3600.0).contains(&secs) => std::time::Duration::from_secs_f64(secs),
            _ => {
                return Err(format!(
                    "idle timeout `{text}` is not a number of seconds from 0.1 to 3600"
                ))
            }
        },
    };
    let fsync = match fsync.or_else(|| env("POST_POLICY_LOCAL_FSYNC")) {
        None => true,
        Some(text) => match text.as_str() {
            "on" => true,
            "off" => false,
            _ => return Err(format!("fsync `{text}` is neither `on` nor `off`")),
        },
    };
    let ready_file = match ready_file.or_else(|| env("POST_POLICY_LOCAL_READY_FILE")) {
        None => None,
        Some(text) => {
            let path = PathBuf::from(&text);
            if path.file_name().is_none() || text.ends_with('/') {
                return Err(format!(
                    "ready file `{text}` names a directory, not a file: give a file path such as \
                     /tmp/post-policy-local.json"
                ));
            }
            Some(path)
        }
    };
    if parsed.is_empty() {
        return Err(
            "no credentials: give --credentials AKID:SECRET (or set POST_POLICY_LOCAL_CREDENTIALS, \
             or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
                .into(),
        );
    }
    let shown = parsed
        .iter()
        .map(|c| {
            (
                c.access_key_id().to_string(),
                shorten(c.secret_access_key()),
            )
        })
        .collect();
    let mut config = Config::new(PathBuf::from(dir), region)
        .idle_timeout(idle)
        .fsync(fsync);
    for c in parsed {
        config = config.credentials(c);
    }
    for o in origins {
        config = config.allow_origin(o);
    }
    for b in &buckets {
        config = config.bucket(b);
    }
    Ok(Settings {
        config,
        addr: SocketAddr::new(ip, port),
        shown,
        buckets,
        ready_file,
    })
}

/// A secret for display: its length and at most its first two characters.
fn shorten(secret: &str) -> String {
    let shown: String = if secret.chars().count() >= 16 {
        secret.chars().take(2).collect()
    } else {
        String::new()
    };
    format!("{shown}*** ({} characters)", secret.chars().count())
}

fn shorten_pair(pair: &str) -> String {
    match pair.split_once(':') {
        Some((id, secret)) => format!("{id}:{}", shorten(secret)),
        None => shorten(pair),
    }
}

/// Ctrl-C or SIGTERM: listened for from the call on, so that a signal sent
/// as soon as the banner says how to stop the server is not lost (nor kills
/// it before it has stopped).
#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{signal, SignalKind};
    let listen = |kind| signal(kind).map_err(|e| format!("cannot listen for signals: {e}"));
    let mut interrupt = listen(SignalKind::interrupt())?;
    let mut terminate = listen(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

fn run(settings: Settings) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let ready_file = settings.ready_file.clone();
    if let Some(path) = &ready_file {
        if path.is_dir() {
            return Err(format!(
                "the ready file {} is a directory: give a file path in it, such as {}",
                path.display(),
                path.join("post-policy-local.json").display()
            ));
        }
        // A file left by an earlier run must not announce this one before
        // it listens.
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(format!(
                    "cannot remove the old ready file {}: {e}",
                    path.display()
                ))
            }
        }
    }
    let mut announced = false;
    let served = runtime.block_on(async {
        let config = settings.config;
        let dir = config.dir().to_path_buf();
        let endpoint = LocalS3::new(config)
            .map_err(|e| format!("cannot use the directory {}: {e}", dir.display()))?;
        let listener = tokio::net::TcpListener::bind(settings.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", settings.addr))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {}: {e}", settings.addr))?;
        let shutdown = shutdown_signal()?;
        let config = endpoint.config();
        let mut banner = format!("{}\n", url_of(addr));
        banner.push_str(&format!("listening on {addr}\n"));
        banner.push_str(&format!("region: {}\n", config.region()));
        for (id, secret) in &settings.shown {
            banner.push_str(&format!("credentials: {id} (secret {secret})\n"));
        }
        banner.push_str(&format!("storage: {}\n", dir.display()));
        banner.push_str(&format!(
            "allowed origins: {}\n",
            config.allowed_origins().join(", ")
        ));
        banner.push_str(&format!(
            "idle timeout: {} s\n",
            config.idle().as_secs_f64()
        ));
        if !config.fsyncs() {
            banner.push_str("fsync: off (a machine crash can lose recent objects)\n");
        }
        if let Some(path) = &ready_file {
            let json = ready_json(addr, &endpoint, &settings.buckets)?;
            write_atomically(path, &json).map_err(|e| {
                format!(
                    "cannot write the ready file {}: {e}; give a path in a writable directory",
                    path.display()
                )
            })?;
            announced = true;
            banner.push_str(&format!("ready file: {}\n", path.display()));
        }
        banner.push_str("stop with Ctrl-C or SIGTERM\n");
        print!("{banner}");
        let _ = std::io::stdout().flush();
        endpoint
            .serve(listener, shutdown)
            .await
            .map_err(|e| format!("the server stopped: {e}"))
    });
    if let (Some(path), true) = (&ready_file, announced) {
        // Stopped: no longer ready.
        let _ = std::fs::remove_file(path);
    }
    served
}

/// The ready file's JSON: where the endpoint listens and what a form must
/// be signed for. Never a secret: whoever reads it started the endpoint
/// with the credentials.
fn ready_json(addr: SocketAddr, endpoint: &LocalS3, buckets: &[String]) -> Result<String, String> {
    let config = endpoint.config();
    let dir = std::path::absolute(config.dir()).map_err(|e| {
        format!(
            "cannot resolve the directory {}: {e}",
            config.dir().display()
        )
    })?;
    let dir = dir.to_str().ok_or_else(|| {
        format!(
            "the directory {} is not UTF-8, which the ready file's JSON cannot hold; \
             give --dir a UTF-8 path",
            dir.display()
        )
    })?;
    let ids: Vec<&str> = config.access_key_ids().collect();
    let json = serde_json::json!({
        "endpoint": url_of(addr),
        "port": addr.port(),
        "region": config.region().as_str(),
        "access_key_id": ids.first(),
        "access_key_ids": ids,
        "buckets": if buckets.is_empty() { None } else { Some(buckets) },
        "dir": dir,
        "pid": std::process::id(),
    });
    Ok(format!("{json}\n"))
}

/// Writes `text` to a temporary file beside `path`, syncs it and renames it
/// to `path`, so that a reader finds the whole text or no file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path names no file"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = parent.join(temp_name);
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

fn main() -> ExitCode {
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => {
                eprintln!(
                    "post-policy-local: the argument {arg:?} is not UTF-8\nRun `post-policy-local --help` for usage."
                );
                return ExitCode::from(2);
            }
        }
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let settings = match parse(args, &env) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("post-policy-local: {msg}\nRun `post-policy-local --help` for usage.");
            return ExitCode::from(2);
        }
    };
    match run(settings) {
        Ok(()) => {
            eprintln!("post-policy-local: stopped");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("post-policy-local: {msg}");
            ExitCode::from(1)
        }
    }
}
