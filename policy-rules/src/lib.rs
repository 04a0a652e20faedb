//! S3's POST policy rules as data: one table that `policy-runtime`'s builder
//! and parser and `policy-macros`' `post_policy!` all read, so the rules are
//! written once. Use it through `policy_runtime::rules`.
//!
//! Each [`FieldSpec`] says how a form field is spelled, which match types S3
//! allows on it, what values it accepts and who sets it. Nothing else
//! hard-codes a field name's rules.
//!
//! ```
//! use policy_rules::{self as rules, FieldKind};
//!
//! let FieldKind::Known(spec) = rules::lookup("content-type").unwrap() else { panic!() };
//! assert_eq!(spec.name, "Content-Type");
//! assert!(spec.starts_with);
//! ```

/// Largest object a single POST upload may carry: 5 GiB.
///
/// ```
/// # use policy_rules::MAX_UPLOAD_SIZE;
/// let range = 1..=MAX_UPLOAD_SIZE; // the widest content-length-range S3 accepts
/// assert!(range.contains(&(5 << 30)) && !range.contains(&((5 << 30) + 1)));
/// ```
pub const MAX_UPLOAD_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// The most form data S3 reads before the file: 20 KiB (field names,
/// values and boundaries; S3 answers `MaxPostPreDataLengthExceeded`).
///
/// ```
/// # use policy_rules::MAX_FORM_BYTES;
/// assert_eq!(MAX_FORM_BYTES, 20_480);
/// ```
pub const MAX_FORM_BYTES: u64 = 20 * 1024;

/// How long a policy lives when its author does not say: an hour.
///
/// ```
/// # use policy_rules::DEFAULT_LIFETIME_SECS;
/// assert_eq!(DEFAULT_LIFETIME_SECS, 3600);
/// ```
pub const DEFAULT_LIFETIME_SECS: i64 = 3600;

/// The longest lifetime a policy may be given: a year. Longer, a signed
/// form is a standing upload credential.
///
/// ```
/// # use policy_rules::MAX_LIFETIME_SECS;
/// assert_eq!(MAX_LIFETIME_SECS, 365 * 24 * 3600);
/// ```
pub const MAX_LIFETIME_SECS: i64 = 365 * 86_400;

/// Checks a policy's lifetime in seconds (`expires_in`): positive and at
/// most [`MAX_LIFETIME_SECS`]. `post_policy!` and the builder both read it.
///
/// ```
/// use policy_rules::check_lifetime;
/// assert!(check_lifetime(600).is_ok());
/// assert!(check_lifetime(0).unwrap_err().contains("positive"));
/// assert!(check_lifetime(400 * 86_400).unwrap_err().contains("a year at most"));
/// ```
pub fn check_lifetime(secs: i64) -> Result<(), String> {
    if secs <= 0 {
        Err(format!(
            "the lifetime must be positive, not {secs} s; minutes are usual"
        ))
    } else if secs > MAX_LIFETIME_SECS {
        Err(
            "a policy that lives over a year is a standing upload credential; keep the \
             lifetime to a year at most (minutes are usual)"
                .into(),
        )
    } else {
        Ok(())
    }
}

/// A condition every upload policy needs, and why.
///
/// ```
/// # use policy_rules::REQUIRED_CONDITIONS;
/// let fields: Vec<_> = REQUIRED_CONDITIONS.iter().map(|r| r.field).collect();
/// assert_eq!(fields, ["bucket", "key"]);
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Required {
    /// The field the condition is on.
    pub field: &'static str,
    /// Why a policy needs it.
    pub why: &'static str,
}

/// The conditions every upload policy needs: where the upload goes.
///
/// ```
/// # use policy_rules::REQUIRED_CONDITIONS;
/// assert!(REQUIRED_CONDITIONS[0].why.contains("S3 refuses"));
/// ```
pub static REQUIRED_CONDITIONS: &[Required] = &[
    Required {
        field: "bucket",
        why: "S3 refuses a policy that does not name its bucket",
    },
    Required {
        field: "key",
        why: "every form sends a `key` field, and S3 refuses a field no condition covers",
    },
];

/// The conditions a signed policy document holds besides those: the
/// signer's fields, which every signed form sends (the session token too,
/// with temporary credentials). The signer adds them; a document read back
/// needs them.
///
/// ```
/// # use policy_rules::SIGNED_CONDITIONS;
/// let fields: Vec<_> = SIGNED_CONDITIONS.iter().map(|r| r.field).collect();
/// assert_eq!(fields, ["x-amz-algorithm", "x-amz-credential", "x-amz-date"]);
/// assert!(SIGNED_CONDITIONS[2].message().contains("exact"));
/// ```
pub static SIGNED_CONDITIONS: &[Required] = &[
    Required {
        field: "x-amz-algorithm",
        why: SIGNED_WHY,
    },
    Required {
        field: "x-amz-credential",
        why: SIGNED_WHY,
    },
    Required {
        field: "x-amz-date",
        why: SIGNED_WHY,
    },
];

const SIGNED_WHY: &str = "a signed form sends this field, and S3 refuses a field no condition \
     covers; the condition must be exact";

/// The first of [`REQUIRED_CONDITIONS`] that a policy whose conditions
/// are on `fields` (any case) lacks.
///
/// ```
/// use policy_rules::missing_required;
/// assert_eq!(missing_required(["bucket", "KEY"]), None);
/// assert_eq!(missing_required(["key"]).unwrap().field, "bucket");
/// ```
pub fn missing_required<'a>(
    fields: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<&'static Required> {
    REQUIRED_CONDITIONS.iter().find(|required| {
        !fields
            .clone()
            .into_iter()
            .any(|f| f.eq_ignore_ascii_case(required.field))
    })
}

impl Required {
    /// The one message for a policy that lacks it.
    ///
    /// ```
    /// # use policy_rules::REQUIRED_CONDITIONS;
    /// assert!(REQUIRED_CONDITIONS[1].message().starts_with("no `key` condition: every form"));
    /// ```
    pub fn message(&self) -> String {
        format!("no `{}` condition: {}", self.field, self.why)
    }
}

/// Whether S3 reads the field's value as a comma-separated list when it
/// checks a starts-with condition: only `Content-Type` (any case).
///
/// ```
/// # use policy_rules::is_list_field;
/// assert!(is_list_field("content-type") && !is_list_field("Cache-Control"));
/// ```
pub fn is_list_field(field: &str) -> bool {
    field.eq_ignore_ascii_case("Content-Type")
}

/// Whether `value` of `field` meets a starts-with condition with `prefix`:
/// for a list field ([`is_list_field`]) every comma-separated item must
/// start with it, so `image/png,text/html` fails `starts-with image/`.
///
/// ```
/// use policy_rules::starts_with_holds;
/// assert!(starts_with_holds("Content-Type", "image/png,image/gif", "image/"));
/// assert!(!starts_with_holds("Content-Type", "image/png,text/html", "image/"));
/// assert!(starts_with_holds("key", "user/a,b", "user/"));
/// ```
pub fn starts_with_holds(field: &str, value: &str, prefix: &str) -> bool {
    if is_list_field(field) {
        value.split(',').all(|item| item.starts_with(prefix))
    } else {
        value.starts_with(prefix)
    }
}

/// Largest object key S3 accepts, in UTF-8 bytes.
///
/// ```
/// # use policy_rules::{ValueRule, MAX_KEY_LEN};
/// assert!(ValueRule::Key.check(&"k".repeat(MAX_KEY_LEN)).is_ok());
/// assert!(ValueRule::Key.check(&"k".repeat(MAX_KEY_LEN + 1)).is_err());
/// ```
pub const MAX_KEY_LEN: usize = 1024;

/// Prefix of user-defined metadata fields (`x-amz-meta-*`).
///
/// ```
/// # use policy_rules::{lookup, FieldKind, META_PREFIX};
/// let name = format!("{META_PREFIX}owner");
/// assert_eq!(lookup(&name), Some(FieldKind::Meta("owner")));
/// ```
pub const META_PREFIX: &str = "x-amz-meta-";

/// Prefix of fields S3 ignores entirely (`x-ignore-*`): they need no condition.
///
/// ```
/// # use policy_rules::{lookup, FieldKind, IGNORE_PREFIX};
/// assert_eq!(lookup(&format!("{IGNORE_PREFIX}csrf-token")), Some(FieldKind::Ignored));
/// assert_eq!(lookup("x-ignore"), None); // the prefix needs its trailing `-`
/// ```
pub const IGNORE_PREFIX: &str = "x-ignore-";

/// Whether the field `name` (any case) holds a secret ([`Kept::Secret`]):
/// S3 uses it (the SSE-C customer key encrypts the object) but never
/// stores it, returns it or logs it; only its MD5
/// (`x-amz-server-side-encryption-customer-key-MD5`) is kept and echoed.
///
/// ```
/// # use policy_rules::is_secret;
/// assert!(is_secret("X-Amz-Server-Side-Encryption-Customer-Key"));
/// assert!(!is_secret("x-amz-server-side-encryption-customer-key-MD5"));
/// ```
pub fn is_secret(name: &str) -> bool {
    matches!(lookup(name), Some(FieldKind::Known(spec)) if spec.kept == Kept::Secret)
}

/// The placeholder S3 replaces with the uploaded file's name.
///
/// ```
/// # use policy_rules::FILENAME_PLACEHOLDER;
/// let key = format!("uploads/{FILENAME_PLACEHOLDER}");
/// assert_eq!(key.replace(FILENAME_PLACEHOLDER, "cat.png"), "uploads/cat.png");
/// ```
pub const FILENAME_PLACEHOLDER: &str = "${filename}";

/// The canned ACLs S3 accepts in the `acl` field.
///
/// ```
/// # use policy_rules::{lookup, FieldKind, ValueRule, CANNED_ACLS};
/// assert!(CANNED_ACLS.contains(&"private") && !CANNED_ACLS.contains(&"Private"));
/// let Some(FieldKind::Known(acl)) = lookup("acl") else { panic!() };
/// assert_eq!(acl.value, ValueRule::OneOf(CANNED_ACLS));
/// ```
pub const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "aws-exec-read",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// The values S3 accepts in `success_action_status`.
///
/// ```
/// # use policy_rules::{by_ident, ValueRule, SUCCESS_STATUSES};
/// assert_eq!(SUCCESS_STATUSES, ["200", "201", "204"]);
/// let status = by_ident("success_action_status").unwrap();
/// assert_eq!(status.value, ValueRule::OneOf(SUCCESS_STATUSES));
/// assert!(status.value.check("202").is_err());
/// ```
pub const SUCCESS_STATUSES: &[&str] = &["200", "201", "204"];

/// Who puts a field into the form.
///
/// ```
/// use policy_rules::{by_ident, Role};
/// let role = |ident| by_ident(ident).unwrap().role;
/// assert_eq!(role("content_type"), Role::User);
/// assert_eq!(role("date"), Role::Signer);
/// assert!(matches!(role("signature"), Role::Reserved));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The policy author: a condition in the policy, a value in the form.
    User,
    /// The signer adds it to both policy and form (`x-amz-algorithm`,
    /// `x-amz-credential`, `x-amz-date`, `x-amz-security-token`).
    Signer,
    /// A form field that is never a policy condition (`policy`,
    /// `x-amz-signature`, `file`).
    Reserved,
}

/// What values a field accepts.
///
/// ```
/// use policy_rules::{by_ident, ValueRule};
/// let rule = by_ident("storage_class").unwrap().value;
/// let ValueRule::OneOf(classes) = rule else { panic!("{rule:?}") };
/// assert!(classes.contains(&"GLACIER"));
/// assert!(rule.check("glacier").unwrap_err().contains("write `GLACIER`"));
/// assert_eq!(by_ident("bucket").unwrap().value, ValueRule::Bucket);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRule {
    /// Any string.
    Any,
    /// An S3 bucket name (see [`check_bucket_name`]).
    Bucket,
    /// An object key: 1 to [`MAX_KEY_LEN`] bytes.
    Key,
    /// An absolute `http://` or `https://` URL.
    HttpUrl,
    /// A path starting with `/`, or an absolute `http(s)://` URL.
    RedirectLocation,
    /// One of a fixed list of values (case-sensitive, as S3 compares them).
    OneOf(&'static [&'static str]),
    /// An ISO 8601 / RFC 3339 timestamp such as `2030-01-01T00:00:00Z`.
    Timestamp,
    /// A checksum of the object: the padded base64 of exactly the
    /// algorithm's digest, canonical (no stray bits in the last character).
    Digest(ChecksumAlgorithm),
    /// The object's tags as an XML tag set (see [`check_tagging`]).
    Tagging,
    /// The canonical padded base64 of exactly `bytes` bytes; S3 reads the
    /// value as `of` (the SSE-C key and its MD5).
    Base64 {
        /// How many bytes the value encodes.
        bytes: usize,
        /// What those bytes are, for messages (`AES-256 key`).
        of: &'static str,
    },
}

/// What S3 does with a field's value when it accepts a form.
///
/// ```
/// use policy_rules::{by_ident, Kept};
/// let kept = |ident| by_ident(ident).unwrap().kept;
/// assert_eq!(kept("cache_control"), Kept::Header);
/// assert_eq!(kept("sse_customer_key"), Kept::Secret);
/// assert_eq!(kept("bucket"), Kept::Bucket);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// Names the object: `key`.
    Key,
    /// Not read from the form: S3 takes the bucket from the URL posted to.
    Bucket,
    /// The object's content type.
    ContentType,
    /// Stored with the object and sent back as a header on `GET`
    /// (`Cache-Control`, encryption, storage class, object lock, ...).
    Header,
    /// The object's canned ACL.
    Acl,
    /// The object's tags, kept beside it (a `GET` tells how many).
    Tagging,
    /// Checked against the bytes, then stored (`x-amz-checksum-*`).
    Checksum,
    /// Chooses the status of the answer (`success_action_status`).
    Status,
    /// Where the browser is sent after the upload; S3 prefers
    /// `success_action_redirect` over `redirect`.
    Redirect {
        /// Whether this field wins when both are sent.
        preferred: bool,
    },
    /// Used, never stored, returned or logged: the SSE-C customer key.
    Secret,
    /// The signed policy and its signature: read verbatim (`${filename}`
    /// is not replaced in them) and consumed by authentication.
    Signature,
    /// Consumed by the request itself: the signer's fields and the file.
    Form,
}

/// One form field S3 knows, and its rules.
///
/// ```
/// use policy_rules::{lookup, FieldKind, FieldSpec, Role, ValueRule};
/// let Some(FieldKind::Known(spec)) = lookup("SUCCESS_ACTION_REDIRECT") else { panic!() };
/// let FieldSpec { name, ident, starts_with, value, role, kept, refused_with } = spec;
/// assert_eq!((*name, *ident), ("success_action_redirect", "success_action_redirect"));
/// assert!(*starts_with);
/// assert_eq!((*value, *role), (ValueRule::HttpUrl, Role::User));
/// assert_eq!(*kept, policy_rules::Kept::Redirect { preferred: true });
/// assert_eq!(*refused_with, None); // S3 ignores a redirect it cannot follow
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// The field's canonical spelling in the form and the policy.
    pub name: &'static str,
    /// Its snake-case name in `post_policy!`.
    pub ident: &'static str,
    /// Whether S3 allows a `starts-with` condition on it (else exact only).
    pub starts_with: bool,
    /// The values it accepts.
    pub value: ValueRule,
    /// Who sets it.
    pub role: Role,
    /// What S3 does with its value when it accepts a form.
    pub kept: Kept,
    /// The error code S3 answers when a signed form's value breaks
    /// [`value`](FieldSpec::value) (S3 checks it as it stores the object);
    /// `None` when S3 does not refuse such a value (it ignores a redirect
    /// it cannot follow, answers 204 for an unknown status, ...).
    pub refused_with: Option<&'static str>,
}

impl FieldSpec {
    const fn kept(self, kept: Kept) -> FieldSpec {
        FieldSpec { kept, ..self }
    }

    const fn refused_with(self, code: &'static str) -> FieldSpec {
        FieldSpec {
            refused_with: Some(code),
            ..self
        }
    }
}

const fn user(
    name: &'static str,
    ident: &'static str,
    starts_with: bool,
    value: ValueRule,
) -> FieldSpec {
    FieldSpec {
        name,
        ident,
        starts_with,
        value,
        role: Role::User,
        kept: Kept::Header,
        refused_with: None,
    }
}

const fn managed(name: &'static str, ident: &'static str, role: Role) -> FieldSpec {
    FieldSpec {
        name,
        ident,
        starts_with: false,
        value: ValueRule::Any,
        role,
        kept: Kept::Form,
        refused_with: None,
    }
}

const SSE: &[&str] = &["AES256", "aws:kms", "aws:kms:dsse"];
const BOOL: &[&str] = &["true", "false"];
const SSE_C: &[&str] = &["AES256"];
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
];
const CHECKSUM_ALGORITHMS: &[&str] = &["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"];
const LOCK_MODES: &[&str] = &["GOVERNANCE", "COMPLIANCE"];
const LEGAL_HOLD: &[&str] = &["ON", "OFF"];

/// Every field S3's POST upload knows, except `x-amz-meta-*` (see
/// [`lookup`]).
///
/// ```
/// use policy_rules::{Role, FIELDS};
/// let key = FIELDS.iter().find(|f| f.name == "key").unwrap();
/// assert!(key.starts_with);
/// let signed: Vec<_> = FIELDS.iter().filter(|f| f.role == Role::Signer).map(|f| f.name).collect();
/// assert_eq!(signed, ["x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-security-token"]);
/// assert!(!FIELDS.iter().any(|f| f.name == "Content-MD5"));
/// ```
pub static FIELDS: &[FieldSpec] = &[
    user("bucket", "bucket", false, ValueRule::Bucket).kept(Kept::Bucket),
    user("key", "key", true, ValueRule::Key).kept(Kept::Key),
    user("acl", "acl", true, ValueRule::OneOf(CANNED_ACLS))
        .kept(Kept::Acl)
        .refused_with("InvalidArgument"),
    user("Cache-Control", "cache_control", true, ValueRule::Any),
    user("Content-Type", "content_type", true, ValueRule::Any).kept(Kept::ContentType),
    user(
        "Content-Disposition",
        "content_disposition",
        true,
        ValueRule::Any,
    ),
    user("Content-Encoding", "content_encoding", true, ValueRule::Any),
    user("Expires", "expires", true, ValueRule::Any),
    user(
        "success_action_redirect",
        "success_action_redirect",
        true,
        ValueRule::HttpUrl,
    )
    .kept(Kept::Redirect { preferred: true }),
    user("redirect", "redirect", true, ValueRule::HttpUrl)
        .kept(Kept::Redirect { preferred: false }),
    user(
        "success_action_status",
        "success_action_status",
        false,
        ValueRule::OneOf(SUCCESS_STATUSES),
    )
    .kept(Kept::Status),
    user(
        "x-amz-server-side-encryption",
        "server_side_encryption",
        false,
        ValueRule::OneOf(SSE),
    )
    .refused_with("InvalidArgument"),
    user(
        "x-amz-server-side-encryption-aws-kms-key-id",
        "sse_kms_key_id",
        false,
        ValueRule::Any,
    ),
    user(
        "x-amz-server-side-encryption-context",
        "sse_context",
        false,
        ValueRule::Any,
    ),
    user(
        "x-amz-server-side-encryption-bucket-key-enabled",
        "sse_bucket_key_enabled",
        false,
        ValueRule::OneOf(BOOL),
    )
    .refused_with("InvalidArgument"),
    user(
        SSE_C_ALGORITHM_FIELD,
        "sse_customer_algorithm",
        false,
        ValueRule::OneOf(SSE_C),
    )
    .refused_with("InvalidArgument"),
    user(
        SSE_C_KEY_FIELD,
        "sse_customer_key",
        false,
        ValueRule::Base64 {
            bytes: 32,
            of: "AES-256 key",
        },
    )
    .kept(Kept::Secret)
    .refused_with("InvalidArgument"),
    user(
        SSE_C_KEY_MD5_FIELD,
        "sse_customer_key_md5",
        false,
        ValueRule::Base64 {
            bytes: 16,
            of: "MD5 digest of the customer key",
        },
    )
    .refused_with("InvalidArgument"),
    user(
        "x-amz-storage-class",
        "storage_class",
        false,
        ValueRule::OneOf(STORAGE_CLASSES),
    )
    .refused_with("InvalidStorageClass"),
    user("tagging", "tagging", true, ValueRule::Tagging)
        .kept(Kept::Tagging)
        .refused_with("MalformedXML"),
    user(
        "x-amz-website-redirect-location",
        "website_redirect_location",
        false,
        ValueRule::RedirectLocation,
    )
    .refused_with("InvalidArgument"),
    user(
        "x-amz-checksum-algorithm",
        "checksum_algorithm",
        false,
        ValueRule::OneOf(CHECKSUM_ALGORITHMS),
    )
    .kept(Kept::Checksum),
    user(
        "x-amz-checksum-crc32",
        "checksum_crc32",
        false,
        ValueRule::Digest(ChecksumAlgorithm::Crc32),
    )
    .kept(Kept::Checksum),
    user(
        "x-amz-checksum-crc32c",
        "checksum_crc32c",
        false,
        ValueRule::Digest(ChecksumAlgorithm::Crc32c),
    )
    .kept(Kept::Checksum),
    user(
        "x-amz-checksum-crc64nvme",
        "checksum_crc64nvme",
        false,
        ValueRule::Digest(ChecksumAlgorithm::Crc64Nvme),
    )
    .kept(Kept::Checksum),
    user(
        "x-amz-checksum-sha1",
        "checksum_sha1",
        false,
        ValueRule::Digest(ChecksumAlgorithm::Sha1),
    )
    .kept(Kept::Checksum),
    user(
        "x-amz-checksum-sha256",
        "checksum_sha256",
        false,
        ValueRule::Digest(ChecksumAlgorithm::Sha256),
    )
    .kept(Kept::Checksum),
    user(
        "x-amz-object-lock-mode",
        "object_lock_mode",
        false,
        ValueRule::OneOf(LOCK_MODES),
    )
    .refused_with("InvalidArgument"),
    user(
        "x-amz-object-lock-retain-until-date",
        "object_lock_retain_until_date",
        false,
        ValueRule::Timestamp,
    )
    .refused_with("InvalidArgument"),
    user(
        "x-amz-object-lock-legal-hold",
        "object_lock_legal_hold",
        false,
        ValueRule::OneOf(LEGAL_HOLD),
    )
    .refused_with("InvalidArgument"),
    managed("x-amz-algorithm", "algorithm", Role::Signer),
    managed("x-amz-credential", "credential", Role::Signer),
    managed("x-amz-date", "date", Role::Signer),
    managed("x-amz-security-token", "security_token", Role::Signer),
    managed("policy", "policy", Role::Reserved).kept(Kept::Signature),
    managed("x-amz-signature", "signature", Role::Reserved).kept(Kept::Signature),
    managed("file", "file", Role::Reserved),
];

/// What a field name refers to.
///
/// ```
/// use policy_rules::{lookup, FieldKind};
/// let Some(FieldKind::Known(spec)) = lookup("cache-control") else { panic!() };
/// assert_eq!(spec.name, "Cache-Control");
/// assert_eq!(lookup("x-amz-meta-Owner"), Some(FieldKind::Meta("Owner")));
/// assert_eq!(lookup("X-Ignore-csrf"), Some(FieldKind::Ignored));
/// assert_eq!(lookup("Content-MD5"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind<'a> {
    /// A field from [`FIELDS`].
    Known(&'static FieldSpec),
    /// User metadata `x-amz-meta-NAME`; holds `NAME` as written.
    Meta(&'a str),
    /// `x-ignore-*`: S3 ignores the field; it needs no condition.
    Ignored,
}

/// Finds a field by its snake-case `post_policy!` name.
///
/// ```
/// use policy_rules::by_ident;
/// assert_eq!(by_ident("content_type").unwrap().name, "Content-Type");
/// ```
pub fn by_ident(ident: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|s| s.ident == ident)
}

/// Suggests the known field closest to a misspelt name, by either spelling.
///
/// ```
/// use policy_rules::suggest;
/// assert_eq!(suggest("content_type"), Some("Content-Type"));
/// assert_eq!(suggest("Content-Tpye"), Some("Content-Type"));
/// assert_eq!(suggest("zzzzzzzzzzzz"), None);
/// ```
pub fn suggest(name: &str) -> Option<&'static str> {
    let wanted = normalize(name);
    FIELDS
        .iter()
        .filter(|s| s.role == Role::User)
        .map(|s| {
            let d = edit_distance(&wanted, &normalize(s.name))
                .min(edit_distance(&wanted, &normalize(s.ident)));
            (d, s.name)
        })
        .filter(|&(d, _)| d <= 2.max(wanted.len() / 4))
        .min_by_key(|&(d, _)| d)
        .map(|(_, n)| n)
}

fn normalize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '_' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `s` without `prefix`, compared ASCII case-insensitively.
///
/// ```
/// use policy_rules::strip_prefix_ignore_case;
/// assert_eq!(strip_prefix_ignore_case("X-Amz-Meta-Owner", "x-amz-meta-"), Some("Owner"));
/// assert_eq!(strip_prefix_ignore_case("x-amz", "x-amz-meta-"), None);
/// ```
#[inline]
pub fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Checks a metadata name (the part after `x-amz-meta-`): non-empty and made
/// of HTTP token characters, since S3 sends it back as a header name.
///
/// ```
/// use policy_rules::check_meta_name;
/// assert!(check_meta_name("user-id").is_ok());
/// assert!(check_meta_name("user id").is_err());
/// ```
pub fn check_meta_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(
            "the metadata name after `x-amz-meta-` is empty; write e.g. `x-amz-meta-owner`".into(),
        );
    }
    if let Some(c) = name.chars().find(|&c| !is_token_char(c)) {
        return Err(format!(
            "metadata names travel as HTTP header names and cannot contain {c:?}; \
             use letters, digits and `-`"
        ));
    }
    Ok(())
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Checks an S3 bucket name against the general-purpose bucket naming rules.
///
/// ```
/// use policy_rules::check_bucket_name;
/// assert!(check_bucket_name("my-uploads").is_ok());
/// assert!(check_bucket_name("My_Uploads").is_err());
/// ```
pub fn check_bucket_name(name: &str) -> Result<(), String> {
    let len = name.len();
    if !(3..=63).contains(&len) {
        return Err(format!(
            "a bucket name has 3 to 63 characters, this one has {len}"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(format!(
            "a bucket name uses only lowercase letters, digits, `.` and `-`, not {c:?}"
        ));
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    if !alnum(bytes[0]) || !alnum(bytes[len - 1]) {
        return Err("a bucket name starts and ends with a letter or digit".into());
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err("a bucket name has no `..`, `.-` or `-.`".into());
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err("a bucket name cannot look like an IP address".into());
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return Err(format!("a bucket name cannot start with `{prefix}`"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return Err(format!("a bucket name cannot end with `{suffix}`"));
        }
    }
    Ok(())
}

fn is_http_url(v: &str) -> bool {
    let rest =
        strip_prefix_ignore_case(v, "https://").or_else(|| strip_prefix_ignore_case(v, "http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace))
}

impl ValueRule {
    /// Checks a value for an exact-match condition. The error says what S3
    /// expects instead.
    ///
    /// ```
    /// use policy_rules::{ValueRule, CANNED_ACLS};
    /// assert!(ValueRule::OneOf(CANNED_ACLS).check("public-read").is_ok());
    /// assert!(ValueRule::OneOf(CANNED_ACLS).check("public").is_err());
    /// ```
    pub fn check(self, value: &str) -> Result<(), String> {
        match self {
            ValueRule::Any => Ok(()),
            ValueRule::Bucket => check_bucket_name(value),
            ValueRule::Key => check_key(value),
            ValueRule::HttpUrl if is_http_url(value) => Ok(()),
            ValueRule::HttpUrl => Err(format!(
                "`{value}` is not an absolute URL; S3 redirects only to `http://...` or `https://...`"
            )),
            ValueRule::RedirectLocation if value.starts_with('/') || is_http_url(value) => Ok(()),
            ValueRule::RedirectLocation => Err(format!(
                "`{value}` must start with `/` (same bucket) or be an absolute `http(s)://` URL"
            )),
            ValueRule::OneOf(allowed) if allowed.contains(&value) => Ok(()),
            ValueRule::OneOf(allowed) => {
                let close = allowed.iter().find(|a| a.eq_ignore_ascii_case(value));
                Err(match close {
                    Some(a) => format!("`{value}` is not accepted; S3 compares case-sensitively: write `{a}`"),
                    None => format!("`{value}` is not one of {}", list(allowed)),
                })
            }
            ValueRule::Digest(algorithm) => algorithm.check_value(value),
            ValueRule::Tagging => check_tagging(value).map(drop),
            ValueRule::Base64 { bytes, of } => {
                checksum::check_base64(value, bytes, "the value is the base64 of a", of)
            }
            ValueRule::Timestamp => {
                time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
                    .map(drop)
                    .map_err(|_| {
                        format!("`{value}` is not an ISO 8601 timestamp such as `2030-01-01T00:00:00Z`")
                    })
            }
        }
    }

    /// Checks the prefix of a `starts-with` condition: some accepted value must
    /// start with it, or the condition could never be met.
    ///
    /// ```
    /// use policy_rules::{ValueRule, CANNED_ACLS};
    /// assert!(ValueRule::OneOf(CANNED_ACLS).check_prefix("public-").is_ok());
    /// assert!(ValueRule::OneOf(CANNED_ACLS).check_prefix("world-").is_err());
    /// ```
    pub fn check_prefix(self, prefix: &str) -> Result<(), String> {
        match self {
            ValueRule::OneOf(allowed) if allowed.iter().any(|a| a.starts_with(prefix)) => Ok(()),
            ValueRule::OneOf(allowed) => Err(format!(
                "no accepted value starts with `{prefix}`; the values are {}",
                list(allowed)
            )),
            ValueRule::HttpUrl | ValueRule::RedirectLocation => {
                let ok = "https://".starts_with(&prefix.to_ascii_lowercase())
                    || "http://".starts_with(&prefix.to_ascii_lowercase())
                    || is_http_url(prefix)
                    || (self == ValueRule::RedirectLocation && prefix.starts_with('/'));
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "`{prefix}` cannot begin an absolute URL; start it with `https://`"
                    ))
                }
            }
            ValueRule::Key if prefix.len() >= MAX_KEY_LEN => Err(format!(
                "the prefix is {} bytes; keys are at most {MAX_KEY_LEN} bytes",
                prefix.len()
            )),
            _ => Ok(()),
        }
    }
}

mod checksum;
mod conditions;
mod lookup;
mod sse_c;
mod tagging;
pub use checksum::{
    check_checksum_conditions, check_checksum_fields, ChecksumAlgorithm, ChecksumProblem,
    CHECKSUM_ALGORITHM_FIELD,
};
pub use conditions::{
    check_condition, check_range, check_set, same_field, ConditionValue, Match, RuleError, SetItem,
};
pub use lookup::{lookup, lookup_known, lookup_unknown};
pub use sse_c::{
    check_sse_c_conditions, check_sse_c_fields, check_sse_c_transport, SseCProblem,
    SSE_C_ALGORITHM_FIELD, SSE_C_FIELDS, SSE_C_KEY_FIELD, SSE_C_KEY_MD5_FIELD,
};
pub use tagging::check_tagging;

fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("an object key cannot be empty".into());
    }
    if key.len() > MAX_KEY_LEN {
        return Err(format!(
            "the key is {} bytes; S3 keys are at most {MAX_KEY_LEN} bytes",
            key.len()
        ));
    }
    Ok(())
}

fn list(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_and_ident_is_unique() {
        for (i, a) in FIELDS.iter().enumerate() {
            for b in &FIELDS[i + 1..] {
                assert!(!a.name.eq_ignore_ascii_case(b.name), "{}", a.name);
                assert_ne!(a.ident, b.ident);
            }
        }
    }

    #[test]
    fn starts_with_follows_the_s3_table() {
        let sw = |n: &str| match lookup(n) {
            Some(FieldKind::Known(s)) => s.starts_with,
            other => panic!("{n}: {other:?}"),
        };
        for n in [
            "acl",
            "Cache-Control",
            "Content-Type",
            "Content-Disposition",
            "Content-Encoding",
            "Expires",
            "key",
            "success_action_redirect",
            "redirect",
            "tagging",
        ] {
            assert!(sw(n), "{n}");
        }
        for n in [
            "bucket",
            "success_action_status",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
            "x-amz-security-token",
            "x-amz-storage-class",
            "x-amz-server-side-encryption",
        ] {
            assert!(!sw(n), "{n}");
        }
    }

    #[test]
    fn sse_c_values_are_the_base64_of_a_key_and_its_md5() {
        let key = by_ident("sse_customer_key").unwrap().value;
        let md5 = by_ident("sse_customer_key_md5").unwrap().value;
        // base64 of `0123456789abcdef0123456789abcdef`, and of its MD5.
        assert_eq!(
            key.check("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
            Ok(())
        );
        assert_eq!(md5.check("hRasmdxgYDKV3nvbahU1MA=="), Ok(()));
        // A 16-byte (AES-128) key is not one AES256 can use.
        let err = key.check("MDEyMzQ1Njc4OWFiY2RlZg==").unwrap_err();
        assert!(err.contains("32-byte AES-256 key: 44 characters"), "{err}");
        assert!(key.check("hRasmdxgYDKV3nvbahU1MA==").is_err());
        assert!(md5
            .check("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
            .is_err());
        assert!(md5.check("hRasmdxgYDKV3nvbahU1M!==").is_err());
        assert!(md5.check("hRasmdxgYDKV3nvbahU1MB==").is_err(), "stray bits");
        // Both are refused when a signed form carries such a value.
        for ident in ["sse_customer_key", "sse_customer_key_md5"] {
            assert_eq!(
                by_ident(ident).unwrap().refused_with,
                Some("InvalidArgument")
            );
        }
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(lookup("CONTENT-TYPE"), lookup("content-type"));
        assert_eq!(lookup("X-AMZ-META-a"), Some(FieldKind::Meta("a")));
        assert_eq!(lookup("X-Ignore-anything"), Some(FieldKind::Ignored));
        assert_eq!(lookup("content-md5"), None);
    }

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my.bucket-1", "a1b", &"a".repeat(63)] {
            assert!(check_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "Abc",
            "a_b",
            "-ab",
            "ab-",
            "a..b",
            "a.-b",
            "192.168.5.4",
            "xn--abc",
            "sthree-x",
            "abc-s3alias",
            "abc--ol-s3",
            "ab c",
            "ümlaut",
        ] {
            assert!(check_bucket_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(ValueRule::HttpUrl.check("https://example.com/ok").is_ok());
        assert!(ValueRule::HttpUrl.check("HTTP://example.com").is_ok());
        for bad in [
            "/relative",
            "ftp://x",
            "https://",
            "https:///x",
            "javascript:alert(1)",
        ] {
            assert!(ValueRule::HttpUrl.check(bad).is_err(), "{bad}");
        }
        assert!(ValueRule::HttpUrl.check_prefix("").is_ok());
        assert!(ValueRule::HttpUrl.check_prefix("http").is_ok());
        assert!(ValueRule::HttpUrl
            .check_prefix("https://app.example/")
            .is_ok());
        assert!(ValueRule::HttpUrl.check_prefix("javascript:").is_err());
        assert!(ValueRule::RedirectLocation.check("/index.html").is_ok());
        assert!(ValueRule::RedirectLocation.check("index.html").is_err());
    }

    #[test]
    fn enums_name_the_right_spelling() {
        let err = ValueRule::OneOf(STORAGE_CLASSES)
            .check("standard")
            .unwrap_err();
        assert!(err.contains("`STANDARD`"), "{err}");
        let err = ValueRule::OneOf(SUCCESS_STATUSES).check("202").unwrap_err();
        assert!(err.contains("`201`"), "{err}");
    }

    #[test]
    fn timestamps_and_meta_names() {
        assert!(ValueRule::Timestamp.check("2030-01-01T00:00:00Z").is_ok());
        assert!(ValueRule::Timestamp.check("2030-01-01").is_err());
        assert!(check_meta_name("").is_err());
        assert!(check_meta_name("a:b").is_err());
        assert!(check_meta_name("ünï").is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest("contenttype"), Some("Content-Type"));
        assert_eq!(suggest("bukcet"), Some("bucket"));
        assert_eq!(suggest("storage-class"), Some("x-amz-storage-class"));
    }
}
