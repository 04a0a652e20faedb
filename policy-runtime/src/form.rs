//! The signed result: where to post and the form fields, in form order.

use std::fmt;
use std::ops::RangeInclusive;

use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;
use time::OffsetDateTime;

use crate::html::Html;
use crate::{rules, FieldName};

/// A field the client fills in itself, because the policy only fixes its
/// prefix (`starts-with`).
///
/// ```
/// # use policy_runtime::{ClientField, Credentials, FieldName, Policy, Region, Signer};
/// # use time::{macros::datetime, Duration};
/// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
/// let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("u/")?
///     .starts_with("Content-Type", "image/")?.expires_in(Duration::minutes(10)).build()?;
/// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
/// let content_type = ClientField { name: FieldName::new("Content-Type")?, prefix: "image/".into() };
/// assert_eq!(post.client_fields(), [content_type]);
/// assert_eq!(post.field("Content-Type"), None); // the browser sends it
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientField {
    /// The field.
    pub name: FieldName,
    /// What its value must start with.
    pub prefix: String,
}

/// A signed upload form: the URL and the fields, in the order a form must
/// send them, with the file last.
///
/// Serialized with serde it is `{"url": ..., "fields": {...}}`, fields in
/// form order: the shape boto3's `generate_presigned_post` and the AWS JS
/// SDK's `createPresignedPost` return, so front-end code written for them
/// works unchanged.
///
/// ```
/// # use policy_runtime::{Credentials, Policy, Region, Signer};
/// # use time::{macros::datetime, Duration};
/// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
/// let policy = Policy::builder()
///     .bucket("examplebucket")?
///     .key_starts_with("uploads/")?
///     .starts_with("Content-Type", "image/")?
///     .expires_in(Duration::minutes(10))
///     .build()?;
/// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
///
/// let names: Vec<&str> = post.fields().map(|(name, _)| name).collect();
/// assert_eq!(names, ["key", "x-amz-algorithm", "x-amz-credential", "x-amz-date",
///                    "policy", "x-amz-signature"]);
/// assert_eq!(post.client_fields()[0].name.as_str(), "Content-Type");
///
/// let json: serde_json::Value = serde_json::to_value(&post).unwrap();
/// assert_eq!(json["fields"]["key"], "uploads/${filename}");
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct SignedPost {
    /// The URL and every field value (and any field name outside S3's
    /// table), back to back: one buffer for the whole form.
    text: String,
    url: Span,
    fields: Vec<(Name, Span)>,
    client_fields: Vec<ClientField>,
    expiration: OffsetDateTime,
    content_length: Option<RangeInclusive<u64>>,
}

/// Where a piece of text lies in [`SignedPost::text`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

/// A field's name: from this crate's tables, or written in the buffer.
#[derive(Clone, Copy, Debug)]
enum Name {
    Static(&'static str),
    Text(Span),
}

impl SignedPost {
    /// The URL to post the form to.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Endpoint, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// assert_eq!(post.url(), "https://examplebucket.s3.us-east-1.amazonaws.com/");
    /// let local = signer.with_endpoint(Endpoint::custom("http://127.0.0.1:9000")?);
    /// assert_eq!(local.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?.url(), "http://127.0.0.1:9000/examplebucket");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn url(&self) -> &str {
        self.text(self.url)
    }

    /// The fixed form fields, in form order: `key`, the policy's exact
    /// conditions, the signer's fields, `policy`, `x-amz-signature`. Send
    /// them, then any [client fields](SignedPost::client_fields), then the
    /// file.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?.acl("private")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// let fields: Vec<(&str, &str)> = post.fields().take(4).collect();
    /// assert_eq!(fields, [("key", "a.txt"), ("acl", "private"), ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
    ///                     ("x-amz-credential", "AK/20261122/us-east-1/s3/aws4_request")]);
    /// assert_eq!(post.fields().len(), 7); // then x-amz-date, policy, x-amz-signature
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.fields.iter().map(|&(name, value)| {
            let name = match name {
                Name::Static(name) => name,
                Name::Text(span) => self.text(span),
            };
            (name, self.text(value))
        })
    }

    /// The value of one fixed field (name case-insensitive).
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::Duration;
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign(&policy)?;
    /// assert_eq!(post.field("X-Amz-Algorithm"), Some("AWS4-HMAC-SHA256"));
    /// assert_eq!(post.field("x-amz-signature"), Some(post.signature()));
    /// assert_eq!(post.field("bucket"), None); // the URL carries the bucket
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Fields the client must add itself: the policy fixes only a prefix.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    ///     .starts_with("x-amz-meta-tag", "")?.expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// assert_eq!(post.client_fields()[0].name.as_str(), "x-amz-meta-tag");
    /// assert_eq!(post.client_fields()[0].prefix, ""); // any value, but it must be sent
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn client_fields(&self) -> &[ClientField] {
        &self.client_fields
    }

    /// The `policy` field: base64 of the policy JSON.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, PolicyDocument, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// let document = PolicyDocument::from_base64(post.policy())?;
    /// assert_eq!(document.expiration(), datetime!(2026-11-22 12:10 UTC));
    /// assert_eq!(document.conditions().len(), 5); // bucket, key and the signer's three
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn policy(&self) -> &str {
        self.field("policy")
            .expect("the signer writes a policy field into every form")
    }

    /// The `x-amz-signature` field.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// let expected = signer.sign_base64_policy(post.policy(), time::macros::date!(2026-11-22));
    /// assert_eq!(post.signature(), expected.to_string());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn signature(&self) -> &str {
        self.field("x-amz-signature")
            .expect("the signer writes a signature field into every form")
    }

    /// When S3 stops accepting this form.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// // The policy expires 10 minutes after signing.
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// assert_eq!(post.expiration(), datetime!(2026-11-22 12:10 UTC));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn expiration(&self) -> OffsetDateTime {
        self.expiration
    }

    /// The sizes the policy allows, if it bounds them.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    ///     .content_length_range(1..=1_000_000)?.expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// assert_eq!(post.content_length_range(), Some(1..=1_000_000));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn content_length_range(&self) -> Option<RangeInclusive<u64>> {
        self.content_length.clone()
    }

    /// `{"url": ..., "fields": {...}}` as compact JSON.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::{macros::datetime, Duration};
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key("a.txt")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let post = signer.sign_at(&policy, datetime!(2026-11-22 12:00 UTC))?;
    /// assert!(post.to_json().starts_with(
    ///     r#"{"url":"https://examplebucket.s3.us-east-1.amazonaws.com/","fields":{"key":"a.txt","x-amz-algorithm":"#));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a form of strings always serializes")
    }

    /// An HTML `<form>` that uploads a file with these fields: method POST,
    /// multipart, fixed fields hidden, client fields as text inputs holding
    /// their prefix, the file input last. Every value is attribute-escaped.
    ///
    /// ```
    /// # use policy_runtime::{Credentials, Policy, Region, Signer};
    /// # use time::Duration;
    /// # let signer = Signer::new(Credentials::new("AK", "SK")?, Region::new("us-east-1")?);
    /// # let policy = Policy::builder().bucket("examplebucket")?.key_starts_with("a\"b/")?
    /// #     .expires_in(Duration::minutes(10)).build()?;
    /// let html = signer.sign(&policy)?.to_html();
    /// assert!(html.starts_with("<form action=\"https://examplebucket.s3.us-east-1.amazonaws.com/\""));
    /// assert!(html.contains("value=\"a&quot;b/${filename}\""));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn to_html(&self) -> String {
        let mut h = Html::new();
        h.open(
            "form",
            &[
                ("action", Some(self.url())),
                ("method", Some("post")),
                ("enctype", Some("multipart/form-data")),
            ],
        );
        h.newline();
        for (name, value) in self.fields() {
            h.open(
                "input",
                &[
                    ("type", Some("hidden")),
                    ("name", Some(name)),
                    ("value", Some(value)),
                ],
            );
            h.newline();
        }
        for field in &self.client_fields {
            h.open("label", &[]);
            h.text(field.name.as_str());
            h.text(" ");
            h.open(
                "input",
                &[
                    ("type", Some("text")),
                    ("name", Some(field.name.as_str())),
                    ("value", Some(&field.prefix)),
                    ("required", None),
                ],
            );
            h.close("label");
            h.newline();
        }
        let accept = self.accept();
        let mut file = vec![
            ("type", Some("file")),
            ("name", Some("file")),
            ("required", None),
        ];
        if let Some(accept) = &accept {
            file.push(("accept", Some(accept.as_str())));
        }
        h.open("input", &file);
        h.newline();
        h.open("button", &[("type", Some("submit"))]);
        h.text("Upload");
        h.close("button");
        h.newline();
        h.close("form");
        h.newline();
        h.finish()
    }

    /// The file input's `accept` hint, from the Content-Type condition.
    fn accept(&self) -> Option<String> {
        if let Some(exact) = self.field("Content-Type") {
            return Some(exact.to_owned());
        }
        let prefix = &self
            .client_fields
            .iter()
            .find(|f| f.name.as_str() == "Content-Type")?
            .prefix;
        let (kind, rest) = prefix.split_once('/')?;
        (rest.is_empty() && !kind.is_empty() && !kind.contains(',')).then(|| format!("{kind}/*"))
    }

    /// The text at `span`; spans come from this form's own writes.
    fn text(&self, span: Span) -> &str {
        self.text
            .get(span.start..span.end)
            .expect("spans come from this form's own writes")
    }

    /// An empty form whose buffer holds `capacity` bytes and whose field
    /// list holds `fields` fields before growing.
    pub(crate) fn with_capacity(
        capacity: usize,
        fields: usize,
        expiration: OffsetDateTime,
        content_length: Option<RangeInclusive<u64>>,
    ) -> SignedPost {
        SignedPost {
            text: String::with_capacity(capacity),
            url: Span::default(),
            fields: Vec::with_capacity(fields),
            client_fields: Vec::new(),
            expiration,
            content_length,
        }
    }

    /// The buffer, to write a value into; see [`SignedPost::mark`].
    pub(crate) fn buffer(&mut self) -> &mut String {
        &mut self.text
    }

    /// Where the next write to the buffer starts.
    pub(crate) fn mark(&self) -> usize {
        self.text.len()
    }

    /// The text written to the buffer since `start`.
    pub(crate) fn written(&self, start: usize) -> &str {
        self.text
            .get(start..)
            .expect("marks come from this form's own writes")
    }

    /// The URL is what was written since `start`.
    pub(crate) fn end_url(&mut self, start: usize) {
        self.url = self.span_from(start);
    }

    /// The next fixed field is `name`, its value what was written since
    /// `start`.
    pub(crate) fn end_field(&mut self, name: &'static str, start: usize) {
        let value = self.span_from(start);
        self.fields.push((Name::Static(name), value));
    }

    /// Appends the fixed field `name` with `value`.
    pub(crate) fn push_field(&mut self, name: &'static str, value: &str) {
        let start = self.mark();
        self.text.push_str(value);
        self.end_field(name, start);
    }

    /// Appends a fixed field whose name may be outside S3's table (such as
    /// `x-amz-meta-*`); such a name is kept in the buffer.
    pub(crate) fn push_named_field(&mut self, name: &str, value: &str) {
        let name = match rules::FIELDS.iter().find(|s| s.name == name) {
            Some(spec) => Name::Static(spec.name),
            None => {
                let start = self.mark();
                self.text.push_str(name);
                Name::Text(self.span_from(start))
            }
        };
        let start = self.mark();
        self.text.push_str(value);
        let value = self.span_from(start);
        self.fields.push((name, value));
    }

    /// Appends a field the client fills in.
    pub(crate) fn push_client_field(&mut self, field: ClientField) {
        self.client_fields.push(field);
    }

    fn span_from(&self, start: usize) -> Span {
        Span {
            start,
            end: self.text.len(),
        }
    }
}

impl fmt::Debug for SignedPost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Fields<'a>(&'a SignedPost);
        impl fmt::Debug for Fields<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.fields()).finish()
            }
        }
        f.debug_struct("SignedPost")
            .field("url", &self.url())
            .field("fields", &Fields(self))
            .field("client_fields", &self.client_fields)
            .field("expiration", &self.expiration)
            .field("content_length", &self.content_length)
            .finish()
    }
}

impl PartialEq for SignedPost {
    fn eq(&self, other: &SignedPost) -> bool {
        self.url() == other.url()
            && self.fields().eq(other.fields())
            && self.client_fields == other.client_fields
            && self.expiration == other.expiration
            && self.content_length == other.content_length
    }
}

impl Eq for SignedPost {}

impl Serialize for SignedPost {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Fields<'a>(&'a SignedPost);
        impl Serialize for Fields<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(self.0.fields.len()))?;
                for (name, value) in self.0.fields() {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }
        let mut st = s.serialize_struct("SignedPost", 2)?;
        st.serialize_field("url", self.url())?;
        st.serialize_field("fields", &Fields(self))?;
        st.end()
    }
}
