//! Prints a signed upload form for a small text-file policy.
//!
//! ```text
//! cargo run -q --example quickstart [BUCKET] [--html]
//! ```
//!
//! Credentials, region and endpoint come from the standard AWS variables
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `AWS_REGION`, `AWS_ENDPOINT_URL_S3`, ...). Without credentials it signs
//! with the AWS documentation's example keys and says so on stderr.

use std::process::ExitCode;

use policy_runtime::{post_policy, Credentials, Endpoint, Error, Region, Signer};

post_policy! {
    /// Text files of 1 byte to 10 MiB under `uploads/`, for 10 minutes.
    struct TextUpload {
        bucket = {bucket},
        key starts_with "uploads/",
        content_length 1..=10_485_760,
        content_type = "text/plain",
        success_action_status = 201,
        meta("origin") = "quickstart",
        expires_in = 10 min,
    }
}

const USAGE: &str = "\
usage: quickstart [BUCKET] [--html]

Prints {\"url\": ..., \"fields\": {...}} for a policy allowing text/plain
uploads of 1 byte to 10 MiB under uploads/ in BUCKET (default examplebucket),
valid for 10 minutes. --html prints an HTML form instead.";

fn main() -> ExitCode {
    let mut bucket = None;
    let mut html = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--html" => html = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            flag if flag.starts_with('-') => {
                eprintln!("quickstart: unknown option `{flag}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
            name if bucket.is_none() => bucket = Some(name.to_string()),
            extra => {
                eprintln!("quickstart: unexpected argument `{extra}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(bucket.as_deref().unwrap_or("examplebucket"), html) {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("quickstart: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(bucket: &str, html: bool) -> Result<String, Error> {
    let upload = TextUpload {
        bucket: bucket.to_owned(),
    };
    let post = upload.sign(&signer()?)?;
    Ok(if html {
        post.to_html()
    } else {
        serde_json::to_string_pretty(&post).expect("a signed form serializes")
    })
}

fn signer() -> Result<Signer, Error> {
    let credentials = match Credentials::from_env() {
        Err(Error::MissingSetting { .. }) => {
            eprintln!(
                "quickstart: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set; \
                 signing with the AWS documentation's example keys (S3 will refuse this form)"
            );
            Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            )?
        }
        other => other?,
    };
    let region = match Region::from_env() {
        Err(Error::MissingSetting { .. }) => {
            eprintln!("quickstart: AWS_REGION not set; using us-east-1");
            Region::new("us-east-1")?
        }
        other => other?,
    };
    let signer = Signer::new(credentials, region);
    Ok(match Endpoint::from_env()? {
        Some(endpoint) => signer.with_endpoint(endpoint),
        None => signer,
    })
}
