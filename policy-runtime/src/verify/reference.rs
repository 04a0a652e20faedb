//! The verifier as it was before it parsed the policy into borrowed data
//! and matched names without allocating: kept, for tests only, as the
//! oracle the differential test compares the verifier with.

use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{check_scope, Accepted, CredentialStore, Rejection};
use crate::sigv4::SigningKey;
use crate::{PolicyDocument, Region};

pub(super) use document::from_base64;

/// The old `Verifier::verify_at`, deriving the key every time.
pub(super) fn verify_at<S: CredentialStore>(
    store: &S,
    region: &Region,
    form: &super::Submission,
    now: OffsetDateTime,
) -> Result<Accepted, Rejection> {
    let now = crate::utc::in_utc_if_possible(now);
    let prepared = prepare::prepare(form)?;
    for field in [
        "policy",
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-signature",
    ] {
        if prepared.raw(field).is_none() {
            return Err(Rejection::MissingField { field });
        }
    }
    let scope = check_scope(form)?;
    if scope.region != region.as_str() {
        return Err(Rejection::MalformedCredential {
            value: prepared.raw("x-amz-credential").unwrap_or_default().into(),
            reason: format!(
                "its region `{}` is not the bucket's region `{}`",
                scope.region, region
            ),
        });
    }
    let credentials =
        store
            .credentials(&scope.access_key_id)
            .ok_or_else(|| Rejection::UnknownAccessKey {
                access_key_id: scope.access_key_id.clone(),
            })?;
    check_token(
        credentials.session_token(),
        prepared.raw("x-amz-security-token"),
    )?;
    let policy = prepared.raw("policy").unwrap_or_default();
    let signature = prepared.raw("x-amz-signature").unwrap_or_default();
    let key = SigningKey::derive(
        credentials.secret_access_key(),
        &scope.date_stamp,
        &scope.region,
        "s3",
    );
    if !key.sign(policy.as_bytes()).matches_hex(signature) {
        return Err(Rejection::SignatureMismatch {
            value: signature.into(),
        });
    }
    let doc = document::from_base64(policy).map_err(|e| Rejection::InvalidPolicy {
        reason: e.to_string(),
    })?;
    if let Some(first) = conditions::failures(&doc, &prepared, now)
        .into_iter()
        .next()
    {
        return Err(first);
    }
    let mut accepted = accepted::accept(&prepared)?;
    accepted.access_key_id = Some(scope.access_key_id);
    Ok(accepted)
}

/// The old `check_policy`.
pub(super) fn check_policy(
    policy: &PolicyDocument,
    form: &super::Submission,
    now: OffsetDateTime,
) -> Result<Accepted, Rejection> {
    let prepared = prepare::prepare(form)?;
    let now = crate::utc::in_utc_if_possible(now);
    if let Some(first) = conditions::failures(policy, &prepared, now)
        .into_iter()
        .next()
    {
        return Err(first);
    }
    accepted::accept(&prepared)
}

/// The old `policy_failures`.
pub(super) fn policy_failures(
    policy: &PolicyDocument,
    form: &super::Submission,
    now: OffsetDateTime,
) -> Vec<Rejection> {
    let prepared = match prepare::prepare(form) {
        Ok(p) => p,
        Err(e) => return vec![e],
    };
    let mut all = conditions::failures(policy, &prepared, crate::utc::in_utc_if_possible(now));
    if let Err(e) = accepted::accept(&prepared) {
        all.push(e);
    }
    all
}

fn check_token(expected: Option<&str>, sent: Option<&str>) -> Result<(), Rejection> {
    let reason = match (expected, sent) {
        (None, None) => return Ok(()),
        (Some(e), Some(s)) if bool::from(e.as_bytes().ct_eq(s.as_bytes())) => return Ok(()),
        (Some(_), Some(_)) => "it is not the session token of these credentials; sign with current temporary credentials",
        (Some(_), None) => "missing: these are temporary credentials, so the form (and the policy) must carry their session token",
        (None, Some(_)) => "sent, but these are long-term credentials without a session token; remove it",
    };
    Err(Rejection::InvalidSecurityToken { reason })
}

mod prepare {

    use std::borrow::Cow;
    use std::collections::HashMap;

    use crate::rules::FILENAME_PLACEHOLDER;
    use crate::verify::submission::{Submission, MAX_FORM_BYTES};
    use crate::verify::{Rejection, S3ErrorCode};
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
}

mod conditions {

    use std::collections::HashSet;

    use time::OffsetDateTime;

    use super::prepare::Prepared;
    use crate::rules::{self, FieldKind};
    use crate::verify::Rejection;
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
        for problem in doc
            .conditions()
            .iter()
            .filter_map(|c| c.check_with(true).err())
        {
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
        if !doc
            .conditions()
            .iter()
            .any(|c| c.field().is_some_and(|f| f.as_str() == "bucket"))
        {
            out.push(Rejection::PolicyLacksCondition { field: "bucket" });
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
}

mod accepted {
    use super::prepare::Prepared;
    use crate::rules::{self, FieldKind, Role, ValueRule};
    use crate::verify::{Accepted, Rejection, S3ErrorCode};

    /// Checks the values S3 validates when it stores the object, then lists
    /// what it stores.
    pub(crate) fn accept(form: &Prepared<'_>) -> Result<Accepted, Rejection> {
        let mut accepted = Accepted {
            bucket: form.bucket.into(),
            key: String::new(),
            content_type: None,
            metadata: Vec::new(),
            headers: Vec::new(),
            acl: None,
            redirect: None,
            success_action_status: 204,
            size: form.size,
            access_key_id: None,
            tagging: None,
            checksum: None,
        };
        let mut redirect = None;
        for field in &form.fields {
            let value = &*field.value;
            let invalid = |reason: String, code| Rejection::InvalidValue {
                field: field.name.to_string(),
                value: value.into(),
                reason,
                code,
            };
            let spec = match rules::lookup(field.name.as_str()) {
                Some(FieldKind::Meta(name)) => {
                    accepted
                        .metadata
                        .push((name.to_ascii_lowercase(), value.into()));
                    continue;
                }
                Some(FieldKind::Known(spec))
                    if matches!(spec.value, ValueRule::Digest(_))
                        || spec.name == rules::CHECKSUM_ALGORITHM_FIELD =>
                {
                    continue
                }
                Some(FieldKind::Known(spec)) if spec.role == Role::User => spec,
                _ => continue,
            };
            match spec.name {
                "key" => {
                    if value.is_empty() {
                        return Err(invalid(
                            "an object key cannot be empty".into(),
                            S3ErrorCode::InvalidArgument,
                        ));
                    }
                    if value.len() > rules::MAX_KEY_LEN {
                        return Err(invalid(
                            format!(
                                "the key is {} bytes; S3 keys are at most {} bytes",
                                value.len(),
                                rules::MAX_KEY_LEN
                            ),
                            S3ErrorCode::KeyTooLongError,
                        ));
                    }
                    accepted.key = value.into();
                }
                "bucket" => {}
                "Content-Type" => accepted.content_type = Some(value.into()),
                "acl" => {
                    spec.value
                        .check(value)
                        .map_err(|r| invalid(r, S3ErrorCode::InvalidArgument))?;
                    accepted.acl = Some(value.into());
                }
                "success_action_status" => {
                    if let Ok(status) = value.parse::<u16>() {
                        if spec.value.check(value).is_ok() {
                            accepted.success_action_status = status;
                        }
                    }
                }
                "success_action_redirect" if spec.value.check(value).is_ok() => {
                    redirect = Some(value.to_string())
                }
                "redirect" if spec.value.check(value).is_ok() => {
                    accepted.redirect = Some(value.into());
                }
                "success_action_redirect" | "redirect" => {}
                "tagging" => {
                    spec.value
                        .check(value)
                        .map_err(|r| invalid(r, S3ErrorCode::MalformedXML))?;
                    accepted.tagging = Some(value.into());
                }
                "x-amz-storage-class" => {
                    spec.value
                        .check(value)
                        .map_err(|r| invalid(r, S3ErrorCode::InvalidStorageClass))?;
                    accepted.headers.push((spec.name.into(), value.into()));
                }
                _ => {
                    if matches!(
                        spec.value,
                        ValueRule::OneOf(_) | ValueRule::Timestamp | ValueRule::RedirectLocation
                    ) {
                        spec.value
                            .check(value)
                            .map_err(|r| invalid(r, S3ErrorCode::InvalidArgument))?;
                    }
                    accepted.headers.push((spec.name.into(), value.into()));
                }
            }
        }
        if redirect.is_some() {
            accepted.redirect = redirect;
        }
        accepted.checksum =
            crate::verify::Checksum::from_fields(form.fields.iter().map(|f| (f.sent_name, f.raw)))?;
        Ok(accepted)
    }
}

mod document {
    use std::fmt;

    use base64::Engine as _;
    use serde::de::{
        self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
    };
    use serde::Deserialize;
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    use crate::document::BASE64;
    use crate::{Condition, Error, FieldName, PolicyDocument};

    pub(crate) fn from_json(json: &str) -> Result<PolicyDocument, Error> {
        let mut de = serde_json::Deserializer::from_str(json);
        let doc = Doc::deserialize(&mut de).and_then(|d| de.end().map(|()| d.0));
        doc.map_err(|e| Error::InvalidPolicyJson {
            reason: e.to_string(),
        })
    }

    pub(crate) fn from_base64(policy: &str) -> Result<PolicyDocument, Error> {
        let bytes = BASE64
            .decode(policy.trim_end_matches(['\r', '\n']))
            .map_err(|e| Error::InvalidBase64 {
                reason: e.to_string(),
            })?;
        let json = std::str::from_utf8(&bytes).map_err(|e| Error::InvalidPolicyJson {
            reason: format!("not UTF-8: {e}"),
        })?;
        from_json(json)
    }

    struct Doc(PolicyDocument);

    impl<'de> Deserialize<'de> for Doc {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_map(DocumentVisitor).map(Doc)
        }
    }
    struct DocumentVisitor;

    impl<'de> Visitor<'de> for DocumentVisitor {
        type Value = PolicyDocument;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a policy object with `expiration` and `conditions`")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PolicyDocument, A::Error> {
            let mut expiration = None;
            let mut conditions = None;
            while let Some(key) = map.next_key::<String>()? {
                match key.as_str() {
                    "expiration" if expiration.is_none() => {
                        let text: String = map.next_value()?;
                        let at = OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
                            de::Error::custom(format_args!(
                                "`expiration` must be an ISO 8601 UTC time such as \
                                 `2030-01-01T00:00:00.000Z`, not {text:?}"
                            ))
                        })?;
                        expiration = Some(at);
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
            Ok(PolicyDocument::new(expiration, conditions))
        }
    }

    /// The `conditions` array; an object with several entries yields several
    /// exact conditions, in order.
    struct ConditionsSeed;

    impl<'de> DeserializeSeed<'de> for ConditionsSeed {
        type Value = Vec<Condition>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for ConditionsSeed {
        type Value = Vec<Condition>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of conditions")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while seq.next_element_seed(ConditionSeed(&mut out))?.is_some() {}
            Ok(out)
        }
    }

    struct ConditionSeed<'a>(&'a mut Vec<Condition>);

    impl<'de> DeserializeSeed<'de> for ConditionSeed<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for ConditionSeed<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "a condition: {\"field\": \"value\"}, [\"eq\"|\"starts-with\", \"$field\", \"value\"] \
                 or [\"content-length-range\", min, max]",
            )
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let Some(name) = map.next_key::<String>()? else {
                return Err(de::Error::custom("empty condition object `{}`"));
            };
            let value: Text = map.next_value()?;
            if let Some(second) = map.next_key::<String>()? {
                return Err(de::Error::custom(format_args!(
                    "a simple condition has exactly one property, this one has `{name}` and \
                     `{second}`: write {{\"{name}\": ...}}, {{\"{second}\": ...}} as two conditions"
                )));
            }
            self.0
                .push(Condition::eq(FieldName::lenient(&name), value.0));
            Ok(())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let op: String = seq
                .next_element()?
                .ok_or_else(|| de::Error::custom("empty condition array `[]`"))?;
            let condition = match op.to_ascii_lowercase().as_str() {
                "content-length-range" => {
                    let min = seq.next_element::<Size>()?.ok_or_else(|| short(&op))?.0;
                    let max = seq.next_element::<Size>()?.ok_or_else(|| short(&op))?.0;
                    Condition::ContentLengthRange { min, max }
                }
                kind @ ("eq" | "starts-with") => {
                    let name: String = seq.next_element()?.ok_or_else(|| short(&op))?;
                    let Some(field) = name.strip_prefix('$') else {
                        return Err(de::Error::custom(format_args!(
                            "the field of `{op}` is written with a `$`: \"${name}\""
                        )));
                    };
                    let field = FieldName::lenient(field);
                    let value = seq.next_element::<Text>()?.ok_or_else(|| short(&op))?.0;
                    if kind == "eq" {
                        Condition::eq(field, value)
                    } else {
                        Condition::starts_with(field, value)
                    }
                }
                _ => return Err(unknown_op(&op)),
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

    /// A condition value: a JSON string, nothing else.
    struct Text(String);

    impl<'de> Deserialize<'de> for Text {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Text;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a string value (S3 compares strings; write numbers as \"201\")")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                    Ok(Text(v.to_owned()))
                }
                fn visit_string<E: de::Error>(self, v: String) -> Result<Text, E> {
                    Ok(Text(v))
                }
            }
            d.deserialize_string(V)
        }
    }

    /// A size in bytes: a non-negative JSON integer.
    struct Size(u64);

    impl<'de> Deserialize<'de> for Size {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl Visitor<'_> for V {
                type Value = Size;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a whole, non-negative number of bytes")
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size, E> {
                    Ok(Size(v))
                }
                // S3 reads a bound written as a string of digits too.
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                    match v.parse() {
                        Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => Ok(Size(n)),
                        _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                    }
                }
            }
            d.deserialize_any(V)
        }
    }
}
