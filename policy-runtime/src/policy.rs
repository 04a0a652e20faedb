//! Upload rules: an expiration plus an ordered list of checked conditions.

use std::fmt;
use std::ops::RangeInclusive;

use time::{Duration, OffsetDateTime};

use crate::condition::{check_all, Condition, FieldName};
use crate::rules::{self, FieldSpec};
use crate::template::{self, Piece};
use crate::Error;

/// When a signed policy stops being accepted.
///
/// ```
/// use policy_runtime::Expiration;
/// use time::{macros::datetime, Duration};
///
/// let now = datetime!(2026-11-22 12:00 UTC);
/// assert_eq!(Expiration::In(Duration::hours(1)).resolve(now)?, datetime!(2026-11-22 13:00 UTC));
/// let new_year = datetime!(2027-01-01 0:00 UTC);
/// assert_eq!(Expiration::At(new_year).resolve(now)?, new_year);
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiration {
    /// This long after signing.
    In(Duration),
    /// At this instant.
    At(OffsetDateTime),
}

impl Expiration {
    /// The instant this expiration means for a policy signed at `now`,
    /// rounded down to whole milliseconds (S3's precision). Fails when that is
    /// not after `now` or beyond year 9999.
    ///
    /// ```
    /// use policy_runtime::Expiration;
    /// use time::{macros::datetime, Duration};
    ///
    /// let now = datetime!(2026-11-22 12:00 UTC);
    /// let at = Expiration::In(Duration::minutes(10)).resolve(now).unwrap();
    /// assert_eq!(at, datetime!(2026-11-22 12:10 UTC));
    /// assert!(Expiration::At(now).resolve(now).is_err());
    /// ```
    pub fn resolve(self, now: OffsetDateTime) -> Result<OffsetDateTime, Error> {
        let at = match self {
            Expiration::In(d) if d <= Duration::ZERO => {
                return Err(Error::InvalidExpiration {
                    reason: format!("`expires_in` must be positive, not {d}"),
                })
            }
            Expiration::In(d) => now.checked_add(d).ok_or_else(|| Error::InvalidExpiration {
                reason: format!("{d} after now is out of range"),
            })?,
            Expiration::At(t) => t,
        };
        let at = crate::utc::to_utc_milliseconds(at).ok_or_else(|| Error::InvalidExpiration {
            reason: format!("{at} is out of range: in UTC it falls outside years -9999 to 9999"),
        })?;
        if at <= now {
            return Err(Error::InvalidExpiration {
                reason: format!(
                    "{at} is not after the signing time {now}; the policy would be refused at once"
                ),
            });
        }
        if at.year() > 9999 {
            return Err(Error::InvalidExpiration {
                reason: "the year must be at most 9999".into(),
            });
        }
        Ok(at)
    }
}

/// Checked upload rules: what S3 must enforce, and for how long.
///
/// Build one with [`Policy::builder`]; sign it with a
/// [`Signer`](crate::Signer). Every S3 rule is checked when it is built.
///
/// ```
/// use policy_runtime::Policy;
/// use time::Duration;
///
/// let policy = Policy::builder()
///     .bucket("examplebucket")?
///     .key_starts_with("uploads/")?
///     .content_length_range(1..=10 * 1024 * 1024)?
///     .eq("Content-Type", "text/plain")?
///     .expires_in(Duration::minutes(10))
///     .build()?;
/// assert_eq!(policy.bucket(), "examplebucket");
/// assert_eq!(policy.conditions().len(), 4);
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct Policy {
    expiration: Expiration,
    conditions: Vec<Condition>,
    /// The conditions' JSON, comma-separated, written by `serde_json` when
    /// the policy was made: signing copies it.
    conditions_json: Vec<u8>,
}

impl Policy {
    /// Starts a policy.
    ///
    /// ```
    /// use policy_runtime::{Error, Policy};
    /// let builder = Policy::builder();
    /// assert_eq!(builder.clone().build().unwrap_err(), Error::MissingCondition { field: "bucket" });
    /// let policy = builder.bucket("examplebucket")?.key("a.txt")?
    ///     .expires_in(time::Duration::minutes(10)).build()?;
    /// assert_eq!(policy.conditions().len(), 2);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::default()
    }

    /// Makes a policy from conditions, checking them all (and that a
    /// relative expiration is positive); the error is the first problem
    /// found.
    ///
    /// ```
    /// use policy_runtime::{Condition, Expiration, FieldName, Policy};
    /// use time::Duration;
    ///
    /// let conditions = vec![
    ///     Condition::eq(FieldName::new("bucket")?, "b-1"),
    ///     Condition::eq(FieldName::new("key")?, "a.txt"),
    /// ];
    /// let policy = Policy::new(Expiration::In(Duration::hours(1)), conditions)?;
    /// assert_eq!(policy.bucket(), "b-1");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new(expiration: Expiration, conditions: Vec<Condition>) -> Result<Policy, Error> {
        if let Expiration::In(d) = expiration {
            // The rule `post_policy!` checks at compile time.
            // Less than a second still counts as positive.
            let secs = if d > Duration::ZERO {
                d.whole_seconds().max(1)
            } else {
                d.whole_seconds().min(0)
            };
            rules::check_lifetime(secs).map_err(|reason| Error::InvalidExpiration {
                reason: format!("`expires_in`: {reason}"),
            })?;
        }
        let mut errors = check_all(&conditions, false).into_iter();
        if let Some(first) = errors.next() {
            return Err(first);
        }
        let mut conditions_json = Vec::with_capacity(64 * conditions.len());
        template::conditions_json(conditions.iter().map(Piece::from), &mut conditions_json)?;
        let policy = Policy {
            expiration,
            conditions,
            conditions_json,
        };
        let fields = policy
            .conditions
            .iter()
            .filter_map(|c| c.field().map(FieldName::as_str));
        if let Some(required) = rules::missing_required(fields) {
            return Err(Error::MissingCondition {
                field: required.field,
            });
        }
        Ok(policy)
    }

    /// When the signed policy expires.
    ///
    /// ```
    /// # use policy_runtime::{Expiration, Policy};
    /// # use time::Duration;
    /// let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    ///     .expires_in(Duration::minutes(10)).build()?;
    /// assert_eq!(policy.expiration(), Expiration::In(Duration::minutes(10)));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn expiration(&self) -> Expiration {
        self.expiration
    }

    /// The conditions, in the order they will appear in the policy.
    ///
    /// ```
    /// # use policy_runtime::Policy;
    /// # use time::Duration;
    /// let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("u/")?.acl("private")?
    ///     .expires_in(Duration::minutes(10)).build()?;
    /// let shown: Vec<String> = policy.conditions().iter().map(|c| c.to_string()).collect();
    /// assert_eq!(shown, [r#"{"bucket": "examplebucket"}"#, r#"["starts-with", "$key", "u/"]"#,
    ///                    r#"{"acl": "private"}"#]);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// The bucket the policy is for.
    ///
    /// ```
    /// # use policy_runtime::Policy;
    /// # use time::Duration;
    /// let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    ///     .expires_in(Duration::minutes(10)).build()?;
    /// assert_eq!(policy.bucket(), "examplebucket");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn bucket(&self) -> &str {
        self.exact("bucket")
            .expect("build() refuses a policy without an exact bucket")
    }

    /// The condition on `key` (exact or starts-with).
    ///
    /// ```
    /// # use policy_runtime::{Condition, Policy};
    /// # use time::Duration;
    /// let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("u/")?
    ///     .expires_in(Duration::minutes(1)).build()?;
    /// assert!(matches!(policy.key_condition(), Some(Condition::StartsWith { .. })));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn key_condition(&self) -> Option<&Condition> {
        self.conditions
            .iter()
            .find(|c| c.field().is_some_and(|f| f.as_str() == "key"))
    }

    /// The size range, if the policy bounds the file size.
    ///
    /// ```
    /// # use policy_runtime::Policy;
    /// # use time::Duration;
    /// # let base = Policy::builder().bucket("examplebucket")?.key("a.txt")?.expires_in(Duration::minutes(10));
    /// let bounded = base.clone().content_length_range(1..=1024)?.build()?;
    /// assert_eq!(bounded.content_length_range(), Some(1..=1024));
    /// assert_eq!(base.build()?.content_length_range(), None);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn content_length_range(&self) -> Option<RangeInclusive<u64>> {
        self.conditions.iter().find_map(|c| match c {
            Condition::ContentLengthRange { min, max } => Some(*min..=*max),
            _ => None,
        })
    }

    fn exact(&self, name: &str) -> Option<&str> {
        self.conditions.iter().find_map(|c| match c {
            Condition::Eq { field, value } if field.as_str() == name => Some(value.as_str()),
            _ => None,
        })
    }

    /// The conditions' JSON, comma-separated, as the policy document
    /// writes them.
    pub(crate) fn conditions_json(&self) -> &[u8] {
        &self.conditions_json
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("expiration", &self.expiration)
            .field("conditions", &self.conditions)
            .finish()
    }
}

/// Policies are equal when their expirations and conditions are (the JSON
/// follows from the conditions).
impl PartialEq for Policy {
    fn eq(&self, other: &Policy) -> bool {
        self.expiration == other.expiration && self.conditions == other.conditions
    }
}

impl Eq for Policy {}

/// Builds a [`Policy`] condition by condition.
///
/// Each method checks its own condition and names the field on error, so `?`
/// points at the line at fault; [`PolicyBuilder::build`] checks the whole.
///
/// ```
/// use policy_runtime::Policy;
/// use time::Duration;
///
/// let policy = Policy::builder()
///     .bucket("examplebucket")?
///     .key("reports/2026.csv")?
///     .acl("private")?
///     .meta("origin", "monthly-job")?
///     .success_action_status(201)?
///     .expires_in(Duration::minutes(5))
///     .build()?;
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct PolicyBuilder {
    expiration: Option<Expiration>,
    conditions: Vec<Condition>,
}

impl PolicyBuilder {
    fn push(mut self, condition: Condition) -> Result<Self, Error> {
        condition.check()?;
        self.conditions.push(condition);
        Ok(self)
    }

    fn spec(name: &'static str) -> FieldName {
        let spec: &FieldSpec = rules::FIELDS
            .iter()
            .find(|s| s.name == name)
            .expect("field present in the rule table");
        FieldName::known(spec)
    }

    /// `field` must equal `value` exactly. `field` is any S3 form field name
    /// (case-insensitive) or `x-amz-meta-NAME`.
    /// ```
    /// # use policy_runtime::Policy;
    /// # use time::Duration;
    /// let policy = Policy::builder()
    ///     .bucket("examplebucket")?
    ///     .key_starts_with("user/")?
    ///     .eq("Cache-Control", "max-age=86400")?
    ///     .eq("x-amz-storage-class", "STANDARD_IA")?
    ///     .expires_in(Duration::minutes(10))
    ///     .build()?;
    /// assert!(Policy::builder().eq("x-amz-storage-class", "standard_ia").is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn eq(self, field: &str, value: impl Into<String>) -> Result<Self, Error> {
        let field = FieldName::new(field)?;
        self.push(Condition::eq(field, value))
    }

    /// `field` must start with `prefix`; `""` allows any value but requires
    /// the field. Only where S3 allows starts-with.
    /// ```
    /// # use policy_runtime::Policy;
    /// # use time::Duration;
    /// let policy = Policy::builder()
    ///     .bucket("examplebucket")?
    ///     .key_starts_with("user/")?
    ///     .starts_with("Content-Type", "image/")?
    ///     .starts_with("x-amz-meta-tag", "")?
    ///     .expires_in(Duration::minutes(10))
    ///     .build()?;
    /// assert_eq!(policy.conditions().len(), 4);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn starts_with(self, field: &str, prefix: impl Into<String>) -> Result<Self, Error> {
        let field = FieldName::new(field)?;
        self.push(Condition::starts_with(field, prefix))
    }

    /// The bucket: a valid S3 bucket name.
    ///
    /// ```
    /// # use policy_runtime::Policy;
    /// # use time::Duration;
    /// let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    ///     .expires_in(Duration::minutes(10)).build()?;
    /// assert_eq!(policy.bucket(), "examplebucket");
    /// assert!(Policy::builder().bucket("Example_Bucket").is_err()); // no capitals or `_`
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn bucket(self, bucket: impl Into<String>) -> Result<Self, Error> {
        self.push(Condition::eq(Self::spec("bucket"), bucket))
    }

    /// The exact object key.
    ///
    /// ```
    /// # use policy_runtime::{rules::RuleError, Error, Policy};
    /// # use time::Duration;
    /// let policy = Policy::builder().bucket("examplebucket")?.key("reports/2026.csv")?
    ///     .expires_in(Duration::minutes(10)).build()?;
    /// assert_eq!(policy.key_condition().unwrap().to_string(), r#"{"key": "reports/2026.csv"}"#);
    /// // S3 fills in `${filename}` before matching, so an exact key cannot hold it:
    /// assert!(matches!(Policy::builder().key("u/${filename}"), Err(Error::Rule(RuleError::FilenameInExactValue { .. }))));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn key(self, key: impl Into<String>) -> Result<Self, Error> {
        self.push(Condition::eq(Self::spec("key"), key))
    }

    /// Keys must start with `prefix`; the form's key is `prefix${filename}`
    /// unless a key is chosen when signing.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("user/42/")?
    ///     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// assert_eq!(post.field("key"), Some("user/42/${filename}"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn key_starts_with(self, prefix: impl Into<String>) -> Result<Self, Error> {
        self.push(Condition::starts_with(Self::spec("key"), prefix))
    }

    /// A canned ACL such as `private` or `public-read`.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let now = datetime!(2026-11-22 12:00 UTC);
    /// # let base = Policy::builder().bucket("examplebucket")?.key("a.txt")?.expires_in(Duration::minutes(10));
    /// let post = signer.sign_at(&base.acl("public-read")?.build()?, now)?;
    /// assert_eq!(post.field("acl"), Some("public-read"));
    /// assert!(Policy::builder().acl("world-writable").is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn acl(self, acl: impl Into<String>) -> Result<Self, Error> {
        self.push(Condition::eq(Self::spec("acl"), acl))
    }

    /// The exact `Content-Type`.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let now = datetime!(2026-11-22 12:00 UTC);
    /// # let base = Policy::builder().bucket("examplebucket")?.key("a.txt")?.expires_in(Duration::minutes(10));
    /// let post = signer.sign_at(&base.content_type("image/png")?.build()?, now)?;
    /// assert_eq!(post.field("Content-Type"), Some("image/png"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn content_type(self, content_type: impl Into<String>) -> Result<Self, Error> {
        self.push(Condition::eq(Self::spec("Content-Type"), content_type))
    }

    /// The status S3 answers with: 200, 201 or 204.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let now = datetime!(2026-11-22 12:00 UTC);
    /// # let base = Policy::builder().bucket("examplebucket")?.key("a.txt")?.expires_in(Duration::minutes(10));
    /// let post = signer.sign_at(&base.success_action_status(201)?.build()?, now)?;
    /// assert_eq!(post.field("success_action_status"), Some("201"));
    /// assert!(Policy::builder().success_action_status(302).is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn success_action_status(self, status: u16) -> Result<Self, Error> {
        self.push(Condition::eq(
            Self::spec("success_action_status"),
            status.to_string(),
        ))
    }

    /// User metadata `x-amz-meta-NAME` equal to `value`.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let now = datetime!(2026-11-22 12:00 UTC);
    /// # let base = Policy::builder().bucket("examplebucket")?.key("a.txt")?.expires_in(Duration::minutes(10));
    /// let post = signer.sign_at(&base.meta("origin", "monthly-job")?.build()?, now)?;
    /// assert_eq!(post.field("x-amz-meta-origin"), Some("monthly-job"));
    /// assert!(Policy::builder().meta("bad name", "x").is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn meta(self, name: &str, value: impl Into<String>) -> Result<Self, Error> {
        let field = FieldName::new(&format!("{}{name}", rules::META_PREFIX))?;
        self.push(Condition::eq(field, value))
    }

    /// The file's size in bytes must lie in `range` (inclusive).
    /// ```
    /// # use policy_runtime::Policy;
    /// # use time::Duration;
    /// let policy = Policy::builder()
    ///     .bucket("examplebucket")?
    ///     .key_starts_with("user/")?
    ///     .content_length_range(1..=5_000_000)?
    ///     .expires_in(Duration::minutes(10))
    ///     .build()?;
    /// assert_eq!(policy.content_length_range(), Some(1..=5_000_000));
    /// assert!(Policy::builder().content_length_range(10..=1).is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn content_length_range(self, range: RangeInclusive<u64>) -> Result<Self, Error> {
        self.push(Condition::ContentLengthRange {
            min: *range.start(),
            max: *range.end(),
        })
    }

    /// Adds a condition made elsewhere.
    ///
    /// ```
    /// # use policy_runtime::{Condition, FieldName, Policy};
    /// # use time::Duration;
    /// # let base = Policy::builder().bucket("examplebucket")?.key("a.txt")?.expires_in(Duration::minutes(10));
    /// let tag = Condition::starts_with(FieldName::new("x-amz-meta-tag")?, "");
    /// assert_eq!(base.condition(tag.clone())?.build()?.conditions().last(), Some(&tag));
    /// let backwards = Condition::ContentLengthRange { min: 10, max: 1 };
    /// assert!(Policy::builder().condition(backwards).is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn condition(self, condition: Condition) -> Result<Self, Error> {
        self.push(condition)
    }

    /// The policy expires this long after it is signed.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let base = Policy::builder().bucket("examplebucket")?.key("a.txt")?;
    /// let policy = base.clone().expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// assert_eq!(post.expiration(), datetime!(2026-11-22 12:10 UTC));
    /// // Not positive: refused when built.
    /// assert!(base.clone().expires_in(Duration::ZERO).build().is_err());
    /// // Over a year: refused, as `post_policy!` refuses it.
    /// assert!(base.expires_in(Duration::days(366)).build().is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn expires_in(mut self, duration: Duration) -> Self {
        self.expiration = Some(Expiration::In(duration));
        self
    }

    /// The policy expires at this instant.
    /// ```
    /// # use policy_runtime::{Expiration, Policy};
    /// use time::macros::datetime;
    /// let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    ///     .expires_at(datetime!(2030-01-01 0:00 UTC))
    ///     .build()?;
    /// assert_eq!(policy.expiration(), Expiration::At(datetime!(2030-01-01 0:00 UTC)));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn expires_at(mut self, at: OffsetDateTime) -> Self {
        self.expiration = Some(Expiration::At(at));
        self
    }

    /// Checks the conditions together (duplicates, contradictions, bucket
    /// and key present) and the lifetime, and returns the policy. Without
    /// [`expires_in`](PolicyBuilder::expires_in) or
    /// [`expires_at`](PolicyBuilder::expires_at), the policy expires an hour
    /// after it is signed, as `post_policy!` does.
    ///
    /// ```
    /// # use policy_runtime::{rules::RuleError, Error, Policy};
    /// # use time::Duration;
    /// # let base = Policy::builder().bucket("examplebucket")?.key("a.txt")?.expires_in(Duration::minutes(10));
    /// assert!(base.clone().build().is_ok());
    /// let contradictory = base.key_starts_with("b/")?.build();
    /// assert!(matches!(contradictory, Err(Error::Rule(RuleError::ContradictoryConditions { .. }))));
    /// let no_key = Policy::builder().bucket("examplebucket")?.expires_in(Duration::minutes(10));
    /// assert_eq!(no_key.build().unwrap_err(), Error::MissingCondition { field: "key" });
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn build(self) -> Result<Policy, Error> {
        // As `post_policy!` without `expires_in`: an hour after signing.
        let default = Expiration::In(Duration::seconds(rules::DEFAULT_LIFETIME_SECS));
        Policy::new(self.expiration.unwrap_or(default), self.conditions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleError;

    fn base() -> PolicyBuilder {
        Policy::builder()
            .bucket("bucket-1")
            .unwrap()
            .expires_in(Duration::minutes(1))
    }

    #[test]
    fn bucket_and_key_are_required() {
        assert_eq!(
            base().build().unwrap_err(),
            Error::MissingCondition { field: "key" }
        );
        let no_bucket = Policy::builder()
            .key("k")
            .unwrap()
            .expires_in(Duration::minutes(1));
        assert_eq!(
            no_bucket.build().unwrap_err(),
            Error::MissingCondition { field: "bucket" }
        );
        let no_expiry = Policy::builder().bucket("abc").unwrap().key("k").unwrap();
        assert_eq!(
            no_expiry.build().unwrap().expiration(),
            Expiration::In(Duration::hours(1))
        );
    }

    #[test]
    fn builder_errors_name_the_field() {
        let e = base().success_action_status(202).unwrap_err();
        assert!(e.to_string().contains("success_action_status"), "{e}");
        let e = base().eq("content_type", "x").unwrap_err();
        assert!(e.to_string().contains("did you mean `Content-Type`"), "{e}");
        let e = base().meta("bad name", "x").unwrap_err();
        assert!(matches!(e, Error::InvalidFieldName { .. }), "{e}");
    }

    #[test]
    fn build_checks_pairs() {
        let p = base()
            .key("a/x")
            .unwrap()
            .key_starts_with("b/")
            .unwrap()
            .build();
        assert!(matches!(
            p,
            Err(Error::Rule(RuleError::ContradictoryConditions { .. }))
        ));
    }

    #[test]
    fn expiration_in_the_past_is_refused() {
        let now = time::macros::datetime!(2026-01-01 0:00 UTC);
        assert!(Expiration::In(Duration::ZERO).resolve(now).is_err());
        assert!(Expiration::In(Duration::seconds(-5)).resolve(now).is_err());
        assert!(Expiration::At(now - Duration::seconds(1))
            .resolve(now)
            .is_err());
        let t = Expiration::In(Duration::nanoseconds(1_234_567_891))
            .resolve(now)
            .unwrap();
        assert_eq!(t.nanosecond(), 234_000_000);
    }

    #[test]
    fn a_lifetime_that_is_not_positive_is_refused_when_built() {
        for d in [Duration::ZERO, Duration::seconds(-5)] {
            let e = base().key("k").unwrap().expires_in(d).build().unwrap_err();
            assert!(
                matches!(&e, Error::InvalidExpiration { reason } if reason.contains("must be positive")),
                "{e}"
            );
        }
        assert!(base()
            .key("k")
            .unwrap()
            .expires_in(Duration::milliseconds(1))
            .build()
            .is_ok());
    }
}
