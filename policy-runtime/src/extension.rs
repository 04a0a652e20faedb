//! Conditions defined outside this crate, usable inside `post_policy!`.

use crate::{Condition, Error};

/// A condition (or several) that a library defines and users write inside
/// `post_policy!` as a call, such as `tenant("acme")`.
///
/// The call must be a `const fn`: `post_policy!` evaluates it at compile
/// time, so a `panic!` in it (say, on an invalid tenant name) is a compile
/// error in the user's code, under the call. [`Extension::FIELDS`] names
/// every field the conditions constrain; `post_policy!` refuses, at compile
/// time, a declaration where two sources constrain the same field, and
/// counts these fields when it requires `bucket` and `key`.
///
/// ```
/// use policy_runtime::{Condition, Error, Extension, FieldName};
///
/// /// Uploads of one tenant: keys under `tenants/NAME/`, tagged with it.
/// pub struct Tenant(&'static str);
///
/// pub const fn tenant(name: &'static str) -> Tenant {
///     let b = name.as_bytes();
///     let mut i = 0;
///     while i < b.len() {
///         assert!(b[i].is_ascii_lowercase(), "a tenant name is lowercase letters only");
///         i += 1;
///     }
///     Tenant(name)
/// }
///
/// impl Extension for Tenant {
///     const FIELDS: &'static [&'static str] = &["key", "x-amz-meta-tenant"];
///     fn conditions(&self) -> Result<Vec<Condition>, Error> {
///         Ok(vec![
///             Condition::starts_with(FieldName::new("key")?, format!("tenants/{}/", self.0)),
///             Condition::eq(FieldName::new("x-amz-meta-tenant")?, self.0),
///         ])
///     }
/// }
///
/// let policy = policy_runtime::post_policy!(bucket = "uploads", tenant("acme"));
/// let policy = policy.to_policy()?;
/// assert_eq!(policy.conditions().len(), 3);
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as a condition in `post_policy!`",
    label = "not a `policy_runtime::Extension`",
    note = "a call inside `post_policy!` that is not a field must return a type implementing `policy_runtime::Extension`"
)]
pub trait Extension {
    /// The canonical names of every field the conditions constrain, such as
    /// `"key"` or `"x-amz-meta-tenant"`.
    const FIELDS: &'static [&'static str];

    /// The conditions, in the order they appear in the policy. Each is
    /// checked against S3's rules and against [`Extension::FIELDS`] when
    /// signing.
    fn conditions(&self) -> Result<Vec<Condition>, Error>;
}
