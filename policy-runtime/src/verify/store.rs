//! Where the verifier finds the secret for an access key id.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::Credentials;

/// Finds the credentials for an access key id: the secret, and the session
/// token a form signed with temporary credentials must carry.
///
/// Implemented for closures, for one [`Credentials`] (which knows only its
/// own access key id), for slices of them, and for a map from access key id
/// to credentials.
///
/// ```
/// use policy_runtime::verify::CredentialStore;
/// use policy_runtime::Credentials;
///
/// let one = Credentials::new("AKID", "secret")?;
/// assert!(one.credentials("AKID").is_some());
/// assert!(one.credentials("OTHER").is_none());
///
/// let lookup = |id: &str| (id == "AKID").then(|| Credentials::new("AKID", "secret").unwrap());
/// assert!(lookup.credentials("AKID").is_some());
/// # Ok::<(), policy_runtime::Error>(())
/// ```
pub trait CredentialStore {
    /// The credentials of `access_key_id`, or `None` if it is unknown:
    /// lent when the store holds them (the stores here do, so verifying a
    /// form copies no secret), owned when it makes them (a closure).
    ///
    /// ```
    /// # use policy_runtime::{verify::CredentialStore, Credentials};
    /// # use std::borrow::Cow;
    /// # use std::collections::HashMap;
    /// let keys = vec![Credentials::new("AKID1", "one")?, Credentials::new("AKID2", "two")?];
    /// assert!(matches!(keys.credentials("AKID2"), Some(Cow::Borrowed(c)) if c.secret_access_key() == "two"));
    /// assert!(keys.credentials("AKID3").is_none());
    /// let map: HashMap<String, Credentials> = keys.into_iter().map(|c| (c.access_key_id().to_owned(), c)).collect();
    /// assert_eq!(map.credentials("AKID1").unwrap().secret_access_key(), "one");
    /// let lookup = |id: &str| (id == "AKID").then(|| Credentials::new("AKID", "secret").unwrap());
    /// assert!(matches!(lookup.credentials("AKID"), Some(Cow::Owned(_))));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    fn credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>>;
}

impl<F> CredentialStore for F
where
    F: Fn(&str) -> Option<Credentials>,
{
    fn credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        self(access_key_id).map(Cow::Owned)
    }
}

impl CredentialStore for Credentials {
    fn credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        (self.access_key_id() == access_key_id).then_some(Cow::Borrowed(self))
    }
}

impl CredentialStore for [Credentials] {
    fn credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        self.iter()
            .find(|c| c.access_key_id() == access_key_id)
            .map(Cow::Borrowed)
    }
}

impl CredentialStore for Vec<Credentials> {
    fn credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        self.as_slice().credentials(access_key_id)
    }
}

impl<S: std::hash::BuildHasher> CredentialStore for HashMap<String, Credentials, S> {
    fn credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        self.get(access_key_id).map(Cow::Borrowed)
    }
}
