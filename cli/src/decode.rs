//! `decode`: pretty-print a policy and flag what S3 would refuse.

use policy_runtime::verify::{check_scope, Submission};
use policy_runtime::{Condition, PolicyDocument};

use crate::args::{last, Args};
use crate::{input, Failure, Verdict};

pub fn run(args: Args) -> Result<Verdict, Failure> {
    let (positionals, options) = args.parse(&["now"], &[])?;
    let [policy] = positionals.as_slice() else {
        return Err(Failure::Usage(
            "`decode` takes one policy: base64, JSON, a file, or - for stdin".into(),
        ));
    };
    let now = input::now(last(&options, "now"))?;
    let input = input::policy(policy)?;
    let doc = &input.document;

    let expired = now > doc.expiration();
    println!(
        "expiration: {}{}",
        rfc3339(doc.expiration()),
        if expired { "  (EXPIRED)" } else { "" }
    );
    println!("conditions:");
    for c in doc.conditions() {
        println!("  {c}");
    }

    let problems = problems(doc, expired, input.policy_field.is_some());
    if problems.is_empty() {
        println!("\nS3 would accept this policy.");
        Ok(Verdict::Fine)
    } else {
        println!("\nS3 would refuse uploads under this policy:");
        for p in &problems {
            println!("  - {p}");
        }
        Ok(Verdict::Problems)
    }
}

/// Everything wrong with a policy as S3 reads it.
/// `signed`: the input was a `policy` field, so the signer's conditions
/// must be in it.
fn problems(doc: &PolicyDocument, expired: bool, signed: bool) -> Vec<String> {
    let mut out = Vec::new();
    if expired {
        out.push(format!(
            "it expired at {}; S3 answers AccessDenied (Policy expired)",
            rfc3339(doc.expiration())
        ));
    }
    out.extend(doc.problems().iter().map(ToString::to_string));
    let exact = |name: &str| {
        doc.conditions().iter().find_map(|c| match c {
            Condition::Eq { field, value } if field.as_str() == name => Some(value.as_str()),
            _ => None,
        })
    };
    let has = |name: &str| {
        doc.conditions()
            .iter()
            .any(|c| c.field().is_some_and(|f| f.as_str() == name))
    };
    for required in policy_runtime::rules::SIGNED_CONDITIONS {
        if signed && exact(required.field).is_none() {
            out.push(required.message());
        }
    }
    for required in policy_runtime::rules::REQUIRED_CONDITIONS {
        if !has(required.field) {
            out.push(required.message());
        }
    }
    if let (Some(a), Some(c), Some(d)) = (
        exact("x-amz-algorithm"),
        exact("x-amz-credential"),
        exact("x-amz-date"),
    ) {
        let form = Submission::new("")
            .field("x-amz-algorithm", a)
            .field("x-amz-credential", c)
            .field("x-amz-date", d);
        if let Err(r) = check_scope(&form) {
            out.push(r.to_string());
        }
    }
    out
}

fn rfc3339(t: policy_runtime::time::OffsetDateTime) -> String {
    t.format(&policy_runtime::time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
