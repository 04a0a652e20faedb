//! The smallest axum service handing browsers signed upload forms.
//!
//! ```text
//! cargo run --example axum-minimal     # then: curl http://127.0.0.1:3000/uploads/new
//! ```
//!
//! Credentials, region and endpoint come from the standard AWS variables;
//! without them it signs with AWS's documentation keys (S3 refuses those).

use std::sync::Arc;

use axum::http::{header::CONTENT_TYPE, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{extract::State, routing::get, Router};
use policy_runtime::{post_policy, Credentials, Error, Region, Signer};

post_policy! {
    /// PDFs of 1 byte to 20 MB under `invoices/`, for 5 minutes.
    pub struct InvoiceUpload {
        bucket = "invoices",
        key starts_with "invoices/",
        content_length 1..=20_000_000,
        content_type = "application/pdf",
        success_action_status = 201,
        expires_in = 5 min,
    }
}

/// `GET /uploads/new`: `{"url": ..., "fields": {...}}`, signed now. The page
/// appends every field to a `FormData`, then the file, and posts it to `url`.
async fn new_upload(State(signer): State<Arc<Signer>>) -> Response {
    match (InvoiceUpload {}).sign(&signer) {
        Ok(post) => ([(CONTENT_TYPE, "application/json")], post.to_json()).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The routes, for `main` and for tests.
pub fn app(signer: Signer) -> Router {
    Router::new()
        .route("/uploads/new", get(new_upload))
        .with_state(Arc::new(signer))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let signer = match Signer::from_env() {
        Err(Error::MissingSetting { .. }) => {
            let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
            let credentials = Credentials::new("AKIAIOSFODNN7EXAMPLE", secret)?;
            Signer::new(credentials, Region::new("us-east-1")?)
        }
        other => other?,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("GET http://{}/uploads/new", listener.local_addr()?);
    axum::serve(listener, app(signer)).await?;
    Ok(())
}
