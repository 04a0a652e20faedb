//! A condition defined outside `policy-runtime`, usable inside
//! `post_policy!`: `tenant("acme")` keeps uploads under `tenants/acme/` and
//! tags each object with `x-amz-meta-tenant: acme`.
//!
//! ```
//! use policy_runtime::post_policy;
//! use policy_tenant::tenant;
//!
//! let upload = post_policy!(bucket = "uploads", tenant("acme"), content_length 1..=1_000);
//! let policy = upload.to_policy()?;
//! assert_eq!(policy.key_condition().unwrap().to_string(),
//!            r#"["starts-with", "$key", "tenants/acme/"]"#);
//! # Ok::<(), policy_runtime::Error>(())
//! ```
//!
//! A bad tenant name is a compile error in the user's code:
//!
//! ```compile_fail
//! let upload = policy_runtime::post_policy!(bucket = "uploads", policy_tenant::tenant("Acme"));
//! ```

use policy_runtime::{Condition, Error, Extension, FieldName};

/// Uploads of one tenant. Make one with [`tenant`].
///
/// ```
/// use policy_runtime::Extension;
/// use policy_tenant::{tenant, Tenant};
///
/// let acme: Tenant = tenant("acme");
/// let conditions: Vec<String> = acme.conditions()?.iter().map(ToString::to_string).collect();
/// assert_eq!(conditions, [r#"["starts-with", "$key", "tenants/acme/"]"#, r#"{"x-amz-meta-tenant": "acme"}"#]);
/// assert_eq!(Tenant::FIELDS, ["key", "x-amz-meta-tenant"]);
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenant {
    name: &'static str,
}

/// The longest tenant name.
///
/// ```
/// use policy_tenant::{tenant, MAX_NAME_LEN};
/// let longest: &'static str = "a".repeat(MAX_NAME_LEN).leak();
/// assert_eq!(tenant(longest).name().len(), 63);
/// let too_long: &'static str = "a".repeat(MAX_NAME_LEN + 1).leak();
/// assert!(std::panic::catch_unwind(|| tenant(too_long)).is_err());
/// ```
pub const MAX_NAME_LEN: usize = 63;

/// Uploads of the tenant `name`: lowercase ASCII letters, digits and `-`,
/// 1 to 63 characters, starting with a letter. Checked at compile time
/// inside `post_policy!` (a bad name is a compile error).
///
/// ```
/// assert_eq!(policy_tenant::tenant("acme-2").name(), "acme-2");
/// ```
pub const fn tenant(name: &'static str) -> Tenant {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_NAME_LEN {
        panic!("a tenant name has 1 to 63 characters");
    }
    if !bytes[0].is_ascii_lowercase() {
        panic!("a tenant name starts with a lowercase letter");
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            panic!("a tenant name uses only lowercase letters, digits and `-`");
        }
        i += 1;
    }
    Tenant { name }
}

impl Tenant {
    /// The tenant's name.
    ///
    /// ```
    /// use policy_tenant::{tenant, Tenant};
    /// const ACME: Tenant = tenant("acme");
    /// const NAME: &str = ACME.name(); // usable in constants too
    /// assert_eq!(NAME, "acme");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl Extension for Tenant {
    const FIELDS: &'static [&'static str] = &["key", "x-amz-meta-tenant"];

    fn conditions(&self) -> Result<Vec<Condition>, Error> {
        Ok(vec![
            Condition::starts_with(FieldName::new("key")?, format!("tenants/{}/", self.name)),
            Condition::eq(FieldName::new("x-amz-meta-tenant")?, self.name),
        ])
    }
}
