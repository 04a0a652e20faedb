//! `sign`: sign a policy given in S3's JSON format.

use policy_runtime::rules::{FieldKind, Role};
use policy_runtime::time::Duration;
use policy_runtime::{Error, Expiration, Policy, SignOptions, Signer};

use crate::args::{last, Args};
use crate::{input, Failure, Verdict};

pub fn run(args: Args) -> Result<Verdict, Failure> {
    let (positionals, options) = args.parse(&["key", "now", "expires-in"], &["html"])?;
    let [policy] = positionals.as_slice() else {
        return Err(Failure::Usage(
            "`sign` takes one policy in S3's JSON format: a file, the JSON itself, or - for stdin"
                .into(),
        ));
    };
    let now = input::now(last(&options, "now"))?;
    let doc = input::policy(policy)?.document;
    let conditions: Vec<_> = doc
        .conditions()
        .iter()
        .filter(|c| {
            // The signer writes its own fields; drop those of the input.
            !matches!(
                c.field().and_then(|f| f.kind()),
                Some(FieldKind::Known(spec)) if spec.role == Role::Signer
            )
        })
        .cloned()
        .collect();
    let expiration = match last(&options, "expires-in") {
        Some(s) => Expiration::In(Duration::seconds(s.parse().map_err(|_| {
            Failure::Usage(format!(
                "`--expires-in {s}` is not a whole number of seconds"
            ))
        })?)),
        None => Expiration::At(doc.expiration()),
    };
    let policy = Policy::new(expiration, conditions)
        .map_err(|e| Failure::Input(format!("cannot sign this policy: {e}")))?;
    let signer = Signer::from_env().map_err(|e| match e {
        Error::MissingSetting { .. }
        | Error::InvalidCredentials { .. }
        | Error::InvalidRegion { .. }
        | Error::InvalidEndpoint { .. } => Failure::Environment(e.to_string()),
        e => Failure::Input(e.to_string()),
    })?;
    let mut sign_options = SignOptions::new().at(now);
    if let Some(key) = last(&options, "key") {
        sign_options = sign_options.key(key);
    }
    let post = signer
        .sign_with(&policy, sign_options)
        .map_err(|e| Failure::Input(format!("cannot sign this policy: {e}")))?;
    if last(&options, "html").is_some() {
        print!("{}", post.to_html());
    } else {
        println!("{}", post.to_json());
    }
    Ok(Verdict::Fine)
}
