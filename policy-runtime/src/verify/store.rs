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
    /// The credentials of `access_key_id`, or `None` if it is unknown.
    ///
    /// ```
    /// # use policy_runtime::{verify::CredentialStore, Credentials};
    /// # use std::collections::HashMap;
    /// let keys = vec![Credentials::new("AKID1", "one")?, Credentials::new("AKID2", "two")?];
    /// assert_eq!(keys.credentials("AKID2").unwrap().secret_access_key(), "two");
    /// assert!(keys.credentials("AKID3").is_none());
    /// let map: HashMap<String, Credentials> = keys.into_iter().map(|c| (c.access_key_id().to_owned(), c)).collect();
    /// assert_eq!(map.credentials("AKID1").unwrap().secret_access_key(), "one");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    fn credentials(&self, access_key_id: &str) -> Option<Credentials>;

    /// The credentials of `access_key_id`, lent when the store holds them:
    /// what the verifier asks for, once per form. The default clones what
    /// [`credentials`](CredentialStore::credentials) returns; the stores
    /// here lend theirs, so verifying a form copies no secret.
    ///
    /// ```
    /// # use policy_runtime::{verify::CredentialStore, Credentials};
    /// # use std::borrow::Cow;
    /// let keys = vec![Credentials::new("AKID1", "one")?, Credentials::new("AKID2", "two")?];
    /// assert!(matches!(keys.lend_credentials("AKID2"), Some(Cow::Borrowed(c)) if c.secret_access_key() == "two"));
    /// let lookup = |id: &str| (id == "AKID").then(|| Credentials::new("AKID", "secret").unwrap());
    /// assert!(matches!(lookup.lend_credentials("AKID"), Some(Cow::Owned(_))));
    /// assert!(lookup.lend_credentials("AKID2").is_none());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    fn lend_credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        self.credentials(access_key_id).map(Cow::Owned)
    }
}

impl<F> CredentialStore for F
where
    F: Fn(&str) -> Option<Credentials>,
{
    fn credentials(&self, access_key_id: &str) -> Option<Credentials> {
        self(access_key_id)
    }
}

impl CredentialStore for Credentials {
    fn credentials(&self, access_key_id: &str) -> Option<Credentials> {
        (self.access_key_id() == access_key_id).then(|| self.clone())
    }

    fn lend_credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        (self.access_key_id() == access_key_id).then_some(Cow::Borrowed(self))
    }
}

impl CredentialStore for [Credentials] {
    fn credentials(&self, access_key_id: &str) -> Option<Credentials> {
        self.iter()
            .find(|c| c.access_key_id() == access_key_id)
            .cloned()
    }

    fn lend_credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        self.iter()
            .find(|c| c.access_key_id() == access_key_id)
            .map(Cow::Borrowed)
    }
}

impl CredentialStore for Vec<Credentials> {
    fn credentials(&self, access_key_id: &str) -> Option<Credentials> {
        self.as_slice().credentials(access_key_id)
    }

    fn lend_credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        self.as_slice().lend_credentials(access_key_id)
    }
}

impl<S: std::hash::BuildHasher> CredentialStore for HashMap<String, Credentials, S> {
    fn credentials(&self, access_key_id: &str) -> Option<Credentials> {
        self.get(access_key_id).cloned()
    }

    fn lend_credentials(&self, access_key_id: &str) -> Option<Cow<'_, Credentials>> {
        self.get(access_key_id).map(Cow::Borrowed)
    }
}
