//! The form as S3 reads it: fields before the file, names resolved,
//! `${filename}` substituted, limits enforced.

use std::borrow::Cow;
use std::collections::HashMap;

use super::submission::{Submission, MAX_FORM_BYTES};
use super::{Rejection, S3ErrorCode};
use crate::rules::FILENAME_PLACEHOLDER;
use crate::FieldName;

/// The most bytes the form's values may take after `${filename}`
/// substitution. S3 caps keys at 1 KiB, metadata at 2 KiB and headers at
/// 8 KiB, so no form it accepts comes near; the cap bounds memory.
pub(crate) const MAX_EXPANDED_BYTES: u64 = 4 * MAX_FORM_BYTES;

/// One field before the file.
pub(crate) struct Field<'a> {
    /// Canonical name, for matching conditions.
    pub(crate) name: FieldName,
    /// The name as sent.
    pub(crate) sent_name: &'a str,
    /// The value as sent.
    pub(crate) raw: &'a str,
    /// The value with `${filename}` replaced.
    pub(crate) value: Cow<'a, str>,
}

/// The fields S3 reads, ready to be checked.
pub(crate) struct Prepared<'a> {
    pub(crate) bucket: &'a str,
    pub(crate) fields: Vec<Field<'a>>,
    index: HashMap<FieldName, usize>,
    pub(crate) size: u64,
}

impl<'a> Prepared<'a> {
    /// The field with this canonical name.
    pub(crate) fn get(&self, name: &FieldName) -> Option<&Field<'a>> {
        self.index.get(name).map(|&i| &self.fields[i])
    }

    /// The value of a field by name (any case), as sent.
    pub(crate) fn raw(&self, name: &str) -> Option<&'a str> {
        self.get(&FieldName::lenient(name)).map(|f| f.raw)
    }
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
    let mut fields: Vec<Field<'_>> = Vec::with_capacity(form.fields().len());
    let mut index = HashMap::with_capacity(form.fields().len());
    let mut expanded: u64 = 0;
    for (sent_name, raw) in form.fields() {
        let name = FieldName::lenient(sent_name);
        if index.insert(name.clone(), fields.len()).is_some() {
            return Err(Rejection::DuplicateField {
                field: sent_name.into(),
            });
        }
        let value = if matches!(name.as_str(), "policy" | "x-amz-signature") {
            Cow::Borrowed(raw)
        } else {
            let count = raw.matches(FILENAME_PLACEHOLDER).count() as u64;
            let grown =
                (raw.len() as u64).saturating_add(count.saturating_mul(filename.len() as u64));
            expanded = expanded.saturating_add(grown);
            if expanded > MAX_EXPANDED_BYTES {
                return Err(Rejection::InvalidValue {
                    field: name.to_string(),
                    value: raw.into(),
                    reason: format!(
                        "with `${{filename}}` replaced, the form's values exceed {MAX_EXPANDED_BYTES} bytes"
                    ),
                    code: S3ErrorCode::InvalidArgument,
                });
            }
            if count == 0 {
                Cow::Borrowed(raw)
            } else {
                Cow::Owned(raw.replace(FILENAME_PLACEHOLDER, filename))
            }
        };
        fields.push(Field {
            name,
            sent_name,
            raw,
            value,
        });
    }
    if !index.contains_key(&FieldName::lenient("key")) {
        return Err(Rejection::MissingField { field: "key" });
    }
    Ok(Prepared {
        bucket: form.bucket(),
        fields,
        index,
        size: file.size,
    })
}
