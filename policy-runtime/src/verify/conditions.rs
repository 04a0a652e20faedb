//! The policy against the form: expiration, every condition, coverage and
//! the file's size.

use time::OffsetDateTime;

use super::names;
use super::prepare::{canonical, Prepared};
use super::rejection::{held_condition, held_value};
use super::Rejection;
use crate::document::RawCondition;
use crate::rules::{self, FieldKind, Kept, Role};
use crate::Condition;

/// A condition as the checks read it: names as written, compared
/// case-insensitively.
pub(crate) enum View<'a> {
    Eq {
        field: &'a str,
        value: &'a str,
    },
    StartsWith {
        field: &'a str,
        prefix: &'a str,
    },
    ContentLengthRange {
        min: u64,
        max: u64,
    },
    /// A condition S3 reads but no form meets, as written.
    Unmet {
        text: &'a str,
    },
}

impl View<'_> {
    fn field(&self) -> Option<&str> {
        match *self {
            View::Eq { field, .. } | View::StartsWith { field, .. } => Some(field),
            View::ContentLengthRange { .. } | View::Unmet { .. } => None,
        }
    }
}

/// A condition the checks can read: a parsed document's or a
/// [`PolicyDocument`](crate::PolicyDocument)'s.
pub(crate) trait Checked {
    /// The condition, borrowed.
    fn view(&self) -> View<'_>;
    /// The condition, for a rejection.
    fn to_condition(&self) -> Condition;
}

impl Checked for Condition {
    fn view(&self) -> View<'_> {
        match self {
            Condition::Eq { field, value } => View::Eq {
                field: field.as_str(),
                value,
            },
            Condition::StartsWith { field, prefix } => View::StartsWith {
                field: field.as_str(),
                prefix,
            },
            Condition::ContentLengthRange { min, max } => View::ContentLengthRange {
                min: *min,
                max: *max,
            },
        }
    }

    fn to_condition(&self) -> Condition {
        self.clone()
    }
}

impl Checked for RawCondition<'_> {
    fn view(&self) -> View<'_> {
        match self {
            RawCondition::Eq { field, value } => View::Eq { field, value },
            RawCondition::StartsWith { field, prefix } => View::StartsWith { field, prefix },
            RawCondition::ContentLengthRange { min, max } => View::ContentLengthRange {
                min: *min,
                max: *max,
            },
            RawCondition::Unmet { text } => View::Unmet { text },
        }
    }

    fn to_condition(&self) -> Condition {
        match self {
            RawCondition::Eq { field, value } => {
                Condition::eq(crate::FieldName::lenient(field), value.as_ref())
            }
            RawCondition::StartsWith { field, prefix } => {
                Condition::starts_with(crate::FieldName::lenient(field), prefix.as_ref())
            }
            RawCondition::ContentLengthRange { min, max } => Condition::ContentLengthRange {
                min: *min,
                max: *max,
            },
            // Never asked: `failures` reports these as written first.
            RawCondition::Unmet { text } => {
                Condition::eq(crate::FieldName::lenient(""), text.as_str())
            }
        }
    }
}

/// The reasons S3 would refuse this form under this policy, in the order S3
/// checks: policy rules, expiration, each condition in document order,
/// coverage of each field, then the file's size. Every reason, or only the
/// first when `first_only`.
pub(crate) fn failures<C: Checked>(
    expiration: OffsetDateTime,
    conditions: &[C],
    form: &Prepared<'_>,
    now: OffsetDateTime,
    first_only: bool,
) -> Vec<Rejection> {
    let mut out = Vec::new();
    macro_rules! push {
        ($rejection:expr) => {{
            out.push($rejection);
            if first_only {
                return out;
            }
        }};
    }
    for condition in conditions {
        if let View::StartsWith { field, .. } = condition.view() {
            if let Some(name) = exact_only(form.find(field).kind) {
                push!(Rejection::InvalidPolicy {
                    reason: rules::RuleError::StartsWithNotAllowed { field: name.into() }
                        .to_string(),
                });
            }
        }
    }
    if now > expiration {
        push!(Rejection::Expired { expiration, now });
    }
    // Which fields a condition names; names in the form are unique.
    let covered = &mut vec![false; form.fields.len()];
    for condition in conditions {
        let view = condition.view();
        if let View::Unmet { text } = view {
            push!(Rejection::UnmetCondition {
                condition: text.into()
            });
            continue;
        }
        let Some(field) = view.field() else {
            continue;
        };
        let found = form.find(field);
        let position = found.position;
        if let Some(c) = position.and_then(|i| covered.get_mut(i)) {
            *c = true;
        }
        // The bucket is where the form was posted, not a form field.
        let value = if matches!(found.kind, Some(FieldKind::Known(spec)) if spec.kept == Kept::Bucket)
        {
            Some(form.bucket)
        } else {
            position.and_then(|i| form.fields.get(i)).map(|f| &*f.value)
        };
        if let Some(rejection) = check_condition(condition, &view, field, value) {
            push!(rejection);
        }
    }
    // S3 refuses a policy that does not name the bucket.
    let names_bucket = conditions.iter().any(|c| {
        c.view()
            .field()
            .is_some_and(|f| f.eq_ignore_ascii_case("bucket"))
    });
    if !names_bucket {
        push!(Rejection::PolicyLacksCondition { field: "bucket" });
    }
    for (field, covered) in form.fields.iter().zip(covered.iter()) {
        if !covered && !names::exempt(field.kind) {
            push!(Rejection::ExtraField {
                field: field.sent_name.into(),
                value: held_value(field.sent_name, field.raw),
            });
        }
    }
    for rejection in size_failures(conditions, form.size) {
        push!(rejection);
    }
    out
}

/// For a starts-with condition on a field of this kind: the field's
/// canonical name when S3 allows only exact matches on it (as
/// [`PolicyDocument::problems`](crate::PolicyDocument::problems) reports).
fn exact_only(kind: Option<FieldKind<'_>>) -> Option<&'static str> {
    match kind {
        Some(FieldKind::Known(spec)) if spec.role != Role::Reserved && !spec.starts_with => {
            Some(spec.name)
        }
        _ => None,
    }
}

/// Checks one condition on `field`, the form's `value` for it.
fn check_condition<C: Checked>(
    condition: &C,
    view: &View<'_>,
    field: &str,
    value: Option<&str>,
) -> Option<Rejection> {
    let holds = |v: &str| match *view {
        View::Eq { value, .. } => v == value,
        View::StartsWith { field, prefix } => rules::starts_with_holds(field, v, prefix),
        View::ContentLengthRange { .. } | View::Unmet { .. } => true,
    };
    match value {
        Some(v) if holds(v) => None,
        value => Some(Rejection::ConditionFailed {
            field: canonical(field),
            condition: held_condition(condition.to_condition()),
            value: value.map(|v| held_value(field, v)),
        }),
    }
}

fn size_failures<C: Checked>(conditions: &[C], size: u64) -> impl Iterator<Item = Rejection> + '_ {
    let ranges = conditions.iter().filter_map(move |condition| {
        let View::ContentLengthRange { min, max } = condition.view() else {
            return None;
        };
        if size < min {
            Some(Rejection::FileTooSmall {
                size,
                min,
                condition: condition.to_condition(),
            })
        } else if size > max {
            Some(Rejection::FileTooLarge {
                size,
                max,
                condition: Some(condition.to_condition()),
            })
        } else {
            None
        }
    });
    let s3 = (size > rules::MAX_UPLOAD_SIZE).then_some(Rejection::FileTooLarge {
        size,
        max: rules::MAX_UPLOAD_SIZE,
        condition: None,
    });
    ranges.chain(s3)
}
