//! Signing for an S3-compatible store (Garage, MinIO, Cloudflare R2, Ceph,
//! ...) and posting a file to it.
//!
//! ```text
//! cargo run -q --example custom-endpoint                  # a local endpoint, started here
//! AWS_ENDPOINT_URL_S3=http://127.0.0.1:3900 AWS_REGION=garage \
//!   AWS_ACCESS_KEY_ID=GK... AWS_SECRET_ACCESS_KEY=... \
//!   cargo run -q --example custom-endpoint -- my-bucket   # your own store
//! ```
//!
//! Three things differ from AWS, and all live in the [`Signer`]:
//!
//! - **The endpoint.** `Endpoint::custom(url)` posts path-style, to
//!   `URL/BUCKET`, which every S3-compatible store accepts. Stores set up
//!   for virtual-hosted buckets (R2, MinIO with `MINIO_DOMAIN`) also take
//!   `.path_style(false)`: `https://BUCKET.HOST/`.
//! - **The region.** It is part of the signature's scope and must be the one
//!   the store expects: `garage` for Garage (its `s3_region`), `auto` for
//!   R2, `us-east-1` for MinIO unless configured otherwise.
//! - **The credentials.** The store's own access key and secret.
//!
//! Without `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) the example starts
//! `post_policy_local::LocalS3` in-process, a store that checks forms exactly
//! as S3 does, with region `garage`, and uploads to it; with it, it uploads
//! to that store with the standard AWS variables. Either way it prints the
//! store's answers to an accepted upload and to a refused one.

use std::error::Error;

use policy_runtime::{post_policy, Credentials, Endpoint, Region, SignedPost, Signer};
use post_policy_local::{Config, LocalS3, Running};
use reqwest::blocking::{multipart, Client};

post_policy! {
    /// Text notes of 1 byte to 1 KiB under `notes/`, for 15 minutes.
    pub struct NoteUpload {
        bucket = {bucket},
        key starts_with "notes/",
        content_length 1..=1024,
        content_type starts_with "text/",
        success_action_status = 201,
        expires_in = 15 min,
    }
}

/// A store's answer to one upload.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status: 201 for an accepted note.
    pub status: u16,
    /// The body: S3's `PostResponse` XML, or its `Error` XML.
    pub body: String,
}

/// Posts `bytes` as `file_name` with the signed form, as a browser does:
/// every signed field in order, then the Content-Type the page fills in,
/// then the file, last (S3 ignores fields after it).
pub fn upload(
    post: &SignedPost,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<Answer, Box<dyn Error>> {
    let mut form = multipart::Form::new();
    for (name, value) in post.fields() {
        form = form.text(name.to_owned(), value.to_owned());
    }
    form = form.text("Content-Type", "text/plain");
    form = form.part(
        "file",
        multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
    );
    let response = Client::new().post(post.url()).multipart(form).send()?;
    Ok(Answer {
        status: response.status().as_u16(),
        body: response.text()?,
    })
}

/// The local endpoint, standing in for a store: region `garage`, one key.
pub fn start_local(dir: &std::path::Path) -> Result<(Running, Signer), Box<dyn Error>> {
    let credentials = Credentials::new("GK31c2f218a2e44f485b94239e", "local-garage-secret")?;
    let region = Region::new("garage")?;
    let config = Config::new(dir, region.clone()).credentials(credentials.clone());
    let running = LocalS3::new(config)?.spawn("127.0.0.1:0".parse()?)?;
    // What `AWS_ENDPOINT_URL_S3=http://127.0.0.1:PORT` gives: path-style.
    let endpoint = Endpoint::custom(running.url())?;
    Ok((
        running,
        Signer::new(credentials, region).with_endpoint(endpoint),
    ))
}

/// Signs a note form for `bucket`, posts a note that fits and one that is
/// too large, and describes what the store answered.
pub fn run(signer: &Signer, bucket: &str) -> Result<(Answer, Answer), Box<dyn Error>> {
    let post = NoteUpload {
        bucket: bucket.to_owned(),
    }
    .sign(signer)?;
    println!("posting to {}", post.url());
    let accepted = upload(&post, "hello.txt", b"Hello from post_policy!\n".to_vec())?;
    println!(
        "\nnotes/hello.txt, 24 bytes: {}\n{}",
        accepted.status, accepted.body
    );
    let refused = upload(&post, "big.txt", vec![b'x'; 1025])?;
    println!(
        "\nnotes/big.txt, 1025 bytes: {}\n{}",
        refused.status, refused.body
    );
    Ok((accepted, refused))
}

fn main() -> Result<(), Box<dyn Error>> {
    let bucket = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "notes".to_owned());
    if Endpoint::from_env()?.is_some() {
        // Your store: endpoint (path-style), credentials and region from the
        // AWS variables. For virtual-hosted URLs instead:
        // `signer.with_endpoint(Endpoint::custom(&url)?.path_style(false))`.
        run(&Signer::from_env()?, &bucket)?;
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("custom-endpoint-{}", std::process::id()));
    let (running, signer) = start_local(&dir)?;
    println!(
        "started a local endpoint at {} (region garage)",
        running.url()
    );
    // The other URL style, for stores that serve buckets as host names:
    let hosted = Endpoint::custom("https://ACCOUNT_ID.r2.cloudflarestorage.com")?.path_style(false);
    println!(
        "(virtual-hosted, as for R2: {})",
        hosted.url(&bucket, &Region::new("auto")?)
    );
    run(&signer, &bucket)?;
    running.stop()?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
