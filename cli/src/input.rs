//! Reading a policy or a signed form from an argument, a file or stdin.

use std::io::Read;

use policy_runtime::time::format_description::well_known::Rfc3339;
use policy_runtime::time::{OffsetDateTime, UtcOffset};
use policy_runtime::verify::MAX_FORM_BYTES;
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

/// The most text read from a file or stdin: a signed form's JSON is well
/// under this (S3 takes at most 20 KiB of form fields before the file,
/// [`MAX_FORM_BYTES`]); anything longer is refused before it is parsed.
pub const MAX_INPUT_BYTES: u64 = 256 * 1024;

/// Reads `arg`: `-` is stdin, an existing path is read, anything else is
/// the text itself; at most [`MAX_INPUT_BYTES`].
pub fn text(arg: &str) -> Result<String, Failure> {
    let (what, reader): (String, Box<dyn Read>) = if arg == "-" {
        ("stdin".into(), Box::new(std::io::stdin()))
    } else if std::path::Path::new(arg).is_file() {
        let file = std::fs::File::open(arg)
            .map_err(|e| Failure::Input(format!("cannot read {arg}: {e}")))?;
        (arg.to_string(), Box::new(file))
    } else {
        return Ok(arg.to_string());
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Input(format!("cannot read {what}: {e}")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Failure::Input(format!(
            "{what} holds more than {MAX_INPUT_BYTES} bytes; a policy or signed form is far \
             smaller (S3 takes at most {MAX_FORM_BYTES} bytes of form fields before the file)"
        )));
    }
    String::from_utf8(bytes).map_err(|_| Failure::Input(format!("{what} is not UTF-8 text")))
}

/// Refuses a policy S3 could never receive: its `policy` field (base64)
/// alone would pass the [`MAX_FORM_BYTES`] S3 reads before the file.
fn check_policy_size(base64_len: usize) -> Result<(), Failure> {
    if base64_len as u64 > MAX_FORM_BYTES {
        return Err(Failure::Input(format!(
            "the policy is {base64_len} bytes in base64; S3 takes at most {MAX_FORM_BYTES} bytes \
             of form fields before the file (MaxPostPreDataLengthExceeded), so no upload could \
             carry it: remove repeated or unneeded conditions"
        )));
    }
    Ok(())
}

/// The length of `len` bytes in standard base64.
fn base64_len(len: usize) -> usize {
    len.div_ceil(3).saturating_mul(4)
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
        check_policy_size(trimmed.len())?;
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
        check_policy_size(base64_len(trimmed.len()))?;
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
    check_policy_size(policy.len())?;
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
        Some(s) => {
            let at = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
                Failure::Usage(format!(
                    "`--now {s}` is not an RFC 3339 time such as 2030-01-01T12:00:00Z"
                ))
            })?;
            // The same instant in UTC, which S3's dates are written in; near
            // the ends of the range an offset moves it outside years 0-9999.
            at.checked_to_offset(UtcOffset::UTC)
                .filter(|utc| (0..=9999).contains(&utc.year()))
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "`--now {s}` is out of range: in UTC it falls outside years 0000 to 9999; \
                         give a UTC time such as 2030-01-01T12:00:00Z"
                    ))
                })
        }
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
