//! The policy document: S3's JSON, produced by a serializer and parsed back.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::condition::{check_all, Condition, FieldName};
use crate::Error;

pub(crate) const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

const EXPIRATION_FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

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
        // serde_json writes only valid UTF-8.
        String::from_utf8(out).unwrap_or_default()
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

/// A quick reader for the documents signers write: no escapes, no
/// surprises. It answers only when the document is valid and it is sure to
/// read it exactly as the full parser does; anything else (escapes,
/// errors, unusual numbers) is left to the full parser, which also words
/// the errors.
mod plain {
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    use super::{RawCondition, RawDocument};
    use crate::utc::to_utc_milliseconds;

    /// The document, if it is plain.
    pub(super) fn parse(json: &str) -> Option<RawDocument<'_>> {
        let mut c = Cursor { text: json, at: 0 };
        let mut expiration = None;
        let mut conditions = None;
        c.eat(b'{')?;
        loop {
            match c.string()? {
                "expiration" if expiration.is_none() => {
                    c.eat(b':')?;
                    let at = OffsetDateTime::parse(c.string()?, &Rfc3339).ok()?;
                    expiration = Some(to_utc_milliseconds(at)?);
                }
                "conditions" if conditions.is_none() => {
                    c.eat(b':')?;
                    conditions = Some(c.conditions()?);
                }
                _ => return None,
            }
            if !c.comma_or(b'}')? {
                break;
            }
        }
        c.skip_whitespace();
        if c.at != json.len() {
            return None;
        }
        Some(RawDocument {
            expiration: expiration?,
            conditions: conditions?,
        })
    }

    struct Cursor<'a> {
        text: &'a str,
        at: usize,
    }

    /// The position of the first `"`, `\\` or control character in
    /// `bytes`: where a plain string ends. Eight bytes at a time.
    pub(super) fn first_special(bytes: &[u8]) -> Option<usize> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        // The lowest byte flagged is exact: a borrow only ever flags bytes
        // above a flagged one.
        let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
        let mut words = bytes.chunks_exact(8);
        let mut done = 0;
        for chunk in words.by_ref() {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let w = u64::from_le_bytes(w);
            let found = below(w ^ (ONES * u64::from(b'"')), 1)
                | below(w ^ (ONES * u64::from(b'\\')), 1)
                | below(w, 0x20);
            if found != 0 {
                return Some(done + found.trailing_zeros() as usize / 8);
            }
            done += 8;
        }
        let tail = words.remainder();
        tail.iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .map(|i| done + i)
    }

    impl<'a> Cursor<'a> {
        fn peek(&self) -> Option<u8> {
            self.text.as_bytes().get(self.at).copied()
        }

        fn skip_whitespace(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
                self.at += 1;
            }
        }

        /// Whitespace, then `byte`.
        fn eat(&mut self, byte: u8) -> Option<()> {
            self.skip_whitespace();
            (self.peek()? == byte).then(|| self.at += 1)
        }

        /// After an element: `true` on a comma (another follows), `false`
        /// on `close`.
        fn comma_or(&mut self, close: u8) -> Option<bool> {
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.at += 1;
                    Some(true)
                }
                b if b == close => {
                    self.at += 1;
                    Some(false)
                }
                _ => None,
            }
        }

        /// A string without escapes or control characters.
        fn string(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let rest = self.text.as_bytes().get(self.at..)?;
            let len = first_special(rest)?;
            if rest.get(len) != Some(&b'"') {
                return None;
            }
            let s = self.text.get(self.at..self.at + len)?;
            self.at += len + 1;
            Some(s)
        }

        /// A whole number without sign, fraction, exponent or leading zero
        /// that fits in 64 bits.
        fn size(&mut self) -> Option<u64> {
            self.skip_whitespace();
            let rest = self.text.as_bytes().get(self.at..)?;
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 || (digits > 1 && rest.first() == Some(&b'0')) {
                return None;
            }
            let mut n: u64 = 0;
            for &d in rest.get(..digits)? {
                n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            }
            self.at += digits;
            Some(n)
        }

        fn conditions(&mut self) -> Option<Vec<RawCondition<'a>>> {
            // A signer's document holds about ten conditions (its own
            // three SigV4 ones among them): room for them without growing.
            let mut out = Vec::with_capacity(16);
            self.eat(b'[')?;
            self.skip_whitespace();
            if self.peek()? == b']' {
                self.at += 1;
                return Some(out);
            }
            loop {
                self.skip_whitespace();
                match self.peek()? {
                    b'{' => self.exact(&mut out)?,
                    b'[' => out.push(self.array()?),
                    _ => return None,
                }
                if !self.comma_or(b']')? {
                    return Some(out);
                }
            }
        }

        /// `{"field": "value"}`: exactly one entry.
        fn exact(&mut self, out: &mut Vec<RawCondition<'a>>) -> Option<()> {
            self.eat(b'{')?;
            let field = self.string()?;
            self.eat(b':')?;
            let value = self.string()?;
            self.eat(b'}')?;
            out.push(RawCondition::Eq {
                field: field.into(),
                value: value.into(),
            });
            Some(())
        }

        /// `["eq" | "starts-with", "$field", "value"]` or
        /// `["content-length-range", min, max]`, the operator in any case.
        fn array(&mut self) -> Option<RawCondition<'a>> {
            self.eat(b'[')?;
            let op = self.string()?;
            self.eat(b',')?;
            let condition = if op.eq_ignore_ascii_case("content-length-range") {
                let min = self.size()?;
                self.eat(b',')?;
                let max = self.size()?;
                RawCondition::ContentLengthRange { min, max }
            } else {
                let eq = op.eq_ignore_ascii_case("eq");
                if !eq && !op.eq_ignore_ascii_case("starts-with") {
                    return None;
                }
                let field = self.string()?.strip_prefix('$')?.into();
                self.eat(b',')?;
                let value = self.string()?.into();
                if eq {
                    RawCondition::Eq { field, value }
                } else {
                    RawCondition::StartsWith {
                        field,
                        prefix: value,
                    }
                }
            };
            self.eat(b']')?;
            Some(condition)
        }
    }
}

/// The bytes of a `policy` form field: standard base64, line breaks at the
/// end allowed.
pub(crate) fn decode_base64(policy: &str) -> Result<Vec<u8>, Error> {
    BASE64
        .decode(policy.trim_end_matches(['\r', '\n']))
        .map_err(invalid_base64)
}

/// [`decode_base64`] into `buf` when the bytes fit, onto the heap when
/// they do not.
pub(crate) fn decode_base64_in<'b>(
    policy: &str,
    buf: &'b mut [u8],
) -> Result<Cow<'b, [u8]>, Error> {
    let text = policy.trim_end_matches(['\r', '\n']);
    if base64::decoded_len_estimate(text.len()) > buf.len() {
        return decode_base64(policy).map(Cow::Owned);
    }
    match BASE64.decode_slice(text, buf) {
        Ok(len) => match buf.get(..len) {
            Some(bytes) => Ok(Cow::Borrowed(bytes)),
            None => decode_base64(policy).map(Cow::Owned),
        },
        Err(base64::DecodeSliceError::DecodeError(e)) => Err(invalid_base64(e)),
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => decode_base64(policy).map(Cow::Owned),
    }
}

fn invalid_base64(e: base64::DecodeError) -> Error {
    Error::InvalidBase64 {
        reason: e.to_string(),
    }
}

/// The decoded `policy` field as JSON text: it must be UTF-8.
pub(crate) fn json_text(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|e| Error::InvalidPolicyJson {
        reason: format!("not UTF-8: {e}"),
    })
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
    fn parse_fully(json: &'a str) -> Result<RawDocument<'a>, Error> {
        let mut de = serde_json::Deserializer::from_str(json);
        let doc = de
            .deserialize_map(DocumentVisitor)
            .and_then(|d| de.end().map(|()| d));
        doc.map_err(|e| Error::InvalidPolicyJson {
            reason: e.to_string(),
        })
    }

    /// The document, or an error for a condition no form meets (a
    /// [`PolicyDocument`] holds only conditions a form can meet; the
    /// verifier reads such a condition as S3 does, failing every form).
    fn into_document(self) -> Result<PolicyDocument, Error> {
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

/// The `expiration` value, in S3's millisecond ISO 8601 form.
pub(crate) struct ExpirationText(pub(crate) OffsetDateTime);

impl Serialize for ExpirationText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self
            .0
            .format(EXPIRATION_FORMAT)
            .map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut doc = s.serialize_struct("PolicyDocument", 2)?;
        doc.serialize_field("expiration", &ExpirationText(self.expiration))?;
        doc.serialize_field("conditions", &self.conditions)?;
        doc.end()
    }
}

/// An exact condition, `{"name": "value"}`.
pub(crate) struct Exact<'a>(pub(crate) &'a str, pub(crate) &'a str);

impl Serialize for Exact<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

/// `$name`, written through the serializer so it is escaped like any string.
pub(crate) struct Dollar<'a>(pub(crate) &'a str);

impl fmt::Display for Dollar<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        f.write_str(self.0)
    }
}

impl Serialize for Dollar<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_ref().serialize(s)
    }
}

impl<'de> Deserialize<'de> for PolicyDocument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(DocumentVisitor)?
            .into_document()
            .map_err(de::Error::custom)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = RawDocument<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a policy object with `expiration` and `conditions`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDocument<'de>, A::Error> {
        let mut expiration = None;
        let mut conditions = None;
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            match &*key {
                "expiration" if expiration.is_none() => {
                    let Str(text) = map.next_value()?;
                    let at = OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
                        de::Error::custom(format_args!(
                            "`expiration` must be an ISO 8601 UTC time such as \
                             `2030-01-01T00:00:00.000Z`, not {text:?}"
                        ))
                    })?;
                    let utc = crate::utc::to_utc_milliseconds(at).ok_or_else(|| {
                        de::Error::custom(format_args!(
                            "`expiration` {text:?} is out of range: in UTC it falls outside \
                             years -9999 to 9999; write a UTC time such as \
                             `2030-01-01T00:00:00.000Z`"
                        ))
                    })?;
                    expiration = Some(utc);
                }
                "conditions" if conditions.is_none() => {
                    conditions = Some(map.next_value_seed(ConditionsSeed)?);
                }
                "expiration" | "conditions" => {
                    return Err(de::Error::custom(format_args!("`{key}` appears twice")))
                }
                other => {
                    return Err(de::Error::custom(format_args!(
                        "unknown key `{other}`; a policy has only `expiration` and `conditions`"
                    )))
                }
            }
        }
        let expiration = expiration.ok_or_else(|| de::Error::missing_field("expiration"))?;
        let conditions = conditions.ok_or_else(|| de::Error::missing_field("conditions"))?;
        Ok(RawDocument {
            expiration,
            conditions,
        })
    }
}

/// The `conditions` array.
struct ConditionsSeed;

impl<'de> DeserializeSeed<'de> for ConditionsSeed {
    type Value = Vec<RawCondition<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ConditionsSeed {
    type Value = Vec<RawCondition<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of conditions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // A signed policy has about ten conditions; the rest grows as needed.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).clamp(8, 64));
        while seq.next_element_seed(ConditionSeed(&mut out))?.is_some() {}
        Ok(out)
    }
}

struct ConditionSeed<'a, 'de>(&'a mut Vec<RawCondition<'de>>);

impl<'de> DeserializeSeed<'de> for ConditionSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ConditionSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a condition: {\"field\": \"value\"}, [\"eq\"|\"starts-with\", \"$field\", \"value\"] \
             or [\"content-length-range\", min, max]",
        )
    }

    /// `{"field": "value"}`: S3 refuses an object with no entry or with
    /// several ("Simple-Conditions must have exactly one property
    /// specified").
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some(Str(field)) = map.next_key::<Str<'de>>()? else {
            return Err(de::Error::custom("empty condition object `{}`"));
        };
        let Text(value) = map.next_value()?;
        if let Some(Str(second)) = map.next_key::<Str<'de>>()? {
            return Err(de::Error::custom(format_args!(
                "a simple condition has exactly one property, this one has `{field}` and \
                 `{second}`: write {{\"{field}\": ...}}, {{\"{second}\": ...}} as two conditions"
            )));
        }
        self.0.push(RawCondition::Eq { field, value });
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Str(op) = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("empty condition array `[]`"))?;
        let op = &*op;
        let condition = if op.eq_ignore_ascii_case("content-length-range") {
            let min = seq.next_element::<Bound>()?.ok_or_else(|| short(op))?;
            let max = seq.next_element::<Bound>()?.ok_or_else(|| short(op))?;
            match (min, max) {
                (Bound::Size(min, _), Bound::Size(max, _)) => {
                    RawCondition::ContentLengthRange { min, max }
                }
                (min, max) => RawCondition::Unmet {
                    text: format!("[{}, {}, {}]", json_string(op), min.json(), max.json()),
                },
            }
        } else if op.eq_ignore_ascii_case("eq") || op.eq_ignore_ascii_case("starts-with") {
            let Str(name) = seq.next_element()?.ok_or_else(|| short(op))?;
            let field = match &name {
                Cow::Borrowed(name) => name.strip_prefix('$').map(Cow::Borrowed),
                Cow::Owned(name) => name.strip_prefix('$').map(|f| Cow::Owned(f.to_owned())),
            };
            let Text(value) = seq.next_element()?.ok_or_else(|| short(op))?;
            let Some(field) = field else {
                // S3 reads it, and the condition fails.
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(format_args!(
                        "`{op}` takes exactly two arguments"
                    )));
                }
                self.0.push(RawCondition::Unmet {
                    text: format!(
                        "[{}, {}, {}]",
                        json_string(op),
                        json_string(&name),
                        json_string(&value)
                    ),
                });
                return Ok(());
            };
            if op.eq_ignore_ascii_case("eq") {
                RawCondition::Eq { field, value }
            } else {
                RawCondition::StartsWith {
                    field,
                    prefix: value,
                }
            }
        } else {
            return Err(unknown_op(op));
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom(format_args!(
                "`{op}` takes exactly two arguments"
            )));
        }
        self.0.push(condition);
        Ok(())
    }
}

fn unknown_op<E: de::Error>(op: &str) -> E {
    E::custom(format_args!(
        "unknown condition `{op}`; S3 knows `eq`, `starts-with` and `content-length-range`"
    ))
}

fn short<E: de::Error>(op: &str) -> E {
    E::custom(format_args!("`{op}` takes exactly two arguments"))
}

/// A JSON string, borrowed from the text when it has no escapes.
struct Str<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_string(StrVisitor("a string")).map(Str)
    }
}

/// A condition value: a JSON string, nothing else.
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_string(StrVisitor(
            "a string value (S3 compares strings; write numbers as \"201\")",
        ))
        .map(Text)
    }
}

/// Takes a string, borrowed if the deserializer can lend it; expects what
/// it says.
struct StrVisitor(&'static str);

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// A size bound as written: a whole non-negative number (also as a string
/// of digits, which S3 reads), or another string, which S3 reads but no
/// size meets.
enum Bound {
    /// The size, and its text when it was written as a string.
    Size(u64, Option<String>),
    NotANumber(String),
}

impl Bound {
    /// The bound as JSON, for a condition's text.
    fn json(&self) -> String {
        match self {
            Bound::Size(n, None) => n.to_string(),
            Bound::Size(_, Some(text)) | Bound::NotANumber(text) => json_string(text),
        }
    }
}

impl<'de> Deserialize<'de> for Bound {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Bound;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole, non-negative number of bytes")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bound, E> {
                Ok(Bound::Size(v, None))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Bound, E> {
                match v.parse() {
                    Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => {
                        Ok(Bound::Size(n, Some(v.to_owned())))
                    }
                    _ => Ok(Bound::NotANumber(v.to_owned())),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `text` as a JSON string.
fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
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

    /// JSON texts near the documents signers write, for the quick reader.
    fn near_plain() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop::sample::select(
            &[
                "\"",
                "\\",
                "\\u0041",
                "\\/",
                "[",
                "]",
                "{",
                "}",
                ",",
                ":",
                " ",
                "\n",
                "\t",
                "\u{b}",
                "$",
                "0",
                "01",
                "-1",
                "1e3",
                "0.5",
                "1E3",
                "5368709120",
                "18446744073709551615",
                "18446744073709551616",
                "null",
                "true",
                "\u{0}",
                "\u{1f}",
                "\u{7f}",
                "é",
                "🎉",
                "\u{feff}",
                "\"eq\"",
                "\"EQ\"",
                "\"Starts-With\"",
                "\"in\"",
                "\"content-length-range\"",
                "\"$key\"",
                "\"key\"",
                "\"expiration\"",
                "\"conditions\"",
                "\"2030-01-01T00:00:00Z\"",
                "\"2030-01-01T00:00:00.5+01:00\"",
                "\"2030-02-30T00:00:00Z\"",
                "{}",
                "[]",
                "{\"a\": \"b\"}",
            ][..],
        );
        let seed = prop::sample::select(
            &[
                r#"{"expiration":"2030-01-02T03:04:05.678Z","conditions":[{"bucket":"b-1"},["starts-with","$key","u/"],["content-length-range",1,2],{"x-amz-algorithm":"AWS4-HMAC-SHA256"}]}"#,
                r#" { "conditions" : [ [ "EQ" , "$Key" , "a" ] , { "a" : "1" , "b" : "2" } ] , "expiration" : "2030-01-01T00:00:00Z" } "#,
                r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[]}"#,
            ][..],
        );
        (
            seed,
            prop::collection::vec((any::<prop::sample::Index>(), piece, 0usize..4), 0..4),
        )
            .prop_map(|(seed, edits)| {
                let mut s = seed.to_string();
                for (at, piece, cut) in edits {
                    let mut i = at.index(s.len() + 1);
                    while !s.is_char_boundary(i) {
                        i -= 1;
                    }
                    let mut end = (i + cut).min(s.len());
                    while !s.is_char_boundary(end) {
                        end += 1;
                    }
                    s.replace_range(i..end, piece);
                }
                s
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// Whatever the quick reader reads, the full parser reads the same.
        #[test]
        fn the_quick_reader_agrees_with_serde_json(json in near_plain()) {
            if let Some(quick) = plain::parse(&json) {
                proptest::prop_assert_eq!(Ok(quick), RawDocument::parse_fully(&json), "{}", json);
            }
        }
    }

    #[test]
    fn plain_strings_end_at_the_first_special_byte() {
        let mut text: Vec<u8> = b"abcdefghijklmnopqrstuvwxyz0123456789\x7f\xc3\xa9 AZ".to_vec();
        assert_eq!(plain::first_special(&text), None);
        for at in 0..text.len() {
            for special in [b'"', b'\\', 0, 0x1f, b'\n'] {
                let saved = text[at];
                text[at] = special;
                // An earlier special byte, and one after, change nothing.
                assert_eq!(plain::first_special(&text), Some(at), "{at} {special}");
                if at + 1 < text.len() {
                    let next = text[at + 1];
                    text[at + 1] = b'"';
                    assert_eq!(plain::first_special(&text), Some(at));
                    text[at + 1] = next;
                }
                text[at] = saved;
            }
        }
    }

    #[test]
    fn the_quick_reader_reads_what_the_signer_writes() {
        let d = doc(vec![
            Condition::eq(FieldName::new("bucket").unwrap(), "b-1"),
            Condition::starts_with(FieldName::new("key").unwrap(), "u/${filename}"),
            Condition::starts_with(FieldName::new("Content-Type").unwrap(), ""),
            Condition::eq(FieldName::new("x-amz-meta-owner").unwrap(), "é 🎉"),
            Condition::ContentLengthRange {
                min: 0,
                max: 5 << 30,
            },
        ]);
        let json = d.to_json();
        let quick = plain::parse(&json).unwrap();
        assert_eq!(Ok(&quick), RawDocument::parse_fully(&json).as_ref());
        assert_eq!(quick.into_document(), Ok(d));
        // Escapes are left to serde_json.
        let escaped = doc(vec![Condition::eq(
            FieldName::new("x-amz-meta-x").unwrap(),
            "a\"b",
        )]);
        assert!(plain::parse(&escaped.to_json()).is_none());
        assert_eq!(
            PolicyDocument::from_json(&escaped.to_json()).unwrap(),
            escaped
        );
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
