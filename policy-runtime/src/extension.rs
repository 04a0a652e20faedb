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
    ///
    /// ```
    /// # use policy_runtime::{post_policy, Condition, Error, Extension, FieldName};
    /// # struct Team(&'static str);
    /// # const fn team(name: &'static str) -> Team { Team(name) }
    /// impl Extension for Team {
    ///     const FIELDS: &'static [&'static str] = &[]; // but its condition is on `x-amz-meta-team`
    /// #   fn conditions(&self) -> Result<Vec<Condition>, Error> {
    /// #       Ok(vec![Condition::eq(FieldName::new("x-amz-meta-team")?, self.0)])
    /// #   }
    /// }
    /// let upload = post_policy!(bucket = "uploads", key starts_with "u/", team("red"));
    /// let err = upload.to_policy().unwrap_err();
    /// assert!(matches!(err, Error::UndeclaredExtensionField { field, .. } if field == "x-amz-meta-team"));
    /// ```
    const FIELDS: &'static [&'static str];

    /// The conditions, in the order they appear in the policy. Each is
    /// checked against S3's rules and against [`Extension::FIELDS`] when
    /// signing.
    ///
    /// ```
    /// # use policy_runtime::{post_policy, Condition, Credentials, Error, Extension, FieldName, Region, Signer};
    /// # use time::macros::datetime;
    /// # struct Team(&'static str);
    /// # const fn team(name: &'static str) -> Team { Team(name) }
    /// # impl Extension for Team {
    /// #     const FIELDS: &'static [&'static str] = &["x-amz-meta-team"];
    /// #     fn conditions(&self) -> Result<Vec<Condition>, Error> {
    /// #         Ok(vec![Condition::eq(FieldName::new("x-amz-meta-team")?, self.0)])
    /// #     }
    /// # }
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// let conditions = team("red").conditions()?;
    /// assert_eq!(conditions[0].to_string(), r#"{"x-amz-meta-team": "red"}"#);
    /// let upload = post_policy!(bucket = "uploads", key starts_with "u/", team("red"));
    /// let post = upload.sign_at(&signer, datetime!(2026-11-22 12:00 UTC))?;
    /// assert_eq!(post.field("x-amz-meta-team"), Some("red"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    fn conditions(&self) -> Result<Vec<Condition>, Error>;
}
