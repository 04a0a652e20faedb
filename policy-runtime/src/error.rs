//! The one error type of this crate.

use std::fmt;

/// Everything that can go wrong while building, parsing or signing a policy.
///
/// Every message names the field or setting at fault and says what to change.
///
/// ```
/// use policy_runtime::{rules::RuleError, Error, Policy};
///
/// let err = Policy::builder().starts_with("bucket", "team-").unwrap_err();
/// assert!(matches!(err, Error::Rule(RuleError::StartsWithNotAllowed { .. })));
/// assert!(err.to_string().contains("exact"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A field name S3 does not know.
    UnknownField {
        /// The name as written.
        name: String,
        /// The closest known field, if any.
        suggestion: Option<&'static str>,
    },
    /// A field the signer or the form sets itself.
    ReservedField {
        /// The canonical field name.
        name: String,
    },
    /// A metadata name S3 cannot carry.
    InvalidFieldName {
        /// The name as written.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Conditions that break one of S3's rules: the match type or value a
    /// field allows, two conditions on one field, the size range, both
    /// redirects, checksum conditions no form can meet. The rule and its
    /// message come from [`rules`](crate::rules).
    Rule(crate::rules::RuleError),
    /// A condition every upload policy needs is missing.
    MissingCondition {
        /// The missing field.
        field: &'static str,
    },
    /// The expiration is not after the signing time, or out of range.
    InvalidExpiration {
        /// What is wrong with it.
        reason: String,
    },
    /// The key chosen at signing time does not satisfy the policy's key
    /// condition.
    KeyOutsidePolicy {
        /// The key given.
        key: String,
        /// The condition it fails.
        condition: String,
    },
    /// A policy document that is not valid S3 policy JSON.
    InvalidPolicyJson {
        /// What the parser found, with its position.
        reason: String,
    },
    /// A `policy` value that is not standard base64.
    InvalidBase64 {
        /// What the decoder found.
        reason: String,
    },
    /// A required credential or setting was not found in the environment.
    MissingSetting {
        /// What is missing.
        what: &'static str,
        /// The variables that were looked at.
        variables: &'static str,
    },
    /// Credentials that cannot be used to sign.
    InvalidCredentials {
        /// What is wrong with them.
        reason: String,
    },
    /// A region name that is not valid in a SigV4 credential scope.
    InvalidRegion {
        /// The region as given.
        region: String,
    },
    /// A `post_policy!` placeholder value that cannot be used.
    InvalidPlaceholder {
        /// The placeholder's name.
        name: &'static str,
        /// The value given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// An [`Extension`](crate::Extension) returned a condition on a field it
    /// did not declare in `FIELDS`.
    UndeclaredExtensionField {
        /// The extension's type.
        extension: &'static str,
        /// The undeclared field.
        field: String,
    },
    /// An endpoint URL that cannot be posted to.
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownField { name, suggestion } => {
                write!(f, "unknown field `{name}`: S3 has no such POST form field")?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`?"),
                    None => write!(
                        f,
                        "; user metadata is written `x-amz-meta-NAME`, fields S3 should ignore `x-ignore-NAME`"
                    ),
                }
            }
            Error::ReservedField { name } => write!(
                f,
                "`{name}` is set by the signer or the form itself; remove this condition"
            ),
            Error::InvalidFieldName { name, reason } => {
                write!(f, "invalid field name `{name}`: {reason}")
            }
            Error::Rule(rule) => rule.fmt(f),
            Error::MissingCondition { field } => {
                match crate::rules::REQUIRED_CONDITIONS.iter().find(|r| r.field == *field) {
                    Some(required) => f.write_str(&required.message()),
                    None => write!(f, "no `{field}` condition: every upload policy needs one"),
                }
            }
            Error::InvalidExpiration { reason } => write!(f, "invalid expiration: {reason}"),
            Error::KeyOutsidePolicy { key, condition } => write!(
                f,
                "the key `{key}` does not satisfy the policy's condition {condition}; choose a key that does"
            ),
            Error::InvalidPolicyJson { reason } => write!(f, "invalid policy document: {reason}"),
            Error::InvalidBase64 { reason } => {
                write!(f, "the policy is not valid standard base64: {reason}")
            }
            Error::MissingSetting { what, variables } => {
                write!(f, "no {what} found: set {variables}, or pass it explicitly")
            }
            Error::InvalidCredentials { reason } => write!(f, "invalid credentials: {reason}"),
            Error::InvalidRegion { region } => write!(
                f,
                "invalid region `{region}`: a region is 1 to 63 lowercase letters, digits and `-`, starting and ending with a letter or digit, such as `us-east-1`"
            ),
            Error::InvalidPlaceholder {
                name,
                value,
                reason,
            } => write!(
                f,
                "invalid value {value:?} for the placeholder `{{{name}}}`: {reason}"
            ),
            Error::UndeclaredExtensionField { extension, field } => write!(
                f,
                "the extension `{extension}` returned a condition on `{field}`, which its `FIELDS` \
                 does not declare; add `{field}` to `FIELDS`"
            ),
            Error::InvalidEndpoint { endpoint, reason } => {
                write!(f, "invalid endpoint `{endpoint}`: {reason}")
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::rules::RuleError> for Error {
    fn from(rule: crate::rules::RuleError) -> Error {
        Error::Rule(rule)
    }
}
