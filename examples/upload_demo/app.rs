//! The upload demo's service: signs upload forms from one `post_policy!`
//! declaration, serves the page, and records uploads once the store confirms
//! them. The bytes go from the browser straight to the store.

use std::error::Error;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use policy_runtime::sigv4::SigningKey;
use policy_runtime::time::OffsetDateTime;
use policy_runtime::{post_policy, Credentials, Endpoint, Region, Signer};
use post_policy_local::{Config, LocalS3, Running};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

post_policy! {
    /// Images of 1 byte to 5 MB under the user's folder, for 10 minutes.
    pub struct ImageUpload {
        bucket = {bucket},
        key starts_with "user/{user_id}/",
        content_length 1..=5_000_000,
        content_type starts_with "image/",
        success_action_status = 201,
        expires_in = 10 min,
    }
}

/// The demo has one user; a real service takes it from the session.
pub const DEMO_USER: &str = "42";

const PAGE: &str = include_str!("page.html");

/// Where uploads go.
pub enum Storage {
    /// The local S3 POST endpoint, started in-process, storing under `dir`.
    Local {
        /// Its data directory.
        dir: PathBuf,
    },
    /// An S3 store: AWS, or the signer's custom endpoint (Garage, MinIO,
    /// ...), path-style. The bucket's CORS rules must let the page's origin
    /// `POST`.
    Store {
        /// Its credentials, region and endpoint.
        signer: Signer,
        /// The bucket to upload to.
        bucket: String,
    },
}

impl Storage {
    /// The store the standard variables name, read through `lookup`:
    /// `UPLOAD_DEMO_BUCKET` chooses store mode and names the bucket; the
    /// store is then the one `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`
    /// (and `AWS_SESSION_TOKEN`), `AWS_REGION` and, for a store other than
    /// AWS, `AWS_ENDPOINT_URL_S3` name. `Ok(None)` without
    /// `UPLOAD_DEMO_BUCKET`: the local endpoint then, whatever AWS variables
    /// are set (see [`Storage::ignored_credentials`]).
    pub fn from_lookup(
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Storage>, Box<dyn Error>> {
        let Some(bucket) = set(lookup, "UPLOAD_DEMO_BUCKET") else {
            return Ok(None);
        };
        let signer = Signer::from_lookup(lookup).map_err(|e| {
            format!("UPLOAD_DEMO_BUCKET={bucket} names a store, but its credentials or region: {e}")
        })?;
        Ok(Some(Storage::Store { signer, bucket }))
    }

    /// Whether AWS credentials are set that [`Storage::from_lookup`] leaves
    /// unused, because `UPLOAD_DEMO_BUCKET` is not set.
    pub fn ignored_credentials(lookup: &dyn Fn(&str) -> Option<String>) -> bool {
        set(lookup, "UPLOAD_DEMO_BUCKET").is_none() && set(lookup, "AWS_ACCESS_KEY_ID").is_some()
    }
}

/// A variable's value, when set and not empty.
fn set(lookup: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name).filter(|v| !v.is_empty())
}

/// A running demo: the service and, for [`Storage::Local`], the endpoint.
/// Dropping it stops both.
pub struct Demo {
    url: String,
    store_url: String,
    uploads: Arc<Mutex<Vec<String>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    _local: Option<Running>,
}

impl Demo {
    /// The page to open.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the browser posts to.
    pub fn store_url(&self) -> &str {
        &self.store_url
    }

    /// The keys recorded so far.
    pub fn uploads(&self) -> Vec<String> {
        self.uploads.lock().unwrap().clone()
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct App {
    signer: Signer,
    bucket: String,
    http: reqwest::Client,
    uploads: Arc<Mutex<Vec<String>>>,
}

/// Starts the service on `addr` (port 0: a free one) on a thread of its own.
pub fn start(addr: SocketAddr, storage: Storage) -> Result<Demo, Box<dyn Error>> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let url = post_policy_local::url_of(listener.local_addr()?);
    let (signer, bucket, local) = match storage {
        Storage::Local { dir } => {
            let credentials = Credentials::new("AKIDUPLOADDEMO", "upload-demo-secret")?;
            let region = Region::new("us-east-1")?;
            let config = Config::new(dir, region.clone())
                .credentials(credentials.clone())
                .allow_origin(url.as_str());
            let running = LocalS3::new(config)?.spawn("127.0.0.1:0".parse()?)?;
            let signer =
                Signer::new(credentials, region).with_endpoint(Endpoint::custom(running.url())?);
            (signer, "uploads".to_string(), Some(running))
        }
        Storage::Store { signer, bucket } => (signer, bucket, None),
    };
    let store_url = signer.endpoint().url(&bucket, signer.region());
    let uploads = Arc::new(Mutex::new(Vec::new()));
    let app = Arc::new(App {
        signer,
        bucket,
        http: reqwest::Client::new(),
        uploads: Arc::clone(&uploads),
    });
    let router = Router::new()
        .route("/", get(page))
        .route("/uploads/new", get(new_upload))
        .route("/uploads/done", post(done))
        .with_state(app);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(async { tokio::net::TcpListener::from_std(listener) })?;
    let (tx, rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("upload-demo".into())
        .spawn(move || {
            runtime.block_on(async {
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            })
        })?;
    Ok(Demo {
        url,
        store_url,
        uploads,
        stop: Some(tx),
        thread: Some(thread),
        _local: local,
    })
}

impl App {
    fn upload(&self) -> ImageUpload {
        ImageUpload {
            bucket: self.bucket.clone(),
            user_id: DEMO_USER.to_string(),
        }
    }
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, message.to_string()).into_response()
}

/// The page, with the rules its checks use taken from the declaration.
async fn page(State(app): State<Arc<App>>) -> Response {
    let signed = match app.upload().sign(&app.signer) {
        Ok(signed) => signed,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let rules = json!({
        "content_length": ImageUpload::CONTENT_LENGTH.map(|r| [*r.start(), *r.end()]),
        "client_fields": signed.client_fields().iter()
            .map(|f| json!({"name": f.name.as_str(), "prefix": f.prefix}))
            .collect::<Vec<_>>(),
    });
    // `<` escaped so the JSON cannot close the script element.
    let rules = rules.to_string().replace('<', "\\u003c");
    Html(PAGE.replace("/*RULES*/null", &rules)).into_response()
}

/// A freshly signed form for the current user: `{"url", "fields"}`.
async fn new_upload(State(app): State<Arc<App>>) -> Response {
    match app.upload().sign(&app.signer) {
        Ok(signed) => json_response(signed.to_json()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// `{"key"}` of an upload the browser says it made: recorded once the store
/// has it; answers `{"key", "url"}` with a URL to read it back.
async fn done(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let key = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["key"].as_str().map(str::to_string));
    let Some(key) = key else {
        return error(StatusCode::BAD_REQUEST, "expected {\"key\": ...}");
    };
    let folder = format!("user/{DEMO_USER}/");
    if !key.starts_with(&folder) || key.split('/').any(|s| s == "..") {
        return error(
            StatusCode::FORBIDDEN,
            format!("{key:?} is not under {folder}"),
        );
    }
    let head = presign(&app.signer, &app.bucket, "HEAD", &key);
    match app.http.head(&head).send().await {
        Ok(reply) if reply.status().is_success() => {}
        Ok(reply) => {
            return error(
                StatusCode::CONFLICT,
                format!("the store has no {key:?} ({})", reply.status()),
            )
        }
        Err(e) => return error(StatusCode::BAD_GATEWAY, format!("the store: {e}")),
    }
    app.uploads.lock().unwrap().push(key.clone());
    println!("upload-demo: recorded {key}");
    let url = presign(&app.signer, &app.bucket, "GET", &key);
    json_response(json!({"key": key, "url": url}).to_string())
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A SigV4 presigned URL (query authentication, 10 minutes) for `method` on
/// `key`.
pub fn presign(signer: &Signer, bucket: &str, method: &str, key: &str) -> String {
    let base = signer.endpoint().url(bucket, signer.region());
    let url = format!("{}/{}", base.trim_end_matches('/'), uri_encode(key, false));
    let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let (host, path) = after_scheme.split_at(after_scheme.find('/').unwrap_or(after_scheme.len()));

    let now = OffsetDateTime::now_utc();
    let amz_date = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let date = &amz_date[..8];
    let region = signer.region().as_str();
    let credentials = signer.credentials();
    let scope = format!("{date}/{region}/s3/aws4_request");
    let mut query = vec![
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256".to_string()),
        (
            "X-Amz-Credential",
            format!("{}/{scope}", credentials.access_key_id()),
        ),
        ("X-Amz-Date", amz_date.clone()),
        ("X-Amz-Expires", "600".to_string()),
        ("X-Amz-SignedHeaders", "host".to_string()),
    ];
    if let Some(token) = credentials.session_token() {
        query.push(("X-Amz-Security-Token", token.to_string()));
    }
    query.sort();
    let query = query
        .iter()
        .map(|(name, value)| format!("{name}={}", uri_encode(value, true)))
        .collect::<Vec<_>>()
        .join("&");
    let canonical = format!("{method}\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let signature = SigningKey::derive(credentials.secret_access_key(), date, region, "s3")
        .sign(to_sign.as_bytes());
    format!("{url}?{query}&X-Amz-Signature={signature}")
}

/// SigV4's URI encoding: unreserved characters kept, `/` kept unless
/// `slash`, everything else `%XX`.
fn uri_encode(value: &str, slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (b == b'/' && !slash) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
