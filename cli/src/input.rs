//! Reading a policy or a signed form from an argument, a file or stdin.

use std::io::Read;

use policy_runtime::time::format_description::well_known::Rfc3339;
use policy_runtime::time::OffsetDateTime;
use policy_runtime::PolicyDocument;
use serde_json::Value;

use crate::Failure;

/// What the user gave: a policy, possibly inside a signed form.
pub struct Input {
    /// The decoded document.
    pub document: PolicyDocument,
    /// The `policy` field exactly as sent, when the input had one (base64 or
    /// a signed form).
    pub policy_field: Option<String>,
    /// The form's URL and fields, for a signed form.
    pub form: Option<(String, Vec<(String, String)>)>,
}

/// Reads `arg`: `-` is stdin, an existing path is read, anything else is
/// the text itself.
pub fn text(arg: &str) -> Result<String, Failure> {
    if arg == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::Input(format!("cannot read stdin: {e}")))?;
        return Ok(s);
    }
    let path = std::path::Path::new(arg);
    if path.is_file() {
        return std::fs::read_to_string(path)
            .map_err(|e| Failure::Input(format!("cannot read {arg}: {e}")));
    }
    Ok(arg.to_string())
}

/// A policy in any of the shapes: base64 (the `policy` field), S3's policy
/// JSON, or a signed form `{"url": ..., "fields": {...}}`.
pub fn policy(arg: &str) -> Result<Input, Failure> {
    let text = text(arg)?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Failure::Input(
            "the policy is empty; give base64, policy JSON, a signed form JSON, a file, or - for stdin".into(),
        ));
    }
    if !trimmed.starts_with('{') {
        let document = PolicyDocument::from_base64(trimmed)
            .map_err(|e| Failure::Input(format!("cannot decode the policy: {e}")))?;
        return Ok(Input {
            document,
            policy_field: Some(trimmed.to_string()),
            form: None,
        });
    }
    let value: Value = serde_json::from_str(trimmed)
        .map_err(|e| Failure::Input(format!("the input is not valid JSON: {e}")))?;
    let Some(fields) = value.get("fields") else {
        let document = PolicyDocument::from_json(trimmed)
            .map_err(|e| Failure::Input(format!("cannot read the policy: {e}")))?;
        return Ok(Input {
            document,
            policy_field: None,
            form: None,
        });
    };
    let url = value
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::Input("the signed form has no string `url`".into()))?;
    let fields = fields
        .as_object()
        .ok_or_else(|| Failure::Input("`fields` of the signed form is not an object".into()))?
        .iter()
        .map(|(n, v)| match v.as_str() {
            Some(s) => Ok((n.clone(), s.to_string())),
            None => Err(Failure::Input(format!("form field `{n}` is not a string"))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let policy = fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("policy"))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| Failure::Input("the signed form has no `policy` field".into()))?;
    let document = PolicyDocument::from_base64(&policy)
        .map_err(|e| Failure::Input(format!("cannot decode the form's policy: {e}")))?;
    Ok(Input {
        document,
        policy_field: Some(policy),
        form: Some((url.to_string(), fields)),
    })
}

/// `--now`, or the system clock.
pub fn now(arg: Option<&str>) -> Result<OffsetDateTime, Failure> {
    match arg {
        None => Ok(OffsetDateTime::now_utc()),
        Some(s) => OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
            Failure::Usage(format!(
                "`--now {s}` is not an RFC 3339 time such as 2030-01-01T12:00:00Z"
            ))
        }),
    }
}

/// The bucket a form's URL posts to: the first path segment (path-style) or
/// the first label of the host (virtual-hosted).
pub fn bucket_of_url(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let first = path.split('/').next().unwrap_or("");
    if !first.is_empty() {
        return Some(first.to_string());
    }
    host.split_once('.').map(|(b, _)| b.to_string())
}
