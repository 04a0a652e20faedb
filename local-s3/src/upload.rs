//! `POST /{bucket}`: a browser upload, checked as S3 checks it.
//!
//! The fields before the file are read into a [`Submission`] (their bytes,
//! boundaries and part headers included, counted against S3's 20 KiB), and
//! checked as soon as the file part starts, with a size inside the policy's
//! `content-length-range`: a form S3 would refuse whatever the file is
//! refused before any of it is stored. The file is then streamed to a
//! temporary file, and the upload aborted as soon as it passes the range's
//! maximum. At its end the form is checked again with the real size, and
//! only an accepted upload is moved into place. Fields after the file are
//! read and ignored, as S3 does.
//!
//! The signature is checked before anything in the policy is read, and
//! every phase of the body is read within a budget ([`crate::budget`]):
//! no body, however long or malformed, is held in memory beyond S3's limits,
//! and a body that stops arriving is answered `400 RequestTimeout`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State as Shared};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use md5::{Digest, Md5};
use multer::{Field, Multipart};
use policy_runtime::rules::MAX_UPLOAD_SIZE;
use policy_runtime::time::OffsetDateTime;
use policy_runtime::verify::{Checksum, Rejection, Submission, MAX_FORM_BYTES};
use policy_runtime::{Condition, PolicyDocument};

use crate::answer::{self, Refusal};
use crate::budget::{self, Budget, Limited, AFTER_FILE, READ_AHEAD};
use crate::store::StoredObject;
use crate::State;

pub(crate) async fn post_object(
    Shared(state): Shared<Arc<State>>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match upload(&state, &bucket, &headers, body).await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

/// A request being read: the multipart reader over the body, the body
/// itself (for draining), and the budget between them.
struct Request {
    multipart: Multipart<'static>,
    body: budget::Shared,
    budget: Arc<Budget>,
}

impl Request {
    /// Answers with `refusal` after reading what is left of the body (a
    /// bounded amount); closes the connection if more was left.
    async fn refuse(&self, refusal: Refusal) -> Refusal {
        refusal.after_draining(&self.body).await
    }

    /// The answer to an error of the multipart reader: the phase's limit
    /// (`over`), else a body that is not multipart/form-data. Either way the
    /// connection closes after it.
    async fn read_error(&self, e: &multer::Error, over: impl FnOnce(u64) -> Refusal) -> Refusal {
        if self.budget.timed_out() {
            // Nothing more is coming: answer without draining.
            return Refusal::new(
                StatusCode::BAD_REQUEST,
                "RequestTimeout",
                "Your socket connection to the server was not read from or written to within \
                 the timeout period. Idle connections will be closed.",
                format!("the body stopped arriving: {e}; send the whole form without pausing"),
            )
            .close_connection(true);
        }
        let refusal = if self.budget.exceeded() {
            over(self.budget.read())
        } else {
            Refusal::malformed(format!("the body cannot be read: {e}"))
        };
        self.refuse(refusal).await.close_connection(true)
    }
}

/// The refusal for fields before the file passing S3's limit.
fn form_too_large(size: u64) -> Refusal {
    Refusal::from(Rejection::FormTooLarge {
        size,
        limit: MAX_FORM_BYTES,
    })
}

async fn upload(
    state: &State,
    bucket: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    let now = OffsetDateTime::now_utc();
    let body = budget::shared(body);
    if let Err(refusal) = check_bucket(state, bucket) {
        return Err(refusal.after_draining(&body).await);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("multipart/form-data") {
        let refusal = Refusal::not_multipart(content_type);
        return Err(refusal.after_draining(&body).await);
    }
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        let refusal = Refusal::malformed(format!(
            "the request's Content-Type is {content_type:?}; a browser upload is multipart/form-data with a boundary"
        ));
        return Err(refusal.after_draining(&body).await);
    };
    let budget = Budget::new(MAX_FORM_BYTES + READ_AHEAD);
    let mut request = Request {
        multipart: Multipart::new(
            Limited::new(body.clone(), budget.clone(), state.config.idle()),
            boundary.clone(),
        ),
        body,
        budget,
    };

    // The endpoint serves plain HTTP only, where S3 refuses SSE-C.
    let mut form = Submission::new(bucket).plain_http();
    let mut form_bytes: u64 = 0;
    loop {
        let mut field = match request.multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(request.read_error(&e, form_too_large).await),
        };
        form_bytes += part_overhead(&boundary, field.headers());
        let name = field.name().unwrap_or_default().to_string();
        if name.eq_ignore_ascii_case("file") {
            let form = form.form_bytes(form_bytes);
            return receive_file(state, form, field, &mut request, now, headers).await;
        }
        let mut value = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    form_bytes += chunk.len() as u64;
                    if form_bytes > MAX_FORM_BYTES {
                        drop(field);
                        return Err(request.refuse(form_too_large(form_bytes)).await);
                    }
                    value.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    drop(field);
                    return Err(request.read_error(&e, form_too_large).await);
                }
            }
        }
        form.push_field(name, String::from_utf8_lossy(&value));
    }
    // No file: the verifier names what is wrong (the file, or before it).
    let form = form.form_bytes(form_bytes);
    Err(match state.verifier.verify_at(&form, now) {
        Err(rejection) => rejection.into(),
        Ok(_) => Refusal::from(Rejection::MissingFile),
    })
}

async fn receive_file(
    state: &State,
    form: Submission,
    mut field: Field<'static>,
    request: &mut Request,
    now: OffsetDateTime,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    let file_name = field.file_name().map(str::to_string);
    let with_size = |size: u64| match &file_name {
        Some(name) => form.clone().file(name.clone(), size),
        None => form.clone().file_without_filename(size),
    };

    // Everything but the size first, the signature before anything in the
    // policy is read: with a size the range allows, any refusal is one the
    // file cannot change.
    let probe = |size| match state.verifier.verify_at(&with_size(size), now) {
        Err(rejection) if !depends_on_size(&rejection) => Err(rejection),
        _ => Ok(()),
    };
    if let Err(rejection) = probe(0) {
        drop(field);
        return Err(request.refuse(rejection.into()).await);
    }
    // The signature holds: the policy may be read.
    let (min, max) = size_range(&form);
    if min > 0 && min <= max {
        if let Err(rejection) = probe(min) {
            drop(field);
            return Err(request.refuse(rejection.into()).await);
        }
    }
    request.budget.allow(max.saturating_add(READ_AHEAD));

    let mut incoming = state.store.incoming();
    let mut size: u64 = 0;
    let mut md5 = Md5::new();
    // The checksum the form asks for, computed as the bytes arrive. Fields
    // S3 refuses compute nothing: the final check refuses the form.
    let mut hasher = Checksum::from_fields(form.fields())
        .ok()
        .flatten()
        .map(|checksum| checksum.hasher());
    let too_large = |size: u64| -> Refusal {
        state
            .verifier
            .verify_at(&with_size(size), now)
            .err()
            .unwrap_or(Rejection::FileTooLarge {
                size,
                max,
                condition: None,
            })
            .into()
    };
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                drop(field);
                let read = size;
                return Err(request
                    .read_error(&e, |_| too_large(read.max(max.saturating_add(1))))
                    .await);
            }
        };
        size += chunk.len() as u64;
        if size > max {
            drop(incoming);
            drop(field);
            return Err(request.refuse(too_large(size)).await);
        }
        md5.update(&chunk);
        if let Some(hasher) = &mut hasher {
            hasher.update(&chunk);
        }
        incoming
            .write(&chunk)
            .await
            .map_err(|e| Refusal::internal("cannot write the upload", &e))?;
    }
    drop(field);

    // Fields after the file: read, and ignored as S3 ignores them.
    request.budget.allow(AFTER_FILE);
    let after_file = |_| {
        Refusal::malformed(format!(
            "more than {AFTER_FILE} bytes follow the file; S3 ignores fields after the file, \
             so send them before it"
        ))
    };
    loop {
        match request.multipart.next_field().await {
            Ok(Some(mut after)) => loop {
                match after.chunk().await {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        drop(after);
                        return Err(request.read_error(&e, after_file).await);
                    }
                }
            },
            Ok(None) => break,
            Err(e) => return Err(request.read_error(&e, after_file).await),
        }
    }

    let accepted = state.verifier.verify_at(&with_size(size), now)?;
    // Secrets (the SSE-C customer key) are used by S3, never stored.
    let mut stored_headers: Vec<(String, String)> = accepted
        .headers
        .iter()
        .filter(|(name, _)| !policy_runtime::rules::is_secret(name))
        .cloned()
        .collect();
    // Tags are kept beside the object; a GET tells how many, as S3 does.
    if let Some(tagging) = &accepted.tagging {
        let count = policy_runtime::rules::check_tagging(tagging).unwrap_or(0);
        if count > 0 {
            stored_headers.push(("x-amz-tagging-count".into(), count.to_string()));
        }
    }
    if let Some(checksum) = &accepted.checksum {
        // The accepted checksum is read from the same fields as the hasher.
        let hasher = hasher.ok_or_else(|| {
            Refusal::internal(
                "the form's checksum changed while it was checked",
                &std::io::Error::other("no hasher for an accepted checksum"),
            )
        })?;
        checksum.check(hasher)?;
        stored_headers.push((
            checksum.algorithm().field().to_string(),
            checksum.expected().to_string(),
        ));
    }
    let etag = format!("\"{}\"", hex::encode(md5.finalize()));
    let object = StoredObject {
        key: accepted.key.clone(),
        content_type: accepted.content_type.clone(),
        metadata: accepted.metadata.clone(),
        headers: stored_headers,
        etag: etag.clone(),
        size,
    };
    state
        .store
        .commit(incoming, &accepted.bucket, &object)
        .await
        .map_err(|e| Refusal::internal("cannot store the upload", &e))?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    Ok(answer::stored(&accepted, &etag, host))
}

/// Refusals a different file size could turn into another answer: the
/// size checks themselves, and the checks S3 makes after them.
fn depends_on_size(rejection: &Rejection) -> bool {
    matches!(
        rejection,
        Rejection::FileTooSmall { .. }
            | Rejection::FileTooLarge { .. }
            | Rejection::InvalidValue { .. }
    )
}

/// The sizes the policy allows (`min > max` when its ranges exclude every
/// size), capped at what S3 takes in one POST.
fn size_range(form: &Submission) -> (u64, u64) {
    let (mut min, mut max) = (0, MAX_UPLOAD_SIZE);
    let Some(doc) = form
        .get("policy")
        .and_then(|p| PolicyDocument::from_base64(p).ok())
    else {
        return (min, max);
    };
    for condition in doc.conditions() {
        if let Condition::ContentLengthRange { min: lo, max: hi } = *condition {
            min = min.max(lo);
            max = max.min(hi);
        }
    }
    (min, max)
}

/// The bytes of a part other than its value: `--BOUNDARY`, its header lines
/// and the line ends around them.
fn part_overhead(boundary: &str, headers: &HeaderMap) -> u64 {
    let header_lines: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    (2 + boundary.len() + 2 + header_lines + 2 + 2) as u64
}

fn check_bucket(state: &State, bucket: &str) -> Result<(), Refusal> {
    if let Err(reason) = policy_runtime::rules::check_bucket_name(bucket) {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            "The specified bucket is not valid.",
            format!("{bucket:?} is not a bucket name: {reason}"),
        ));
    }
    if !state.config.serves_bucket(bucket) {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
            format!("this endpoint serves only the buckets it was started with, not {bucket:?}"),
        ));
    }
    Ok(())
}

/// S3's bucket naming rules (the rule table's), which also keep the name a
/// plain directory name.
pub(crate) fn valid_bucket_name(bucket: &str) -> bool {
    policy_runtime::rules::check_bucket_name(bucket).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_are_plain_directory_names() {
        for ok in ["b-1", "my.bucket", "abc", &"a".repeat(63)] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "",
            "ab",
            "..",
            ".ab",
            "ab.",
            "a..b",
            "A-b",
            "a/b",
            "a\\b",
            &"a".repeat(64),
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }
}
