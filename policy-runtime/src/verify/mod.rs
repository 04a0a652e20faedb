//! Checking a submitted POST form exactly as S3 does.
//!
//! A server that receives browser uploads itself (or a test double of S3)
//! hands the form to a [`Verifier`]: the fields in the order they came, the
//! file's name and size, and the bucket it was posted to. The verifier
//! decodes the policy, recomputes the signature (compared in constant time),
//! checks algorithm, credential scope, date and session token, the
//! expiration, every condition, that every field is covered by one, and the
//! file's size, and answers with what S3 would store ([`Accepted`]) or why S3
//! would refuse ([`Rejection`], which names the S3 error code to answer
//! with).
//!
//! ```
//! use policy_runtime::verify::{Submission, Verifier};
//! use policy_runtime::{Credentials, Policy, Region, SignOptions, Signer};
//! use time::{macros::datetime, Duration};
//!
//! let credentials = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?;
//! let region = Region::new("us-east-1")?;
//! let signer = Signer::new(credentials.clone(), region.clone());
//! let policy = Policy::builder()
//!     .bucket("examplebucket")?
//!     .key_starts_with("uploads/")?
//!     .content_length_range(1..=1000)?
//!     .expires_in(Duration::minutes(10))
//!     .build()?;
//! let now = datetime!(2026-11-22 12:00 UTC);
//! let post = signer.sign_at(&policy, now)?;
//!
//! // What the browser sends: the signed fields, then the file.
//! let mut form = Submission::new("examplebucket");
//! for (name, value) in post.fields() {
//!     form.push_field(name, value);
//! }
//! let form = form.file("notes.txt", 11);
//!
//! let verifier = Verifier::new(credentials, region);
//! let accepted = verifier.verify_at(&form, now + Duration::minutes(1)).unwrap();
//! assert_eq!(accepted.key, "uploads/notes.txt");
//!
//! let late = verifier.verify_at(&form, now + Duration::hours(1)).unwrap_err();
//! assert_eq!(late.code().as_str(), "AccessDenied");
//! # Ok::<(), policy_runtime::Error>(())
//! ```
//!
//! Untrusted input is safe to pass: nothing here panics, and memory stays
//! proportional to the form (whose fields before the file S3 limits to
//! [`MAX_FORM_BYTES`], checked first).

mod accepted;
mod checksum;
mod conditions;
mod constant_time;
mod filename;
pub(crate) mod names;
mod prepare;
mod rejection;
mod scope;
mod store;
mod submission;

use std::fmt;
use std::sync::Mutex;

use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

pub use accepted::Accepted;
pub use checksum::{Checksum, ChecksumHasher};
pub use rejection::{Rejection, S3ErrorCode};
pub use scope::CredentialScope;
pub use store::CredentialStore;
pub use submission::{Submission, UploadedFile, MAX_FORM_BYTES};

use crate::document::{self, RawDocument};
use crate::sigv4::{KeyedMac, SigningKey};
use crate::{PolicyDocument, Region};
use scope::ScopeRef;

/// Checks submitted forms against the secrets of a [`CredentialStore`], for
/// buckets in one region.
///
/// `Debug` shows the region only, never the store.
///
/// ```
/// use policy_runtime::verify::{Submission, Verifier};
/// use policy_runtime::{Credentials, Region};
///
/// let verifier = Verifier::new(Credentials::new("AKID", "secret")?, Region::new("eu-west-1")?);
/// let refused = verifier.verify(&Submission::new("b-1").field("key", "a")).unwrap_err();
/// assert_eq!(refused.to_string(), "the form has no file: send exactly one `file` field, as the last field");
/// assert!(!format!("{verifier:?}").contains("secret"));
/// # Ok::<(), policy_runtime::Error>(())
/// ```
pub struct Verifier<S> {
    store: S,
    region: Region,
    /// The last signing key derived, keyed for HMAC: most forms share one
    /// access key and day, and derivation costs four HMACs (and keying one
    /// more hash block each side).
    key_cache: Mutex<Option<CachedKey>>,
}

/// A derived key, keyed for HMAC, and what it was derived from; reused only
/// when the access key, the day and the secret (compared in constant time)
/// all match.
struct CachedKey {
    access_key_id: String,
    date_stamp: String,
    secret: Zeroizing<String>,
    mac: KeyedMac,
}

impl<S: CredentialStore> Verifier<S> {
    /// A verifier finding secrets in `store`, accepting credential scopes for
    /// `region` only (the bucket's region).
    ///
    /// ```
    /// # use policy_runtime::verify::{Submission, Verifier};
    /// # use policy_runtime::{Credentials, Region};
    /// let store = vec![Credentials::new("AKID1", "one")?, Credentials::new("AKID2", "two")?];
    /// let verifier = Verifier::new(store, Region::new("eu-west-1")?);
    /// # let form = |credential: &str| Submission::new("b-1")
    /// #     .field("key", "a").field("policy", "e30=")
    /// #     .field("x-amz-algorithm", "AWS4-HMAC-SHA256").field("x-amz-credential", credential)
    /// #     .field("x-amz-date", "20300101T000000Z").field("x-amz-signature", "00").file("a", 1);
    /// let code = |credential| verifier.verify_at(&form(credential), time::macros::datetime!(2030-01-01 0:00 UTC))
    ///     .unwrap_err().code().as_str();
    /// assert_eq!(code("AKID2/20300101/eu-west-1/s3/aws4_request"), "SignatureDoesNotMatch");
    /// assert_eq!(code("AKID3/20300101/eu-west-1/s3/aws4_request"), "InvalidAccessKeyId");
    /// assert_eq!(code("AKID2/20300101/us-east-1/s3/aws4_request"), "InvalidArgument"); // not the region
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new(store: S, region: Region) -> Verifier<S> {
        Verifier {
            store,
            region,
            key_cache: Mutex::new(None),
        }
    }

    /// The region credential scopes must name.
    ///
    /// ```
    /// # use policy_runtime::{verify::Verifier, Credentials, Region};
    /// let v = Verifier::new(Credentials::new("AKID", "secret")?, Region::new("eu-west-1")?);
    /// assert_eq!(v.region().as_str(), "eu-west-1");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// Checks `form` now (system clock).
    ///
    /// ```
    /// # use policy_runtime::{verify::{Submission, Verifier}, Credentials, Region};
    /// # let verifier = Verifier::new(Credentials::new("AKID", "secret")?, Region::new("eu-west-1")?);
    /// let form = Submission::new("b-1").field("key", "a").file("a", 1);
    /// assert_eq!(verifier.verify(&form).unwrap_err().field(), Some("policy"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn verify(&self, form: &Submission) -> Result<Accepted, Rejection> {
        self.verify_at(form, OffsetDateTime::now_utc())
    }

    /// Checks `form` as if the time were `now`, in the order S3 does: the
    /// form's shape and size, the SigV4 fields, the access key, the session
    /// token, the signature, the policy document, its expiration and
    /// conditions, coverage, the file's size, then the stored values. The
    /// first failure is the answer.
    ///
    /// ```
    /// # use policy_runtime::{verify::{Submission, Verifier}, Credentials, Region};
    /// # let verifier = Verifier::new(Credentials::new("AKID", "secret")?, Region::new("eu-west-1")?);
    /// let form = Submission::new("b-1")
    ///     .field("key", "a")
    ///     .field("policy", "eyJ9")
    ///     .field("x-amz-algorithm", "AWS4-HMAC-SHA256")
    ///     .field("x-amz-credential", "OTHER/20300101/eu-west-1/s3/aws4_request")
    ///     .field("x-amz-date", "20300101T000000Z")
    ///     .field("x-amz-signature", "00")
    ///     .file("a", 1);
    /// let refused = verifier.verify_at(&form, time::macros::datetime!(2030-01-01 0:00 UTC)).unwrap_err();
    /// assert_eq!(refused.code().as_str(), "InvalidAccessKeyId");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn verify_at(&self, form: &Submission, now: OffsetDateTime) -> Result<Accepted, Rejection> {
        let now = crate::utc::in_utc_if_possible(now);
        let prepared = prepare::prepare(form)?;
        let names = names::fixed();
        let required = |field: names::Fixed| {
            prepared
                .raw_fixed(field)
                .ok_or(Rejection::MissingField { field: field.name })
        };
        let policy = required(names.policy)?;
        let algorithm = required(names.algorithm)?;
        let credential = required(names.credential)?;
        let date = required(names.date)?;
        let signature = required(names.signature)?;
        let scope = scope::check_fields(algorithm, credential, date)?;
        if scope.region != self.region.as_str() {
            return Err(Rejection::MalformedCredential {
                value: credential.into(),
                reason: format!(
                    "its region `{}` is not the bucket's region `{}`",
                    scope.region, self.region
                ),
            });
        }
        let credentials = self.store.credentials(scope.access_key_id).ok_or_else(|| {
            Rejection::UnknownAccessKey {
                access_key_id: scope.access_key_id.into(),
            }
        })?;
        check_token(
            credentials.session_token(),
            prepared.raw_fixed(names.security_token),
        )?;
        let mac = self.keyed_mac(&scope, credentials.secret_access_key());
        if !mac.sign(policy.as_bytes()).matches_hex(signature) {
            return Err(Rejection::SignatureMismatch {
                value: signature.into(),
            });
        }
        let invalid = |e: crate::Error| Rejection::InvalidPolicy {
            reason: e.to_string(),
        };
        // A signer's policy decodes to well under 1 KiB: no allocation.
        let mut buf = [0u8; 1024];
        let json = document::decode_base64_in(policy, &mut buf).map_err(invalid)?;
        let doc =
            RawDocument::parse(document::json_text(&json).map_err(invalid)?).map_err(invalid)?;
        let first = conditions::failures(doc.expiration, &doc.conditions, &prepared, now, true);
        if let Some(first) = first.into_iter().next() {
            return Err(first);
        }
        let mut accepted = accepted::accept(&prepared)?;
        accepted.access_key_id = Some(scope.access_key_id.into());
        Ok(accepted)
    }
}

impl<S> Verifier<S> {
    /// The signing key for this scope and secret, keyed for HMAC, from the
    /// cache when it holds the same access key, day and secret.
    fn keyed_mac(&self, scope: &ScopeRef<'_>, secret: &str) -> KeyedMac {
        let mut cache = self
            .key_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(cached) = cache.as_ref() {
            let same_secret = constant_time::bytes_eq(cached.secret.as_bytes(), secret.as_bytes());
            if cached.access_key_id == scope.access_key_id
                && cached.date_stamp == scope.date_stamp
                && same_secret
            {
                return cached.mac.clone();
            }
        }
        let mac = KeyedMac::new(&SigningKey::derive(
            secret,
            scope.date_stamp,
            scope.region,
            "s3",
        ));
        *cache = Some(CachedKey {
            access_key_id: scope.access_key_id.into(),
            date_stamp: scope.date_stamp.into(),
            secret: Zeroizing::new(secret.to_owned()),
            mac: mac.clone(),
        });
        mac
    }
}

impl<S> fmt::Debug for Verifier<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

fn check_token(expected: Option<&str>, sent: Option<&str>) -> Result<(), Rejection> {
    let reason = match (expected, sent) {
        (None, None) => return Ok(()),
        (Some(e), Some(s)) if bool::from(e.as_bytes().ct_eq(s.as_bytes())) => return Ok(()),
        (Some(_), Some(_)) => "it is not the session token of these credentials; sign with current temporary credentials",
        (Some(_), None) => "missing: these are temporary credentials, so the form (and the policy) must carry their session token",
        (None, Some(_)) => "sent, but these are long-term credentials without a session token; remove it",
    };
    Err(Rejection::InvalidSecurityToken { reason })
}

/// Checks the SigV4 fields a form must carry, without any secret:
/// `x-amz-algorithm` is `AWS4-HMAC-SHA256`, `x-amz-credential` a valid `s3`
/// scope, `x-amz-date` a valid time on the scope's date.
///
/// ```
/// use policy_runtime::verify::{check_scope, Submission};
///
/// let form = Submission::new("b-1")
///     .field("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
///     .field("X-Amz-Credential", "AKID/20300101/eu-west-1/s3/aws4_request")
///     .field("X-Amz-Date", "20300102T000000Z");
/// let refused = check_scope(&form).unwrap_err();
/// assert_eq!(refused.field(), Some("x-amz-date"));
/// ```
pub fn check_scope(form: &Submission) -> Result<CredentialScope, Rejection> {
    let get = |field: &'static str| form.get(field).ok_or(Rejection::MissingField { field });
    scope::check_algorithm(get("x-amz-algorithm")?)?;
    let scope = CredentialScope::parse(get("x-amz-credential")?)?;
    scope::check_date(get("x-amz-date")?, scope.date, &scope.date_stamp)?;
    Ok(scope)
}

/// Checks a form against a policy document without its signature: the
/// form's shape and size, the expiration, every condition, coverage, the
/// file's size and the stored values. For when the signature was checked
/// elsewhere, or for debugging a policy.
///
/// ```
/// use policy_runtime::verify::{check_policy, Submission};
/// use policy_runtime::PolicyDocument;
/// use time::macros::datetime;
///
/// let policy = PolicyDocument::from_json(r#"{"expiration": "2030-01-01T00:00:00Z",
///     "conditions": [{"bucket": "b-1"}, ["starts-with", "$key", "u/"]]}"#)?;
/// let now = datetime!(2029-01-01 0:00 UTC);
/// let ok = Submission::new("b-1").field("key", "u/a.txt").file("a.txt", 1);
/// assert!(check_policy(&policy, &ok, now).is_ok());
/// let bad = Submission::new("b-1").field("key", "v/a.txt").file("a.txt", 1);
/// assert!(check_policy(&policy, &bad, now).unwrap_err().to_string().contains("starts-with"));
/// # Ok::<(), policy_runtime::Error>(())
/// ```
pub fn check_policy(
    policy: &PolicyDocument,
    form: &Submission,
    now: OffsetDateTime,
) -> Result<Accepted, Rejection> {
    let prepared = prepare::prepare(form)?;
    let now = crate::utc::in_utc_if_possible(now);
    let first = conditions::failures(
        policy.expiration(),
        policy.conditions(),
        &prepared,
        now,
        true,
    );
    if let Some(first) = first.into_iter().next() {
        return Err(first);
    }
    accepted::accept(&prepared)
}

/// Like [`check_policy`], but lists every reason S3 would refuse the form,
/// in the order S3 checks; empty when it would accept. For tools that
/// explain a policy.
///
/// ```
/// use policy_runtime::verify::{policy_failures, Submission};
/// use policy_runtime::PolicyDocument;
/// use time::macros::datetime;
///
/// let policy = PolicyDocument::from_json(r#"{"expiration": "2030-01-01T00:00:00Z",
///     "conditions": [{"bucket": "b-1"}, ["starts-with", "$key", "u/"], {"acl": "private"}]}"#)?;
/// let form = Submission::new("b-1").field("key", "v/a.txt").field("x", "1").file("a.txt", 1);
/// let all = policy_failures(&policy, &form, datetime!(2031-01-01 0:00 UTC));
/// let fields: Vec<_> = all.iter().map(|r| r.field().unwrap()).collect();
/// assert_eq!(fields, ["policy", "key", "acl", "x"]); // expired, key, acl missing, x uncovered
/// # Ok::<(), policy_runtime::Error>(())
/// ```
pub fn policy_failures(
    policy: &PolicyDocument,
    form: &Submission,
    now: OffsetDateTime,
) -> Vec<Rejection> {
    let prepared = match prepare::prepare(form) {
        Ok(p) => p,
        Err(e) => return vec![e],
    };
    let mut all = conditions::failures(
        policy.expiration(),
        policy.conditions(),
        &prepared,
        crate::utc::in_utc_if_possible(now),
        false,
    );
    if let Err(e) = accepted::accept(&prepared) {
        all.push(e);
    }
    all
}

#[cfg(test)]
mod tests;
