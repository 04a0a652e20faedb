//! The form as S3 reads it: fields before the file, names resolved,
//! `${filename}` substituted, limits enforced.

use std::borrow::Cow;
use std::collections::HashMap;

use super::filename;
use super::names::{self, Caseless, Fixed};
use super::rejection::held_value;
use super::submission::{Submission, MAX_FORM_BYTES};
use super::{Rejection, S3ErrorCode};
use crate::rules::FieldKind;
use crate::FieldName;

/// The most bytes the form's values may take after `${filename}`
/// substitution. S3 caps keys at 1 KiB, metadata at 2 KiB and headers at
/// 8 KiB, so no form it accepts comes near; the cap bounds memory.
pub(crate) const MAX_EXPANDED_BYTES: u64 = 4 * MAX_FORM_BYTES;

/// Up to this many fields, names are found by scanning them (a browser form
/// has about ten); above it, through a hash index.
const SCAN_MAX: usize = 16;

/// One field before the file.
pub(crate) struct Field<'a> {
    /// The name as sent; S3 compares names ASCII case-insensitively.
    pub(crate) sent_name: &'a str,
    /// What the name refers to in the rule table.
    pub(crate) kind: Option<FieldKind<'a>>,
    /// Whether [`Prepared::known`] has the field's position.
    slotted: bool,
    /// The value as sent.
    pub(crate) raw: &'a str,
    /// The value with `${filename}` replaced.
    pub(crate) value: Cow<'a, str>,
}

/// No field: a slot of [`Prepared::known`] that is empty.
const ABSENT: usize = usize::MAX;

/// The fields S3 reads, ready to be checked. Names are unique (ignoring
/// case).
pub(crate) struct Prepared<'a> {
    pub(crate) bucket: &'a str,
    pub(crate) fields: Vec<Field<'a>>,
    /// Where each known field is, by its position in the rule table.
    known: [usize; 64],
    /// Where each other name is, for forms with more than [`SCAN_MAX`]
    /// fields.
    index: Option<HashMap<Caseless<'a>, usize>>,
    pub(crate) size: u64,
    /// The form came over plain HTTP ([`Submission::plain_http`]).
    pub(crate) plain_http: bool,
}

/// A name as [`Prepared::find`] found it.
pub(crate) struct Found<'a> {
    /// Where the field with the name is, if the form has it.
    pub(crate) position: Option<usize>,
    /// What the name refers to in the rule table.
    pub(crate) kind: Option<FieldKind<'a>>,
}

impl<'a> Prepared<'a> {
    /// The field with this name (any case), and what the name refers to.
    /// A policy names its fields as the form does, spelled alike when one
    /// source made both: such a name is found among the sent names without
    /// looking it up. What that buys: "verify one form" takes 2.89x the
    /// floor with it and 3.08x without (`bench/compare.sh`, five alternating
    /// runs, 2026-12-04); the verifier's tests cover both paths (forms
    /// spelled as their policies, and in other cases).
    pub(crate) fn find<'n>(&self, name: &'n str) -> Found<'n>
    where
        'a: 'n,
    {
        if self.index.is_none() {
            let mut fields = self.fields.iter().enumerate();
            if let Some((i, field)) = fields.find(|(_, f)| f.sent_name == name) {
                return Found {
                    position: Some(i),
                    kind: field.kind,
                };
            }
        }
        let resolved = names::resolve(name);
        Found {
            position: self.position_of(name, resolved.known),
            kind: resolved.kind,
        }
    }

    /// The position of the field with this name, `known` its position in
    /// the rule table if it has one.
    pub(crate) fn position_of(&self, name: &str, known: Option<usize>) -> Option<usize> {
        if let Some(i) = known {
            return self.known.get(i).copied().filter(|&p| p != ABSENT);
        }
        match &self.index {
            Some(index) => index.get(&Caseless(name)).copied(),
            None => self
                .fields
                .iter()
                .position(|f| !f.slotted && f.sent_name.eq_ignore_ascii_case(name)),
        }
    }

    /// The value of a field the verifier asks for by constant, as sent.
    pub(crate) fn raw_fixed(&self, name: Fixed) -> Option<&'a str> {
        let at = self.position_of(name.name, name.known)?;
        self.fields.get(at).map(|f| f.raw)
    }
}

/// The canonical spelling of a name, for messages.
pub(crate) fn canonical(name: &str) -> String {
    FieldName::lenient(name).to_string()
}

/// Reads a submission as S3 does: a file must be present, the fields before
/// it within 20 KiB, each sent once; `key` is required.
pub(crate) fn prepare(form: &Submission) -> Result<Prepared<'_>, Rejection> {
    let size = form.form_size();
    if size > MAX_FORM_BYTES {
        return Err(Rejection::FormTooLarge {
            size,
            limit: MAX_FORM_BYTES,
        });
    }
    let Some(file) = form.uploaded_file() else {
        return Err(Rejection::MissingFile);
    };
    let filename = file.base_name();
    // Without a `filename` parameter S3 leaves `${filename}` as it is.
    let substitutes = form.filename_sent();
    let count = form.fields().len();
    let mut fields: Vec<Field<'_>> = Vec::with_capacity(count);
    let mut known = [ABSENT; 64];
    let mut index = (count > SCAN_MAX).then(|| HashMap::with_capacity(count));
    let mut expanded: u64 = 0;
    for (sent_name, raw) in form.fields() {
        let resolved = names::resolve(sent_name);
        let here = fields.len();
        let duplicate = match (resolved.known.and_then(|i| known.get_mut(i)), &mut index) {
            (Some(slot), _) => std::mem::replace(slot, here) != ABSENT,
            (None, Some(index)) => index.insert(Caseless(sent_name), here).is_some(),
            (None, None) => fields
                .iter()
                .any(|f| !f.slotted && f.sent_name.eq_ignore_ascii_case(sent_name)),
        };
        if duplicate {
            return Err(Rejection::DuplicateField {
                field: sent_name.into(),
            });
        }
        let value = if names::is_verbatim(resolved.kind) {
            Cow::Borrowed(raw)
        } else {
            let count = filename::placeholders(raw).count() as u64;
            let grown =
                (raw.len() as u64).saturating_add(count.saturating_mul(filename.len() as u64));
            expanded = expanded.saturating_add(grown);
            if expanded > MAX_EXPANDED_BYTES {
                return Err(Rejection::InvalidValue {
                    field: canonical(sent_name),
                    value: held_value(sent_name, raw),
                    reason: format!(
                        "with `${{filename}}` replaced, the form's values exceed {MAX_EXPANDED_BYTES} bytes"
                    ),
                    code: S3ErrorCode::InvalidArgument,
                });
            }
            if count == 0 || !substitutes {
                Cow::Borrowed(raw)
            } else {
                Cow::Owned(filename::substitute(raw, filename))
            }
        };
        fields.push(Field {
            sent_name,
            kind: resolved.kind,
            slotted: resolved.known.is_some(),
            raw,
            value,
        });
    }
    let prepared = Prepared {
        bucket: form.bucket(),
        fields,
        known,
        index,
        size: file.size,
        plain_http: form.is_plain_http(),
    };
    let key = names::fixed().key;
    if prepared.position_of(key.name, key.known).is_none() {
        return Err(Rejection::MissingField { field: "key" });
    }
    Ok(prepared)
}
