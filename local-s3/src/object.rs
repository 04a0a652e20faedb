//! `GET`/`HEAD /{bucket}/{key}`: a stored object, with the headers it was
//! uploaded with.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State as Shared};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::answer::{header_text, Refusal};
use crate::upload::valid_bucket_name;
use crate::State;

/// The content type S3 gives an object uploaded without one.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

pub(crate) async fn get_object(
    Shared(state): Shared<Arc<State>>,
    Path((bucket, key)): Path<(String, String)>,
) -> Response {
    let missing = || {
        Refusal::new(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
            format!("no object {key:?} in bucket {bucket:?}"),
        )
        .into_response()
    };
    if !valid_bucket_name(&bucket) || !state.config.serves_bucket(&bucket) {
        return missing();
    }
    let (object, path) = match state.store.find(&bucket, &key).await {
        Ok(Some(found)) => found,
        Ok(None) => return missing(),
        Err(e) => return Refusal::internal("cannot read the object", &e).into_response(),
    };
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return missing(),
        Err(e) => return Refusal::internal("cannot read the object", &e).into_response(),
    };
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header_text(
            object
                .content_type
                .as_deref()
                .unwrap_or(DEFAULT_CONTENT_TYPE),
        ),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(object.size));
    headers.insert(header::ETAG, header_text(&object.etag));
    let mut exposed = vec!["ETag".to_string()];
    for (name, value) in &object.metadata {
        if let Ok(name) = HeaderName::try_from(format!("x-amz-meta-{name}")) {
            exposed.push(name.to_string());
            headers.append(name, text_value(value));
        }
    }
    for (name, value) in &object.headers {
        if let Ok(name) = HeaderName::try_from(name.as_str()) {
            exposed.push(name.to_string());
            headers.append(name, text_value(value));
        }
    }
    if let Ok(exposed) = HeaderValue::try_from(exposed.join(", ")) {
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
    }
    response
}

/// A stored value as a header: its UTF-8 bytes as they are when a header
/// can carry them (as S3 does), else escaped.
fn text_value(value: &str) -> HeaderValue {
    HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| header_text(value))
}

/// Anything else: S3's answers for a method or path this endpoint does not
/// serve.
pub(crate) async fn fallback(method: Method) -> Response {
    let (status, code, message) = if method == Method::GET || method == Method::HEAD {
        (
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        )
    } else {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
    };
    Refusal::new(
        status,
        code,
        message,
        "this local endpoint serves only browser uploads (POST /BUCKET) and reading them back \
         (GET /BUCKET/KEY)"
            .into(),
    )
    .into_response()
}
