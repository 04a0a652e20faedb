//! A local S3 POST endpoint for development and tests.
//!
//! It takes browser uploads (`POST /{bucket}`, `multipart/form-data`), checks
//! each form exactly as S3 does with [`policy_runtime::verify::Verifier`],
//! stores what it accepts under a directory and serves it back with
//! `GET /{bucket}/{key}` (its Content-Type and `x-amz-meta-*` headers
//! included). It answers like S3: the `success_action_status` or
//! `success_action_redirect` of the form, or an XML error with S3's `Code`
//! and `Message`, plus a `Reason` element and an `x-post-policy-reason`
//! header naming the condition that failed. CORS is answered so that a page
//! on another origin can post.
//!
//! It is not a general S3: no listing, no deletes, no other API, no
//! authentication of `GET`s. Any other request gets S3's XML error: `405
//! MethodNotAllowed` where S3 has no such method either (a `POST` to an
//! object's URL), `501 NotImplemented` where S3 has one. Use it where a real
//! bucket would be in the way: on a developer's machine, in tests, in demos.
//!
//! ```
//! use post_policy_local::{Config, LocalS3};
//! use policy_runtime::{Credentials, Region};
//! use std::io::{Read, Write};
//!
//! let dir = std::env::temp_dir().join(format!("post-policy-local-doc-{}", std::process::id()));
//! let config = Config::new(&dir, Region::new("us-east-1")?)
//!     .credentials(Credentials::new("AKIDLOCAL", "local-secret")?);
//! let running = LocalS3::new(config)?.spawn("127.0.0.1:0".parse()?)?;
//! // `running.url()` is the endpoint to sign for:
//! // Signer::new(..).with_endpoint(Endpoint::custom(running.url())?)
//! assert!(running.url().starts_with("http://127.0.0.1:"));
//!
//! let mut stream = std::net::TcpStream::connect(running.addr())?;
//! stream.write_all(b"GET /photos/missing.png HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut answer = String::new();
//! stream.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 404"));
//! assert!(answer.contains("<Code>NoSuchKey</Code>"));
//! running.stop()?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod answer;
mod budget;
mod config;
mod cors;
mod object;
mod serve;
mod store;
mod upload;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use axum::routing::{get, post};
use axum::Router;
use policy_runtime::verify::Verifier;
use policy_runtime::Credentials;
use tokio::sync::oneshot;

pub use config::{Config, DEFAULT_IDLE_TIMEOUT};

use store::Store;

/// What every request handler shares.
pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) verifier: Verifier<Vec<Credentials>>,
    pub(crate) store: Store,
}

/// The endpoint: its configuration, checker and storage, ready to serve.
///
/// Build one with [`LocalS3::new`], then run it on a listener of your own
/// with [`LocalS3::serve`], embed its [`LocalS3::router`] in an axum
/// application, or start it on a background thread with [`LocalS3::spawn`].
///
/// ```
/// use post_policy_local::{Config, LocalS3};
/// use policy_runtime::{Credentials, Region};
///
/// let dir = std::env::temp_dir().join(format!("post-policy-local-new-{}", std::process::id()));
/// let config = Config::new(&dir, Region::new("eu-west-1")?)
///     .credentials(Credentials::new("AKID", "secret")?);
/// let endpoint = LocalS3::new(config)?;
/// assert!(dir.is_dir());
/// let _router: axum::Router = endpoint.router();
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LocalS3 {
    state: Arc<State>,
}

impl std::fmt::Debug for LocalS3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalS3")
            .field("config", &self.state.config)
            .finish()
    }
}

impl LocalS3 {
    /// An endpoint for `config`: creates its storage directory and removes
    /// what an earlier run left half-written.
    ///
    /// Fails when the directory cannot be created or written.
    ///
    /// ```
    /// # use post_policy_local::{Config, LocalS3};
    /// # use policy_runtime::Region;
    /// let dir = std::env::temp_dir().join(format!("post-policy-local-open-{}", std::process::id()));
    /// LocalS3::new(Config::new(&dir, Region::new("us-east-1")?))?;
    /// assert!(dir.join(".incoming").is_dir());
    /// // A directory that cannot be created: its parent is a file.
    /// # std::fs::write(dir.join("file"), b"")?;
    /// assert!(LocalS3::new(Config::new(dir.join("file/sub"), Region::new("us-east-1")?)).is_err());
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: Config) -> io::Result<LocalS3> {
        let store = Store::open(config.dir(), config.fsyncs())?;
        let verifier = Verifier::new(config.credential_list().to_vec(), config.region().clone());
        Ok(LocalS3 {
            state: Arc::new(State {
                config,
                verifier,
                store,
            }),
        })
    }

    /// The configuration it runs with.
    ///
    /// ```
    /// # use post_policy_local::{Config, LocalS3};
    /// # use policy_runtime::Region;
    /// # let dir = std::env::temp_dir().join(format!("post-policy-local-config-{}", std::process::id()));
    /// let endpoint = LocalS3::new(Config::new(&dir, Region::new("eu-west-1")?).bucket("photos"))?;
    /// assert_eq!(endpoint.config().region().as_str(), "eu-west-1");
    /// assert!(!endpoint.config().serves_bucket("docs"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// The routes (`POST /{bucket}`, `GET`/`HEAD /{bucket}/{key}`, CORS
    /// preflights, S3's XML errors for anything else), for embedding in an
    /// axum application.
    ///
    /// ```
    /// # use post_policy_local::{Config, LocalS3};
    /// # use policy_runtime::Region;
    /// # use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// # async fn get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<String> {
    /// #     let mut stream = tokio::net::TcpStream::connect(addr).await?;
    /// #     stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    /// #     let mut answer = String::new();
    /// #     stream.read_to_string(&mut answer).await?;
    /// #     Ok(answer)
    /// # }
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("post-policy-local-router-{}", std::process::id()));
    /// let endpoint = LocalS3::new(Config::new(&dir, Region::new("us-east-1")?))?;
    /// let app = axum::Router::new()
    ///     .route("/health", axum::routing::get(|| async { "ok" }))
    ///     .merge(endpoint.router());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let addr = listener.local_addr()?;
    /// tokio::spawn(async move { axum::serve(listener, app).await });
    /// assert!(get(addr, "/health").await?.ends_with("\r\n\r\nok"));
    /// assert!(get(addr, "/photos/missing.png").await?.contains("<Code>NoSuchKey</Code>"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn router(&self) -> Router {
        Router::new()
            .route("/{bucket}", post(upload::post_object))
            .route("/{bucket}/", post(upload::post_object))
            .route("/{bucket}/{*key}", get(object::get_object))
            .fallback(object::fallback)
            .method_not_allowed_fallback(object::fallback)
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                cors::cors,
            ))
            .with_state(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then lets the
    /// requests under way finish for up to the idle timeout
    /// ([`Config::idle_timeout`]), closes what is left and returns.
    ///
    /// ```no_run
    /// # async fn run() -> std::io::Result<()> {
    /// use post_policy_local::{Config, LocalS3};
    /// use policy_runtime::{Credentials, Region};
    ///
    /// let config = Config::new("uploads", Region::new("us-east-1").unwrap())
    ///     .credentials(Credentials::new("AKID", "secret").unwrap());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:9000").await?;
    /// LocalS3::new(config)?
    ///     .serve(listener, async { tokio::signal::ctrl_c().await.unwrap() })
    ///     .await
    /// # }
    /// ```
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let idle = self.state.config.idle();
        serve::serve(listener, self.router(), idle, shutdown).await
    }

    /// Starts serving on `addr` (port 0: a free one) on a thread of its own
    /// with its own runtime, for blocking code and tests. The server stops
    /// when the returned [`Running`] is stopped or dropped.
    ///
    /// ```
    /// use post_policy_local::{Config, LocalS3};
    /// use policy_runtime::{Credentials, Region};
    ///
    /// let dir = std::env::temp_dir().join(format!("post-policy-local-spawn-{}", std::process::id()));
    /// let config = Config::new(&dir, Region::new("us-east-1")?)
    ///     .credentials(Credentials::new("AKID", "secret")?);
    /// let running = LocalS3::new(config)?.spawn("127.0.0.1:0".parse()?)?;
    /// assert_ne!(running.addr().port(), 0);
    /// drop(running); // stops it
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn spawn(self, addr: SocketAddr) -> io::Result<Running> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind(addr))?;
        let local = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("post-policy-local".into())
            .spawn(move || {
                runtime.block_on(self.serve(listener, async {
                    let _ = rx.await;
                }))
            })?;
        Ok(Running {
            url: url_of(local),
            addr: local,
            stop: Some(tx),
            thread: Some(thread),
        })
    }
}

/// The URL a client reaches a listener at: an unspecified bind address
/// (`0.0.0.0`, `::`) is reached through loopback.
///
/// ```
/// assert_eq!(post_policy_local::url_of("0.0.0.0:9000".parse().unwrap()), "http://127.0.0.1:9000");
/// assert_eq!(post_policy_local::url_of("[::1]:80".parse().unwrap()), "http://[::1]:80");
/// ```
pub fn url_of(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// An endpoint serving on a background thread (see [`LocalS3::spawn`]).
/// Dropping it stops the server and waits for it.
///
/// ```
/// # use post_policy_local::{Config, LocalS3, Running};
/// # use policy_runtime::Region;
/// # let dir = std::env::temp_dir().join(format!("post-policy-local-running-{}", std::process::id()));
/// let running: Running = LocalS3::new(Config::new(&dir, Region::new("us-east-1")?))?
///     .spawn("127.0.0.1:0".parse()?)?;
/// assert!(std::net::TcpStream::connect(running.addr()).is_ok());
/// assert!(format!("{running:?}").contains(running.url()));
/// running.stop()?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Running {
    url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Running {
    /// `http://HOST:PORT`: the endpoint to sign forms for; a form for bucket
    /// `b` is posted to `{url}/b`.
    ///
    /// ```
    /// # use post_policy_local::{Config, LocalS3};
    /// # use policy_runtime::Region;
    /// # let dir = std::env::temp_dir().join(format!("post-policy-local-url-{}", std::process::id()));
    /// let running = LocalS3::new(Config::new(&dir, Region::new("us-east-1")?))?.spawn("127.0.0.1:0".parse()?)?;
    /// assert_eq!(running.url(), format!("http://127.0.0.1:{}", running.addr().port()));
    /// # running.stop()?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address it listens on.
    ///
    /// ```
    /// # use post_policy_local::{Config, LocalS3};
    /// # use policy_runtime::Region;
    /// # let dir = std::env::temp_dir().join(format!("post-policy-local-addr-{}", std::process::id()));
    /// let running = LocalS3::new(Config::new(&dir, Region::new("us-east-1")?))?.spawn("127.0.0.1:0".parse()?)?;
    /// assert!(running.addr().ip().is_loopback());
    /// assert_ne!(running.addr().port(), 0); // the free port chosen
    /// # running.stop()?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, lets the requests under way finish,
    /// and returns the server's result.
    ///
    /// ```
    /// # use post_policy_local::{Config, LocalS3};
    /// # use policy_runtime::Region;
    /// # let dir = std::env::temp_dir().join(format!("post-policy-local-stop-{}", std::process::id()));
    /// let running = LocalS3::new(Config::new(&dir, Region::new("us-east-1")?))?.spawn("127.0.0.1:0".parse()?)?;
    /// let addr = running.addr();
    /// running.stop()?;
    /// assert!(std::net::TcpStream::connect(addr).is_err()); // no longer listening
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stop(mut self) -> io::Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
