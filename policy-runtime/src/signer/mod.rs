//! Signing a policy: the document, its signature and the form, from one
//! source.

use std::fmt;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use time::{Date, OffsetDateTime};

use crate::condition::FieldName;
use crate::document::{ExpirationText, BASE64};
use crate::form::{ClientField, SignedPost};
use crate::sigv4::{Signature, SigningKey, ALGORITHM};
use crate::template::{self, CondRef, Piece};
use crate::{rules, Credentials, Endpoint, Error, Expiration, Policy, Region};

mod dates;
mod day;

use dates::{amz_date, date_json, expiration_json};
use day::Day;

/// Signs policies with one set of credentials, for one region and endpoint.
///
/// The signing key is derived once per UTC day and cached. A `Signer` is
/// `Send + Sync`: share one across requests.
///
/// ```
/// use policy_runtime::{Credentials, Policy, Region, Signer};
/// use time::{macros::datetime, Duration};
///
/// let signer = Signer::new(
///     Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?,
///     Region::new("us-east-1")?,
/// );
/// let policy = Policy::builder()
///     .bucket("examplebucket")?
///     .key_starts_with("uploads/")?
///     .expires_in(Duration::minutes(10))
///     .build()?;
/// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
/// assert_eq!(post.url(), "https://examplebucket.s3.us-east-1.amazonaws.com/");
/// assert_eq!(post.field("key"), Some("uploads/${filename}"));
/// assert_eq!(post.field("x-amz-date"), Some("20261122T120000Z"));
/// # Ok::<(), policy_runtime::Error>(())
/// ```
pub struct Signer {
    credentials: Credentials,
    region: Region,
    endpoint: Endpoint,
    day: Mutex<Option<Arc<Day>>>,
}

/// Per-upload choices when signing: the clock and the object key.
///
/// ```
/// use policy_runtime::SignOptions;
/// use time::macros::datetime;
///
/// let options = SignOptions::new()
///     .at(datetime!(2026-11-22 12:00 UTC))
///     .key("uploads/7f3a.txt");
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SignOptions {
    now: Option<OffsetDateTime>,
    key: Option<String>,
}

impl SignOptions {
    /// Defaults: the system clock, and the key from the policy.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer, SignOptions};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("uploads/")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_with(&policy, SignOptions::new())?;
    /// assert_eq!(post.field("key"), Some("uploads/${filename}"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new() -> SignOptions {
        SignOptions::default()
    }

    /// Signs as if the time were `now`.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer, SignOptions};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("uploads/")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// // Any offset; S3's dates are UTC.
    /// let post = signer.sign_with(&policy, SignOptions::new().at(datetime!(2026-11-22 13:00 +1)))?;
    /// assert_eq!(post.field("x-amz-date"), Some("20261122T120000Z"));
    /// assert_eq!(post.field("x-amz-credential"), Some("AK/20261122/us-east-1/s3/aws4_request"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn at(mut self, now: OffsetDateTime) -> SignOptions {
        self.now = Some(now);
        self
    }

    /// Uses this object key in the form. It must satisfy the policy's key
    /// condition; without it, a starts-with key becomes `PREFIX${filename}`.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Error, Policy, Region, Signer, SignOptions};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("uploads/")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let at = SignOptions::new().at(datetime!(2026-11-22 12:00 UTC));
    /// let post = signer.sign_with(&policy, at.clone().key("uploads/7f3a.txt"))?;
    /// assert_eq!(post.field("key"), Some("uploads/7f3a.txt"));
    /// let outside = signer.sign_with(&policy, at.key("other/7f3a.txt"));
    /// assert!(matches!(outside, Err(Error::KeyOutsidePolicy { .. })));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn key(mut self, key: impl Into<String>) -> SignOptions {
        self.key = Some(key.into());
        self
    }
}

impl Signer {
    /// A signer for AWS S3 (virtual-hosted URLs) in `region`.
    ///
    /// ```
    /// use policy_runtime::{Credentials, Endpoint, Region, Signer};
    /// let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("eu-west-1")?);
    /// assert_eq!(signer.region().as_str(), "eu-west-1");
    /// assert_eq!(signer.endpoint(), &Endpoint::aws());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new(credentials: Credentials, region: Region) -> Signer {
        Signer {
            credentials,
            region,
            endpoint: Endpoint::aws(),
            day: Mutex::new(None),
        }
    }

    /// Posts to `endpoint` instead of AWS.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Endpoint, Policy, Region, Signer, SignOptions};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("garage")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("uploads/")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let signer = signer.with_endpoint(Endpoint::custom("http://127.0.0.1:3900")?);
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// assert_eq!(post.url(), "http://127.0.0.1:3900/examplebucket");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn with_endpoint(mut self, endpoint: Endpoint) -> Signer {
        self.endpoint = endpoint;
        self
    }

    /// Credentials, region and endpoint from the process environment:
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    /// `AWS_REGION` / `AWS_DEFAULT_REGION`, and `AWS_ENDPOINT_URL_S3` /
    /// `AWS_ENDPOINT_URL` (which imply path-style).
    ///
    /// ```no_run
    /// let signer = policy_runtime::Signer::from_env()?;
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn from_env() -> Result<Signer, Error> {
        Self::from_lookup(&crate::env::process)
    }

    /// Like [`Signer::from_env`], reading variables through `lookup`.
    ///
    /// ```
    /// use policy_runtime::Signer;
    /// let vars = |n: &str| Some(match n {
    ///     "AWS_ACCESS_KEY_ID" => "GK1234",
    ///     "AWS_SECRET_ACCESS_KEY" => "secret",
    ///     "AWS_REGION" => "garage",
    ///     "AWS_ENDPOINT_URL_S3" => "http://127.0.0.1:3900",
    ///     _ => return None,
    /// }.to_string());
    /// let signer = Signer::from_lookup(&vars)?;
    /// assert_eq!(signer.region().as_str(), "garage");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Signer, Error> {
        let signer = Signer::new(
            Credentials::from_lookup(lookup)?,
            Region::from_lookup(lookup)?,
        );
        Ok(match Endpoint::from_lookup(lookup)? {
            Some(endpoint) => signer.with_endpoint(endpoint),
            None => signer,
        })
    }

    /// The credentials.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Region, Signer};
    /// let signer = Signer::new(Credentials::new("AKIDEXAMPLE", "wJalrEXAMPLE")?, Region::new("us-east-1")?);
    /// assert_eq!(signer.credentials().access_key_id(), "AKIDEXAMPLE");
    /// assert!(!format!("{signer:?}").contains("wJalr")); // the secret stays out of `Debug`
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The region of the credential scope.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Region, Signer};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// assert_eq!(signer.region(), &Region::new("us-east-1")?);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// Where forms are posted.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Region, Signer};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// let url = signer.endpoint().url("photos", signer.region());
    /// assert_eq!(url, "https://photos.s3.us-east-1.amazonaws.com/");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Signs `policy` now.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer, SignOptions};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("uploads/")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign(&policy)?;
    /// assert_eq!(post.field("key"), Some("uploads/${filename}"));
    /// assert!(post.expiration() > time::OffsetDateTime::now_utc());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn sign(&self, policy: &Policy) -> Result<SignedPost, Error> {
        self.sign_with(policy, SignOptions::new())
    }

    /// Signs `policy` as if the time were `now`.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Error, Policy, Region, Signer, SignOptions};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("uploads/")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2015-12-29 0:00 UTC))?;
    /// assert_eq!(post.field("x-amz-date"), Some("20151229T000000Z"));
    /// assert_eq!(post.expiration(), datetime!(2015-12-29 0:10 UTC));
    /// let expired = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    ///     .expires_at(datetime!(2015-01-01 0:00 UTC)).build()?;
    /// let late = signer.sign_at(&expired, datetime!(2015-12-29 0:00 UTC));
    /// assert!(matches!(late, Err(Error::InvalidExpiration { .. })));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn sign_at(&self, policy: &Policy, now: OffsetDateTime) -> Result<SignedPost, Error> {
        self.sign_with(policy, SignOptions::new().at(now))
    }

    /// Signs `policy` with per-upload options.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer, SignOptions};
    /// # use time::Duration;
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// let policy = Policy::builder()
    ///     .bucket("examplebucket")?
    ///     .key_starts_with("user/42/")?
    ///     .expires_in(Duration::minutes(10))
    ///     .build()?;
    /// let post = signer.sign_with(&policy, SignOptions::new().key("user/42/avatar.png"))?;
    /// assert_eq!(post.field("key"), Some("user/42/avatar.png"));
    /// assert!(signer.sign_with(&policy, SignOptions::new().key("user/43/x")).is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn sign_with(&self, policy: &Policy, options: SignOptions) -> Result<SignedPost, Error> {
        let pieces = policy.conditions().iter().map(Piece::from);
        let conditions = Conditions {
            pieces,
            json: Some(policy.conditions_json()),
        };
        self.sign_conditions(policy.expiration(), conditions, options)
    }

    /// Signs a policy given as pieces: fixed conditions with pre-rendered
    /// JSON, and conditions filled per upload. The caller has checked them.
    pub(crate) fn sign_pieces<'p>(
        &self,
        expiration: Expiration,
        pieces: &[Piece<'p>],
        options: SignOptions,
    ) -> Result<SignedPost, Error> {
        let conditions = Conditions {
            pieces: pieces.iter().copied(),
            json: None,
        };
        self.sign_conditions(expiration, conditions, options)
    }

    /// Signs checked conditions.
    ///
    /// The form is written into one buffer: the URL, the key, the exact
    /// conditions' values, the signer's fields, the base64 policy and the
    /// signature's hex, with fields as ranges into it. The policy JSON is
    /// written into a second buffer.
    fn sign_conditions<'p, I>(
        &self,
        expiration: Expiration,
        conditions: Conditions<'_, I>,
        options: SignOptions,
    ) -> Result<SignedPost, Error>
    where
        I: Iterator<Item = Piece<'p>> + Clone,
    {
        let pieces = conditions.pieces;
        let now = options.now.unwrap_or_else(OffsetDateTime::now_utc);
        let now = crate::utc::to_utc(now).ok_or_else(|| Error::InvalidExpiration {
            reason: format!(
                "the signing time {now} is out of range: in UTC it falls outside years -9999 to 9999"
            ),
        })?;
        let expiration = expiration.resolve(now)?;
        let mut bucket = None;
        let mut key_condition = None;
        let mut content_length = None;
        let mut count = 0;
        let mut json_len = 0;
        for piece in pieces.clone() {
            count += 1;
            if conditions.json.is_none() {
                json_len += piece.json_len_hint() + 1;
            }
            match piece.condition() {
                CondRef::Eq("bucket", b) => bucket = Some(b),
                c @ (CondRef::Eq("key", _) | CondRef::StartsWith("key", _)) => {
                    key_condition = Some(c);
                }
                CondRef::Range(min, max) => content_length = Some(min..=max),
                _ => {}
            }
        }
        let Some(bucket) = bucket else {
            return Err(Error::MissingCondition { field: "bucket" });
        };
        let Some(key_condition) = key_condition else {
            return Err(Error::MissingCondition { field: "key" });
        };
        let key_len = match (&options.key, key_condition) {
            (Some(key), _) => key.len(),
            (None, CondRef::StartsWith(_, p) | CondRef::Eq(_, p)) => {
                p.len() + rules::FILENAME_PLACEHOLDER.len()
            }
            (None, CondRef::Range(..)) => 0,
        };
        json_len += conditions.json.map_or(0, <[u8]>::len);
        let amz_date = amz_date(now)?;
        let day = self.day(now.date());
        let head_json = day.head_json.as_deref().map_err(json_error)?;
        let token_json = day.token_json.as_deref().map_err(json_error)?;
        let token = self.credentials.session_token();
        // The signer's conditions, then the frame, the expiration and the
        // date's condition.
        json_len += head_json.len() + token_json.len() + 128;
        // The buffer holds the URL, the key, values that all appear in the
        // JSON at least as long, the base64 JSON and the signature's hex.
        let policy_len = json_len.div_ceil(3) * 4;
        let mut post = SignedPost::with_capacity(
            self.endpoint.url_len(bucket, &self.region) + key_len + json_len + policy_len + 64,
            count + 7,
            expiration,
            content_length,
        );

        let start = post.mark();
        self.endpoint.write_url(bucket, &self.region, post.buffer());
        post.end_url(start);
        let start = post.mark();
        form_key(key_condition, options.key, post.buffer())?;
        post.end_field("key", start);
        for piece in pieces.clone() {
            match piece {
                Piece::Fixed {
                    condition: CondRef::Eq(field, value),
                    ..
                } if !matches!(field, "bucket" | "key") => post.push_field(field, value),
                Piece::Filled(CondRef::Eq(field, value)) if !matches!(field, "bucket" | "key") => {
                    post.push_named_field(field, value);
                }
                _ => match piece.condition() {
                    CondRef::StartsWith(field, prefix) if field != "key" => {
                        post.push_client_field(ClientField {
                            name: FieldName::lenient(field),
                            prefix: prefix.to_owned(),
                        });
                    }
                    _ => {}
                },
            }
        }
        post.push_field("x-amz-algorithm", ALGORITHM);
        post.push_field("x-amz-credential", &day.credential);
        post.push_field("x-amz-date", amz_date.as_str());
        if let Some(token) = token {
            post.push_field("x-amz-security-token", token);
        }

        let mut json = Vec::with_capacity(json_len);
        json.extend_from_slice(b"{\"expiration\":");
        if !expiration_json(expiration, &mut json) {
            write_json(&mut json, &ExpirationText(expiration))?;
        }
        json.extend_from_slice(b",\"conditions\":[");
        match conditions.json {
            Some(rendered) => json.extend_from_slice(rendered),
            None => template::conditions_json(pieces, &mut json)?,
        }
        if count > 0 {
            json.push(b',');
        }
        json.extend_from_slice(head_json);
        json.push(b',');
        date_json(&amz_date, &mut json)?;
        json.extend_from_slice(token_json);
        json.extend_from_slice(b"]}");

        let start = post.mark();
        BASE64.encode_string(&json, post.buffer());
        post.end_field("policy", start);
        let signature = day.mac.sign(post.written(start).as_bytes());
        let mut hex = [0u8; 64];
        let hex = signature.write_hex(&mut hex);
        post.push_field("x-amz-signature", hex);
        Ok(post)
    }

    /// The signing key for `date` (UTC), derived once per day and cached.
    ///
    /// ```
    /// use policy_runtime::{Credentials, Region, Signer};
    /// let signer = Signer::new(
    ///     Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?,
    ///     Region::new("us-east-1")?,
    /// );
    /// let key = signer.signing_key(time::macros::date!(2015-12-29));
    /// assert_eq!(hex::encode(key.as_bytes()),
    ///            "cbcef1ebeaefc82cce6530b9f0a9ae598846065f5c5bae0674bd5ebc4ba52d28");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn signing_key(&self, date: Date) -> SigningKey {
        self.day(date).key.clone()
    }

    /// The state for `date` (UTC), made once per day and cached.
    fn day(&self, date: Date) -> Arc<Day> {
        let mut cache = self
            .day
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match &*cache {
            Some(day) if day.date == date => Arc::clone(day),
            _ => {
                let day = Arc::new(Day::new(date, &self.credentials, &self.region));
                *cache = Some(Arc::clone(&day));
                day
            }
        }
    }

    /// Signs an existing `policy` field value (its exact base64 bytes) as of
    /// `date`: how S3 checks a submitted form.
    ///
    /// ```
    /// use policy_runtime::{Credentials, Region, Signer};
    /// let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// let sig = signer.sign_base64_policy("eyJ9", time::macros::date!(2030-01-01));
    /// assert_eq!(sig.to_string().len(), 64);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn sign_base64_policy(&self, policy: &str, date: Date) -> Signature {
        self.day(date).mac.sign(policy.as_bytes())
    }
}

/// Writes the key the form sends to `out`: the one asked for (checked
/// against the policy), the exact key, or `PREFIX${filename}`.
fn form_key(condition: CondRef<'_>, chosen: Option<String>, out: &mut String) -> Result<(), Error> {
    let Some(key) = chosen else {
        match condition {
            CondRef::StartsWith(_, prefix) => {
                out.push_str(prefix);
                out.push_str(rules::FILENAME_PLACEHOLDER);
            }
            CondRef::Eq(_, value) => out.push_str(value),
            CondRef::Range(..) => {}
        }
        return Ok(());
    };
    let problem = match condition {
        CondRef::Eq(_, value) if value != key => Some(String::new()),
        CondRef::StartsWith(_, prefix) if !key.starts_with(prefix) => Some(String::new()),
        _ => rules::ValueRule::Key
            .check(&key)
            .err()
            .map(|reason| format!(" ({reason})")),
    };
    match problem {
        None => {
            out.push_str(&key);
            Ok(())
        }
        Some(reason) => Err(Error::KeyOutsidePolicy {
            condition: format!("{}{reason}", condition.to_condition()?),
            key,
        }),
    }
}

/// Writes `value` with `serde_json`.
fn write_json(json: &mut Vec<u8>, value: &impl serde::Serialize) -> Result<(), Error> {
    serde_json::to_writer(json, value).map_err(json_error)
}

/// A `serde_json` failure, which writing into a `Vec` never has.
fn json_error(reason: impl fmt::Display) -> Error {
    Error::InvalidPolicyJson {
        reason: reason.to_string(),
    }
}

/// A policy's conditions as the signer reads them: pieces, and their JSON
/// when it was written beforehand.
struct Conditions<'j, I> {
    pieces: I,
    json: Option<&'j [u8]>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("credentials", &self.credentials)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Clone for Signer {
    fn clone(&self) -> Self {
        Signer {
            credentials: self.credentials.clone(),
            region: self.region.clone(),
            endpoint: self.endpoint.clone(),
            day: Mutex::new(None),
        }
    }
}
