//! `check`: would S3 accept this upload?

use policy_runtime::verify::{
    check_scope, policy_failures, Accepted, Rejection, Submission, Verifier,
};
use policy_runtime::{Condition, Credentials, Region};

use crate::args::{all, last, Args};
use crate::{input, Failure, Verdict};

pub fn run(args: Args) -> Result<Verdict, Failure> {
    let (positionals, options) = args.parse(
        &[
            "policy",
            "form",
            "field",
            "after-file",
            "file-name",
            "size",
            "bucket",
            "now",
            "secret",
            "session-token",
            "region",
        ],
        &[],
    )?;
    if let Some(extra) = positionals.first() {
        return Err(Failure::Usage(format!(
            "`check` takes no positional argument (`{extra}`); use --policy or --form"
        )));
    }
    let source = match (last(&options, "policy"), last(&options, "form")) {
        (Some(p), None) => p,
        (None, Some(f)) => f,
        _ => {
            return Err(Failure::Usage(
                "`check` needs exactly one of --policy or --form".into(),
            ))
        }
    };
    let size: u64 = match last(&options, "size") {
        Some(s) => s
            .parse()
            .map_err(|_| Failure::Usage(format!("`--size {s}` is not a whole number of bytes")))?,
        None => {
            return Err(Failure::Usage(
                "`check` needs --size BYTES, the file's size".into(),
            ))
        }
    };
    let now = input::now(last(&options, "now"))?;
    let input = input::policy(source)?;
    if last(&options, "form").is_some() && input.form.is_none() {
        return Err(Failure::Input(
            "--form needs a signed form {\"url\", \"fields\"}; for a bare policy use --policy"
                .into(),
        ));
    }

    let mut fields: Vec<(String, String)> = match &input.form {
        Some((_, fields)) => fields.clone(),
        None => Vec::new(),
    };
    // A base64 policy given with --policy is the form's `policy` field.
    if let Some(policy) = &input.policy_field {
        if !fields.iter().any(|(n, _)| n.eq_ignore_ascii_case("policy")) {
            fields.push(("policy".into(), policy.clone()));
        }
    }
    for spec in all(&options, "field") {
        let (name, value) = name_value(spec)?;
        match fields
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(field) => field.1 = value.to_string(),
            None => fields.push((name.to_string(), value.to_string())),
        }
    }
    let bucket = last(&options, "bucket")
        .map(str::to_string)
        .or_else(|| {
            input
                .form
                .as_ref()
                .and_then(|(url, _)| input::bucket_of_url(url))
        })
        .or_else(|| exact(input.document.conditions(), "bucket"))
        .unwrap_or_default();
    let file_name = last(&options, "file-name").unwrap_or("upload.bin");

    let mut form = Submission::new(bucket);
    // A form posted to an http:// URL travels in the clear, where S3
    // refuses SSE-C.
    let over_http = input.form.as_ref().is_some_and(|(url, _)| {
        url.split_once("://")
            .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("http"))
    });
    if over_http {
        form = form.plain_http();
    }
    for (n, v) in &fields {
        form.push_field(n, v);
    }
    form = form.file(file_name, size);
    for spec in all(&options, "after-file") {
        let (name, value) = name_value(spec)?;
        form.push_field(name, value);
    }

    let mut failures: Vec<Rejection> = Vec::new();
    let signed = match last(&options, "secret") {
        Some(secret) => {
            let verdict = verify(&form, secret, &options, now)?;
            match verdict {
                Ok(accepted) => Some(accepted),
                Err(r) => {
                    failures.push(r);
                    None
                }
            }
        }
        None => {
            if policy_runtime::rules::SIGNED_CONDITIONS
                .iter()
                .any(|r| form.get(r.field).is_some())
            {
                if let Err(r) = check_scope(&form) {
                    failures.push(r);
                }
            }
            None
        }
    };
    for r in policy_failures(&input.document, &form, now) {
        if !failures.contains(&r) {
            failures.push(r);
        }
    }

    if failures.is_empty() {
        let accepted = match signed {
            Some(a) => a,
            None => policy_runtime::verify::check_policy(&input.document, &form, now)
                .map_err(|r| Failure::Input(r.to_string()))?,
        };
        report_accepted(&accepted, last(&options, "secret").is_some());
        Ok(Verdict::Fine)
    } else {
        println!("S3 would refuse this upload:");
        for r in &failures {
            println!("  {} ({}): {r}", r.code(), r.http_status());
            println!("      S3 says: {}", r.s3_message());
        }
        Ok(Verdict::Problems)
    }
}

fn verify(
    form: &Submission,
    secret: &str,
    options: &[(String, String)],
    now: policy_runtime::time::OffsetDateTime,
) -> Result<Result<Accepted, Rejection>, Failure> {
    let scope = match check_scope(form) {
        Ok(scope) => scope,
        Err(r) => return Ok(Err(r)),
    };
    let mut credentials = Credentials::new(scope.access_key_id.clone(), secret)
        .map_err(|e| Failure::Usage(format!("--secret: {e}")))?;
    let token = last(options, "session-token").or(form.get("x-amz-security-token"));
    if let Some(token) = token {
        credentials = credentials
            .with_session_token(token)
            .map_err(|e| Failure::Usage(format!("--session-token: {e}")))?;
    }
    let region = match last(options, "region") {
        Some(r) => r.to_string(),
        None => scope.region.clone(),
    };
    let region = Region::new(region).map_err(|e| Failure::Usage(format!("--region: {e}")))?;
    Ok(Verifier::new(credentials, region).verify_at(form, now))
}

fn name_value(spec: &str) -> Result<(&str, &str), Failure> {
    spec.split_once('=').ok_or_else(|| {
        Failure::Usage(format!(
            "`{spec}` is not NAME=VALUE, e.g. --field Content-Type=image/png"
        ))
    })
}

fn exact(conditions: &[Condition], name: &str) -> Option<String> {
    conditions.iter().find_map(|c| match c {
        Condition::Eq { field, value } if field.as_str() == name => Some(value.clone()),
        _ => None,
    })
}

fn report_accepted(a: &Accepted, signature_checked: bool) {
    println!("S3 would accept this upload.");
    println!("  bucket: {}", a.bucket);
    println!("  key: {}", a.key);
    if let Some(ct) = &a.content_type {
        println!("  Content-Type: {ct}");
    }
    for (n, v) in &a.metadata {
        println!("  x-amz-meta-{n}: {v}");
    }
    for (n, v) in &a.headers {
        println!("  {n}: {v}");
    }
    if let Some(acl) = &a.acl {
        println!("  acl: {acl}");
    }
    println!("  size: {} bytes", a.size);
    match &a.redirect {
        Some(url) => println!("  answer: 303 redirect to {url}"),
        None => println!("  answer: {}", a.success_action_status),
    }
    if signature_checked {
        println!(
            "  signature: valid for access key {}",
            a.access_key_id.as_deref().unwrap_or_default()
        );
    } else {
        println!("  signature: not checked (pass --secret to check it)");
    }
}
