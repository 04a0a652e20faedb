//! S3's rules over a policy's conditions: one condition on its own
//! ([`check_condition`]), two on the same field ([`same_field`]), the size
//! range ([`check_range`]) and the whole set ([`check_set`]). Each broken
//! rule is a [`RuleError`] with the one message that rule has; `post_policy!`
//! points it at the tokens at fault, the runtime returns it as an error.

use std::collections::HashMap;
use std::fmt;

use crate::{
    check_checksum_conditions, check_sse_c_conditions, lookup, starts_with_holds, ChecksumProblem,
    FieldKind, SseCProblem, ValueRule, FILENAME_PLACEHOLDER, MAX_UPLOAD_SIZE,
    SSE_C_ALGORITHM_FIELD, SSE_C_KEY_FIELD, SSE_C_KEY_MD5_FIELD,
};

/// A rule of S3's that a policy's conditions break.
///
/// Its `Display` is the message every front end shows: it names the field
/// and says what to change.
///
/// ```
/// use policy_rules::{check_condition, ConditionValue, RuleError};
/// let err = check_condition("bucket", true, ConditionValue::Known("team-")).unwrap_err();
/// assert_eq!(err, RuleError::StartsWithNotAllowed { field: "bucket".into() });
/// assert!(err.to_string().contains("only allows an exact match"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleError {
    /// `starts-with` on a field S3 matches only exactly.
    StartsWithNotAllowed {
        /// The canonical field name.
        field: String,
    },
    /// A value (or the start of one) S3 would refuse for this field.
    InvalidValue {
        /// The canonical field name.
        field: String,
        /// What S3 expects instead.
        reason: String,
    },
    /// `${filename}` in an exact-match value: S3 substitutes it in the form
    /// before checking, so the condition could never match.
    FilenameInExactValue {
        /// The canonical field name.
        field: String,
    },
    /// A second condition on a field, which the first already implies or
    /// which may agree with it (values not known until signing).
    DuplicateCondition {
        /// The canonical field name.
        field: String,
    },
    /// Two conditions on one field that no form can satisfy together.
    ContradictoryConditions {
        /// The canonical field name.
        field: String,
        /// Why they cannot both hold.
        reason: String,
    },
    /// Both `redirect` and `success_action_redirect`: S3 ignores `redirect`.
    RedundantRedirect,
    /// A second `content-length-range`.
    SecondSizeRange,
    /// A `content-length-range` S3 cannot meet.
    InvalidSizeRange {
        /// Smallest size allowed.
        min: u64,
        /// Largest size allowed.
        max: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Conditions that together require a form S3 refuses (two checksum
    /// fields, a checksum algorithm without its checksum).
    Unsatisfiable(ChecksumProblem),
    /// SSE-C conditions no form S3 accepts can meet (a field of the three
    /// without the others, a key MD5 that is not the key's).
    UnsatisfiableSseC(SseCProblem),
}

impl RuleError {
    /// The field the rule is about (`content-length-range` for the size
    /// range; the later one for the two redirects).
    ///
    /// ```
    /// # use policy_rules::RuleError;
    /// assert_eq!(RuleError::RedundantRedirect.field(), "success_action_redirect");
    /// ```
    pub fn field(&self) -> &str {
        match self {
            RuleError::StartsWithNotAllowed { field }
            | RuleError::InvalidValue { field, .. }
            | RuleError::FilenameInExactValue { field }
            | RuleError::DuplicateCondition { field }
            | RuleError::ContradictoryConditions { field, .. } => field,
            RuleError::RedundantRedirect => "success_action_redirect",
            RuleError::SecondSizeRange | RuleError::InvalidSizeRange { .. } => {
                "content-length-range"
            }
            RuleError::Unsatisfiable(problem) => problem.field(),
            RuleError::UnsatisfiableSseC(problem) => problem.field(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::StartsWithNotAllowed { field } => write!(
                f,
                "`{field}` only allows an exact match; S3 rejects starts-with on it: use an exact value"
            ),
            RuleError::InvalidValue { field, reason } => {
                write!(f, "invalid value for `{field}`: {reason}")
            }
            RuleError::FilenameInExactValue { field } => write!(
                f,
                "`{field}` has `${{filename}}` in an exact-match value; S3 replaces it with the \
                 file's name before checking, so the condition can never match: use starts-with \
                 on the part before it"
            ),
            RuleError::DuplicateCondition { field } => write!(
                f,
                "more than one condition on `{field}`; keep one (the stricter one already implies the other)"
            ),
            RuleError::ContradictoryConditions { field, reason } => write!(
                f,
                "contradictory conditions on `{field}`: {reason}; no upload could satisfy both, keep one"
            ),
            RuleError::RedundantRedirect => f.write_str(
                "both `redirect` and `success_action_redirect`: S3 follows \
                 `success_action_redirect` and ignores `redirect`; keep one",
            ),
            RuleError::SecondSizeRange => {
                f.write_str("more than one `content-length-range`: a policy has one size range; keep one")
            }
            RuleError::InvalidSizeRange { min, max, reason } => {
                write!(f, "invalid size range {min}..={max}: {reason}")
            }
            RuleError::Unsatisfiable(problem) => f.write_str(&problem.in_policy()),
            RuleError::UnsatisfiableSseC(problem) => f.write_str(&problem.in_policy()),
        }
    }
}

impl std::error::Error for RuleError {}

/// A condition's value as the checks see it.
///
/// ```
/// use policy_rules::{check_condition, ConditionValue};
/// // `key = "u/{id}/${filename}"`: only the text before `{id}` is known.
/// let partial = ConditionValue::Partial { leading: "u/", has_filename: true };
/// assert!(check_condition("key", false, partial).is_err());
/// assert!(check_condition("key", true, partial).is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionValue<'a> {
    /// The whole value (or prefix, for starts-with).
    Known(&'a str),
    /// A value completed at signing time (`post_policy!`'s placeholders):
    /// the text before the first placeholder, and whether any of its text
    /// holds `${filename}`.
    Partial {
        /// The text before the first placeholder.
        leading: &'a str,
        /// Whether `${filename}` appears anywhere in its text.
        has_filename: bool,
    },
}

/// Checks one condition on `field` (a name [`lookup`] knows, or
/// `x-amz-meta-*`; names are checked apart) on its own: the match type S3
/// allows on the field, `${filename}` only in starts-with, and the value
/// rule of the field.
///
/// ```
/// use policy_rules::{check_condition, ConditionValue::*, RuleError};
/// assert!(check_condition("acl", false, Known("public-read")).is_ok());
/// assert!(matches!(check_condition("acl", false, Known("public")), Err(RuleError::InvalidValue { .. })));
/// assert!(matches!(check_condition("key", false, Known("u/${filename}")),
///                  Err(RuleError::FilenameInExactValue { .. })));
/// assert!(check_condition("key", true, Partial { leading: "u/", has_filename: true }).is_ok());
/// assert!(check_condition("x-amz-meta-tag", true, Known("")).is_ok());
/// ```
pub fn check_condition(
    field: &str,
    starts_with: bool,
    value: ConditionValue<'_>,
) -> Result<(), RuleError> {
    let (starts_with_allowed, rule) = match lookup(field) {
        Some(FieldKind::Known(spec)) => (spec.starts_with, spec.value),
        Some(FieldKind::Meta(_)) => (true, ValueRule::Any),
        Some(FieldKind::Ignored) | None => return Ok(()),
    };
    if starts_with && !starts_with_allowed {
        return Err(RuleError::StartsWithNotAllowed {
            field: field.into(),
        });
    }
    let has_filename = match value {
        ConditionValue::Known(v) => v.contains(FILENAME_PLACEHOLDER),
        ConditionValue::Partial { has_filename, .. } => has_filename,
    };
    if !starts_with && has_filename {
        return Err(RuleError::FilenameInExactValue {
            field: field.into(),
        });
    }
    let checked = match value {
        ConditionValue::Known(v) if !starts_with => rule.check(v),
        ConditionValue::Known(prefix)
        | ConditionValue::Partial {
            leading: prefix, ..
        } => rule.check_prefix(prefix),
    };
    checked.map_err(|reason| RuleError::InvalidValue {
        field: field.into(),
        reason,
    })
}

/// One condition on a field, for [`same_field`] and [`check_set`].
///
/// ```
/// use policy_rules::{same_field, Match, RuleError};
/// let later = Match { starts_with: false, value: None }; // known at signing
/// let earlier = Match { starts_with: true, value: Some("u/") };
/// assert!(matches!(same_field("key", earlier, later), RuleError::DuplicateCondition { .. }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match<'a> {
    /// `starts-with` (else exact).
    pub starts_with: bool,
    /// The value or prefix; `None` when it is only known at signing time.
    pub value: Option<&'a str>,
}

/// What a second condition on the same field breaks: a contradiction when
/// no value meets both (for `Content-Type`, with S3's comma-list reading of
/// starts-with), else a duplicate.
///
/// ```
/// use policy_rules::{same_field, Match, RuleError};
/// let exact = |v| Match { starts_with: false, value: Some(v) };
/// let prefix = |v| Match { starts_with: true, value: Some(v) };
/// assert!(matches!(same_field("key", prefix("a/"), exact("a/b")), RuleError::DuplicateCondition { .. }));
/// assert!(matches!(same_field("key", prefix("a/"), exact("b/c")), RuleError::ContradictoryConditions { .. }));
/// assert!(matches!(same_field("Content-Type", prefix("image/"), exact("image/png,text/html")),
///                  RuleError::ContradictoryConditions { .. }));
/// ```
pub fn same_field(field: &str, earlier: Match<'_>, later: Match<'_>) -> RuleError {
    let reason = match (earlier, later) {
        (
            Match {
                starts_with: a_sw,
                value: Some(a),
            },
            Match {
                starts_with: b_sw,
                value: Some(b),
            },
        ) => contradiction(field, (a_sw, a), (b_sw, b)),
        _ => None,
    };
    match reason {
        Some(reason) => RuleError::ContradictoryConditions {
            field: field.into(),
            reason,
        },
        None => RuleError::DuplicateCondition {
            field: field.into(),
        },
    }
}

fn contradiction(field: &str, a: (bool, &str), b: (bool, &str)) -> Option<String> {
    match (a, b) {
        ((false, x), (false, y)) => (x != y).then(|| format!("it must equal both {x:?} and {y:?}")),
        ((false, v), (true, p)) | ((true, p), (false, v)) => (!starts_with_holds(field, v, p))
            .then(|| format!("the exact value {v:?} does not start with {p:?}")),
        ((true, p), (true, q)) => (!p.starts_with(q) && !q.starts_with(p))
            .then(|| format!("no value starts with both {p:?} and {q:?}")),
    }
}

/// Checks a `content-length-range`: not empty, and within what one POST
/// upload can carry ([`MAX_UPLOAD_SIZE`]).
///
/// ```
/// use policy_rules::{check_range, RuleError};
/// assert!(check_range(0, 1024).is_ok());
/// assert!(matches!(check_range(10, 1), Err(RuleError::InvalidSizeRange { .. })));
/// assert!(check_range(0, 6 << 30).unwrap_err().to_string().contains("at most 5 GiB"));
/// ```
pub fn check_range(min: u64, max: u64) -> Result<(), RuleError> {
    let reason = if min > max {
        "it is empty, its minimum is above its maximum; swap them"
    } else if max > MAX_UPLOAD_SIZE {
        "a POST upload is at most 5 GiB (5368709120 bytes); lower the maximum, or use multipart \
         upload for larger files"
    } else {
        return Ok(());
    };
    Err(RuleError::InvalidSizeRange { min, max, reason })
}

/// One of a policy's conditions, for [`check_set`].
///
/// ```
/// use policy_rules::{check_set, SetItem};
/// assert!(check_set(&[SetItem::Range]).is_empty());
/// assert_eq!(check_set(&[SetItem::Range, SetItem::Range]).len(), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetItem<'a> {
    /// A condition on a field (canonical name).
    Field(&'a str, Match<'a>),
    /// A `content-length-range`.
    Range,
}

/// Checks a policy's conditions as a set: a second condition on a field
/// (against the first: [`same_field`]), a second size range, both
/// redirects, and checksum and SSE-C conditions no form can meet. Returns each
/// problem with the index of the condition to point at.
///
/// ```
/// use policy_rules::{check_set, Match, RuleError, SetItem};
/// let exact = |v| Match { starts_with: false, value: Some(v) };
/// let set = [
///     SetItem::Field("redirect", exact("https://a.example/")),
///     SetItem::Field("key", exact("a")),
///     SetItem::Field("success_action_redirect", exact("https://a.example/")),
///     SetItem::Field("KEY", exact("b")),
///     SetItem::Range,
///     SetItem::Range,
/// ];
/// let found = check_set(&set);
/// assert!(matches!(found[..], [(3, RuleError::ContradictoryConditions { .. }),
///                              (5, RuleError::SecondSizeRange),
///                              (2, RuleError::RedundantRedirect)]), "{found:?}");
/// ```
pub fn check_set(items: &[SetItem<'_>]) -> Vec<(usize, RuleError)> {
    let mut found = Vec::new();
    let mut fields = FirstConditions::new(items.len());
    let mut range = None;
    for (i, item) in items.iter().enumerate() {
        match *item {
            SetItem::Field(field, m) => match fields.first(field) {
                Some((_, earlier)) => found.push((i, same_field(field, earlier, m))),
                None => fields.insert(field, i, m),
            },
            SetItem::Range if range.is_some() => found.push((i, RuleError::SecondSizeRange)),
            SetItem::Range => range = Some(i),
        }
    }
    if let (Some(_), Some((at, _))) = (
        fields.first("redirect"),
        fields.first("success_action_redirect"),
    ) {
        found.push((at, RuleError::RedundantRedirect));
    }
    let exact_values = fields.in_order.iter().map(|&(field, _, m)| {
        let exact = if m.starts_with { None } else { m.value };
        (field, exact)
    });
    if let Err(problem) = check_checksum_conditions(exact_values.clone()) {
        if let Some((at, _)) = fields.first(problem.field()) {
            found.push((at, RuleError::Unsatisfiable(problem)));
        }
    }
    if let Err(problem) = check_sse_c_conditions(exact_values) {
        // At the key's MD5 when it is wrong; else the first SSE-C condition.
        let at = fields.first(problem.field()).map(|(at, _)| at).or_else(|| {
            fields
                .in_order
                .iter()
                .find(|(field, ..)| {
                    [SSE_C_ALGORITHM_FIELD, SSE_C_KEY_FIELD, SSE_C_KEY_MD5_FIELD]
                        .iter()
                        .any(|f| f.eq_ignore_ascii_case(field))
                })
                .map(|&(_, at, _)| at)
        });
        if let Some(at) = at {
            found.push((at, RuleError::UnsatisfiableSseC(problem)));
        }
    }
    found
}

/// Each field's first condition (name any case): where it is and how it
/// matches, in the order written. A policy's few conditions are searched
/// in place; past [`FirstConditions::SCAN_MAX`], through a map, so a huge
/// policy costs time in proportion to its length.
struct FirstConditions<'a> {
    in_order: Vec<(&'a str, usize, Match<'a>)>,
    by_name: Option<HashMap<String, usize>>,
}

impl<'a> FirstConditions<'a> {
    const SCAN_MAX: usize = 32;

    fn new(len: usize) -> Self {
        FirstConditions {
            in_order: Vec::with_capacity(len.min(Self::SCAN_MAX)),
            by_name: (len > Self::SCAN_MAX).then(HashMap::new),
        }
    }

    fn first(&self, field: &str) -> Option<(usize, Match<'a>)> {
        let at = match &self.by_name {
            Some(map) => *map.get(&field.to_ascii_lowercase())?,
            None => self
                .in_order
                .iter()
                .position(|(f, ..)| f.eq_ignore_ascii_case(field))?,
        };
        self.in_order.get(at).map(|&(_, i, m)| (i, m))
    }

    fn insert(&mut self, field: &'a str, at: usize, m: Match<'a>) {
        if let Some(map) = &mut self.by_name {
            map.insert(field.to_ascii_lowercase(), self.in_order.len());
        }
        self.in_order.push((field, at, m));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(v: &str) -> Match<'_> {
        Match {
            starts_with: false,
            value: Some(v),
        }
    }
    fn prefix(v: &str) -> Match<'_> {
        Match {
            starts_with: true,
            value: Some(v),
        }
    }

    #[test]
    fn pairs() {
        let later = Match {
            starts_with: false,
            value: None,
        };
        assert!(matches!(
            same_field("key", exact("a"), later),
            RuleError::DuplicateCondition { .. }
        ));
        assert!(matches!(
            same_field("key", exact("a"), exact("a")),
            RuleError::DuplicateCondition { .. }
        ));
        assert!(matches!(
            same_field("key", prefix("a/"), prefix("a/b/")),
            RuleError::DuplicateCondition { .. }
        ));
        assert!(matches!(
            same_field("key", prefix("a/"), prefix("b/")),
            RuleError::ContradictoryConditions { .. }
        ));
        // S3 reads Content-Type's starts-with as a list: every item.
        assert!(matches!(
            same_field(
                "Content-Type",
                exact("image/png,image/gif"),
                prefix("image/")
            ),
            RuleError::DuplicateCondition { .. }
        ));
        assert!(matches!(
            same_field(
                "Content-Type",
                exact("image/png,text/html"),
                prefix("image/")
            ),
            RuleError::ContradictoryConditions { .. }
        ));
        // Not a list field: the plain prefix.
        assert!(matches!(
            same_field("Cache-Control", exact("a,b"), prefix("a")),
            RuleError::DuplicateCondition { .. }
        ));
    }

    #[test]
    fn checksums_point_at_the_field() {
        let set = [
            SetItem::Field("key", exact("a")),
            SetItem::Field("x-amz-checksum-algorithm", exact("SHA256")),
        ];
        let found = check_set(&set);
        assert!(
            matches!(found[..], [(1, RuleError::Unsatisfiable(_))]),
            "{found:?}"
        );
    }

    #[test]
    fn small_and_large_sets_agree() {
        // The same conditions, alone and padded past the scan limit with
        // metadata conditions that clash with nothing.
        let names: Vec<String> = (0..40).map(|i| format!("x-amz-meta-m{i}")).collect();
        let base = [
            SetItem::Field("key", exact("a")),
            SetItem::Field("redirect", exact("https://a.example/")),
            SetItem::Field("KEY", prefix("b")),
            SetItem::Field("success_action_redirect", exact("https://a.example/")),
            SetItem::Range,
            SetItem::Field("Key", exact("a")),
            SetItem::Range,
        ];
        let mut padded: Vec<SetItem<'_>> = names
            .iter()
            .map(|n| SetItem::Field(n, exact("v")))
            .collect();
        let offset = padded.len();
        padded.extend(base);
        let small = check_set(&base);
        let large: Vec<_> = check_set(&padded)
            .into_iter()
            .map(|(at, e)| (at - offset, e))
            .collect();
        assert_eq!(small.len(), 4, "{small:?}");
        assert_eq!(small, large);
    }

    #[test]
    fn one_report_per_later_condition() {
        let set = vec![SetItem::Field("key", exact("a")); 1000];
        let found = check_set(&set);
        assert_eq!(found.len(), 999);
        assert!(found
            .iter()
            .all(|(_, e)| matches!(e, RuleError::DuplicateCondition { .. })));
    }
}
