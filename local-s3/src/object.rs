//! `GET`/`HEAD /{bucket}/{key}`: a stored object, with the headers it was
//! uploaded with.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State as Shared};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use policy_runtime::rules::ChecksumAlgorithm;

use crate::answer::{header_text, Refusal};
use crate::upload::valid_bucket_name;
use crate::State;

/// The content type S3 gives an object uploaded without one.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

pub(crate) async fn get_object(
    Shared(state): Shared<Arc<State>>,
    Path((bucket, key)): Path<(String, String)>,
    request: HeaderMap,
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
    let (object, file) = match state.store.find(&bucket, &key).await {
        Ok(Some(found)) => found,
        Ok(None) => return missing(),
        Err(e) => return Refusal::internal("cannot read the object", &e).into_response(),
    };
    let bytes = tokio::io::AsyncReadExt::take(file, object.size);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(bytes));
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
    // Objects are served as data, never as active content in this origin:
    // no type sniffing, and a page or SVG runs no script (a sandbox with a
    // unique origin). S3 sends neither; it serves from its own domain.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    headers.insert(header::ETAG, header_text(&object.etag));
    let mut exposed = vec!["ETag".to_string()];
    for (name, value) in &object.metadata {
        if let Ok(name) = HeaderName::try_from(format!("x-amz-meta-{name}")) {
            exposed.push(name.to_string());
            headers.append(name, text_value(value));
        }
    }
    // As S3: the checksum only when asked for.
    let checksum_mode = request
        .get("x-amz-checksum-mode")
        .is_some_and(|mode| mode.as_bytes().eq_ignore_ascii_case(b"ENABLED"));
    for (name, value) in &object.headers {
        if ChecksumAlgorithm::from_field(name).is_some() && !checksum_mode {
            continue;
        }
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

/// What this endpoint serves, in words, for the `Reason` of what it does
/// not.
const SERVES: &str =
    "this local endpoint serves only browser uploads (POST /BUCKET) and reading them back \
     (GET or HEAD /BUCKET/KEY)";

/// Anything else: what S3 answers for a method its resource (`/`, a bucket,
/// an object) does not have, `405 MethodNotAllowed` (as for a `POST` to an
/// object without `?uploads`, `?uploadId`, `?restore` or `?select`), else
/// `501 NotImplemented` for an S3 request this endpoint does not implement
/// (listing, `PUT`, `DELETE`, multipart uploads, ...). Both as S3's XML
/// error.
pub(crate) async fn fallback(method: Method, uri: Uri, body: Body) -> Response {
    // The body is read (a bounded amount) before answering, so a client
    // still sending it sees the answer.
    let body = crate::budget::shared(body);
    let path = uri.path().trim_start_matches('/');
    let (resource_type, allow) = match path.split_once('/') {
        _ if path.is_empty() => ("SERVICE", ""),
        None | Some((_, "")) => ("BUCKET", "POST"),
        Some(_) => ("OBJECT", "GET, HEAD"),
    };
    let s3_has_it = match resource_type {
        "SERVICE" => matches!(method, Method::GET | Method::HEAD),
        "BUCKET" => matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::POST
        ),
        _ if method == Method::POST => uri.query().is_some_and(|query| {
            query.split('&').any(|param| {
                let name = param.split_once('=').map_or(param, |(name, _)| name);
                matches!(name, "uploads" | "uploadId" | "restore" | "select")
            })
        }),
        _ => matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        ),
    };
    let refusal = if s3_has_it {
        Refusal::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "A header you provided implies functionality that is not implemented.",
            format!("{SERVES}, not {method} /{path}"),
        )
    } else {
        Refusal::method_not_allowed(
            method.as_str(),
            resource_type,
            allow,
            format!("S3 has no {method} on this resource; {SERVES}"),
        )
    };
    refusal.after_draining(&body).await.into_response()
}
