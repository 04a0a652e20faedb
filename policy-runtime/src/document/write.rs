//! Writing S3's policy JSON through `serde`, so that no value can change
//! its structure.

use std::fmt;

use serde::ser::{SerializeMap, SerializeStruct, Serializer};
use serde::Serialize;
use time::OffsetDateTime;

use super::PolicyDocument;
use crate::Condition;

const EXPIRATION_FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

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
