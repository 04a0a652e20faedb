//! What S3 stores when it accepts a form, and the values it checks then.

use super::prepare::Prepared;
use super::rejection::{held_value, REDACTED};
use super::{Checksum, Rejection, S3ErrorCode};
use crate::rules::{self, FieldKind, Kept, Role};

/// An accepted upload: what S3 stores and how it answers.
///
/// ```
/// use policy_runtime::verify::{check_policy, Submission};
/// use policy_runtime::PolicyDocument;
/// use time::macros::datetime;
///
/// let policy = PolicyDocument::from_json(r#"{"expiration": "2030-01-01T00:00:00Z",
///     "conditions": [{"bucket": "b-1"}, ["starts-with", "$key", "u/"],
///                    ["starts-with", "$Content-Type", "image/"],
///                    {"x-amz-meta-Owner": "42"}, {"Cache-Control": "no-cache"}]}"#)?;
/// let form = Submission::new("b-1")
///     .field("key", "u/${filename}")
///     .field("Content-Type", "image/png")
///     .field("X-Amz-Meta-Owner", "42")
///     .field("cache-control", "no-cache")
///     .file("C:\\pics\\cat.png", 1234);
/// let accepted = check_policy(&policy, &form, datetime!(2029-01-01 0:00 UTC)).unwrap();
/// assert_eq!(accepted.key, "u/cat.png");
/// assert_eq!(accepted.content_type.as_deref(), Some("image/png"));
/// assert_eq!(accepted.metadata, [("owner".to_string(), "42".to_string())]);
/// assert_eq!(accepted.headers, [("Cache-Control".to_string(), "no-cache".to_string())]);
/// assert_eq!(accepted.success_action_status, 204);
/// assert_eq!(accepted.size, 1234);
/// # Ok::<(), policy_runtime::Error>(())
/// ```
///
/// `Debug` shows the values of secret fields ([`Kept::Secret`], the
/// SSE-C customer key) as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// The bucket.
    pub bucket: String,
    /// The object key, `${filename}` replaced.
    pub key: String,
    /// The `Content-Type` field, if sent (S3 then stores it as the object's
    /// content type; without it S3 picks a default).
    pub content_type: Option<String>,
    /// User metadata, `x-amz-meta-NAME` as `(name, value)`, the name in lower
    /// case as S3 stores it, in form order.
    pub metadata: Vec<(String, String)>,
    /// Other fields S3 stores with the object or applies to it
    /// (`Cache-Control`, `Content-Disposition`, `Content-Encoding`,
    /// `Expires`, storage class, encryption, tagging, object lock, ...),
    /// canonical name and value, in form order. Checksum fields are in
    /// [`checksum`](Accepted::checksum) instead.
    pub headers: Vec<(String, String)>,
    /// The `tagging` field: the object's tags as an XML tag set, checked
    /// to be XML (S3 answers `MalformedXML` otherwise). S3 stores the tags
    /// beside the object, not as a header.
    pub tagging: Option<String>,
    /// The checksum S3 checks the bytes against, if the form sends one:
    /// feed the file to [`Checksum::hasher`] and call [`Checksum::check`]
    /// before storing it.
    pub checksum: Option<Checksum>,
    /// The canned ACL, if sent.
    pub acl: Option<String>,
    /// Where S3 redirects the browser (`success_action_redirect`, else
    /// `redirect`), if anywhere: only to an absolute `http(s)://` URL; S3
    /// treats any other value (empty, relative, `javascript:...`) as absent.
    pub redirect: Option<String>,
    /// The status S3 answers with when it does not redirect: 200, 201 or
    /// 204 (the default, also for an invalid `success_action_status`).
    pub success_action_status: u16,
    /// The file's size in bytes.
    pub size: u64,
    /// The access key id that signed the form, when the signature was
    /// checked.
    pub access_key_id: Option<String>,
}

impl std::fmt::Debug for Accepted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if rules::is_secret(name) {
                    REDACTED
                } else {
                    value
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("Accepted")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("content_type", &self.content_type)
            .field("metadata", &self.metadata)
            .field("headers", &headers)
            .field("tagging", &self.tagging)
            .field("checksum", &self.checksum)
            .field("acl", &self.acl)
            .field("redirect", &self.redirect)
            .field("success_action_status", &self.success_action_status)
            .field("size", &self.size)
            .field("access_key_id", &self.access_key_id)
            .finish()
    }
}

/// Checks the values S3 validates when it stores the object, then lists
/// what it stores.
pub(crate) fn accept(form: &Prepared<'_>) -> Result<Accepted, Rejection> {
    let mut accepted = Accepted {
        bucket: form.bucket.into(),
        key: String::new(),
        content_type: None,
        metadata: Vec::new(),
        headers: Vec::new(),
        acl: None,
        redirect: None,
        success_action_status: 204,
        size: form.size,
        access_key_id: None,
        tagging: None,
        checksum: None,
    };
    let mut redirect = None;
    let mut checksum_fields = false;
    let mut sse_c_fields = false;
    for field in &form.fields {
        let value = &*field.value;
        let spec = match field.kind {
            Some(FieldKind::Meta(name)) => {
                accepted
                    .metadata
                    .push((name.to_ascii_lowercase(), value.into()));
                continue;
            }
            Some(FieldKind::Known(spec)) if spec.role == Role::User => spec,
            _ => continue,
        };
        let invalid = |reason: String, code| Rejection::InvalidValue {
            field: spec.name.into(),
            value: held_value(spec.name, value),
            reason,
            code,
        };
        if let Some(code) = spec.refused_with {
            spec.value.check(value).map_err(|r| {
                let code =
                    S3ErrorCode::named(code).expect("the rule table names S3 codes this crate has");
                invalid(r, code)
            })?;
        }
        match spec.kept {
            Kept::Key => {
                if value.is_empty() {
                    return Err(invalid(
                        "an object key cannot be empty".into(),
                        S3ErrorCode::InvalidArgument,
                    ));
                }
                if value.len() > rules::MAX_KEY_LEN {
                    return Err(invalid(
                        format!(
                            "the key is {} bytes; S3 keys are at most {} bytes",
                            value.len(),
                            rules::MAX_KEY_LEN
                        ),
                        S3ErrorCode::KeyTooLongError,
                    ));
                }
                accepted.key = value.into();
            }
            Kept::ContentType => accepted.content_type = Some(value.into()),
            Kept::Acl => accepted.acl = Some(value.into()),
            Kept::Tagging => accepted.tagging = Some(value.into()),
            // An invalid status is as if the field were absent.
            Kept::Status => {
                if let (Ok(status), Ok(())) = (value.parse::<u16>(), spec.value.check(value)) {
                    accepted.success_action_status = status;
                }
            }
            // S3 redirects only to an absolute http(s) URL; any other
            // value is as if the field were absent.
            Kept::Redirect { preferred } if spec.value.check(value).is_ok() => {
                if preferred {
                    redirect = Some(value.to_string());
                } else {
                    accepted.redirect = Some(value.into());
                }
            }
            // The secret is for the server to use; `Debug` redacts it.
            Kept::Header | Kept::Secret => {
                sse_c_fields |= rules::SSE_C_FIELDS.contains(&spec.name);
                accepted.headers.push((spec.name.into(), value.into()));
            }
            // Checked together below.
            Kept::Checksum => checksum_fields = true,
            // Not the form's to set.
            Kept::Redirect { .. } | Kept::Bucket | Kept::Signature | Kept::Form => {}
        }
    }
    if redirect.is_some() {
        accepted.redirect = redirect;
    }
    // Each value is valid on its own by now; the three go together, and
    // only over TLS.
    if sse_c_fields {
        rules::check_sse_c_transport(form.fields.iter().map(|f| f.sent_name), form.plain_http)
            .map_err(Rejection::InvalidSseC)?;
        rules::check_sse_c_fields(form.fields.iter().map(|f| (f.sent_name, &*f.value)))
            .map_err(Rejection::InvalidSseC)?;
    }
    // As sent: a server hashing the bytes reads the same values from the
    // submission (`${filename}` has no place in a checksum).
    if checksum_fields {
        accepted.checksum =
            Checksum::from_fields(form.fields.iter().map(|f| (f.sent_name, f.raw)))?;
    }
    Ok(accepted)
}
