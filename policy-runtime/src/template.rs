//! What `post_policy!` expands to: conditions checked at compile time with
//! their JSON pre-rendered, plus the parts filled per upload.
//!
//! The signer reads a policy as a list of [`Piece`]s, so a dynamic
//! [`Policy`] and a macro-generated struct go through the same code and
//! produce the same bytes.

use std::fmt::{self, Write as _};

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::condition::{Condition, FieldName};
use crate::document::{Dollar, Exact};
use crate::{Error, Expiration, Policy};

/// A borrowed condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CondRef<'a> {
    /// `{"field": "value"}`: the canonical field name and the value.
    Eq(&'a str, &'a str),
    /// `["starts-with", "$field", "prefix"]`.
    StartsWith(&'a str, &'a str),
    /// `["content-length-range", min, max]`.
    Range(u64, u64),
}

impl CondRef<'_> {
    /// The owned condition, with the field name checked against S3's table.
    pub(crate) fn to_condition(self) -> Result<Condition, Error> {
        Ok(match self {
            CondRef::Eq(f, v) => Condition::eq(FieldName::new(f)?, v),
            CondRef::StartsWith(f, p) => Condition::starts_with(FieldName::new(f)?, p),
            CondRef::Range(min, max) => Condition::ContentLengthRange { min, max },
        })
    }
}

impl Condition {
    pub(crate) fn as_ref(&self) -> CondRef<'_> {
        match self {
            Condition::Eq { field, value } => CondRef::Eq(field.as_str(), value),
            Condition::StartsWith { field, prefix } => CondRef::StartsWith(field.as_str(), prefix),
            Condition::ContentLengthRange { min, max } => CondRef::Range(*min, *max),
        }
    }
}

impl Serialize for CondRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            CondRef::Eq(field, value) => Exact(field, value).serialize(s),
            CondRef::StartsWith(field, prefix) => {
                let mut seq = s.serialize_seq(Some(3))?;
                seq.serialize_element("starts-with")?;
                seq.serialize_element(&Dollar(field))?;
                seq.serialize_element(prefix)?;
                seq.end()
            }
            CondRef::Range(min, max) => {
                let mut seq = s.serialize_seq(Some(3))?;
                seq.serialize_element("content-length-range")?;
                seq.serialize_element(&min)?;
                seq.serialize_element(&max)?;
                seq.end()
            }
        }
    }
}

/// One condition of a policy as the signer reads it.
#[derive(Clone, Copy, Debug)]
pub enum Piece<'a> {
    /// Checked at compile time; `json` is its exact JSON, rendered by
    /// `serde_json` when the macro ran.
    Fixed {
        /// The condition's JSON.
        json: &'static str,
        /// The condition.
        condition: CondRef<'static>,
    },
    /// Known only per upload; checked before signing, serialized when
    /// signing.
    Filled(CondRef<'a>),
}

impl<'a> Piece<'a> {
    pub(crate) fn condition(&self) -> CondRef<'a> {
        match *self {
            Piece::Fixed { condition, .. } => condition,
            Piece::Filled(c) => c,
        }
    }

    /// The length of its JSON: exact for a fixed piece, a guess for a filled
    /// one (exact unless a value needs escaping).
    pub(crate) fn json_len_hint(&self) -> usize {
        match *self {
            Piece::Fixed { json, .. } => json.len(),
            // {"field":"value"}
            Piece::Filled(CondRef::Eq(field, value)) => field.len() + value.len() + 7,
            // ["starts-with","$field","prefix"]
            Piece::Filled(CondRef::StartsWith(field, prefix)) => field.len() + prefix.len() + 24,
            // ["content-length-range",min,max]
            Piece::Filled(CondRef::Range(..)) => 64,
        }
    }
}

impl<'a> From<&'a Condition> for Piece<'a> {
    fn from(condition: &'a Condition) -> Piece<'a> {
        Piece::Filled(condition.as_ref())
    }
}

/// Writes the pieces' JSON, comma-separated: fixed pieces as the macro
/// rendered them, filled ones with `serde_json`.
pub(crate) fn conditions_json<'p>(
    pieces: impl Iterator<Item = Piece<'p>>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    for (i, piece) in pieces.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match piece {
            Piece::Fixed { json, .. } => out.extend_from_slice(json.as_bytes()),
            Piece::Filled(condition) => {
                serde_json::to_writer(&mut *out, &condition).map_err(|e| {
                    Error::InvalidPolicyJson {
                        reason: e.to_string(),
                    }
                })?;
            }
        }
    }
    Ok(())
}

/// Checks a condition filled per upload against S3's rules, as
/// [`Condition::check`] does.
pub fn check_filled(condition: CondRef<'_>) -> Result<(), Error> {
    condition.to_condition()?.check()
}

/// One part of a value written with `{placeholder}`s.
#[derive(Clone, Copy)]
pub enum Part<'a> {
    /// Text written in the macro.
    Text(&'static str),
    /// A placeholder's value.
    Value {
        /// The placeholder's name.
        name: &'static str,
        /// Its value for this upload.
        value: &'a dyn fmt::Display,
        /// Whether `/` may appear in it (`{name:path}`); `..` segments never
        /// may.
        path: bool,
    },
    /// A placeholder's value for a field whose value rule checks all of
    /// it (a checksum, whose base64 may hold `/`): written as it is, then
    /// checked with the field's rule.
    Verbatim {
        /// The placeholder's name.
        name: &'static str,
        /// Its value for this upload.
        value: &'a dyn fmt::Display,
    },
}

/// A placeholder's value as `dyn Display`; generic so that a type that is
/// not `Display` is reported under the type the user declared.
pub fn display<T: fmt::Display>(value: &T) -> &dyn fmt::Display {
    value
}

/// Writes a value from its parts, refusing placeholder values that could
/// move the upload outside what the author wrote: `/` (unless the
/// placeholder is a `:path`), `..` as a path segment, an empty value, and
/// control characters.
pub fn render(parts: &[Part<'_>]) -> Result<String, Error> {
    let mut out = String::new();
    for part in parts {
        match *part {
            Part::Text(text) => out.push_str(text),
            Part::Value { name, value, path } => {
                let start = out.len();
                // Writing to a String cannot fail unless `Display` does.
                write!(out, "{value}").map_err(|_| Error::InvalidPlaceholder {
                    name,
                    value: String::new(),
                    reason: "its `Display` implementation failed".into(),
                })?;
                check_placeholder_value(name, &out[start..], path)?;
            }
            Part::Verbatim { name, value } => {
                write!(out, "{value}").map_err(|_| Error::InvalidPlaceholder {
                    name,
                    value: String::new(),
                    reason: "its `Display` implementation failed".into(),
                })?;
            }
        }
    }
    Ok(out)
}

fn check_placeholder_value(name: &'static str, value: &str, path: bool) -> Result<(), Error> {
    let reason = if value.is_empty() {
        "it is empty"
    } else if value.chars().any(char::is_control) {
        "it contains a control character"
    } else if !path && value.contains('/') {
        "it contains `/`, which would move the upload into another folder; \
         write the placeholder as `{name:path}` to allow subfolders"
    } else if value.split('/').any(|s| s == "..") {
        "it contains a `..` segment, which could climb out of the folder the policy names"
    } else if path && (value.starts_with('/') || value.split('/').any(str::is_empty)) {
        "a `:path` value has no empty segments and no leading, trailing or doubled `/`"
    } else {
        return Ok(());
    };
    Err(Error::InvalidPlaceholder {
        name,
        value: value.into(),
        reason: reason.into(),
    })
}

/// A condition added by a library through [`Extension`](crate::Extension),
/// checked against S3's rules and against the fields the extension declared.
pub fn extension_conditions<E: crate::Extension + ?Sized>(
    extension: &E,
) -> Result<Vec<Condition>, Error> {
    let conditions = extension.conditions()?;
    for condition in &conditions {
        condition.check()?;
        if let Some(field) = condition.field() {
            if !E::FIELDS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(field.as_str()))
            {
                return Err(Error::UndeclaredExtensionField {
                    extension: std::any::type_name::<E>(),
                    field: field.as_str().into(),
                });
            }
        }
    }
    Ok(conditions)
}

/// The dynamic [`Policy`] with the same conditions, in the same order.
pub fn to_policy(expiration: Expiration, pieces: &[Piece<'_>]) -> Result<Policy, Error> {
    let conditions = pieces
        .iter()
        .map(|p| p.condition().to_condition())
        .collect::<Result<Vec<_>, _>>()?;
    Policy::new(expiration, conditions)
}

/// Whether the fields an extension declares include `field`
/// (ASCII case-insensitive), at compile time.
pub const fn declares(fields: &[&str], field: &str) -> bool {
    let mut i = 0;
    while i < fields.len() {
        if eq_ignore_ascii_case(fields[i].as_bytes(), field.as_bytes()) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether two extensions declare a common field, at compile time.
pub const fn overlap(a: &[&str], b: &[&str]) -> bool {
    let mut i = 0;
    while i < a.len() {
        if declares(b, a[i]) {
            return true;
        }
        i += 1;
    }
    false
}

/// The fields an extension value declares; lets a `const` name them without
/// naming the extension's type.
pub const fn fields_of<E: crate::Extension>(_: &E) -> &'static [&'static str] {
    E::FIELDS
}

const fn eq_ignore_ascii_case(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !a[i].eq_ignore_ascii_case(&b[i]) {
            return false;
        }
        i += 1;
    }
    true
}
