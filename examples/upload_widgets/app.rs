//! The upload widgets' service: one `post_policy!` declaration, a page per
//! widget (Uppy, Dropzone) with the widget's browser bundle served from its
//! npm package, and `GET /uploads/new` answering a freshly signed
//! `{"url", "fields"}` per file. The bytes go from the browser straight to
//! the store.

use std::error::Error;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use policy_runtime::{post_policy, Credentials, Endpoint, Region, Signer};
use post_policy_local::{Config, LocalS3, Running};
use serde_json::json;
use tokio::sync::oneshot;

post_policy! {
    /// Images of 1 byte to 5 MB under the user's folder, tagged with the
    /// user, for 10 minutes.
    pub struct WidgetUpload {
        bucket = {bucket},
        key starts_with "widgets/{user_id}/",
        content_length 1..=5_000_000,
        content_type starts_with "image/",
        success_action_status = 201,
        meta("uploaded-by") = "{user_id}",
        expires_in = 10 min,
    }
}

/// The example has one user; a real service takes it from the session.
pub const USER: &str = "42";

/// The local endpoint's credentials (it runs in-process, on 127.0.0.1).
pub const LOCAL_ACCESS_KEY: &str = "AKIDUPLOADWIDGETS";
/// See [`LOCAL_ACCESS_KEY`].
pub const LOCAL_SECRET: &str = "upload-widgets-secret";
/// The local endpoint's region and bucket.
pub const LOCAL_REGION: &str = "us-east-1";
/// See [`LOCAL_REGION`].
pub const LOCAL_BUCKET: &str = "uploads";

/// The pages, by path: each widget's page and the script they share.
const UPPY_PAGE: &str = include_str!("uppy.html");
const DROPZONE_PAGE: &str = include_str!("dropzone.html");
const INDEX_PAGE: &str = include_str!("index.html");
const SHARED_SCRIPT: &str = include_str!("widgets.js");

/// The browser bundles the pages load, from the widgets' npm packages:
/// served as `/vendor/NAME`, read from `node_modules/PATH`.
pub const BUNDLES: [(&str, &str, &str); 4] = [
    ("uppy.min.js", "uppy/dist/uppy.min.js", "text/javascript"),
    ("uppy.min.css", "uppy/dist/uppy.min.css", "text/css"),
    (
        "dropzone-min.js",
        "dropzone/dist/dropzone-min.js",
        "text/javascript",
    ),
    ("dropzone.css", "dropzone/dist/dropzone.css", "text/css"),
];

/// The widgets' bundles, read once from a `node_modules` directory.
pub struct Bundles {
    files: Vec<(&'static str, &'static str, Vec<u8>)>,
    /// `uppy X, dropzone Y`, from their `package.json`.
    pub versions: String,
}

impl Bundles {
    /// Reads every bundle of [`BUNDLES`] from `node_modules`; the error names
    /// what is missing.
    pub fn read(node_modules: &Path) -> Result<Bundles, String> {
        let mut files = Vec::new();
        for (name, path, content_type) in BUNDLES {
            let file = node_modules.join(path);
            let bytes =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            files.push((name, content_type, bytes));
        }
        let version = |package: &str| {
            std::fs::read(node_modules.join(package).join("package.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|v| v["version"].as_str().map(str::to_string))
                .unwrap_or_else(|| "(unknown version)".into())
        };
        Ok(Bundles {
            files,
            versions: format!("uppy {}, dropzone {}", version("uppy"), version("dropzone")),
        })
    }
}

/// Where uploads go.
pub enum Storage {
    /// The local S3 POST endpoint, started in-process, storing under `dir`.
    Local {
        /// Its data directory.
        dir: PathBuf,
    },
    /// An S3 store (path-style at the signer's endpoint); the bucket's CORS
    /// rules must let the page's origin `POST` and expose `ETag`.
    Store {
        /// Its credentials, region and endpoint.
        signer: Signer,
        /// The bucket to upload to.
        bucket: String,
    },
}

/// A running service and, for [`Storage::Local`], the endpoint. Dropping it
/// stops both.
pub struct Widgets {
    url: String,
    store_url: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    _local: Option<Running>,
}

impl Widgets {
    /// The service's origin (`http://127.0.0.1:PORT`); the pages are
    /// `/uppy` and `/dropzone`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the browser posts to.
    pub fn store_url(&self) -> &str {
        &self.store_url
    }
}

impl Drop for Widgets {
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
    bundles: Bundles,
}

impl App {
    fn upload(&self) -> WidgetUpload {
        WidgetUpload {
            bucket: self.bucket.clone(),
            user_id: USER.to_string(),
        }
    }
}

/// Starts the service on `addr` (port 0: a free one) on a thread of its own.
pub fn start(
    addr: SocketAddr,
    storage: Storage,
    bundles: Bundles,
) -> Result<Widgets, Box<dyn Error>> {
    let listener = TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let url = post_policy_local::url_of(listener.local_addr()?);
    let (signer, bucket, local) = match storage {
        Storage::Local { dir } => {
            let credentials = Credentials::new(LOCAL_ACCESS_KEY, LOCAL_SECRET)?;
            let region = Region::new(LOCAL_REGION)?;
            let config = Config::new(dir, region.clone())
                .credentials(credentials.clone())
                .allow_origin(url.as_str());
            let running = LocalS3::new(config)?.spawn("127.0.0.1:0".parse()?)?;
            let signer =
                Signer::new(credentials, region).with_endpoint(Endpoint::custom(running.url())?);
            (signer, LOCAL_BUCKET.to_string(), Some(running))
        }
        Storage::Store { signer, bucket } => (signer, bucket, None),
    };
    let store_url = signer.endpoint().url(&bucket, signer.region());
    let app = Arc::new(App {
        signer,
        bucket,
        bundles,
    });
    let router = Router::new()
        .route("/", get(|| async { Html(INDEX_PAGE) }))
        .route("/uppy", get(|state| page(state, UPPY_PAGE)))
        .route("/dropzone", get(|state| page(state, DROPZONE_PAGE)))
        .route(
            "/widgets.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], SHARED_SCRIPT) }),
        )
        .route("/vendor/{name}", get(bundle))
        .route("/uploads/new", get(new_upload))
        .with_state(app);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(async { tokio::net::TcpListener::from_std(listener) })?;
    let (tx, rx) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("upload-widgets".into())
        .spawn(move || {
            runtime.block_on(async {
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            })
        })?;
    Ok(Widgets {
        url,
        store_url,
        stop: Some(tx),
        thread: Some(thread),
        _local: local,
    })
}

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, message.to_string()).into_response()
}

/// A widget's page, with the rules its checks use taken from the
/// declaration: `{"min", "max", "type_prefix"}`.
async fn page(State(app): State<Arc<App>>, html: &'static str) -> Response {
    let signed = match app.upload().sign(&app.signer) {
        Ok(signed) => signed,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let [min, max] = WidgetUpload::CONTENT_LENGTH.map_or([0, u64::MAX], |r| [*r.start(), *r.end()]);
    let type_prefix = signed
        .client_fields()
        .iter()
        .find(|f| f.name.as_str().eq_ignore_ascii_case("content-type"))
        .map_or("", |f| f.prefix.as_str());
    let rules = json!({"min": min, "max": max, "type_prefix": type_prefix});
    // `<` escaped so the JSON cannot close the script element.
    let rules = rules.to_string().replace('<', "\\u003c");
    Html(html.replace("/*RULES*/null", &rules)).into_response()
}

/// One of [`BUNDLES`], by its name.
async fn bundle(State(app): State<Arc<App>>, UrlPath(name): UrlPath<String>) -> Response {
    match app.bundles.files.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type)], bytes.clone()).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "no such bundle"),
    }
}

/// A freshly signed form for the current user: `{"url", "fields"}`.
async fn new_upload(State(app): State<Arc<App>>) -> Response {
    match app.upload().sign(&app.signer) {
        Ok(signed) => (
            [(header::CONTENT_TYPE, "application/json")],
            signed.to_json(),
        )
            .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}
