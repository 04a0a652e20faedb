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
//! use policy_runtime::{Credentials, Policy, Region, Signer};
//! use time::Duration;
//!
//! // Usually `Signer::from_env()?`: AWS_ACCESS_KEY_ID, AWS_REGION, ...
//! let signer = Signer::new(
//!     Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?,
//!     Region::new("us-east-1")?,
//! );
//!
//! let policy = Policy::builder()
//!     .bucket("examplebucket")?
//!     .key_starts_with("uploads/")?
//!     .content_length_range(1..=10 * 1024 * 1024)?
//!     .content_type("text/plain")?
//!     .success_action_status(201)?
//!     .expires_in(Duration::minutes(10))
//!     .build()?;
//!
//! let post = signer.sign(&policy)?;
//! // {"url": "https://examplebucket.s3.us-east-1.amazonaws.com/",
//! //  "fields": {"key": "uploads/${filename}", "Content-Type": "text/plain", ...}}
//! let json = serde_json::to_string(&post).unwrap();
//! // or an HTML <form> with the file input last:
//! let html = post.to_html();
//! # assert!(json.contains("x-amz-signature") && html.contains("type=\"file\""));
//! # Ok::<(), policy_runtime::Error>(())
//! ```
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

mod condition;
mod credentials;
mod document;
mod env;
mod error;
mod form;
mod html;
mod location;
mod policy;
pub mod rules;
mod signer;
pub mod sigv4;
pub mod verify;

pub use condition::{Condition, FieldName};
pub use credentials::Credentials;
pub use document::PolicyDocument;
pub use error::Error;
pub use form::{ClientField, SignedPost};
pub use location::{Endpoint, Region};
pub use policy::{Expiration, Policy, PolicyBuilder};
pub use signer::{SignOptions, Signer};

/// Re-exported so callers can name times and durations without a direct
/// dependency on the same `time` version.
pub use time;
