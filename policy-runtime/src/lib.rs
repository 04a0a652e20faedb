//! Browser uploads straight to Amazon S3 (or any S3-compatible store) with
//! signed POST policies, AWS Signature Version 4.
//!
//! Declare the upload rules once; the policy JSON, its signature and the form
//! fields all come from that one declaration, so the policy and the form
//! cannot disagree. S3's rules are checked when the policy is built.
//!
//! # Quick start
//!
//! ```
//! use policy_runtime::{post_policy, Credentials, Region, Signer};
//!
//! // Checked at compile time against S3's rules; a mistake is a compile
//! // error under the tokens at fault.
//! post_policy! {
//!     /// Avatars, uploaded straight from the browser.
//!     pub struct AvatarUpload {
//!         bucket = "examplebucket",
//!         key starts_with "user/{user_id}/",
//!         content_length 1..=10_485_760,
//!         content_type starts_with "image/",
//!         success_action_status = 201,
//!         expires_in = 10 min,
//!     }
//! }
//! # fn main() -> Result<(), policy_runtime::Error> {
//!
//! // Usually `Signer::from_env()?`: AWS_ACCESS_KEY_ID, AWS_REGION, ...
//! let signer = Signer::new(
//!     Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?,
//!     Region::new("us-east-1")?,
//! );
//!
//! let post = AvatarUpload { user_id: "42".into() }.sign(&signer)?;
//! // {"url": "https://examplebucket.s3.us-east-1.amazonaws.com/",
//! //  "fields": {"key": "user/42/${filename}", "success_action_status": "201", ...}}
//! let json = serde_json::to_string(&post).unwrap();
//! // or an HTML <form> with the file input last:
//! let html = post.to_html();
//! # assert!(json.contains("x-amz-signature") && html.contains("type=\"file\""));
//! # Ok(())
//! # }
//! ```
//!
//! Rules known only at run time use the builder, which signs to the same
//! bytes:
//!
//! ```
//! # use policy_runtime::{Credentials, Policy, Region, Signer};
//! # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
//! let policy = Policy::builder()
//!     .bucket("examplebucket")?
//!     .key_starts_with("uploads/")?
//!     .content_length_range(1..=10 * 1024 * 1024)?
//!     .expires_in(time::Duration::minutes(10))
//!     .build()?;
//! let post = signer.sign(&policy)?;
//! # Ok::<(), policy_runtime::Error>(())
//! ```
//!
//! # `post_policy!`
//!
//! - `field = "value"`: exact match, for every field S3 knows, in snake case
//!   (`bucket`, `key`, `acl`, `content_type`, `cache_control`,
//!   `content_disposition`, `content_encoding`, `expires`,
//!   `success_action_status`, `success_action_redirect`, `redirect`,
//!   `storage_class`, `server_side_encryption`, `sse_kms_key_id`, `tagging`,
//!   `checksum_algorithm`, `object_lock_mode`, ...: the `ident`s of
//!   [`rules::FIELDS`]). Numbers and `true`/`false` are written as such.
//! - `field starts_with "prefix"`: where S3 allows it; `""` allows any value.
//! - `meta("name") = "v"` (or `starts_with`): metadata `x-amz-meta-name`.
//! - `content_length 1..=5_000_000` (also `a..b`, `..=b`): size in bytes,
//!   integer literals, checked at compile time.
//! - `expires_in = 10 min` (`s`, `min`, `h`, `d`): default one hour.
//! - Item form only: `{name}` placeholders in values (and `bucket = {name}`)
//!   become struct fields, `String` unless declared as `name: Type` (any
//!   `Display`). Values are checked when signing with the same rules, and may
//!   not contain `/` or a `..` segment unless written `{name:path}`. `{{` and
//!   `}}` are literal braces; S3's `${filename}` is kept.
//! - `path(args)`: a condition from another crate, see [`Extension`].
//!
//! The generated type has `sign`, `sign_at`, `sign_with`, `to_policy`,
//! `EXPIRES_IN` and `CONTENT_LENGTH`, and implements [`PostPolicy`].
//!
//! # Pieces
//!
//! - [`Policy`] / [`PolicyBuilder`]: checked upload rules (see [`rules`] for
//!   the table of S3's field rules they are checked against).
//! - [`Signer`]: credentials, region and endpoint; produces a [`SignedPost`].
//! - [`PolicyDocument`]: the policy JSON itself, written by a serializer and
//!   parsed back from S3's JSON.
//! - [`sigv4`]: the signature primitives.
//! - [`verify`]: checking a submitted form exactly as S3 does: signature,
//!   expiration, every condition, coverage and size, with typed rejections
//!   that name the S3 error code.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "aws-sdk")]
mod aws_sdk;
mod condition;
mod credentials;
mod document;
mod env;
mod error;
mod extension;
mod form;
mod html;
mod location;
mod policy;
mod post_policy;
pub use policy_rules as rules;
mod signer;
pub mod sigv4;
mod template;
mod utc;
pub mod verify;

#[cfg(feature = "aws-sdk")]
#[cfg_attr(docsrs, doc(cfg(feature = "aws-sdk")))]
pub use aws_sdk::ProviderSigner;
pub use condition::{Condition, FieldName};
pub use credentials::Credentials;
pub use document::PolicyDocument;
pub use error::Error;
pub use extension::Extension;
pub use form::{ClientField, SignedPost};
pub use location::{Endpoint, Region};
pub use policy::{Expiration, Policy, PolicyBuilder};
pub use post_policy::PostPolicy;
pub use signer::{SignOptions, Signer};

/// Re-exported so callers can name times and durations without a direct
/// dependency on the same `time` version.
pub use time;

/// Declares upload rules in Rust, checked against S3's rules at compile
/// time, and generates a struct that signs them.
///
/// See the crate documentation for the syntax.
///
/// ```
/// use policy_runtime::{post_policy, Credentials, Region, Signer};
///
/// post_policy! {
///     /// Avatars, uploaded straight from the browser.
///     pub struct AvatarUpload {
///         bucket = "avatars",
///         key starts_with "user/{user_id}/",
///         content_length 1..=5_000_000,
///         content_type starts_with "image/",
///         success_action_status = 201,
///         expires_in = 10 min,
///     }
/// }
///
/// let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
/// let post = AvatarUpload { user_id: "42".into() }.sign(&signer)?;
/// assert_eq!(post.field("key"), Some("user/42/${filename}"));
/// assert!(AvatarUpload { user_id: "../43".into() }.sign(&signer).is_err());
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[macro_export]
macro_rules! post_policy {
    ($($tokens:tt)*) => {
        $crate::__private::post_policy_impl! { ($crate) $($tokens)* }
    };
}

/// What `post_policy!`'s expansion reaches through `$crate`; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::template::{
        check_filled, declares, display, extension_conditions, fields_of, overlap, render,
        to_policy, CondRef, Part, Piece,
    };
    pub use crate::{
        Condition, Error, Expiration, Extension, Policy, PostPolicy, SignOptions, SignedPost,
        Signer,
    };
    pub use core::fmt::Display;
    pub use core::ops::RangeInclusive;
    pub use core::option::Option;
    pub use core::result::Result;
    pub use policy_macros::post_policy_impl;
    pub use std::string::String;
    pub use std::vec::Vec;
    pub use time::{Duration, OffsetDateTime};

    /// Signs pieces the expansion has checked.
    pub fn sign(
        signer: &Signer,
        expiration: Expiration,
        pieces: &[Piece<'_>],
        options: SignOptions,
    ) -> Result<SignedPost, Error> {
        signer.sign_pieces(expiration, pieces, options)
    }
}
