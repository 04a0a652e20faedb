//! The full reader of S3's policy JSON, on `serde_json`: any valid
//! document, escapes and all, and the errors worded for every invalid one.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{PolicyDocument, RawCondition, RawDocument};
use crate::Error;

/// [`RawDocument::parse`] with serde_json, whatever the document.
pub(super) fn parse(json: &str) -> Result<RawDocument<'_>, Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let doc = de
        .deserialize_map(DocumentVisitor)
        .and_then(|d| de.end().map(|()| d));
    doc.map_err(|e| Error::InvalidPolicyJson {
        reason: e.to_string(),
    })
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
    serde_json::to_string(text).expect("a string always serializes")
}
