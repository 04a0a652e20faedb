//! The policy document: S3's JSON, produced by a serializer and parsed back.

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
    /// [`PolicyDocument::problems`].
    pub fn new(expiration: OffsetDateTime, conditions: Vec<Condition>) -> PolicyDocument {
        let utc = expiration.to_offset(time::UtcOffset::UTC);
        let expiration = utc
            .replace_nanosecond(utc.nanosecond() / 1_000_000 * 1_000_000)
            .unwrap_or(utc);
        PolicyDocument {
            expiration,
            conditions,
        }
    }

    /// The instant after which S3 refuses the form.
    pub fn expiration(&self) -> OffsetDateTime {
        self.expiration
    }

    /// Every condition, in document order.
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
    pub fn to_base64(&self) -> String {
        BASE64.encode(self.to_json())
    }

    /// Parses S3's policy JSON. Structure is enforced (an `expiration` and a
    /// `conditions` array, nothing else; each condition an object of string
    /// values or a known array form); S3's field rules are reported
    /// separately by [`PolicyDocument::problems`].
    pub fn from_json(json: &str) -> Result<PolicyDocument, Error> {
        let mut de = serde_json::Deserializer::from_str(json);
        let doc = PolicyDocument::deserialize(&mut de).and_then(|d| de.end().map(|()| d));
        doc.map_err(|e| Error::InvalidPolicyJson {
            reason: e.to_string(),
        })
    }

    /// Decodes the `policy` form field (standard base64 of the JSON) and
    /// parses it.
    ///
    /// ```
    /// use policy_runtime::PolicyDocument;
    /// assert!(PolicyDocument::from_base64("not base64!").is_err());
    /// ```
    pub fn from_base64(policy: &str) -> Result<PolicyDocument, Error> {
        let bytes = BASE64
            .decode(policy.trim_end_matches(['\r', '\n']))
            .map_err(|e| Error::InvalidBase64 {
                reason: e.to_string(),
            })?;
        let json = std::str::from_utf8(&bytes).map_err(|e| Error::InvalidPolicyJson {
            reason: format!("not UTF-8: {e}"),
        })?;
        Self::from_json(json)
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
        d.deserialize_map(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = PolicyDocument;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a policy object with `expiration` and `conditions`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PolicyDocument, A::Error> {
        let mut expiration = None;
        let mut conditions = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "expiration" if expiration.is_none() => {
                    let text: String = map.next_value()?;
                    let at = OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
                        de::Error::custom(format_args!(
                            "`expiration` must be an ISO 8601 UTC time such as \
                             `2030-01-01T00:00:00.000Z`, not {text:?}"
                        ))
                    })?;
                    expiration = Some(at);
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
        Ok(PolicyDocument::new(expiration, conditions))
    }
}

/// The `conditions` array; an object with several entries yields several
/// exact conditions, in order.
struct ConditionsSeed;

impl<'de> DeserializeSeed<'de> for ConditionsSeed {
    type Value = Vec<Condition>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ConditionsSeed {
    type Value = Vec<Condition>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of conditions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while seq.next_element_seed(ConditionSeed(&mut out))?.is_some() {}
        Ok(out)
    }
}

struct ConditionSeed<'a>(&'a mut Vec<Condition>);

impl<'de> DeserializeSeed<'de> for ConditionSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ConditionSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a condition: {\"field\": \"value\"}, [\"eq\"|\"starts-with\", \"$field\", \"value\"] \
             or [\"content-length-range\", min, max]",
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let before = self.0.len();
        while let Some(name) = map.next_key::<String>()? {
            let value: Text = map.next_value()?;
            self.0
                .push(Condition::eq(FieldName::lenient(&name), value.0));
        }
        if self.0.len() == before {
            return Err(de::Error::custom("empty condition object `{}`"));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let op: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("empty condition array `[]`"))?;
        let condition = match op.to_ascii_lowercase().as_str() {
            "content-length-range" => {
                let min = seq.next_element::<Size>()?.ok_or_else(|| short(&op))?.0;
                let max = seq.next_element::<Size>()?.ok_or_else(|| short(&op))?.0;
                Condition::ContentLengthRange { min, max }
            }
            kind @ ("eq" | "starts-with") => {
                let name: String = seq.next_element()?.ok_or_else(|| short(&op))?;
                let Some(field) = name.strip_prefix('$') else {
                    return Err(de::Error::custom(format_args!(
                        "the field of `{op}` is written with a `$`: \"${name}\""
                    )));
                };
                let field = FieldName::lenient(field);
                let value = seq.next_element::<Text>()?.ok_or_else(|| short(&op))?.0;
                if kind == "eq" {
                    Condition::eq(field, value)
                } else {
                    Condition::starts_with(field, value)
                }
            }
            _ => return Err(unknown_op(&op)),
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

/// A condition value: a JSON string, nothing else.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string value (S3 compares strings; write numbers as \"201\")")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                Ok(Text(v))
            }
        }
        d.deserialize_string(V)
    }
}

/// A size in bytes: a non-negative JSON integer.
struct Size(u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole, non-negative number of bytes")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                Ok(Size(v))
            }
        }
        d.deserialize_u64(V)
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
                ["Starts-With", "$X-Amz-Meta-Tag", ""], {"a": "1", "b": "2"}],
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
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", "1", 5]]}"#,
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
