//! SSE-C: encryption with a key the client sends. The three fields come
//! together, and the key's MD5 must be the MD5 of the key.

use base64::Engine as _;
use md5::{Digest, Md5};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The algorithm field; S3 takes only `AES256`.
///
/// ```
/// # use policy_rules::{lookup_known, SSE_C_ALGORITHM_FIELD};
/// assert_eq!(lookup_known(SSE_C_ALGORITHM_FIELD).unwrap().1.ident, "sse_customer_algorithm");
/// ```
pub const SSE_C_ALGORITHM_FIELD: &str = "x-amz-server-side-encryption-customer-algorithm";
/// The key field: the base64 of a 32-byte AES-256 key. S3 uses it and never
/// stores it.
///
/// ```
/// # use policy_rules::{is_secret, SSE_C_KEY_FIELD};
/// assert!(is_secret(SSE_C_KEY_FIELD));
/// ```
pub const SSE_C_KEY_FIELD: &str = "x-amz-server-side-encryption-customer-key";
/// The key's MD5 field: the base64 of the MD5 digest of the key's bytes.
///
/// ```
/// # use policy_rules::{lookup_known, SSE_C_KEY_MD5_FIELD};
/// let (_, spec) = lookup_known("X-Amz-Server-Side-Encryption-Customer-Key-Md5").unwrap();
/// assert_eq!(spec.name, SSE_C_KEY_MD5_FIELD);
/// ```
pub const SSE_C_KEY_MD5_FIELD: &str = "x-amz-server-side-encryption-customer-key-MD5";

/// The three SSE-C fields, which S3 takes only together (and only over
/// TLS).
///
/// ```
/// # use policy_rules::{SSE_C_FIELDS, SSE_C_KEY_FIELD};
/// assert!(SSE_C_FIELDS.contains(&SSE_C_KEY_FIELD));
/// ```
pub const SSE_C_FIELDS: [&str; 3] = [SSE_C_ALGORITHM_FIELD, SSE_C_KEY_FIELD, SSE_C_KEY_MD5_FIELD];

/// Why a form's SSE-C fields cannot be used. S3 answers each with a 400,
/// the code [`s3_code`](SseCProblem::s3_code) names;
/// [`Display`](std::fmt::Display) gives S3's message and what to change.
///
/// ```
/// use policy_rules::{check_sse_c_fields, SseCProblem};
///
/// let no_md5 = [("x-amz-server-side-encryption-customer-algorithm", "AES256"),
///               ("x-amz-server-side-encryption-customer-key", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")];
/// let problem = check_sse_c_fields(no_md5).unwrap_err();
/// assert_eq!(problem, SseCProblem::MissingKeyMd5);
/// assert!(problem.to_string().starts_with("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key."));
/// assert_eq!(problem.field(), "x-amz-server-side-encryption-customer-key-MD5");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseCProblem {
    /// A key (or its MD5) without the algorithm.
    MissingAlgorithm,
    /// The algorithm (or the key's MD5) without the key.
    MissingKey,
    /// The key without its MD5.
    MissingKeyMd5,
    /// The MD5 sent is not the MD5 of the key sent.
    KeyMd5Mismatch {
        /// The base64 MD5 of the key sent, which the field should hold.
        expected: String,
    },
    /// SSE-C fields that came over plain HTTP. S3 refuses every such
    /// request, whatever the fields hold: the key crossed the network in
    /// the clear.
    OverPlainHttp {
        /// The first SSE-C field the form sent.
        field: &'static str,
    },
}

impl SseCProblem {
    /// The field to change or add.
    ///
    /// ```
    /// # use policy_rules::SseCProblem;
    /// assert_eq!(SseCProblem::MissingKey.field(), "x-amz-server-side-encryption-customer-key");
    /// ```
    pub fn field(&self) -> &'static str {
        match self {
            SseCProblem::MissingAlgorithm => SSE_C_ALGORITHM_FIELD,
            SseCProblem::MissingKey => SSE_C_KEY_FIELD,
            SseCProblem::MissingKeyMd5 | SseCProblem::KeyMd5Mismatch { .. } => SSE_C_KEY_MD5_FIELD,
            SseCProblem::OverPlainHttp { field } => field,
        }
    }

    /// The error code S3 answers with: `InvalidRequest` for SSE-C over plain
    /// HTTP, `InvalidArgument` for the rest.
    ///
    /// ```
    /// # use policy_rules::{SseCProblem, SSE_C_KEY_FIELD};
    /// assert_eq!(SseCProblem::MissingKey.s3_code(), "InvalidArgument");
    /// assert_eq!(SseCProblem::OverPlainHttp { field: SSE_C_KEY_FIELD }.s3_code(), "InvalidRequest");
    /// ```
    pub fn s3_code(&self) -> &'static str {
        match self {
            SseCProblem::OverPlainHttp { .. } => "InvalidRequest",
            _ => "InvalidArgument",
        }
    }

    /// Why a policy whose conditions lead to this problem can never be met,
    /// and what to change.
    ///
    /// ```
    /// # use policy_rules::SseCProblem;
    /// assert!(SseCProblem::MissingAlgorithm.in_policy().contains("add a condition on `x-amz-server-side-encryption-customer-algorithm`"));
    /// ```
    pub fn in_policy(&self) -> String {
        let s3 = self.s3_message();
        match self {
            SseCProblem::KeyMd5Mismatch { expected } => format!(
                "`{SSE_C_KEY_MD5_FIELD}` is not the MD5 of the key, so S3 refuses every form \
                 (\"{s3}\"): it is the base64 of the MD5 of the key's 32 bytes (not of its \
                 base64 text), `{expected}` for this key"
            ),
            SseCProblem::OverPlainHttp { .. } => format!(
                "S3 refuses SSE-C fields that come over plain HTTP (\"{s3}\"): post forms \
                 with these fields to an https:// endpoint"
            ),
            missing => format!(
                "the policy names SSE-C fields but not `{field}`: S3 refuses a form without it \
                 (\"{s3}\"), and a form with it needs a condition on it; add a condition on \
                 `{field}`, or drop the SSE-C conditions",
                field = missing.field()
            ),
        }
    }

    /// The message S3 puts in its XML error body.
    ///
    /// ```
    /// # use policy_rules::SseCProblem;
    /// let problem = SseCProblem::KeyMd5Mismatch { expected: "hRasmdxgYDKV3nvbahU1MA==".into() };
    /// assert_eq!(problem.s3_message(), "The calculated MD5 hash of the key did not match the hash that was provided.");
    /// ```
    pub fn s3_message(&self) -> &'static str {
        match self {
            SseCProblem::MissingAlgorithm => {
                "Requests specifying Server Side Encryption with Customer provided keys must \
                 provide a valid encryption algorithm."
            }
            SseCProblem::MissingKey => {
                "Requests specifying Server Side Encryption with Customer provided keys must \
                 provide an appropriate secret key."
            }
            SseCProblem::MissingKeyMd5 => {
                "Requests specifying Server Side Encryption with Customer provided keys must \
                 provide the client calculated MD5 of the secret key."
            }
            SseCProblem::KeyMd5Mismatch { .. } => {
                "The calculated MD5 hash of the key did not match the hash that was provided."
            }
            SseCProblem::OverPlainHttp { .. } => {
                "Requests specifying Server Side Encryption with Customer provided keys must \
                 be made over a secure connection."
            }
        }
    }
}

impl std::fmt::Display for SseCProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s3 = self.s3_message();
        match self {
            SseCProblem::MissingAlgorithm => write!(
                f,
                "{s3} Send `{SSE_C_ALGORITHM_FIELD}` = `AES256` with the key, or none of the \
                 SSE-C fields"
            ),
            SseCProblem::MissingKey => write!(
                f,
                "{s3} Send `{SSE_C_KEY_FIELD}` (the base64 of a 32-byte key), or none of the \
                 SSE-C fields"
            ),
            SseCProblem::MissingKeyMd5 => write!(
                f,
                "{s3} Send `{SSE_C_KEY_MD5_FIELD}`: the base64 of the MD5 digest of the key's \
                 32 bytes"
            ),
            SseCProblem::KeyMd5Mismatch { expected } => write!(
                f,
                "{s3} `{SSE_C_KEY_MD5_FIELD}` must be the base64 of the MD5 of the key's 32 \
                 bytes (not of its base64 text): `{expected}` for the key sent"
            ),
            SseCProblem::OverPlainHttp { field } => write!(
                f,
                "{s3} The form sent `{field}` over plain HTTP: post forms with SSE-C fields \
                 to an https:// endpoint only, and treat a key that was sent in the clear as \
                 exposed (use another)"
            ),
        }
    }
}

impl std::error::Error for SseCProblem {}

/// Checks a form's SSE-C fields (`(name, value)`, names in any case) as a
/// whole, as S3 does once each value is valid on its own (the key the
/// base64 of 32 bytes, its MD5 the base64 of 16, the algorithm `AES256`):
/// any of the three fields asks for all three, and the MD5 must be the
/// key's.
///
/// ```
/// use policy_rules::{check_sse_c_fields, SseCProblem};
///
/// let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// let all = [("x-amz-server-side-encryption-customer-algorithm", "AES256"),
///            ("X-Amz-Server-Side-Encryption-Customer-Key", key),
///            ("x-amz-server-side-encryption-customer-key-md5", "hRasmdxgYDKV3nvbahU1MA==")];
/// assert_eq!(check_sse_c_fields(all), Ok(()));
/// assert_eq!(check_sse_c_fields([("key", "a")]), Ok(()));
///
/// let wrong = [all[0], all[1], ("x-amz-server-side-encryption-customer-key-MD5", "AAAAAAAAAAAAAAAAAAAAAA==")];
/// assert!(matches!(check_sse_c_fields(wrong), Err(SseCProblem::KeyMd5Mismatch { .. })));
/// ```
pub fn check_sse_c_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), SseCProblem> {
    match all_three(fields)? {
        // An undecodable key is refused by its own value rule first; here
        // it can only mismatch.
        Some((key, key_md5)) => md5_matches(key, key_md5),
        None => Ok(()),
    }
}

/// Checks that a form's SSE-C fields (given by name, in form order, any
/// case) did not come over plain HTTP: S3 refuses SSE-C over plain HTTP
/// whatever the fields hold. `over_plain_http` is what the server that
/// received the form knows of its connection.
///
/// ```
/// use policy_rules::{check_sse_c_transport, SseCProblem, SSE_C_ALGORITHM_FIELD};
///
/// let names = ["key", "X-Amz-Server-Side-Encryption-Customer-Algorithm", "policy"];
/// assert_eq!(check_sse_c_transport(names, false), Ok(()));
/// assert_eq!(check_sse_c_transport(["key", "policy"], true), Ok(()));
/// let refused = check_sse_c_transport(names, true).unwrap_err();
/// assert_eq!(refused, SseCProblem::OverPlainHttp { field: SSE_C_ALGORITHM_FIELD });
/// assert!(refused.to_string().contains("https://"));
/// ```
pub fn check_sse_c_transport<'a>(
    names: impl IntoIterator<Item = &'a str>,
    over_plain_http: bool,
) -> Result<(), SseCProblem> {
    if !over_plain_http {
        return Ok(());
    }
    let first = names.into_iter().find_map(|name| {
        SSE_C_FIELDS
            .into_iter()
            .find(|f| f.eq_ignore_ascii_case(name))
    });
    match first {
        Some(field) => Err(SseCProblem::OverPlainHttp { field }),
        None => Ok(()),
    }
}

/// Checks a policy's SSE-C conditions as a whole, given each condition's
/// field and its value when it is an exact, known value: a form meeting
/// them must be one S3 can accept. So a condition on any of the three
/// fields asks for conditions on all three (S3 wants all three in the form,
/// and a form field needs a condition), and a known key's MD5 must be its
/// MD5. [`SseCProblem::in_policy`] says why a policy fails.
///
/// ```
/// use policy_rules::{check_sse_c_conditions, SseCProblem};
///
/// let two = [("key", Some("a")), ("x-amz-server-side-encryption-customer-algorithm", Some("AES256")),
///            ("x-amz-server-side-encryption-customer-key", None)];
/// let problem = check_sse_c_conditions(two).unwrap_err();
/// assert_eq!(problem, SseCProblem::MissingKeyMd5);
/// assert!(problem.in_policy().contains("add a condition on `x-amz-server-side-encryption-customer-key-MD5`"));
/// ```
pub fn check_sse_c_conditions<'a>(
    conditions: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<(), SseCProblem> {
    match all_three(conditions)? {
        // A key that is not 32 bytes of base64 has its own value error.
        Some((Some(key), Some(key_md5))) if BASE64.decode(key).is_ok_and(|k| k.len() == 32) => {
            md5_matches(key, key_md5)
        }
        _ => Ok(()),
    }
}

/// The key's and the MD5's values (the first given of each) when all three
/// SSE-C fields are named, `None` when none is, the field missing when some
/// are (the key first, then its MD5, then the algorithm).
fn all_three<'a, V: Copy>(
    fields: impl IntoIterator<Item = (&'a str, V)>,
) -> Result<Option<(V, V)>, SseCProblem> {
    let (mut algorithm, mut key, mut key_md5) = (None, None, None);
    for (name, value) in fields {
        if name.eq_ignore_ascii_case(SSE_C_ALGORITHM_FIELD) {
            algorithm = algorithm.or(Some(value));
        } else if name.eq_ignore_ascii_case(SSE_C_KEY_FIELD) {
            key = key.or(Some(value));
        } else if name.eq_ignore_ascii_case(SSE_C_KEY_MD5_FIELD) {
            key_md5 = key_md5.or(Some(value));
        }
    }
    if algorithm.is_none() && key.is_none() && key_md5.is_none() {
        return Ok(None);
    }
    let key = key.ok_or(SseCProblem::MissingKey)?;
    let key_md5 = key_md5.ok_or(SseCProblem::MissingKeyMd5)?;
    algorithm.ok_or(SseCProblem::MissingAlgorithm)?;
    Ok(Some((key, key_md5)))
}

/// Whether `key_md5` is the base64 MD5 of the bytes `key` encodes.
fn md5_matches(key: &str, key_md5: &str) -> Result<(), SseCProblem> {
    let digest = Md5::digest(BASE64.decode(key).unwrap_or_default());
    let expected = BASE64.encode(digest);
    if key_md5 == expected {
        Ok(())
    } else {
        Err(SseCProblem::KeyMd5Mismatch { expected })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    /// The MD5 of the key's 32 bytes (`0123456789abcdef0123456789abcdef`),
    /// base64 (Python: `base64.b64encode(hashlib.md5(key).digest())`).
    const KEY_MD5: &str = "hRasmdxgYDKV3nvbahU1MA==";

    #[test]
    fn any_sse_c_field_asks_for_all_three() {
        let a = (SSE_C_ALGORITHM_FIELD, "AES256");
        let k = (SSE_C_KEY_FIELD, KEY);
        let m = (SSE_C_KEY_MD5_FIELD, KEY_MD5);
        for (fields, expected) in [
            (vec![], Ok(())),
            (vec![a, k, m], Ok(())),
            (vec![m, k, a], Ok(())),
            (vec![a], Err(SseCProblem::MissingKey)),
            (vec![m], Err(SseCProblem::MissingKey)),
            (vec![a, m], Err(SseCProblem::MissingKey)),
            (vec![k], Err(SseCProblem::MissingKeyMd5)),
            (vec![a, k], Err(SseCProblem::MissingKeyMd5)),
            (vec![k, m], Err(SseCProblem::MissingAlgorithm)),
        ] {
            assert_eq!(check_sse_c_fields(fields.clone()), expected, "{fields:?}");
        }
    }

    #[test]
    fn the_md5_must_be_the_keys() {
        let with = |md5| {
            check_sse_c_fields([
                (SSE_C_ALGORITHM_FIELD, "AES256"),
                (SSE_C_KEY_FIELD, KEY),
                (SSE_C_KEY_MD5_FIELD, md5),
            ])
        };
        assert_eq!(with(KEY_MD5), Ok(()));
        let mismatch = Err(SseCProblem::KeyMd5Mismatch {
            expected: KEY_MD5.into(),
        });
        // Another digest; the MD5 of the key's base64 text (a common
        // mistake).
        assert_eq!(with("AAAAAAAAAAAAAAAAAAAAAA=="), mismatch);
        assert_eq!(with("t52DDCIm7WL8PC2PMFZOiw=="), mismatch);
        let message = with("t52DDCIm7WL8PC2PMFZOiw==").unwrap_err().to_string();
        assert!(message.contains(KEY_MD5), "{message}");
    }
}
