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

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State as Shared};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use md5::{Digest, Md5};
use multer::{Field, Multipart};
use policy_runtime::rules::MAX_UPLOAD_SIZE;
use policy_runtime::time::OffsetDateTime;
use policy_runtime::verify::{Rejection, Submission, MAX_FORM_BYTES};
use policy_runtime::{Condition, PolicyDocument};
use tokio::io::AsyncWriteExt;

use crate::answer::{self, Refusal};
use crate::store::StoredObject;
use crate::State;

/// How much of a refused request's body is still read (and thrown away)
/// before answering, so that the client sees the answer rather than a reset
/// connection.
const DRAIN_BYTES: u64 = 8 * 1024 * 1024;
/// How long that may take.
const DRAIN_TIME: Duration = Duration::from_secs(5);

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

async fn upload(
    state: &State,
    bucket: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Refusal> {
    let now = OffsetDateTime::now_utc();
    check_bucket(state, bucket)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        Refusal::malformed(format!(
            "the request's Content-Type is {content_type:?}; a browser upload is multipart/form-data with a boundary"
        ))
    })?;
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let mut multipart = Multipart::new(stream, boundary.clone());

    let mut form = Submission::new(bucket);
    let mut form_bytes: u64 = 0;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(Refusal::malformed(format!("the body cannot be read: {e}"))),
        };
        form_bytes += part_overhead(&boundary, field.headers());
        let name = field.name().unwrap_or_default().to_string();
        if name.eq_ignore_ascii_case("file") {
            let form = form.form_bytes(form_bytes);
            return receive_file(state, form, field, &mut multipart, now, headers).await;
        }
        let mut value = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    form_bytes += chunk.len() as u64;
                    if form_bytes > MAX_FORM_BYTES {
                        let refusal = Refusal::from(Rejection::FormTooLarge {
                            size: form_bytes,
                            limit: MAX_FORM_BYTES,
                        });
                        return Err(drain(refusal, Some(field), &mut multipart).await);
                    }
                    value.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(Refusal::malformed(format!("the body cannot be read: {e}"))),
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
    multipart: &mut Multipart<'static>,
    now: OffsetDateTime,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    let file_name = field.file_name().unwrap_or_default().to_string();
    let with_size = |size: u64| form.clone().file(file_name.clone(), size);
    let (min, max) = size_range(&form);

    // Everything but the size first: with a size the range allows, any
    // refusal is one the file cannot change.
    let probe = if min <= max { min } else { 0 };
    if let Err(rejection) = state.verifier.verify_at(&with_size(probe), now) {
        if !depends_on_size(&rejection) {
            return Err(drain(rejection.into(), Some(field), multipart).await);
        }
    }

    let (temp, mut file) = state
        .store
        .temp_file()
        .await
        .map_err(|e| Refusal::internal("cannot create the upload's file", &e))?;
    let mut size: u64 = 0;
    let mut md5 = Md5::new();
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                return Err(Refusal::malformed(format!(
                    "the file part cannot be read: {e}"
                )))
            }
        };
        size += chunk.len() as u64;
        if size > max {
            drop(file);
            drop(temp);
            let rejection = state
                .verifier
                .verify_at(&with_size(size), now)
                .err()
                .unwrap_or(Rejection::FileTooLarge {
                    size,
                    max,
                    condition: None,
                });
            return Err(drain(rejection.into(), Some(field), multipart).await);
        }
        md5.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| Refusal::internal("cannot write the upload", &e))?;
    }
    file.flush()
        .await
        .map_err(|e| Refusal::internal("cannot write the upload", &e))?;
    drop(file);
    drop(field);

    // Fields after the file: read, and ignored as S3 ignores them.
    loop {
        match multipart.next_field().await {
            Ok(Some(mut after)) => loop {
                match after.chunk().await {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        return Err(Refusal::malformed(format!("the body cannot be read: {e}")))
                    }
                }
            },
            Ok(None) => break,
            Err(e) => return Err(Refusal::malformed(format!("the body cannot be read: {e}"))),
        }
    }

    let accepted = state.verifier.verify_at(&with_size(size), now)?;
    let etag = format!("\"{}\"", hex::encode(md5.finalize()));
    let object = StoredObject {
        key: accepted.key.clone(),
        content_type: accepted.content_type.clone(),
        metadata: accepted.metadata.clone(),
        headers: accepted.headers.clone(),
        etag: etag.clone(),
        size,
    };
    state
        .store
        .commit(temp, &accepted.bucket, &object)
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
    if !valid_bucket_name(bucket) {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "InvalidBucketName",
            "The specified bucket is not valid.",
            format!(
                "{bucket:?} is not a bucket name: 3 to 63 lower-case letters, digits, `.` and `-`, \
                 starting and ending with a letter or digit"
            ),
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

/// S3's bucket naming rules, which also keep the name a plain directory
/// name.
pub(crate) fn valid_bucket_name(bucket: &str) -> bool {
    let b = bucket.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !bucket.contains("..")
}

/// Reads and discards what is left of a refused request, up to
/// [`DRAIN_BYTES`] and [`DRAIN_TIME`], so the client reads the answer; if
/// more is left, the connection is closed after it.
async fn drain(
    refusal: Refusal,
    field: Option<Field<'static>>,
    multipart: &mut Multipart<'static>,
) -> Refusal {
    let work = async {
        let mut read: u64 = 0;
        let mut current = field;
        loop {
            if let Some(mut field) = current.take() {
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            read += chunk.len() as u64;
                            if read > DRAIN_BYTES {
                                return false;
                            }
                        }
                        Ok(None) => break,
                        Err(_) => return true,
                    }
                }
            }
            match multipart.next_field().await {
                Ok(Some(next)) => current = Some(next),
                _ => return true,
            }
        }
    };
    let finished = tokio::time::timeout(DRAIN_TIME, work)
        .await
        .unwrap_or(false);
    refusal.close_connection(!finished)
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
