//! S3's rules, applied to the parsed declaration. Every mistake is collected
//! with the span of the tokens at fault; nothing here emits code.

use proc_macro2::Span;
use quote::ToTokens;
use syn::Ident;

use policy_rules::{
    self as rules, ConditionValue, FieldKind, Role, RuleError, ValueRule, FILENAME_PLACEHOLDER,
};

use crate::parse::{Cond, Dots, Entry, ExtensionCall, FieldRef, Form, Input, Op, Value};
use crate::template::{self, Template};

/// Seconds a policy is valid when the declaration does not say: one hour,
/// as boto3's `generate_presigned_post`.
const DEFAULT_EXPIRES_IN: i64 = rules::DEFAULT_LIFETIME_SECS;

/// The declaration, checked: what `expand.rs` needs and nothing else.
pub struct Checked<'a> {
    /// Conditions and extension calls, in the order written.
    pub items: Vec<Item<'a>>,
    /// The struct's fields: one per placeholder, in order of first use.
    pub fields: Vec<Field<'a>>,
    pub expires_in: i64,
    pub content_length: Option<(u64, u64)>,
    /// Canonical (lower-case) names of the fields the declaration itself
    /// constrains, with where; extensions must not constrain them too.
    pub own_fields: Vec<(String, Span)>,
    /// `bucket` / `key` when no condition of the declaration sets them: an
    /// extension must.
    pub from_extensions: Vec<&'static str>,
}

pub enum Item<'a> {
    Cond {
        /// Canonical spelling, as in the policy JSON.
        field: String,
        starts_with: bool,
        value: Template,
        span: Span,
    },
    Range {
        min: u64,
        max: u64,
    },
    Extension(&'a ExtensionCall),
}

pub struct Field<'a> {
    pub name: Ident,
    pub ty: Option<&'a syn::Type>,
}

/// A condition (or, without a field, the size range) as S3's rules over the
/// whole set see it, with the tokens to point at.
struct SetEntry {
    field: Option<String>,
    starts_with: bool,
    fixed: Option<String>,
    span: Span,
}

/// Gathers errors; each points at its own tokens.
#[derive(Default)]
struct Errors(Vec<syn::Error>);

impl Errors {
    fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.0.push(syn::Error::new(span, message));
    }

    fn finish(self) -> Option<syn::Error> {
        self.0.into_iter().reduce(|mut all, e| {
            all.combine(e);
            all
        })
    }
}

/// A field as resolved from its name.
struct Resolved {
    canonical: String,
    rule: ValueRule,
}

/// Checks `input`; on error still returns what was understood, so the
/// struct can be emitted and the user sees only the real mistakes.
pub fn check(input: &Input) -> (Checked<'_>, Option<syn::Error>) {
    let mut errors = Errors::default();
    let item_form = matches!(input.form, Form::Item { .. });
    let mut checked = Checked {
        items: Vec::new(),
        fields: Vec::new(),
        expires_in: DEFAULT_EXPIRES_IN,
        content_length: None,
        own_fields: Vec::new(),
        from_extensions: Vec::new(),
    };
    // The conditions for S3's rules over the whole set, each with where to
    // point: (canonical field or `None` for the size range, starts_with,
    // fixed value, span).
    let mut set: Vec<SetEntry> = Vec::new();
    let mut declared: Vec<(&Ident, &syn::Type, bool)> = Vec::new();
    let mut used: Vec<(String, Span)> = Vec::new();
    let mut range_seen = false;
    let mut expires_seen = false;
    let mut has_extension = false;

    for entry in &input.entries {
        match entry {
            Entry::Cond(cond) => {
                if let Some(item) = check_cond(cond, item_form, &mut set, &mut used, &mut errors) {
                    if let Item::Cond { field, span, .. } = &item {
                        checked.own_fields.push((field.to_ascii_lowercase(), *span));
                    }
                    checked.items.push(item);
                }
            }
            Entry::Range(range) => {
                set.push(SetEntry {
                    field: None,
                    starts_with: false,
                    fixed: None,
                    span: range.kw.span(),
                });
                if std::mem::replace(&mut range_seen, true) {
                    continue;
                }
                if let Some((min, max)) = check_range(range, &mut errors) {
                    checked.content_length = Some((min, max));
                    checked.items.push(Item::Range { min, max });
                }
            }
            Entry::Expires(expires) => {
                if std::mem::replace(&mut expires_seen, true) {
                    errors.at(expires.kw.span(), "duplicate `expires_in`: keep one");
                    continue;
                }
                if let Some(secs) = check_expires(expires, &mut errors) {
                    checked.expires_in = secs;
                }
            }
            Entry::Declare(declare) => {
                if !item_form {
                    errors.at(
                        declare.name.span(),
                        "placeholder types are declared in the item form: `post_policy! { struct Name { id: u64, key starts_with \"u/{id}/\" } }`",
                    );
                } else if declared.iter().any(|(n, ..)| **n == declare.name) {
                    errors.at(
                        declare.name.span(),
                        format!("`{}` is declared twice; keep one", declare.name),
                    );
                } else {
                    declared.push((&declare.name, &declare.ty, false));
                }
            }
            Entry::Extension(call) => {
                has_extension = true;
                checked.items.push(Item::Extension(call));
            }
        }
    }

    let items: Vec<rules::SetItem<'_>> = set
        .iter()
        .map(|e| match &e.field {
            Some(field) => rules::SetItem::Field(
                field,
                rules::Match {
                    starts_with: e.starts_with,
                    value: e.fixed.as_deref(),
                },
            ),
            None => rules::SetItem::Range,
        })
        .collect();
    for (at, rule) in rules::check_set(&items) {
        errors.at(set[at].span, rule);
    }

    let whole = match &input.form {
        Form::Expr { span } => *span,
        Form::Item { name, .. } => name.span(),
    };
    for required in rules::REQUIRED_CONDITIONS {
        let field = required.field;
        if !set.iter().any(|e| {
            e.field
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case(field))
        }) {
            if has_extension {
                checked.from_extensions.push(field);
            } else {
                let example = match field {
                    "bucket" => "bucket = \"my-uploads\"",
                    _ => "key starts_with \"uploads/\"",
                };
                errors.at(
                    whole,
                    format!("{}; add one, such as `{example}`", required.message()),
                );
            }
        }
    }

    for (name, span) in used {
        let declared_ty = declared.iter_mut().find(|(n, ..)| **n == name);
        let ty = match declared_ty {
            Some((_, ty, used)) => {
                *used = true;
                Some(*ty)
            }
            None => None,
        };
        if !checked.fields.iter().any(|f| f.name == name) {
            checked.fields.push(Field {
                name: Ident::new(&name, span),
                ty,
            });
        }
    }
    for (name, _, used) in &declared {
        if !used {
            errors.at(
                name.span(),
                format!(
                    "`{name}` is declared but no condition uses `{{{name}}}`; use it or remove it"
                ),
            );
        }
    }

    (checked, errors.finish())
}

fn check_cond(
    cond: &Cond,
    item_form: bool,
    set: &mut Vec<SetEntry>,
    used: &mut Vec<(String, Span)>,
    errors: &mut Errors,
) -> Option<Item<'static>> {
    let field_span = cond.field.span();
    let resolved = resolve_field(&cond.field, errors);
    let starts_with = matches!(cond.op, Op::StartsWith(_));
    let value = match &cond.value {
        Value::Str(lit) => template::parse(&lit.value()).map_err(|m| errors.at(lit.span(), m)),
        Value::Int(lit) => {
            if lit.suffix().is_empty() {
                Ok(Template::text(lit.base10_digits().to_owned()))
            } else {
                errors.at(lit.span(), "write the number without a type suffix");
                Err(())
            }
        }
        Value::Bool(lit) => Ok(Template::text(lit.value.to_string())),
        Value::Placeholder(ident) => {
            let name = ident.to_string();
            template::check_name(&name)
                .map(|()| Template {
                    parts: vec![template::Part::Placeholder { name, path: false }],
                })
                .map_err(|m| errors.at(ident.span(), m))
        }
    };
    let resolved = resolved?;
    let name = &resolved.canonical;
    let Ok(value) = value else {
        // Counted as present, so its absence is not reported as well.
        set.push(SetEntry {
            field: Some(name.clone()),
            starts_with,
            fixed: None,
            span: field_span,
        });
        return None;
    };
    let value_span = cond.value.span();

    let has_placeholders = value.placeholders().next().is_some();
    if has_placeholders {
        if !item_form {
            errors.at(
                value_span,
                "placeholders need the item form, whose struct fields hold their values: \
                 `post_policy! { pub struct Upload { key starts_with \"user/{user_id}/\", ... } }`",
            );
        } else if matches!(resolved.rule, ValueRule::OneOf(_) | ValueRule::Timestamp) {
            errors.at(
                value_span,
                format!("`{name}` takes one of a fixed set of values that S3 checks; a placeholder cannot be checked at compile time: write the value"),
            );
        } else {
            for (ph, path) in value.placeholders() {
                if path && resolved.rule == ValueRule::Bucket {
                    errors.at(value_span, "a bucket name has no `/`: remove `:path`");
                }
                used.push((ph.to_owned(), value_span));
            }
        }
    }

    let fixed = value.fixed();
    let checked = match &fixed {
        Some(v) => ConditionValue::Known(v),
        None => ConditionValue::Partial {
            leading: value.leading_text(),
            has_filename: value
                .parts
                .iter()
                .any(|p| matches!(p, template::Part::Text(t) if t.contains(FILENAME_PLACEHOLDER))),
        },
    };
    if let Err(rule) = rules::check_condition(name, starts_with, checked) {
        let span = match (&rule, &cond.op) {
            (RuleError::StartsWithNotAllowed { .. }, Op::StartsWith(ident)) => ident.span(),
            _ => value_span,
        };
        errors.at(span, rule);
    }
    set.push(SetEntry {
        field: Some(name.clone()),
        starts_with,
        fixed,
        span: field_span,
    });

    Some(Item::Cond {
        field: resolved.canonical,
        starts_with,
        value,
        span: field_span,
    })
}

fn resolve_field(field: &FieldRef, errors: &mut Errors) -> Option<Resolved> {
    match field {
        FieldRef::Meta { kw, name } => {
            if kw != "meta" {
                errors.at(
                    kw.span(),
                    format!("unknown field `{kw}(...)`; user metadata is written `meta(\"name\")`"),
                );
                return None;
            }
            let value = name.value();
            if let Err(reason) = rules::check_meta_name(&value) {
                errors.at(name.span(), reason);
                return None;
            }
            Some(Resolved {
                canonical: format!("{}{}", rules::META_PREFIX, value.to_ascii_lowercase()),
                rule: ValueRule::Any,
            })
        }
        FieldRef::Named(ident) => {
            let name = ident.to_string();
            if let Some(spec) = rules::by_ident(&name) {
                return match spec.role {
                    Role::User => Some(Resolved {
                        canonical: spec.name.to_owned(),
                        rule: spec.value,
                    }),
                    Role::Signer => {
                        errors.at(
                            ident.span(),
                            format!("`{name}` (`{}`) is added by the signer from its credentials and clock; remove this condition", spec.name),
                        );
                        None
                    }
                    Role::Reserved => {
                        let also = if spec.name == name {
                            String::new()
                        } else {
                            format!(" (`{}`)", spec.name)
                        };
                        errors.at(
                            ident.span(),
                            format!("`{name}`{also} is not a policy condition: the signer writes `policy` and `x-amz-signature`, and `file` is the upload itself; remove it"),
                        );
                        None
                    }
                };
            }
            errors.at(ident.span(), unknown_field_message(&name));
            None
        }
    }
}

fn unknown_field_message(name: &str) -> String {
    let dashed = name.replace('_', "-");
    if let Some(rest) = name.strip_prefix("x_amz_meta_") {
        return format!(
            "metadata is written `meta(\"{}\") = ...`, not `{name}`",
            rest.replace('_', "-")
        );
    }
    match rules::lookup(&dashed) {
        Some(FieldKind::Ignored) => {
            return format!(
                "`{name}`: S3 ignores `x-ignore-*` fields, so they need no condition; remove it"
            )
        }
        Some(FieldKind::Known(spec)) if spec.role == Role::User => {
            return format!("unknown field `{name}`; did you mean `{}`?", spec.ident)
        }
        Some(FieldKind::Known(spec)) => {
            return format!(
                "`{name}` (`{}`) is set by the signer or the form itself; remove this condition",
                spec.name
            )
        }
        _ => {}
    }
    let suggestion = rules::suggest(name)
        .and_then(|canonical| rules::FIELDS.iter().find(|s| s.name == canonical))
        .map(|spec| spec.ident);
    match suggestion {
        Some(ident) => format!("unknown field `{name}`; did you mean `{ident}`?"),
        None => format!(
            "unknown field `{name}`; the fields are {}, and `meta(\"name\")` for metadata",
            user_idents()
        ),
    }
}

fn user_idents() -> String {
    let idents: Vec<String> = rules::FIELDS
        .iter()
        .filter(|s| s.role == Role::User)
        .take(12)
        .map(|s| format!("`{}`", s.ident))
        .collect();
    format!("{}, ...", idents.join(", "))
}

fn check_range(range: &crate::parse::RangeEntry, errors: &mut Errors) -> Option<(u64, u64)> {
    let int = |lit: &syn::LitInt, errors: &mut Errors| match lit.base10_parse::<u64>() {
        Ok(n) if lit.suffix().is_empty() => Some(n),
        Ok(_) => {
            errors.at(lit.span(), "write the size in bytes without a type suffix");
            None
        }
        Err(_) => {
            errors.at(lit.span(), "a size in bytes must fit in 64 bits");
            None
        }
    };
    let min = match &range.min {
        Some(lit) => int(lit, errors)?,
        None => 0,
    };
    let Some(max_lit) = &range.max else {
        let dots = match &range.dots {
            Dots::Inclusive(d) => d.spans[0],
            Dots::Exclusive(d) => d.spans[0],
        };
        errors.at(
            dots,
            format!("the size range needs an upper bound: write `{min}..=1_000_000` (S3's largest POST upload is 5 GiB)"),
        );
        return None;
    };
    let written = int(max_lit, errors)?;
    let max = match range.dots {
        Dots::Inclusive(_) => written,
        Dots::Exclusive(_) if written <= min => {
            let start = range
                .min
                .as_ref()
                .map(|_| min.to_string())
                .unwrap_or_default();
            errors.0.push(syn::Error::new_spanned(
                range_tokens(range, max_lit),
                format!(
                    "the range `{start}..{written}` is empty: `..` leaves out its end, so no \
                     file could be uploaded; write `{start}..={written}` to allow {written} bytes"
                ),
            ));
            return None;
        }
        Dots::Exclusive(_) => written - 1,
    };
    if let Err(rule) = rules::check_range(min, max) {
        // An empty range is the whole range's fault; one too large, its
        // maximum's.
        let tokens = if min <= max {
            max_lit.to_token_stream()
        } else {
            range_tokens(range, max_lit)
        };
        errors.0.push(syn::Error::new_spanned(tokens, rule));
        return None;
    }
    Some((min, max))
}

/// The tokens of `min..max` / `min..=max`, for an error under all of it.
fn range_tokens(range: &crate::parse::RangeEntry, max: &syn::LitInt) -> proc_macro2::TokenStream {
    let mut tokens = range.min.to_token_stream();
    match &range.dots {
        Dots::Inclusive(d) => d.to_tokens(&mut tokens),
        Dots::Exclusive(d) => d.to_tokens(&mut tokens),
    }
    max.to_tokens(&mut tokens);
    tokens
}

fn check_expires(expires: &crate::parse::ExpiresEntry, errors: &mut Errors) -> Option<i64> {
    let amount = match expires.amount.base10_parse::<i64>() {
        Ok(n) if n > 0 && expires.amount.suffix().is_empty() => n,
        _ => {
            errors.at(
                expires.amount.span(),
                "the lifetime is a positive whole number followed by a unit, such as `expires_in = 10 min`",
            );
            return None;
        }
    };
    let unit = expires.unit.to_string();
    let scale = match unit.as_str() {
        "s" | "sec" | "secs" | "seconds" | "second" => 1,
        "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => {
            errors.at(
                expires.unit.span(),
                format!("unknown unit `{unit}`; write `s`, `min`, `h` or `d`"),
            );
            return None;
        }
    };
    let secs = amount.saturating_mul(scale);
    match rules::check_lifetime(secs) {
        Ok(()) => Some(secs),
        Err(reason) => {
            errors.at(expires.amount.span(), format!("`expires_in`: {reason}"));
            None
        }
    }
}
