//! Signing with temporary credentials (an assumed role, SSO, an EC2 or ECS
//! role, ...) from the AWS SDK's credential providers.
//!
//! ```text
//! cargo run -q --example temporary-credentials
//! ```
//!
//! Temporary credentials come with a session token, which S3 wants twice: as
//! an `x-amz-security-token` condition in the policy and as a form field. The
//! signer adds both. They also expire, so a service asks its provider again
//! before they do: `policy_runtime::ProviderSigner` (feature `aws-sdk`) takes
//! any `aws-credential-types` provider and hands out a signer whose
//! credentials have at least five minutes left, fetching new ones otherwise.
//!
//! This example runs offline: a stand-in for STS mints credentials that
//! expire, and prints a form signed with them. In a service the provider is
//! `aws-config`'s default chain (not a dependency here; it brings the STS and
//! SSO clients and an HTTPS stack):
//!
//! ```ignore
//! let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
//! let provider = config.credentials_provider().ok_or("no AWS credentials configured")?;
//! let region = Region::new(config.region().ok_or("no AWS region configured")?.as_ref())?;
//! let signers = ProviderSigner::new(provider, region);
//! // then per request: let signer = signers.signer().await?;
//! ```

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::credential_fn::provide_credentials_fn;
use aws_credential_types::provider::ProvideCredentials;
use policy_runtime::{post_policy, Credentials, PolicyDocument, ProviderSigner, Region, Signer};

post_policy! {
    /// CSV reports of 1 byte to 50 MB under `reports/`, for 10 minutes.
    pub struct ReportUpload {
        bucket = "reports",
        key starts_with "reports/",
        content_length 1..=50_000_000,
        content_type = "text/csv",
        expires_in = 10 min,
    }
}

/// A stand-in for STS `AssumeRole`: each call mints new credentials, with a
/// session token, valid for `lifetime`. Counts its calls in `calls`.
pub fn fake_sts(lifetime: Duration, calls: Arc<AtomicU32>) -> impl ProvideCredentials + 'static {
    provide_credentials_fn(move || {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            Ok(aws_credential_types::Credentials::new(
                format!("ASIAEXAMPLE{n:09}"),
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                Some(format!("IQoJb3JpZ2luX2VjEXAMPLE-session-{n}")),
                Some(SystemTime::now() + lifetime),
                "fake-sts",
            ))
        }
    })
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;

    // One-off: SDK credentials you already hold convert directly.
    let sdk = aws_credential_types::Credentials::new(
        "ASIAEXAMPLEONEOFF",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        Some("IQoJb3JpZ2luX2VjEXAMPLE-one-off".to_owned()),
        None,
        "example",
    );
    let signer = Signer::new(Credentials::try_from(&sdk)?, Region::new("eu-west-1")?);
    let post = ReportUpload {}.sign(&signer)?;
    println!(
        "one-off: x-amz-security-token = {:?}",
        post.field("x-amz-security-token")
    );

    // In a service: one `ProviderSigner`, shared; `signer().await` per request.
    let calls = Arc::new(AtomicU32::new(0));
    let provider = fake_sts(Duration::from_secs(3600), Arc::clone(&calls));
    let signers = ProviderSigner::new(provider, Region::new("eu-west-1")?);
    let signer = runtime.block_on(signers.signer())?;
    let post = ReportUpload {}.sign(&signer)?;
    println!("{}", serde_json::to_string_pretty(&post)?);

    // The token is in the form and, signed, in the policy.
    println!("\nthe policy's conditions:");
    for condition in PolicyDocument::from_base64(post.policy())?.conditions() {
        println!("  {condition}");
    }

    // The next request reuses the credentials: they have an hour left.
    runtime.block_on(signers.signer())?;
    println!(
        "\n2 signers, {} call(s) to the provider",
        calls.load(Ordering::SeqCst)
    );
    Ok(())
}
