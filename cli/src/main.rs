//! `post-policy`: decode an S3 POST policy, check a form against it as S3
//! would, or sign one. See `post-policy --help`.

mod args;
mod check;
mod decode;
mod input;
mod sign;

use std::process::ExitCode;

use args::{Args, Usage};

const HELP: &str = "\
post-policy: debug S3 browser-upload POST policies (AWS Signature Version 4)

USAGE
  post-policy decode <POLICY> [--now TIME]
  post-policy check (--policy <POLICY> | --form <FORM>) --size BYTES
                    [--field NAME=VALUE]... [--after-file NAME=VALUE]...
                    [--file-name NAME] [--bucket BUCKET] [--now TIME]
                    [--secret SECRET [--session-token TOKEN] [--region REGION]]
  post-policy sign <POLICY.json> [--key KEY] [--now TIME] [--html]
  post-policy --help

COMMANDS
  decode  Pretty-prints a policy and flags everything S3 would refuse:
          expiry, starts-with on exact-only fields, unknown fields, bad
          values, contradictions, missing signer conditions.
  check   Says whether S3 would accept an upload: every condition, coverage
          of every field, the size, and with --secret the signature,
          credential scope and date. Lists every reason it would refuse.
  sign    Signs a policy written in S3's JSON format with the credentials in
          AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
          AWS_REGION (or AWS_DEFAULT_REGION) and AWS_ENDPOINT_URL_S3 (or
          AWS_ENDPOINT_URL), and prints {\"url\", \"fields\"}.

INPUTS
  POLICY  base64 (the `policy` form field), S3's policy JSON, or a signed
          form {\"url\": ..., \"fields\": {...}}; given as text, as a path to a
          file holding it, or - for stdin.
  FORM    a signed form {\"url\", \"fields\"} (what `sign` prints, or boto3's
          generate_presigned_post); path or - for stdin. --field adds a field
          the browser fills in, or replaces one.
  TIME    RFC 3339, e.g. 2030-01-01T12:00:00Z (default: now).
  --file-name  the uploaded file's name, for ${filename} (default upload.bin).
  --bucket     the bucket posted to (default: from the form's URL, else the
               policy's bucket condition).

EXIT CODES
  0  decode: nothing S3 would refuse; check: S3 would accept; sign: signed
  1  decode: problems found; check: S3 would refuse the upload
  2  usage error or unreadable input (bad base64, invalid JSON, ...)
  3  sign: credentials or region missing or invalid in the environment

EXAMPLES
  post-policy decode eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIiwgLi4ufQ==
  post-policy decode policy.json --now 2030-01-01T00:00:00Z
  AWS_ACCESS_KEY_ID=AKID AWS_SECRET_ACCESS_KEY=secret AWS_REGION=eu-west-1 \\
      post-policy sign policy.json --key uploads/cat.png > form.json
  post-policy check --form form.json --field Content-Type=image/png \\
      --file-name cat.png --size 48213 --secret \"$AWS_SECRET_ACCESS_KEY\"
  post-policy check --policy policy.json --field key=uploads/a.txt --size 10
";

/// Why a command stopped without an answer.
pub enum Failure {
    /// The command line is wrong.
    Usage(String),
    /// The input cannot be read or decoded.
    Input(String),
    /// The environment lacks credentials or settings.
    Environment(String),
}

impl From<Usage> for Failure {
    fn from(u: Usage) -> Failure {
        Failure::Usage(u.0)
    }
}

/// The answer of a command that ran: whether it found nothing wrong.
pub enum Verdict {
    /// Nothing wrong: exit 0.
    Fine,
    /// S3 would refuse: exit 1.
    Problems,
}

fn run(mut argv: Vec<String>) -> Result<Verdict, Failure> {
    if argv.is_empty() {
        return Err(Failure::Usage("no command given".into()));
    }
    let command = argv.remove(0);
    let args = Args::new(argv);
    match command.as_str() {
        "decode" => decode::run(args),
        "check" => check::run(args),
        "sign" => sign::run(args),
        "-h" | "--help" | "help" => {
            print!("{HELP}");
            Ok(Verdict::Fine)
        }
        other => Err(Failure::Usage(format!(
            "unknown command `{other}`; the commands are decode, check and sign"
        ))),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "--help" || a == "-h") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    match run(argv) {
        Ok(Verdict::Fine) => ExitCode::SUCCESS,
        Ok(Verdict::Problems) => ExitCode::from(1),
        Err(Failure::Usage(msg)) => {
            eprintln!("post-policy: {msg}\nRun `post-policy --help` for usage and examples.");
            ExitCode::from(2)
        }
        Err(Failure::Input(msg)) => {
            eprintln!("post-policy: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Environment(msg)) => {
            eprintln!("post-policy: {msg}");
            ExitCode::from(3)
        }
    }
}
