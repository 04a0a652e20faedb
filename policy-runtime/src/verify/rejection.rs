//! Why a form is refused, and what S3 answers.

use std::fmt;

use time::OffsetDateTime;

use crate::rules::{ChecksumAlgorithm, ChecksumProblem, SseCProblem};
use crate::Condition;

/// The error code an S3 server answers with, and its HTTP status.
///
/// ```
/// use policy_runtime::verify::S3ErrorCode;
/// assert_eq!(S3ErrorCode::AccessDenied.as_str(), "AccessDenied");
/// assert_eq!(S3ErrorCode::AccessDenied.http_status(), 403);
/// assert_eq!(S3ErrorCode::EntityTooLarge.http_status(), 400);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum S3ErrorCode {
    /// 403: the policy expired, a condition failed, or a field is not covered.
    AccessDenied,
    /// 403: the signature is not the one the secret gives.
    SignatureDoesNotMatch,
    /// 403: no such access key.
    InvalidAccessKeyId,
    /// 400: the session token is missing, extra or wrong.
    InvalidToken,
    /// 400: the `policy` field is not base64 of a valid policy document.
    InvalidPolicyDocument,
    /// 400: the file is above the policy's or S3's maximum.
    EntityTooLarge,
    /// 400: the file is below the policy's minimum.
    EntityTooSmall,
    /// 400: a required field is missing, malformed or has a value S3 refuses.
    InvalidArgument,
    /// 400: the fields before the file exceed 20 KiB. (S3's error table
    /// calls it `MaxPostPreDataLengthExceededError`; S3 answers without the
    /// `Error`.)
    MaxPostPreDataLengthExceeded,
    /// 400: the key is longer than 1024 bytes.
    KeyTooLongError,
    /// 400: an unknown `x-amz-storage-class`.
    InvalidStorageClass,
    /// 400: the checksum fields cannot be used (two of them, an unknown
    /// algorithm, a malformed value).
    InvalidRequest,
    /// 400: the file's checksum is not the one the form sent.
    BadDigest,
    /// 400: the `tagging` field is not XML.
    MalformedXML,
}

impl S3ErrorCode {
    /// The code named `code` (as in S3's XML and the rule table's
    /// [`refused_with`](crate::rules::FieldSpec::refused_with)), if it is one of these.
    ///
    /// ```
    /// # use policy_runtime::verify::S3ErrorCode;
    /// assert_eq!(S3ErrorCode::named("MalformedXML"), Some(S3ErrorCode::MalformedXML));
    /// assert_eq!(S3ErrorCode::named("NoSuchCode"), None);
    /// ```
    pub fn named(code: &str) -> Option<S3ErrorCode> {
        use S3ErrorCode::*;
        [
            AccessDenied,
            SignatureDoesNotMatch,
            InvalidAccessKeyId,
            InvalidToken,
            InvalidPolicyDocument,
            EntityTooLarge,
            EntityTooSmall,
            InvalidArgument,
            MaxPostPreDataLengthExceeded,
            KeyTooLongError,
            InvalidStorageClass,
            InvalidRequest,
            BadDigest,
            MalformedXML,
        ]
        .into_iter()
        .find(|c| c.as_str() == code)
    }

    /// The code as it appears in S3's XML error body.
    ///
    /// ```
    /// # use policy_runtime::verify::{Rejection, S3ErrorCode};
    /// let code = Rejection::FormTooLarge { size: 30_000, limit: 20_480 }.code();
    /// assert_eq!(code.as_str(), "MaxPostPreDataLengthExceeded");
    /// assert_eq!(code.to_string(), code.as_str());
    /// assert_eq!(S3ErrorCode::SignatureDoesNotMatch.as_str(), "SignatureDoesNotMatch");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            S3ErrorCode::AccessDenied => "AccessDenied",
            S3ErrorCode::SignatureDoesNotMatch => "SignatureDoesNotMatch",
            S3ErrorCode::InvalidAccessKeyId => "InvalidAccessKeyId",
            S3ErrorCode::InvalidToken => "InvalidToken",
            S3ErrorCode::InvalidPolicyDocument => "InvalidPolicyDocument",
            S3ErrorCode::EntityTooLarge => "EntityTooLarge",
            S3ErrorCode::EntityTooSmall => "EntityTooSmall",
            S3ErrorCode::InvalidArgument => "InvalidArgument",
            S3ErrorCode::MaxPostPreDataLengthExceeded => "MaxPostPreDataLengthExceeded",
            S3ErrorCode::KeyTooLongError => "KeyTooLongError",
            S3ErrorCode::InvalidStorageClass => "InvalidStorageClass",
            S3ErrorCode::InvalidRequest => "InvalidRequest",
            S3ErrorCode::BadDigest => "BadDigest",
            S3ErrorCode::MalformedXML => "MalformedXML",
        }
    }

    /// The HTTP status S3 answers with.
    ///
    /// ```
    /// # use policy_runtime::verify::{Rejection, S3ErrorCode};
    /// let unknown = Rejection::UnknownAccessKey { access_key_id: "AKID".into() };
    /// assert_eq!(unknown.code().http_status(), 403);
    /// assert_eq!(S3ErrorCode::InvalidToken.http_status(), 400);
    /// ```
    pub fn http_status(self) -> u16 {
        match self {
            S3ErrorCode::AccessDenied
            | S3ErrorCode::SignatureDoesNotMatch
            | S3ErrorCode::InvalidAccessKeyId => 403,
            _ => 400,
        }
    }
}

impl fmt::Display for S3ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why S3 would refuse a submitted form: the rule broken, the field, the
/// condition and the value.
///
/// [`Rejection::code`] gives the S3 error code a server answers with (and its
/// HTTP status); `Display` says what to change. The value of a field that
/// holds a secret (the SSE-C key), sent or in a condition, is held as
/// `<redacted>`: a rejection can be logged and answered with.
///
/// ```
/// use policy_runtime::verify::{Rejection, S3ErrorCode};
///
/// let r = Rejection::ExtraField { field: "Content-MD5".into(), value: "abc".into() };
/// assert_eq!(r.code(), S3ErrorCode::AccessDenied);
/// assert_eq!(r.http_status(), 403);
/// assert_eq!(r.field(), Some("Content-MD5"));
/// assert!(r.to_string().contains("add a condition"));
/// assert_eq!(r.s3_message(), "Invalid according to Policy: Extra input fields: Content-MD5");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The form has no file part.
    MissingFile,
    /// The fields before the file exceed [`MAX_FORM_BYTES`](super::MAX_FORM_BYTES).
    FormTooLarge {
        /// Their size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A field S3 needs is not in the form (or only after the file).
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field sent more than once before the file.
    DuplicateField {
        /// The field, as first sent.
        field: String,
    },
    /// `x-amz-algorithm` is not `AWS4-HMAC-SHA256`.
    UnsupportedAlgorithm {
        /// The submitted value.
        value: String,
    },
    /// `x-amz-credential` is not `AKID/YYYYMMDD/REGION/s3/aws4_request`, or
    /// its region is not the bucket's.
    MalformedCredential {
        /// The submitted value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `x-amz-date` is not `YYYYMMDDTHHMMSSZ` on the credential's date.
    MalformedDate {
        /// The submitted value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No secret is known for the access key id.
    UnknownAccessKey {
        /// The access key id from `x-amz-credential`.
        access_key_id: String,
    },
    /// The session token is missing, unexpected or not the credentials' one.
    InvalidSecurityToken {
        /// What is wrong.
        reason: &'static str,
    },
    /// The signature is not HMAC-SHA256 of the `policy` field under the
    /// signing key for the credential scope.
    SignatureMismatch {
        /// The submitted `x-amz-signature`.
        value: String,
    },
    /// The `policy` field is not base64 of a valid policy document, or uses a
    /// condition S3 does not allow.
    InvalidPolicy {
        /// What is wrong with it.
        reason: String,
    },
    /// The policy's expiration has passed.
    Expired {
        /// The policy's expiration.
        expiration: OffsetDateTime,
        /// The time of the check.
        now: OffsetDateTime,
    },
    /// A field fails a condition, or a condition's field is not in the form.
    ConditionFailed {
        /// The field, canonical spelling.
        field: String,
        /// The condition.
        condition: Condition,
        /// The submitted value (after `${filename}` substitution); `None`
        /// when the form lacks the field.
        value: Option<String>,
    },
    /// A condition S3 reads but no form meets: a field written without its
    /// `$`, or a size bound that is not a number.
    UnmetCondition {
        /// The condition as written in the policy.
        condition: String,
    },
    /// The policy has no condition on a field S3 requires one for (the
    /// bucket: ceph/s3-tests and versitygw expect 403).
    PolicyLacksCondition {
        /// The field.
        field: &'static str,
    },
    /// A form field no condition covers ("Extra input fields").
    ExtraField {
        /// The field, as sent.
        field: String,
        /// Its value.
        value: String,
    },
    /// The file is smaller than the `content-length-range` minimum.
    FileTooSmall {
        /// The file's size.
        size: u64,
        /// The policy's minimum.
        min: u64,
        /// The condition.
        condition: Condition,
    },
    /// The file is larger than the `content-length-range` maximum, or than
    /// the 5 GiB S3 takes in one POST.
    FileTooLarge {
        /// The file's size.
        size: u64,
        /// The largest size allowed.
        max: u64,
        /// The condition, if the policy's range is what failed.
        condition: Option<Condition>,
    },
    /// A covered field whose value S3 refuses when storing the object.
    InvalidValue {
        /// The field, canonical spelling.
        field: String,
        /// The submitted value.
        value: String,
        /// What S3 expects instead.
        reason: String,
        /// The code S3 answers with.
        code: S3ErrorCode,
    },
    /// The form's checksum fields cannot be used (S3 answers
    /// `InvalidRequest`).
    InvalidChecksum(ChecksumProblem),
    /// The form's SSE-C fields do not go together: one without the others,
    /// or a key MD5 that is not the key's (S3 answers `InvalidArgument`);
    /// or they came over plain HTTP (`InvalidRequest`).
    InvalidSseC(SseCProblem),
    /// The file's checksum is not the value the form sent (S3 answers
    /// `BadDigest`).
    ChecksumMismatch {
        /// The algorithm.
        algorithm: ChecksumAlgorithm,
        /// The value the form sent (base64).
        expected: String,
        /// The value of the bytes received (base64).
        computed: String,
    },
}

impl Rejection {
    /// The S3 error code a server answers with.
    ///
    /// ```
    /// use policy_runtime::verify::{Rejection, S3ErrorCode};
    /// assert_eq!(Rejection::MissingFile.code(), S3ErrorCode::InvalidArgument);
    /// ```
    pub fn code(&self) -> S3ErrorCode {
        use S3ErrorCode as C;
        match self {
            Rejection::MissingFile
            | Rejection::MissingField { .. }
            | Rejection::DuplicateField { .. }
            | Rejection::UnsupportedAlgorithm { .. }
            | Rejection::MalformedCredential { .. }
            | Rejection::MalformedDate { .. } => C::InvalidArgument,
            Rejection::FormTooLarge { .. } => C::MaxPostPreDataLengthExceeded,
            Rejection::UnknownAccessKey { .. } => C::InvalidAccessKeyId,
            Rejection::InvalidSecurityToken { .. } => C::InvalidToken,
            Rejection::SignatureMismatch { .. } => C::SignatureDoesNotMatch,
            Rejection::InvalidPolicy { .. } => C::InvalidPolicyDocument,
            Rejection::Expired { .. }
            | Rejection::ConditionFailed { .. }
            | Rejection::PolicyLacksCondition { .. }
            | Rejection::UnmetCondition { .. }
            | Rejection::ExtraField { .. } => C::AccessDenied,
            Rejection::FileTooSmall { .. } => C::EntityTooSmall,
            Rejection::FileTooLarge { .. } => C::EntityTooLarge,
            Rejection::InvalidValue { code, .. } => *code,
            Rejection::InvalidChecksum(_) => C::InvalidRequest,
            Rejection::InvalidSseC(problem) => {
                C::named(problem.s3_code()).expect("the SSE-C rules name S3 codes this crate has")
            }
            Rejection::ChecksumMismatch { .. } => C::BadDigest,
        }
    }

    /// The HTTP status a server answers with.
    ///
    /// ```
    /// use policy_runtime::verify::Rejection;
    /// assert_eq!(Rejection::MissingFile.http_status(), 400);
    /// ```
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }

    /// The form field at fault, if one is.
    ///
    /// ```
    /// use policy_runtime::verify::Rejection;
    /// assert_eq!(Rejection::MissingField { field: "key" }.field(), Some("key"));
    /// ```
    pub fn field(&self) -> Option<&str> {
        match self {
            Rejection::MissingFile => Some("file"),
            Rejection::MissingField { field } | Rejection::PolicyLacksCondition { field } => {
                Some(field)
            }
            Rejection::DuplicateField { field }
            | Rejection::ConditionFailed { field, .. }
            | Rejection::ExtraField { field, .. }
            | Rejection::InvalidValue { field, .. } => Some(field),
            Rejection::UnsupportedAlgorithm { .. } => Some("x-amz-algorithm"),
            Rejection::MalformedCredential { .. } | Rejection::UnknownAccessKey { .. } => {
                Some("x-amz-credential")
            }
            Rejection::MalformedDate { .. } => Some("x-amz-date"),
            Rejection::InvalidSecurityToken { .. } => Some("x-amz-security-token"),
            Rejection::SignatureMismatch { .. } => Some("x-amz-signature"),
            Rejection::InvalidPolicy { .. } | Rejection::Expired { .. } => Some("policy"),
            Rejection::FileTooSmall { .. } | Rejection::FileTooLarge { .. } => Some("file"),
            Rejection::InvalidChecksum(problem) => Some(problem.field()),
            Rejection::InvalidSseC(problem) => Some(problem.field()),
            Rejection::ChecksumMismatch { algorithm, .. } => Some(algorithm.field()),
            Rejection::FormTooLarge { .. } | Rejection::UnmetCondition { .. } => None,
        }
    }

    /// The policy condition that failed, if one did.
    ///
    /// ```
    /// use policy_runtime::verify::Rejection;
    /// use policy_runtime::Condition;
    /// let range = Condition::ContentLengthRange { min: 1, max: 10 };
    /// let r = Rejection::FileTooSmall { size: 0, min: 1, condition: range.clone() };
    /// assert_eq!(r.condition(), Some(&range));
    /// ```
    pub fn condition(&self) -> Option<&Condition> {
        match self {
            Rejection::ConditionFailed { condition, .. }
            | Rejection::FileTooSmall { condition, .. } => Some(condition),
            Rejection::FileTooLarge { condition, .. } => condition.as_ref(),
            _ => None,
        }
    }

    /// The submitted value at fault, if there is one.
    ///
    /// ```
    /// use policy_runtime::verify::Rejection;
    /// let r = Rejection::UnsupportedAlgorithm { value: "AWS4-HMAC-SHA1".into() };
    /// assert_eq!(r.value(), Some("AWS4-HMAC-SHA1"));
    /// ```
    pub fn value(&self) -> Option<&str> {
        match self {
            Rejection::UnsupportedAlgorithm { value }
            | Rejection::MalformedCredential { value, .. }
            | Rejection::MalformedDate { value, .. }
            | Rejection::SignatureMismatch { value }
            | Rejection::ExtraField { value, .. }
            | Rejection::InvalidValue { value, .. } => Some(value),
            Rejection::ConditionFailed { value, .. } => value.as_deref(),
            Rejection::UnknownAccessKey { access_key_id } => Some(access_key_id),
            Rejection::InvalidChecksum(
                ChecksumProblem::InvalidValue { value, .. }
                | ChecksumProblem::UnknownAlgorithm { value },
            ) => Some(value),
            Rejection::ChecksumMismatch { expected, .. } => Some(expected),
            _ => None,
        }
    }

    /// The message S3 itself puts in its XML error body (S3's wording, as
    /// far as it is documented; [`Display`](fmt::Display) is the friendlier
    /// message).
    ///
    /// ```
    /// use policy_runtime::verify::Rejection;
    /// assert_eq!(Rejection::MissingFile.s3_message(),
    ///            "POST requires exactly one file upload per request.");
    /// ```
    pub fn s3_message(&self) -> String {
        match self {
            Rejection::MissingFile => "POST requires exactly one file upload per request.".into(),
            Rejection::FormTooLarge { .. } => {
                // S3's wording, misspelling included.
                "Your POST request fields preceeding the upload file was too large.".into()
            }
            Rejection::MissingField { field } => format!(
                "Bucket POST must contain a field named '{field}'.  If it is specified, please check the order of the fields."
            ),
            Rejection::DuplicateField { field } => {
                format!("Field '{field}' is specified more than once.")
            }
            Rejection::UnsupportedAlgorithm { .. } => {
                "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"".into()
            }
            Rejection::MalformedCredential { .. } => {
                "Error parsing the X-Amz-Credential parameter.".into()
            }
            Rejection::MalformedDate { .. } => "Error parsing the X-Amz-Date parameter.".into(),
            Rejection::UnknownAccessKey { .. } => {
                "The AWS Access Key Id you provided does not exist in our records.".into()
            }
            Rejection::InvalidSecurityToken { .. } => {
                "The provided token is malformed or otherwise invalid.".into()
            }
            Rejection::SignatureMismatch { .. } => {
                "The request signature we calculated does not match the signature you provided. \
                 Check your key and signing method."
                    .into()
            }
            Rejection::InvalidPolicy { reason } => format!("Invalid Policy: {reason}"),
            Rejection::Expired { .. } => "Invalid according to Policy: Policy expired.".into(),
            Rejection::ConditionFailed { condition, .. } => {
                format!("Invalid according to Policy: Policy Condition failed: {condition}")
            }
            Rejection::ExtraField { field, .. } => {
                format!("Invalid according to Policy: Extra input fields: {field}")
            }
            Rejection::UnmetCondition { condition } => {
                format!("Invalid according to Policy: Policy Condition failed: {condition}")
            }
            // S3's wording is not recorded.
            Rejection::PolicyLacksCondition { field } => {
                format!("Invalid according to Policy: Policy missing condition: {field}")
            }
            Rejection::FileTooSmall { .. } => {
                "Your proposed upload is smaller than the minimum allowed size".into()
            }
            Rejection::FileTooLarge { .. } => {
                "Your proposed upload exceeds the maximum allowed size".into()
            }
            Rejection::InvalidValue {
                code: S3ErrorCode::MalformedXML,
                ..
            } => "The XML you provided was not well-formed or did not validate against our \
                  published schema"
                .into(),
            Rejection::InvalidValue { field, .. } => format!("Invalid value for {field}."),
            Rejection::InvalidChecksum(problem) => problem.s3_message(),
            Rejection::InvalidSseC(problem) => problem.s3_message().into(),
            Rejection::ChecksumMismatch { algorithm, .. } => format!(
                "The {} you specified did not match the calculated checksum.",
                algorithm.name()
            ),
        }
    }

    /// S3's XML error body for this rejection.
    ///
    /// ```
    /// use policy_runtime::verify::Rejection;
    /// let xml = Rejection::MissingFile.to_xml();
    /// assert!(xml.contains("<Code>InvalidArgument</Code>"));
    /// ```
    pub fn to_xml(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message></Error>",
            self.code(),
            xml_escape(&self.s3_message())
        )
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => {
                out.push_str(&format!("&#x{:x};", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// How rejections and [`Accepted`](super::Accepted) show the value of a
/// field that holds a secret (the SSE-C key).
pub(crate) const REDACTED: &str = "<redacted>";

/// `value`, sent in `field`, as a rejection holds it: [`REDACTED`] when the
/// field holds a secret ([`rules::is_secret`]), so that no rejection
/// carries one into a log or a response.
pub(crate) fn held_value(field: &str, value: &str) -> String {
    if crate::rules::is_secret(field) {
        REDACTED.into()
    } else {
        value.into()
    }
}

/// `condition` as a rejection holds it: its value [`REDACTED`] when its
/// field holds a secret (a policy may pin the SSE-C key).
pub(crate) fn held_condition(condition: Condition) -> Condition {
    match condition {
        Condition::Eq { field, .. } if crate::rules::is_secret(field.as_str()) => Condition::Eq {
            field,
            value: REDACTED.into(),
        },
        Condition::StartsWith { field, .. } if crate::rules::is_secret(field.as_str()) => {
            Condition::StartsWith {
                field,
                prefix: REDACTED.into(),
            }
        }
        other => other,
    }
}

/// A value for a message: quoted, escaped, and cut after 200 characters so a
/// hostile value cannot flood a log.
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MAX: usize = 200;
        match self.0.char_indices().nth(MAX) {
            Some((cut, _)) => write!(f, "{:?}... ({} bytes)", &self.0[..cut], self.0.len()),
            None => write!(f, "{:?}", self.0),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::MissingFile => f.write_str(
                "the form has no file: send exactly one `file` field, as the last field",
            ),
            Rejection::FormTooLarge { size, limit } => write!(
                f,
                "the fields before the file take {size} bytes, above S3's {limit}; \
                 shorten values or move large ones out of the form"
            ),
            Rejection::MissingField { field } => write!(
                f,
                "the form has no `{field}` field before the file; add it (fields after `file` are ignored)"
            ),
            Rejection::DuplicateField { field } => write!(
                f,
                "`{field}` is sent more than once (names are case-insensitive); send it once"
            ),
            Rejection::UnsupportedAlgorithm { value } => write!(
                f,
                "`x-amz-algorithm` is {}; S3 POST accepts only `AWS4-HMAC-SHA256`",
                Shown(value)
            ),
            Rejection::MalformedCredential { value, reason } => write!(
                f,
                "`x-amz-credential` {} is not usable: {reason}; it must be \
                 `ACCESS_KEY_ID/YYYYMMDD/REGION/s3/aws4_request`",
                Shown(value)
            ),
            Rejection::MalformedDate { value, reason } => write!(
                f,
                "`x-amz-date` {} is not usable: {reason}; it must be `YYYYMMDDTHHMMSSZ` on the credential's date",
                Shown(value)
            ),
            Rejection::UnknownAccessKey { access_key_id } => write!(
                f,
                "no secret is known for access key id {}; sign with credentials this server knows",
                Shown(access_key_id)
            ),
            Rejection::InvalidSecurityToken { reason } => {
                write!(f, "`x-amz-security-token`: {reason}")
            }
            Rejection::SignatureMismatch { .. } => f.write_str(
                "`x-amz-signature` does not match the `policy` field: sign the exact base64 text \
                 sent in `policy` with the secret, date and region of `x-amz-credential`",
            ),
            Rejection::InvalidPolicy { reason } => write!(f, "the `policy` field is invalid: {reason}"),
            Rejection::Expired { expiration, now } => write!(
                f,
                "the policy expired at {expiration} (now {now}); sign a fresh one"
            ),
            Rejection::ConditionFailed {
                field,
                condition,
                value: None,
            } => write!(
                f,
                "the policy requires {condition}, but the form has no `{field}` field before the file; add it"
            ),
            Rejection::ConditionFailed {
                field,
                condition: condition @ Condition::StartsWith { prefix, .. },
                value: Some(value),
            } if crate::rules::is_list_field(field) && value.contains(',') => write!(
                f,
                "`Content-Type` {} fails {condition}: S3 treats a Content-Type with commas as a list \
                 and every part must start with {}",
                Shown(value),
                Shown(prefix)
            ),
            Rejection::ConditionFailed {
                field,
                condition,
                value: Some(value),
            } => write!(
                f,
                "`{field}` is {}, which fails the policy's condition {condition}; send a value that meets it",
                Shown(value)
            ),
            Rejection::UnmetCondition { condition } => write!(
                f,
                "the policy's condition {} fails every form: write the field with its `$` \
                 (\"$key\") and sizes as numbers",
                Shown(condition)
            ),
            Rejection::PolicyLacksCondition { field } => write!(
                f,
                "the policy has no condition on `{field}`; S3 requires one: add {{\"{field}\": ...}}"
            ),
            Rejection::ExtraField { field, value } => write!(
                f,
                "the form field `{field}` ({}) is not covered by any policy condition; \
                 add a condition for it, remove it, or rename it `x-ignore-...`",
                Shown(value)
            ),
            Rejection::FileTooSmall { size, min, .. } => write!(
                f,
                "the file is {size} bytes, below the policy's minimum of {min}"
            ),
            Rejection::FileTooLarge {
                size,
                max,
                condition: Some(_),
            } => write!(
                f,
                "the file is {size} bytes, above the policy's maximum of {max}"
            ),
            Rejection::FileTooLarge { size, max, .. } => write!(
                f,
                "the file is {size} bytes, above the {max} bytes S3 takes in one POST; use a multipart upload"
            ),
            Rejection::InvalidValue {
                field,
                value,
                reason,
                ..
            } => write!(f, "`{field}` {} is refused: {reason}", Shown(value)),
            Rejection::InvalidChecksum(problem) => write!(f, "{problem}"),
            Rejection::InvalidSseC(problem) => write!(f, "{problem}"),
            Rejection::ChecksumMismatch {
                algorithm,
                expected,
                computed,
            } => write!(
                f,
                "the file's {} is {computed}, not the {} sent in `{}`; send the checksum of \
                 the bytes uploaded",
                algorithm.name(),
                Shown(expected),
                algorithm.field()
            ),
        }
    }
}

impl std::error::Error for Rejection {}
