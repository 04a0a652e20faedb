//! Field names and the three kinds of policy condition.

use std::borrow::Cow;
use std::fmt;

use crate::rules::{self, FieldKind, FieldSpec, Role};
use crate::Error;

/// A form-field name in canonical spelling.
///
/// S3 compares field names case-insensitively; a `FieldName` stores the
/// canonical spelling (`Content-Type`, `x-amz-meta-owner`), so two names that
/// S3 considers equal are equal here too.
///
/// ```
/// use policy_runtime::FieldName;
///
/// let name = FieldName::new("content-TYPE").unwrap();
/// assert_eq!(name.as_str(), "Content-Type");
/// assert_eq!(FieldName::new("X-Amz-Meta-Owner").unwrap().as_str(), "x-amz-meta-owner");
/// assert!(FieldName::new("content_type").is_err()); // did you mean `Content-Type`?
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldName(Cow<'static, str>);

impl FieldName {
    /// Resolves a name a policy author may use in a condition: a known field
    /// or `x-amz-meta-*`. Unknown names get a "did you mean" error; names
    /// the signer sets, and `x-ignore-*`, are refused.
    ///
    /// ```
    /// use policy_runtime::{Error, FieldName};
    /// assert_eq!(FieldName::new("KEY")?.as_str(), "key");
    /// assert!(matches!(FieldName::new("content_type"),
    ///                  Err(Error::UnknownField { suggestion: Some("Content-Type"), .. })));
    /// assert!(matches!(FieldName::new("x-amz-signature"), Err(Error::ReservedField { .. })));
    /// assert!(matches!(FieldName::new("x-ignore-note"), Err(Error::InvalidFieldName { .. })));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new(name: &str) -> Result<FieldName, Error> {
        match rules::lookup(name) {
            Some(FieldKind::Known(spec)) if spec.role == Role::User => Ok(Self::known(spec)),
            Some(FieldKind::Known(spec)) => Err(Error::ReservedField {
                name: spec.name.into(),
            }),
            Some(FieldKind::Meta(suffix)) => {
                rules::check_meta_name(suffix).map_err(|reason| Error::InvalidFieldName {
                    name: name.into(),
                    reason,
                })?;
                Ok(Self::lenient(name))
            }
            Some(FieldKind::Ignored) => Err(Error::InvalidFieldName {
                name: name.into(),
                reason: "S3 ignores `x-ignore-*` fields, so they need no condition; add them to the form instead".into(),
            }),
            None => Err(Error::UnknownField {
                name: name.into(),
                suggestion: rules::suggest(name),
            }),
        }
    }

    /// A name as found in a policy document or a submitted form: known names
    /// take their canonical spelling, all others are lower-cased. Never fails;
    /// use [`FieldName::new`] to enforce S3's rules.
    ///
    /// ```
    /// use policy_runtime::FieldName;
    /// assert_eq!(FieldName::lenient("X-Whatever").as_str(), "x-whatever");
    /// ```
    pub fn lenient(name: &str) -> FieldName {
        match rules::lookup(name) {
            Some(FieldKind::Known(spec)) => Self::known(spec),
            _ => FieldName(Cow::Owned(name.to_ascii_lowercase())),
        }
    }

    pub(crate) const fn known(spec: &'static FieldSpec) -> FieldName {
        FieldName(Cow::Borrowed(spec.name))
    }

    /// The canonical spelling.
    ///
    /// ```
    /// # use policy_runtime::FieldName;
    /// assert_eq!(FieldName::new("cache-control")?.as_str(), "Cache-Control");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What this name refers to in the rule table, if anything.
    ///
    /// ```
    /// use policy_runtime::{rules::FieldKind, FieldName};
    /// assert!(matches!(FieldName::new("acl")?.kind(), Some(FieldKind::Known(spec)) if spec.ident == "acl"));
    /// assert_eq!(FieldName::new("X-Amz-Meta-Owner")?.kind(), Some(FieldKind::Meta("owner")));
    /// assert_eq!(FieldName::lenient("x-unknown").kind(), None);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn kind(&self) -> Option<FieldKind<'_>> {
        rules::lookup(&self.0)
    }
}

impl fmt::Debug for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for FieldName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// One condition of a POST policy.
///
/// ```
/// use policy_runtime::{Condition, FieldName};
///
/// let c = Condition::starts_with(FieldName::new("key").unwrap(), "user/");
/// assert!(c.check().is_ok());
/// assert_eq!(c.to_string(), r#"["starts-with", "$key", "user/"]"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// The field must equal `value` exactly.
    Eq {
        /// The field.
        field: FieldName,
        /// The required value.
        value: String,
    },
    /// The field must start with `prefix` (`""`: any value, but present).
    StartsWith {
        /// The field.
        field: FieldName,
        /// The required prefix.
        prefix: String,
    },
    /// The file's size in bytes must lie in `min..=max`.
    ContentLengthRange {
        /// Smallest size allowed.
        min: u64,
        /// Largest size allowed.
        max: u64,
    },
}

impl Condition {
    /// An exact-match condition.
    ///
    /// ```
    /// # use policy_runtime::{Condition, FieldName};
    /// let c = Condition::eq(FieldName::new("acl")?, "private");
    /// assert_eq!(c.to_string(), r#"{"acl": "private"}"#);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn eq(field: FieldName, value: impl Into<String>) -> Condition {
        Condition::Eq {
            field,
            value: value.into(),
        }
    }

    /// A starts-with condition.
    ///
    /// ```
    /// # use policy_runtime::{Condition, FieldName};
    /// let c = Condition::starts_with(FieldName::new("Content-Type")?, "image/");
    /// assert_eq!(c.to_string(), r#"["starts-with", "$Content-Type", "image/"]"#);
    /// // S3 matches `bucket` exactly only:
    /// assert!(Condition::starts_with(FieldName::new("bucket")?, "team-").check().is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn starts_with(field: FieldName, prefix: impl Into<String>) -> Condition {
        Condition::StartsWith {
            field,
            prefix: prefix.into(),
        }
    }

    /// The field this condition constrains; `None` for the size range.
    ///
    /// ```
    /// # use policy_runtime::{Condition, FieldName};
    /// let c = Condition::eq(FieldName::new("key")?, "a.txt");
    /// assert_eq!(c.field().map(FieldName::as_str), Some("key"));
    /// assert_eq!(Condition::ContentLengthRange { min: 0, max: 10 }.field(), None);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn field(&self) -> Option<&FieldName> {
        match self {
            Condition::Eq { field, .. } | Condition::StartsWith { field, .. } => Some(field),
            Condition::ContentLengthRange { .. } => None,
        }
    }

    /// Checks this condition alone against S3's rules for a policy author:
    /// known field, allowed match type, accepted value.
    ///
    /// ```
    /// use policy_runtime::{Condition, FieldName};
    /// let acl = FieldName::new("acl").unwrap();
    /// assert!(Condition::eq(acl.clone(), "public-read").check().is_ok());
    /// assert!(Condition::eq(acl, "world-writable").check().is_err());
    /// ```
    pub fn check(&self) -> Result<(), Error> {
        self.check_with(false)
    }

    /// Like [`Condition::check`], but also accepts the fields the signer adds
    /// (as they appear in a signed policy document).
    pub(crate) fn check_with(&self, signed: bool) -> Result<(), Error> {
        let (field, value, starts_with) = match self {
            Condition::ContentLengthRange { min, max } => {
                return Ok(rules::check_range(*min, *max)?)
            }
            Condition::Eq { field, value } => (field, value, false),
            Condition::StartsWith { field, prefix } => (field, prefix, true),
        };
        let name = field.as_str();
        match field.kind() {
            Some(FieldKind::Known(spec)) => match spec.role {
                Role::User => {}
                Role::Signer if signed => {}
                Role::Signer | Role::Reserved => {
                    return Err(Error::ReservedField { name: name.into() })
                }
            },
            Some(FieldKind::Meta(suffix)) => {
                rules::check_meta_name(suffix).map_err(|reason| Error::InvalidFieldName {
                    name: name.into(),
                    reason,
                })?;
            }
            Some(FieldKind::Ignored) | None => {
                return Err(FieldName::new(name).err().unwrap_or(Error::UnknownField {
                    name: name.into(),
                    suggestion: None,
                }))
            }
        }
        Ok(rules::check_condition(
            name,
            starts_with,
            rules::ConditionValue::Known(value),
        )?)
    }

    /// The field and how it is matched, as the set rules see it.
    fn as_set_item(&self) -> rules::SetItem<'_> {
        match self {
            Condition::Eq { field, value } => rules::SetItem::Field(
                field.as_str(),
                rules::Match {
                    starts_with: false,
                    value: Some(value),
                },
            ),
            Condition::StartsWith { field, prefix } => rules::SetItem::Field(
                field.as_str(),
                rules::Match {
                    starts_with: true,
                    value: Some(prefix),
                },
            ),
            Condition::ContentLengthRange { .. } => rules::SetItem::Range,
        }
    }
}

impl fmt::Display for Condition {
    /// The condition as S3's JSON array or object, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |v: &str| serde_json::to_string(v).map_err(|_| fmt::Error);
        match self {
            Condition::Eq { field, value } => {
                write!(f, "{{{}: {}}}", s(field.as_str())?, s(value)?)
            }
            Condition::StartsWith { field, prefix } => write!(
                f,
                "[\"starts-with\", {}, {}]",
                s(&format!("${field}"))?,
                s(prefix)?
            ),
            Condition::ContentLengthRange { min, max } => {
                write!(f, "[\"content-length-range\", {min}, {max}]")
            }
        }
    }
}

/// Checks a list of conditions as a whole: each one alone, then as a set
/// ([`rules::check_set`]: a field twice, two size ranges, both redirects,
/// checksum conditions no form meets). Returns every problem, each once:
/// the report stays as long as the policy, not its square.
pub(crate) fn check_all(conditions: &[Condition], signed: bool) -> Vec<Error> {
    let mut reported = std::collections::HashSet::new();
    let alone = conditions.iter().filter_map(|c| c.check_with(signed).err());
    let items: Vec<_> = conditions.iter().map(Condition::as_set_item).collect();
    let together = rules::check_set(&items)
        .into_iter()
        .map(|(_, rule)| Error::Rule(rule));
    alone
        .chain(together)
        .filter(|e| reported.insert(e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleError;

    fn f(n: &str) -> FieldName {
        FieldName::new(n).unwrap()
    }

    #[test]
    fn names_are_canonical() {
        assert_eq!(f("BUCKET"), f("bucket"));
        assert_eq!(f("x-amz-meta-A"), f("X-AMZ-META-a"));
        assert!(matches!(
            FieldName::new("x-amz-signature"),
            Err(Error::ReservedField { .. })
        ));
        assert!(matches!(
            FieldName::new("x-amz-date"),
            Err(Error::ReservedField { .. })
        ));
        assert!(matches!(
            FieldName::new("file"),
            Err(Error::ReservedField { .. })
        ));
        assert!(matches!(
            FieldName::new("x-ignore-me"),
            Err(Error::InvalidFieldName { .. })
        ));
        assert!(matches!(
            FieldName::new("x-amz-meta-"),
            Err(Error::InvalidFieldName { .. })
        ));
        match FieldName::new("Content-Typ") {
            Err(Error::UnknownField { suggestion, .. }) => {
                assert_eq!(suggestion, Some("Content-Type"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_rule_rejects() {
        let cases = [
            Condition::starts_with(f("bucket"), "a"),
            Condition::starts_with(f("success_action_status"), "2"),
            Condition::starts_with(f("x-amz-storage-class"), "S"),
            Condition::eq(f("acl"), "public"),
            Condition::eq(f("success_action_status"), "202"),
            Condition::eq(f("bucket"), "Bad_Bucket"),
            Condition::eq(f("redirect"), "/local"),
            Condition::eq(f("key"), "user/${filename}"),
            Condition::eq(f("key"), ""),
            Condition::eq(f("x-amz-object-lock-legal-hold"), "on"),
            Condition::ContentLengthRange { min: 2, max: 1 },
            Condition::ContentLengthRange {
                min: 0,
                max: rules::MAX_UPLOAD_SIZE + 1,
            },
        ];
        for c in cases {
            assert!(c.check().is_err(), "{c}");
        }
    }

    #[test]
    fn metadata_allows_starts_with() {
        assert!(Condition::starts_with(f("x-amz-meta-tag"), "")
            .check()
            .is_ok());
        assert!(Condition::eq(f("x-amz-meta-tag"), "$ \" \\ ü")
            .check()
            .is_ok());
    }

    #[test]
    fn pairs() {
        let key = || f("key");
        let dup = check_all(
            &[
                Condition::starts_with(key(), "a/"),
                Condition::eq(key(), "a/x"),
            ],
            false,
        );
        assert!(matches!(
            dup[..],
            [Error::Rule(RuleError::DuplicateCondition { .. })]
        ));
        let contra = check_all(
            &[
                Condition::eq(key(), "a/x"),
                Condition::starts_with(key(), "b/"),
            ],
            false,
        );
        assert!(matches!(
            contra[..],
            [Error::Rule(RuleError::ContradictoryConditions { .. })]
        ));
        let contra = check_all(
            &[
                Condition::starts_with(key(), "a/"),
                Condition::starts_with(key(), "b/"),
            ],
            false,
        );
        assert!(matches!(
            contra[..],
            [Error::Rule(RuleError::ContradictoryConditions { .. })]
        ));
        let both = check_all(
            &[
                Condition::eq(f("redirect"), "https://a.example/"),
                Condition::eq(f("success_action_redirect"), "https://a.example/"),
            ],
            false,
        );
        assert_eq!(both.len(), 1);
        let ranges = check_all(
            &[
                Condition::ContentLengthRange { min: 0, max: 1 },
                Condition::ContentLengthRange { min: 0, max: 1 },
            ],
            false,
        );
        assert!(matches!(
            ranges[..],
            [Error::Rule(RuleError::SecondSizeRange)]
        ));
    }

    #[test]
    fn checksum_conditions_a_form_could_meet() {
        let algorithm = || Condition::eq(f("x-amz-checksum-algorithm"), "SHA256");
        let sha = || {
            Condition::eq(
                f("x-amz-checksum-sha256"),
                "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
            )
        };
        let crc = || Condition::eq(f("x-amz-checksum-crc32"), "y/Q5Jg==");
        assert_eq!(check_all(&[algorithm(), sha()], false), []);
        for unmeetable in [
            vec![algorithm()],
            vec![sha(), crc()],
            vec![algorithm(), crc()],
        ] {
            let errors = check_all(&unmeetable, false);
            assert!(
                matches!(errors[..], [Error::Rule(RuleError::Unsatisfiable(_))]),
                "{unmeetable:?}: {errors:?}"
            );
        }
    }

    #[test]
    fn sse_c_conditions_a_form_could_meet() {
        let algorithm = || {
            Condition::eq(
                f("x-amz-server-side-encryption-customer-algorithm"),
                "AES256",
            )
        };
        let key = || {
            Condition::eq(
                f("x-amz-server-side-encryption-customer-key"),
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            )
        };
        let md5 = |v: &str| Condition::eq(f("x-amz-server-side-encryption-customer-key-MD5"), v);
        let right = "hRasmdxgYDKV3nvbahU1MA==";
        assert_eq!(check_all(&[algorithm(), key(), md5(right)], false), []);
        for unmeetable in [
            vec![algorithm()],
            vec![key(), md5(right)],
            vec![algorithm(), key()],
            // The MD5 of the key's base64 text.
            vec![algorithm(), key(), md5("t52DDCIm7WL8PC2PMFZOiw==")],
        ] {
            let errors = check_all(&unmeetable, false);
            assert!(
                matches!(errors[..], [Error::Rule(RuleError::UnsatisfiableSseC(_))]),
                "{unmeetable:?}: {errors:?}"
            );
        }
    }

    #[test]
    fn signer_fields_only_in_signed_documents() {
        let c = Condition::eq(FieldName::lenient("x-amz-date"), "20151229T000000Z");
        assert!(c.check_with(true).is_ok());
        assert!(matches!(c.check(), Err(Error::ReservedField { .. })));
    }
}
