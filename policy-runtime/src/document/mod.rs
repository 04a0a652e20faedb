//! The policy document: S3's JSON, produced by a serializer and parsed back.
//! Its jobs, one module each: `write` (the JSON, through serde), `plain`
//! (the quick reader of what signers write), `full` (every other document,
//! through serde_json, with worded errors) and `encoding` (the `policy`
//! field's base64).

use std::borrow::Cow;

use base64::Engine as _;
use time::OffsetDateTime;

use crate::condition::{check_all, Condition, FieldName};
use crate::Error;

mod encoding;
mod full;
mod plain;
mod write;

pub(crate) use encoding::{decode_base64, decode_base64_in, json_text, BASE64};
pub(crate) use write::{Dollar, Exact, ExpirationText};

/// A POST policy document exactly as S3 reads it: an expiration instant and
/// every condition, including those the signer adds.
///
/// The JSON is written by `serde_json`, so no value can change its structure;
/// [`PolicyDocument::from_json`] reads S3's JSON back (both `{"f": v}` and
/// `["eq", "$f", v]` forms, names case-insensitive), and
/// `from_json(to_json(d)) == d`.
///
/// ```
/// use policy_runtime::PolicyDocument;
///
/// let json = r#"{"expiration": "2030-01-01T00:00:00.000Z",
///   "conditions": [{"bucket": "b-1"}, ["starts-with", "$Key", "user/"],
///                  ["eq", "$acl", "private"], ["content-length-range", 0, 10]]}"#;
/// let doc = PolicyDocument::from_json(json)?;
/// assert_eq!(doc.conditions().len(), 4);
/// assert_eq!(PolicyDocument::from_json(&doc.to_json())?, doc);
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDocument {
    expiration: OffsetDateTime,
    conditions: Vec<Condition>,
}

impl PolicyDocument {
    /// A document with this expiration (in UTC, rounded down to whole
    /// milliseconds, S3's precision) and conditions, unchecked: see
    /// [`PolicyDocument::problems`]. An instant that UTC cannot hold (within
    /// a day of year 9999 or -9999, with an offset) becomes the nearest one
    /// it can.
    ///
    /// ```
    /// use policy_runtime::{Condition, FieldName, PolicyDocument};
    /// use time::macros::datetime;
    /// let bucket = Condition::eq(FieldName::new("bucket")?, "b-1");
    /// let doc = PolicyDocument::new(datetime!(2030-01-01 1:00:00.123456 +1), vec![bucket]);
    /// assert_eq!(doc.to_json(),
    ///            r#"{"expiration":"2030-01-01T00:00:00.123Z","conditions":[{"bucket":"b-1"}]}"#);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new(expiration: OffsetDateTime, conditions: Vec<Condition>) -> PolicyDocument {
        PolicyDocument {
            expiration: crate::utc::to_utc_milliseconds_saturating(expiration),
            conditions,
        }
    }

    /// The instant after which S3 refuses the form.
    ///
    /// ```
    /// # use policy_runtime::PolicyDocument;
    /// # use time::macros::datetime;
    /// let doc = PolicyDocument::from_json(r#"{"expiration":"2030-01-01T12:00:00.5Z","conditions":[]}"#)?;
    /// assert_eq!(doc.expiration(), datetime!(2030-01-01 12:00:00.5 UTC));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn expiration(&self) -> OffsetDateTime {
        self.expiration
    }

    /// Every condition, in document order.
    ///
    /// ```
    /// # use policy_runtime::{Condition, PolicyDocument};
    /// let doc = PolicyDocument::from_json(r#"{"expiration":"2030-01-01T00:00:00Z",
    ///     "conditions":[{"bucket":"b-1"},["content-length-range",0,10]]}"#)?;
    /// assert_eq!(doc.conditions()[0].to_string(), r#"{"bucket": "b-1"}"#);
    /// assert_eq!(doc.conditions()[1], Condition::ContentLengthRange { min: 0, max: 10 });
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// Everything in this document S3 would refuse, or that could never be
    /// met: unknown fields, starts-with where S3 allows only exact match,
    /// invalid values, duplicates and contradictions. Fields the signer adds
    /// are allowed.
    ///
    /// ```
    /// use policy_runtime::PolicyDocument;
    /// let doc = PolicyDocument::from_json(
    ///     r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["starts-with","$bucket","b"]]}"#)?;
    /// assert_eq!(doc.problems().len(), 1);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn problems(&self) -> Vec<Error> {
        check_all(&self.conditions, true)
    }

    /// The compact JSON text of this document.
    ///
    /// ```
    /// # use policy_runtime::{Condition, FieldName, PolicyDocument};
    /// # use time::macros::datetime;
    /// let doc = PolicyDocument::new(datetime!(2030-01-01 0:00 UTC), vec![
    ///     Condition::starts_with(FieldName::new("key")?, "user/"),
    ///     Condition::ContentLengthRange { min: 1, max: 10 },
    /// ]);
    /// assert_eq!(doc.to_json(), r#"{"expiration":"2030-01-01T00:00:00.000Z","conditions":[["starts-with","$key","user/"],["content-length-range",1,10]]}"#);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(64 + 48 * self.conditions.len());
        self.write_json(&mut out);
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        // Writing to a Vec cannot fail, and every value here serializes.
        let _ = serde_json::to_writer(out, self);
    }

    /// The base64 of [`PolicyDocument::to_json`]: the `policy` form field.
    ///
    /// ```
    /// # use policy_runtime::PolicyDocument;
    /// # use time::macros::datetime;
    /// let doc = PolicyDocument::new(datetime!(2030-01-01 0:00 UTC), vec![]);
    /// // {"expiration":"2030-01-01T00:00:00.000Z","conditions":[]}
    /// assert_eq!(doc.to_base64(), "eyJleHBpcmF0aW9uIjoiMjAzMC0wMS0wMVQwMDowMDowMC4wMDBaIiwiY29uZGl0aW9ucyI6W119");
    /// assert_eq!(PolicyDocument::from_base64(&doc.to_base64())?, doc);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.to_json())
    }

    /// Parses S3's policy JSON. Structure is enforced (an `expiration` and a
    /// `conditions` array, nothing else; each condition an object of string
    /// values or a known array form); S3's field rules are reported
    /// separately by [`PolicyDocument::problems`].
    ///
    /// ```
    /// use policy_runtime::{Error, PolicyDocument};
    /// let doc = PolicyDocument::from_json(
    ///     r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$ACL","private"]]}"#)?;
    /// assert_eq!(doc.conditions()[0].to_string(), r#"{"acl": "private"}"#);
    /// let no_conditions = PolicyDocument::from_json(r#"{"expiration":"2030-01-01T00:00:00Z"}"#);
    /// assert!(matches!(no_conditions, Err(Error::InvalidPolicyJson { .. })));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<PolicyDocument, Error> {
        RawDocument::parse(json).and_then(RawDocument::into_document)
    }

    /// Decodes the `policy` form field (standard base64 of the JSON) and
    /// parses it.
    ///
    /// ```
    /// use policy_runtime::PolicyDocument;
    /// assert!(PolicyDocument::from_base64("not base64!").is_err());
    /// ```
    pub fn from_base64(policy: &str) -> Result<PolicyDocument, Error> {
        let bytes = decode_base64(policy)?;
        Self::from_json(json_text(&bytes)?)
    }
}

/// A policy document as parsed, before its names are made canonical: the
/// strings borrow from the JSON text unless they hold escapes. What
/// [`PolicyDocument::from_json`] accepts and refuses, with the same errors.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RawDocument<'a> {
    /// The expiration, in UTC, rounded down to milliseconds.
    pub(crate) expiration: OffsetDateTime,
    /// Every condition, in document order.
    pub(crate) conditions: Vec<RawCondition<'a>>,
}

/// A condition as written: the field name without its `$`, in the
/// spelling of the document.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RawCondition<'a> {
    /// `{"field": "value"}` or `["eq", "$field", "value"]`.
    Eq {
        field: Cow<'a, str>,
        value: Cow<'a, str>,
    },
    /// `["starts-with", "$field", "prefix"]`.
    StartsWith {
        field: Cow<'a, str>,
        prefix: Cow<'a, str>,
    },
    /// `["content-length-range", min, max]`.
    ContentLengthRange { min: u64, max: u64 },
    /// A condition S3 reads but no form meets (LocalStack's AWS-validated
    /// recordings: 403 "Policy Condition failed"): `eq` or `starts-with`
    /// on a field written without its `$`, or a size bound that is a
    /// string but not a number. Held as written, for the rejection.
    Unmet { text: String },
}

impl<'a> RawDocument<'a> {
    /// Parses S3's policy JSON; see [`PolicyDocument::from_json`].
    pub(crate) fn parse(json: &'a str) -> Result<RawDocument<'a>, Error> {
        match plain::parse(json) {
            Some(doc) => Ok(doc),
            None => Self::parse_fully(json),
        }
    }

    /// [`RawDocument::parse`] with serde_json, whatever the document.
    pub(crate) fn parse_fully(json: &'a str) -> Result<RawDocument<'a>, Error> {
        full::parse(json)
    }

    /// The document, or an error for a condition no form meets (a
    /// [`PolicyDocument`] holds only conditions a form can meet; the
    /// verifier reads such a condition as S3 does, failing every form).
    pub(crate) fn into_document(self) -> Result<PolicyDocument, Error> {
        let mut conditions = Vec::with_capacity(self.conditions.len());
        for condition in self.conditions {
            match condition.into_condition() {
                Ok(c) => conditions.push(c),
                Err(text) => {
                    return Err(Error::InvalidPolicyJson {
                        reason: format!(
                            "S3 fails every form against the condition {text}: write the field \
                             with its `$` (\"$key\") and the sizes as numbers"
                        ),
                    })
                }
            }
        }
        Ok(PolicyDocument {
            expiration: self.expiration,
            conditions,
        })
    }
}

impl RawCondition<'_> {
    /// The condition with its field name made canonical; for a condition no
    /// form meets, its text.
    pub(crate) fn into_condition(self) -> Result<Condition, String> {
        Ok(match self {
            RawCondition::Eq { field, value } => {
                Condition::eq(FieldName::lenient(&field), value.into_owned())
            }
            RawCondition::StartsWith { field, prefix } => {
                Condition::starts_with(FieldName::lenient(&field), prefix.into_owned())
            }
            RawCondition::ContentLengthRange { min, max } => {
                Condition::ContentLengthRange { min, max }
            }
            RawCondition::Unmet { text } => return Err(text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn doc(conditions: Vec<Condition>) -> PolicyDocument {
        PolicyDocument::new(datetime!(2030-01-02 03:04:05.678 UTC), conditions)
    }

    #[test]
    fn writes_the_s3_shape() {
        let d = doc(vec![
            Condition::eq(FieldName::new("bucket").unwrap(), "b-1"),
            Condition::starts_with(FieldName::new("key").unwrap(), "u/"),
            Condition::ContentLengthRange { min: 1, max: 2 },
        ]);
        assert_eq!(
            d.to_json(),
            r#"{"expiration":"2030-01-02T03:04:05.678Z","conditions":[{"bucket":"b-1"},["starts-with","$key","u/"],["content-length-range",1,2]]}"#
        );
    }

    #[test]
    fn values_cannot_break_out() {
        let nasty = "\"},{\"bucket\":\"evil\"}]} \\ $ ${filename} \u{0} \u{1f} \u{2028} ü 🎉";
        let meta = FieldName::new("x-amz-meta-x").unwrap();
        let d = doc(vec![Condition::eq(meta.clone(), nasty)]);
        let json = d.to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["conditions"][0]["x-amz-meta-x"], nasty);
        assert_eq!(value["conditions"].as_array().unwrap().len(), 1);
        assert_eq!(PolicyDocument::from_json(&json).unwrap(), d);
    }

    #[test]
    fn reads_both_forms_case_insensitively() {
        let d = PolicyDocument::from_json(
            r#"{"conditions": [["EQ", "$Content-type", "a"], {"CONTENT-TYPE": "a"},
                ["Starts-With", "$X-Amz-Meta-Tag", ""], {"a": "1"}, {"b": "2"}],
                "expiration": "2030-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let ct = FieldName::new("Content-Type").unwrap();
        assert_eq!(d.conditions()[0], Condition::eq(ct.clone(), "a"));
        assert_eq!(d.conditions()[1], Condition::eq(ct, "a"));
        assert_eq!(
            d.conditions()[2],
            Condition::starts_with(FieldName::new("x-amz-meta-tag").unwrap(), "")
        );
        assert_eq!(d.conditions()[3].field().unwrap().as_str(), "a");
        assert_eq!(d.conditions()[4].field().unwrap().as_str(), "b");
    }

    #[test]
    fn reads_size_bounds_written_as_strings_of_digits() {
        // S3 accepts them (LocalStack's AWS-validated recording).
        let doc = PolicyDocument::from_json(
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "5", "10"]]}"#,
        )
        .unwrap();
        assert_eq!(
            doc.conditions(),
            [Condition::ContentLengthRange { min: 5, max: 10 }]
        );
    }

    #[test]
    fn refuses_malformed_documents() {
        for bad in [
            "",
            "[]",
            r#"{"conditions": []}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z"}"#,
            r#"{"expiration": "tomorrow", "conditions": []}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [], "x": 1}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "expiration": "2030-01-01T00:00:00Z", "conditions": []}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{}]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [[]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"success_action_status": 201}]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "key", "x"]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key"]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key", "a", "b"]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["in", "$key", "x"]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 5]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", 1.5, 5]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "1.5", 5]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "-1", 5]]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"bucket": "b", "key": "k"}]}"#,
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": []} trailing"#,
        ] {
            let err = PolicyDocument::from_json(bad);
            assert!(
                matches!(err, Err(Error::InvalidPolicyJson { .. })),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn sizes_use_64_bits() {
        let d = PolicyDocument::from_json(
            r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",0,5368709120]]}"#,
        )
        .unwrap();
        assert_eq!(
            d.conditions()[0],
            Condition::ContentLengthRange {
                min: 0,
                max: 5 << 30
            }
        );
    }
}
