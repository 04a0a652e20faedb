//! The policy against the form: expiration, every condition, coverage and
//! the file's size.

use std::collections::HashSet;

use time::OffsetDateTime;

use super::prepare::Prepared;
use super::Rejection;
use crate::rules::{self, FieldKind};
use crate::{Condition, Error, FieldName, PolicyDocument};

/// Every reason S3 would refuse this form under this policy, in the order S3
/// checks: policy rules, expiration, each condition in document order,
/// coverage of each field, then the file's size.
pub(crate) fn failures(
    doc: &PolicyDocument,
    form: &Prepared<'_>,
    now: OffsetDateTime,
) -> Vec<Rejection> {
    let mut out = Vec::new();
    for problem in doc.problems() {
        if let Error::StartsWithNotAllowed { field } = &problem {
            out.push(Rejection::InvalidPolicy {
                reason: format!("S3 allows only exact matches on `{field}`, not starts-with"),
            });
        }
    }
    if now > doc.expiration() {
        out.push(Rejection::Expired {
            expiration: doc.expiration(),
            now,
        });
    }
    for condition in doc.conditions() {
        if let Some(rejection) = check_condition(condition, form) {
            out.push(rejection);
        }
    }
    let covered: HashSet<&FieldName> = doc
        .conditions()
        .iter()
        .filter_map(Condition::field)
        .collect();
    for field in &form.fields {
        if !exempt(&field.name) && !covered.contains(&field.name) {
            out.push(Rejection::ExtraField {
                field: field.sent_name.into(),
                value: field.raw.into(),
            });
        }
    }
    out.extend(check_size(doc, form.size));
    out
}

/// Fields no condition needs to cover.
fn exempt(name: &FieldName) -> bool {
    matches!(name.as_str(), "x-amz-signature" | "file" | "policy")
        || matches!(rules::lookup(name.as_str()), Some(FieldKind::Ignored))
}

fn check_condition(condition: &Condition, form: &Prepared<'_>) -> Option<Rejection> {
    let (field, holds): (&FieldName, &dyn Fn(&str) -> bool) = match condition {
        Condition::ContentLengthRange { .. } => return None,
        Condition::Eq { field, value } => (field, &move |v: &str| v == value),
        Condition::StartsWith { field, prefix } if field.as_str() == "Content-Type" => {
            (field, &move |v: &str| {
                v.split(',').all(|part| part.starts_with(prefix.as_str()))
            })
        }
        Condition::StartsWith { field, prefix } => {
            (field, &move |v: &str| v.starts_with(prefix.as_str()))
        }
    };
    // The bucket is where the form was posted, not a form field.
    let value = if field.as_str() == "bucket" {
        Some(form.bucket)
    } else {
        form.get(field).map(|f| &*f.value)
    };
    match value {
        Some(v) if holds(v) => None,
        value => Some(Rejection::ConditionFailed {
            field: field.to_string(),
            condition: condition.clone(),
            value: value.map(str::to_owned),
        }),
    }
}

fn check_size(doc: &PolicyDocument, size: u64) -> Vec<Rejection> {
    let mut out = Vec::new();
    for condition in doc.conditions() {
        if let Condition::ContentLengthRange { min, max } = *condition {
            if size < min {
                out.push(Rejection::FileTooSmall {
                    size,
                    min,
                    condition: condition.clone(),
                });
            } else if size > max {
                out.push(Rejection::FileTooLarge {
                    size,
                    max,
                    condition: Some(condition.clone()),
                });
            }
        }
    }
    if size > rules::MAX_UPLOAD_SIZE {
        out.push(Rejection::FileTooLarge {
            size,
            max: rules::MAX_UPLOAD_SIZE,
            condition: None,
        });
    }
    out
}
