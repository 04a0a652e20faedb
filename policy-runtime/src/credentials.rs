//! AWS credentials, with the secret kept out of logs and wiped on drop.

use std::fmt;

use zeroize::Zeroizing;

use crate::env;
use crate::Error;

/// An access key id, its secret, and for temporary credentials a session
/// token.
///
/// The secret and the token never appear in `Debug` output, and their memory
/// is wiped when the credentials are dropped.
///
/// ```
/// use policy_runtime::Credentials;
///
/// let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?
///     .with_session_token("FwoGZXIvYXdzEXAMPLE")?;
/// let shown = format!("{creds:?}");
/// assert!(shown.contains("AKIAIOSFODNN7EXAMPLE"));
/// assert!(!shown.contains("wJalr") && !shown.contains("FwoG"));
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
}

impl Credentials {
    /// Long-term credentials. The access key id is printable ASCII without
    /// `/` (it becomes part of `x-amz-credential`); neither part is empty.
    ///
    /// ```
    /// # use policy_runtime::Credentials;
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrEXAMPLE")?;
    /// assert_eq!(creds.session_token(), None);
    /// assert!(Credentials::new("AKID/EXAMPLE", "wJalrEXAMPLE").is_err());
    /// assert!(Credentials::new("AKIDEXAMPLE", "").is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Result<Credentials, Error> {
        let access_key_id = access_key_id.into();
        let secret_access_key = Zeroizing::new(secret_access_key.into());
        if access_key_id.is_empty() {
            return Err(invalid("the access key id is empty"));
        }
        if !access_key_id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/')
        {
            return Err(invalid(
                "the access key id must be printable ASCII without spaces or `/`",
            ));
        }
        if secret_access_key.is_empty() {
            return Err(invalid("the secret access key is empty"));
        }
        Ok(Credentials {
            access_key_id,
            secret_access_key,
            session_token: None,
        })
    }

    /// Adds the session token of temporary credentials; the signer then puts
    /// `x-amz-security-token` into both policy and form.
    ///
    /// ```
    /// # use policy_runtime::Credentials;
    /// let creds = Credentials::new("ASIAEXAMPLE", "wJalrEXAMPLE")?.with_session_token("FwoGEXAMPLE")?;
    /// assert_eq!(creds.session_token(), Some("FwoGEXAMPLE"));
    /// assert!(creds.with_session_token("line\nbreak").is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn with_session_token(mut self, token: impl Into<String>) -> Result<Credentials, Error> {
        let token = Zeroizing::new(token.into());
        if token.is_empty() || token.chars().any(char::is_control) {
            return Err(invalid(
                "the session token must be non-empty, without control characters",
            ));
        }
        self.session_token = Some(token);
        Ok(self)
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and, if set,
    /// `AWS_SESSION_TOKEN` from the process environment.
    ///
    /// ```no_run
    /// let creds = policy_runtime::Credentials::from_env()?;
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn from_env() -> Result<Credentials, Error> {
        Self::from_lookup(&env::process)
    }

    /// Like [`Credentials::from_env`], reading variables through `lookup`.
    ///
    /// ```
    /// use policy_runtime::Credentials;
    /// let vars = |name: &str| match name {
    ///     "AWS_ACCESS_KEY_ID" => Some("AKID".to_string()),
    ///     "AWS_SECRET_ACCESS_KEY" => Some("secret".to_string()),
    ///     _ => None,
    /// };
    /// assert_eq!(Credentials::from_lookup(&vars)?.access_key_id(), "AKID");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Credentials, Error> {
        let missing = |what| Error::MissingSetting {
            what,
            variables: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        };
        let id = env::var(lookup, "AWS_ACCESS_KEY_ID").ok_or(missing("access key id"))?;
        let secret = Zeroizing::new(
            env::var(lookup, "AWS_SECRET_ACCESS_KEY").ok_or(missing("secret access key"))?,
        );
        let creds = Credentials::new(id, secret.as_str())?;
        match env::var(lookup, "AWS_SESSION_TOKEN") {
            Some(token) => creds.with_session_token(Zeroizing::new(token).as_str()),
            None => Ok(creds),
        }
    }

    /// The access key id (not secret).
    ///
    /// ```
    /// # use policy_runtime::Credentials;
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrEXAMPLE")?;
    /// assert_eq!(creds.access_key_id(), "AKIDEXAMPLE");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    ///
    /// ```
    /// # use policy_runtime::Credentials;
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrEXAMPLE")?;
    /// assert_eq!(creds.secret_access_key(), "wJalrEXAMPLE");
    /// assert!(!format!("{creds:?}").contains("wJalr")); // `Debug` redacts it
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token of temporary credentials.
    ///
    /// ```
    /// # use policy_runtime::Credentials;
    /// let long_term = Credentials::new("AKIDEXAMPLE", "wJalrEXAMPLE")?;
    /// assert_eq!(long_term.session_token(), None);
    /// let temporary = long_term.with_session_token("FwoGEXAMPLE")?;
    /// assert_eq!(temporary.session_token(), Some("FwoGEXAMPLE"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref().map(String::as_str)
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidCredentials {
        reason: reason.into(),
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_unusable_credentials() {
        assert!(Credentials::new("", "s").is_err());
        assert!(Credentials::new("A/B", "s").is_err());
        assert!(Credentials::new("A B", "s").is_err());
        assert!(Credentials::new("A", "").is_err());
        let c = Credentials::new("A", "s").unwrap();
        assert!(c.clone().with_session_token("").is_err());
        assert!(c.with_session_token("a\nb").is_err());
    }

    #[test]
    fn environment() {
        let none = |_: &str| None;
        assert!(matches!(
            Credentials::from_lookup(&none),
            Err(Error::MissingSetting { .. })
        ));
        let vars = |n: &str| {
            Some(
                match n {
                    "AWS_ACCESS_KEY_ID" => "AK",
                    "AWS_SECRET_ACCESS_KEY" => "SK",
                    "AWS_SESSION_TOKEN" => "TOKEN",
                    _ => return None,
                }
                .to_string(),
            )
        };
        let c = Credentials::from_lookup(&vars).unwrap();
        assert_eq!(
            (c.access_key_id(), c.secret_access_key(), c.session_token()),
            ("AK", "SK", Some("TOKEN"))
        );
        let empty_token = |n: &str| match n {
            "AWS_SESSION_TOKEN" => Some(String::new()),
            n => vars(n),
        };
        assert_eq!(
            Credentials::from_lookup(&empty_token)
                .unwrap()
                .session_token(),
            None
        );
    }
}
