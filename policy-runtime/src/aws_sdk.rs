//! Credentials from the AWS SDK (`aws-credential-types`), including
//! temporary credentials that a provider refreshes. Feature `aws-sdk`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

use crate::{Credentials, Endpoint, Error, Region, Signer};

impl TryFrom<&aws_credential_types::Credentials> for Credentials {
    type Error = Error;

    /// Access key, secret and session token of SDK credentials.
    ///
    /// ```
    /// let sdk = aws_credential_types::Credentials::new("AK", "SK", Some("token".into()), None, "example");
    /// let credentials = policy_runtime::Credentials::try_from(&sdk)?;
    /// assert_eq!(credentials.session_token(), Some("token"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    fn try_from(sdk: &aws_credential_types::Credentials) -> Result<Credentials, Error> {
        let credentials = Credentials::new(sdk.access_key_id(), sdk.secret_access_key())?;
        match sdk.session_token() {
            Some(token) => credentials.with_session_token(token),
            None => Ok(credentials),
        }
    }
}

/// Signers built from an AWS SDK credentials provider (`aws-config`'s
/// default chain, an assumed role, SSO, ...), fetching new credentials
/// when the current ones are within [`REFRESH_MARGIN`](ProviderSigner::REFRESH_MARGIN) of their expiry.
///
/// ```
/// use aws_credential_types::{provider::SharedCredentialsProvider, Credentials};
/// use policy_runtime::{ProviderSigner, Region};
///
/// // Usually `aws_config::load_from_env().await.credentials_provider()`.
/// let sdk = Credentials::new("AK", "SK", Some("token".into()), None, "example");
/// let signers = ProviderSigner::new(SharedCredentialsProvider::new(sdk), Region::new("us-east-1")?);
/// let per_request = async {
///     let signer = signers.signer().await?;
///     assert_eq!(signer.credentials().session_token(), Some("token"));
///     Ok::<(), policy_runtime::Error>(())
/// };
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     use std::future::Future as _;
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     match std::pin::pin!(future).poll(&mut cx) {
/// #         std::task::Poll::Ready(out) => out,
/// #         std::task::Poll::Pending => unreachable!("these providers answer at once"),
/// #     }
/// # }
/// # block_on(per_request)?;
/// # Ok::<(), policy_runtime::Error>(())
/// ```
pub struct ProviderSigner {
    provider: SharedCredentialsProvider,
    region: Region,
    endpoint: Option<Endpoint>,
    current: Mutex<Option<(Arc<Signer>, Option<SystemTime>)>>,
}

impl ProviderSigner {
    /// How long before their expiry credentials are fetched again, so a
    /// form signed now is not signed with credentials about to lapse.
    ///
    /// ```
    /// use policy_runtime::ProviderSigner;
    /// assert_eq!(ProviderSigner::REFRESH_MARGIN, std::time::Duration::from_secs(5 * 60));
    /// ```
    pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

    /// Signers for `region`, with credentials from `provider`.
    ///
    /// ```
    /// # use aws_credential_types::Credentials;
    /// # use policy_runtime::{ProviderSigner, Region};
    /// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
    /// #     use std::future::Future as _;
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     match std::pin::pin!(future).poll(&mut cx) {
    /// #         std::task::Poll::Ready(out) => out,
    /// #         std::task::Poll::Pending => unreachable!("these providers answer at once"),
    /// #     }
    /// # }
    /// let sdk = Credentials::new("AK", "SK", None, None, "example");
    /// let signers = ProviderSigner::new(sdk, Region::new("eu-west-1")?);
    /// let signer = block_on(signers.signer())?;
    /// assert_eq!(signer.credentials().access_key_id(), "AK");
    /// assert_eq!(signer.region().as_str(), "eu-west-1");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new(provider: impl ProvideCredentials + 'static, region: Region) -> ProviderSigner {
        ProviderSigner {
            provider: SharedCredentialsProvider::new(provider),
            region,
            endpoint: None,
            current: Mutex::new(None),
        }
    }

    /// Posts to `endpoint` instead of AWS.
    ///
    /// ```
    /// # use aws_credential_types::Credentials;
    /// # use policy_runtime::{Endpoint, ProviderSigner, Region};
    /// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
    /// #     use std::future::Future as _;
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     match std::pin::pin!(future).poll(&mut cx) {
    /// #         std::task::Poll::Ready(out) => out,
    /// #         std::task::Poll::Pending => unreachable!("these providers answer at once"),
    /// #     }
    /// # }
    /// # let sdk = Credentials::new("AK", "SK", None, None, "example");
    /// let signers = ProviderSigner::new(sdk, Region::new("garage")?)
    ///     .with_endpoint(Endpoint::custom("http://127.0.0.1:3900")?);
    /// let signer = block_on(signers.signer())?;
    /// assert_eq!(signer.endpoint().url("photos", signer.region()), "http://127.0.0.1:3900/photos");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn with_endpoint(mut self, endpoint: Endpoint) -> ProviderSigner {
        self.endpoint = Some(endpoint);
        self
    }

    /// A signer with credentials valid for at least [`REFRESH_MARGIN`](ProviderSigner::REFRESH_MARGIN):
    /// the cached one, or one with credentials fetched now (which may have
    /// less time left, when that is all the provider has). Credentials the
    /// provider hands out already expired are an error: S3 would refuse
    /// every form signed with them.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// # use aws_credential_types::{credential_fn::provide_credentials_fn, provider::error::CredentialsError, Credentials};
    /// # use policy_runtime::{Error, ProviderSigner, Region};
    /// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
    /// #     use std::future::Future as _;
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     match std::pin::pin!(future).poll(&mut cx) {
    /// #         std::task::Poll::Ready(out) => out,
    /// #         std::task::Poll::Pending => unreachable!("these providers answer at once"),
    /// #     }
    /// # }
    /// # let region = Region::new("us-east-1")?;
    /// let lasting = ProviderSigner::new(Credentials::new("AK", "SK", None, None, "example"), region.clone());
    /// let first = block_on(lasting.signer())?;
    /// assert!(Arc::ptr_eq(&first, &block_on(lasting.signer())?)); // no expiry: cached
    /// let soon = Credentials::new("AK", "SK", None, Some(SystemTime::now() + Duration::from_secs(60)), "example");
    /// let soon = ProviderSigner::new(soon, region.clone());
    /// assert!(!Arc::ptr_eq(&block_on(soon.signer())?, &block_on(soon.signer())?)); // fetched again
    /// let lapsed = Credentials::new("AK", "SK", None, Some(UNIX_EPOCH + Duration::from_secs(1)), "example");
    /// let err = block_on(ProviderSigner::new(lapsed, region.clone()).signer()).unwrap_err();
    /// assert!(err.to_string().contains("expired at 1970-01-01T00:00:01Z"));
    /// let failing = provide_credentials_fn(|| async { Err(CredentialsError::not_loaded("no profile")) });
    /// let err = block_on(ProviderSigner::new(failing, region).signer()).unwrap_err();
    /// assert!(matches!(err, Error::InvalidCredentials { .. }));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub async fn signer(&self) -> Result<Arc<Signer>, Error> {
        if let Some(signer) = self.cached(SystemTime::now()) {
            return Ok(signer);
        }
        let sdk =
            self.provider
                .provide_credentials()
                .await
                .map_err(|e| Error::InvalidCredentials {
                    reason: format!("the AWS credentials provider failed: {e}"),
                })?;
        if let Some(expiry) = sdk.expiry().filter(|&at| at <= SystemTime::now()) {
            return Err(Error::InvalidCredentials {
                reason: format!(
                    "the AWS credentials provider returned credentials that expired at {}; \
                     S3 refuses forms signed with them, so refresh the provider's source \
                     (renew the session, re-assume the role)",
                    rfc3339(expiry)
                ),
            });
        }
        let mut signer = Signer::new(Credentials::try_from(&sdk)?, self.region.clone());
        if let Some(endpoint) = &self.endpoint {
            signer = signer.with_endpoint(endpoint.clone());
        }
        let signer = Arc::new(signer);
        *self.lock() = Some((Arc::clone(&signer), sdk.expiry()));
        Ok(signer)
    }

    fn cached(&self, now: SystemTime) -> Option<Arc<Signer>> {
        let current = self.lock();
        let (signer, expiry) = current.as_ref()?;
        let fresh = expiry.is_none_or(|at| now + ProviderSigner::REFRESH_MARGIN < at);
        fresh.then(|| Arc::clone(signer))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Arc<Signer>, Option<SystemTime>)>> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `at` as RFC 3339 in UTC, to whole seconds.
fn rfc3339(at: SystemTime) -> String {
    let Some(at) = crate::utc::from_system_time(at) else {
        return format!("{at:?}");
    };
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format!("{at}"))
}

impl std::fmt::Debug for ProviderSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSigner")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Waker};

    use aws_credential_types::provider::future;

    use super::*;

    /// Hands out credentials expiring `lifetime` from now, counting calls.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicUsize>,
        lifetime: Duration,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            future::ProvideCredentials::ready(Ok(aws_credential_types::Credentials::new(
                format!("AK{n}"),
                "SK",
                Some(format!("token-{n}")),
                Some(SystemTime::now() + self.lifetime),
                "test",
            )))
        }
    }

    fn now<F: Future>(future: F) -> F::Output {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("the provider in this test answers at once"),
        }
    }

    fn signers(lifetime: Duration) -> (ProviderSigner, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let provider = Counting {
            calls: Arc::clone(&calls),
            lifetime,
        };
        (
            ProviderSigner::new(provider, Region::new("us-east-1").unwrap()),
            calls,
        )
    }

    #[test]
    fn credentials_are_reused_while_fresh() {
        let (signers, calls) = signers(Duration::from_secs(3600));
        let a = now(signers.signer()).unwrap();
        let b = now(signers.signer()).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(a.credentials().access_key_id(), "AK0");
        assert_eq!(b.credentials().session_token(), Some("token-0"));
    }

    #[test]
    fn credentials_already_expired_are_refused_every_time() {
        let calls = Arc::new(AtomicUsize::new(0));
        let provider = Counting {
            calls: Arc::clone(&calls),
            lifetime: Duration::ZERO,
        };
        let signers = ProviderSigner::new(provider, Region::new("us-east-1").unwrap());
        for attempt in 1..=2 {
            let err = now(signers.signer()).unwrap_err();
            assert!(matches!(&err, Error::InvalidCredentials { .. }), "{err:?}");
            assert!(err.to_string().contains("expired at"), "{err}");
            assert_eq!(calls.load(Ordering::SeqCst), attempt);
        }
    }

    #[test]
    fn credentials_near_expiry_are_fetched_again() {
        let (signers, calls) = signers(Duration::from_secs(60));
        now(signers.signer()).unwrap();
        let second = now(signers.signer()).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(second.credentials().session_token(), Some("token-1"));
        assert!(!format!("{signers:?}").contains("SK"));
    }
}
