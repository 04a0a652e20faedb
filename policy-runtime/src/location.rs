//! Where the form is posted: the region in the credential scope and the URL.

use std::fmt;

use crate::env;
use crate::Error;

/// A region name as it appears in the credential scope (`us-east-1`,
/// `garage`, `auto`).
///
/// ```
/// use policy_runtime::Region;
/// assert_eq!(Region::new("eu-west-3")?.as_str(), "eu-west-3");
/// assert!(Region::new("EU West").is_err());
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Region(String);

impl Region {
    /// A region: lowercase ASCII letters, digits and `-`, 1 to 63
    /// characters, starting and ending with a letter or digit (it is a
    /// label of the endpoint's host name, `s3.{region}.amazonaws.com`).
    ///
    /// ```
    /// use policy_runtime::{Error, Region};
    /// assert_eq!(Region::new("us-east-1")?.to_string(), "us-east-1");
    /// assert!(matches!(Region::new("US-EAST-1"), Err(Error::InvalidRegion { .. })));
    /// assert!(Region::new("").is_err());
    /// assert!(Region::new("-").is_err());
    /// assert!(Region::new("us-east-").is_err());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new(region: impl Into<String>) -> Result<Region, Error> {
        let region = region.into();
        let alphanumeric =
            |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let ok = (1..=63).contains(&region.len())
            && alphanumeric(region.bytes().next())
            && alphanumeric(region.bytes().last())
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Region(region))
        } else {
            Err(Error::InvalidRegion { region })
        }
    }

    /// Reads `AWS_REGION`, then `AWS_DEFAULT_REGION`, from the process
    /// environment.
    ///
    /// ```no_run
    /// let region = policy_runtime::Region::from_env()?;
    /// println!("signing for {region}");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn from_env() -> Result<Region, Error> {
        Self::from_lookup(&env::process)
    }

    /// Like [`Region::from_env`], reading variables through `lookup`.
    ///
    /// ```
    /// use policy_runtime::Region;
    /// let vars = |n: &str| (n == "AWS_DEFAULT_REGION").then(|| "eu-north-1".to_string());
    /// assert_eq!(Region::from_lookup(&vars)?.as_str(), "eu-north-1");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Region, Error> {
        let region = env::first(lookup, &["AWS_REGION", "AWS_DEFAULT_REGION"]).ok_or(
            Error::MissingSetting {
                what: "region",
                variables: "AWS_REGION or AWS_DEFAULT_REGION",
            },
        )?;
        Region::new(region)
    }

    /// The region name.
    ///
    /// ```
    /// # use policy_runtime::Region;
    /// assert_eq!(Region::new("auto")?.as_str(), "auto");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where forms are posted: AWS S3 (virtual-hosted by default, or
/// path-style), or a custom S3-compatible endpoint (path-style by default).
///
/// ```
/// use policy_runtime::{Endpoint, Region};
/// let region = Region::new("eu-west-1")?;
///
/// assert_eq!(Endpoint::aws().url("photos", &region),
///            "https://photos.s3.eu-west-1.amazonaws.com/");
/// assert_eq!(Endpoint::aws().path_style(true).url("photos", &region),
///            "https://s3.eu-west-1.amazonaws.com/photos");
/// assert_eq!(Endpoint::custom("http://127.0.0.1:3900/")?.url("photos", &region),
///            "http://127.0.0.1:3900/photos");
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://authority` and optional path, without trailing `/`; `None`
    /// for AWS.
    custom: Option<(String, usize)>,
    path_style: bool,
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::aws()
    }
}

impl Endpoint {
    /// AWS S3, virtual-hosted (`https://BUCKET.s3.REGION.amazonaws.com/`).
    /// Buckets with a `.` use path-style over HTTPS, since their host name
    /// would not match S3's certificate.
    ///
    /// ```
    /// use policy_runtime::{Endpoint, Region};
    /// let region = Region::new("us-east-1")?;
    /// assert_eq!(Endpoint::aws().url("photos", &region), "https://photos.s3.us-east-1.amazonaws.com/");
    /// assert_eq!(Endpoint::aws().url("my.photos", &region), "https://s3.us-east-1.amazonaws.com/my.photos");
    /// assert_eq!(Endpoint::default(), Endpoint::aws());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn aws() -> Endpoint {
        Endpoint {
            custom: None,
            path_style: false,
        }
    }

    /// A custom S3-compatible endpoint such as `http://127.0.0.1:3900` or
    /// `https://ACCOUNT.r2.cloudflarestorage.com`; path-style unless
    /// [`Endpoint::path_style`] says otherwise.
    ///
    /// ```
    /// use policy_runtime::Endpoint;
    /// assert!(Endpoint::custom("localhost:9000").is_err()); // needs http:// or https://
    /// assert!(Endpoint::custom("https://s3.example/?x=1").is_err());
    /// ```
    pub fn custom(url: &str) -> Result<Endpoint, Error> {
        let invalid = |reason: &str| Error::InvalidEndpoint {
            endpoint: url.into(),
            reason: reason.into(),
        };
        let scheme_len = if url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            8
        } else if url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        {
            7
        } else {
            return Err(invalid("start it with `http://` or `https://`"));
        };
        let base = url.trim_end_matches('/');
        let rest = &base[scheme_len.min(base.len())..];
        let host_end = rest.find('/').unwrap_or(rest.len());
        let authority = &rest[..host_end];
        if authority.is_empty() {
            return Err(invalid("it has no host name"));
        }
        if let Some(c) = base[scheme_len.min(base.len())..]
            .chars()
            .find(|c| !(c.is_ascii_graphic()) || "?#@\"'<>\\`{}|^".contains(*c))
        {
            return Err(invalid(&format!(
                "{c:?} does not belong in an endpoint; give scheme, host, optional port and path only"
            )));
        }
        Ok(Endpoint {
            custom: Some((base.to_string(), scheme_len)),
            path_style: true,
        })
    }

    /// Chooses path-style (`ENDPOINT/BUCKET`) or virtual-hosted
    /// (`BUCKET.HOST/`) URLs.
    ///
    /// ```
    /// use policy_runtime::{Endpoint, Region};
    /// let r = Region::new("auto")?;
    /// let r2 = Endpoint::custom("https://acct.r2.example.com")?.path_style(false);
    /// assert_eq!(r2.url("media", &r), "https://media.acct.r2.example.com/");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn path_style(mut self, path_style: bool) -> Endpoint {
        self.path_style = path_style;
        self
    }

    /// Reads `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, from the process
    /// environment: a custom endpoint, path-style. `Ok(None)` when neither is
    /// set.
    ///
    /// ```no_run
    /// use policy_runtime::Endpoint;
    /// let endpoint = Endpoint::from_env()?.unwrap_or_default(); // AWS when neither is set
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn from_env() -> Result<Option<Endpoint>, Error> {
        Self::from_lookup(&env::process)
    }

    /// Like [`Endpoint::from_env`], reading variables through `lookup`.
    ///
    /// ```
    /// use policy_runtime::Endpoint;
    /// let vars = |n: &str| (n == "AWS_ENDPOINT_URL").then(|| "http://localhost:9000".to_string());
    /// assert!(Endpoint::from_lookup(&vars)?.is_some());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<Endpoint>, Error> {
        env::first(lookup, &["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
            .map(|url| Endpoint::custom(&url))
            .transpose()
    }

    /// The URL a form for `bucket` is posted to.
    ///
    /// ```
    /// # use policy_runtime::{Endpoint, Region};
    /// let china = Region::new("cn-north-1")?;
    /// assert_eq!(Endpoint::aws().url("photos", &china), "https://photos.s3.cn-north-1.amazonaws.com.cn/");
    /// let minio = Endpoint::custom("http://localhost:9000/s3/")?;
    /// assert_eq!(minio.url("photos", &china), "http://localhost:9000/s3/photos");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn url(&self, bucket: &str, region: &Region) -> String {
        let mut url = String::with_capacity(self.url_len(bucket, region));
        self.write_url(bucket, region, &mut url);
        url
    }

    /// An upper bound on the length of [`Endpoint::url`].
    pub(crate) fn url_len(&self, bucket: &str, region: &Region) -> usize {
        let base = match &self.custom {
            Some((base, _)) => base.len(),
            None => "https://s3..amazonaws.com.cn/".len() + region.as_str().len(),
        };
        base + bucket.len() + 2
    }

    /// Appends [`Endpoint::url`] to `out`.
    pub(crate) fn write_url(&self, bucket: &str, region: &Region, out: &mut String) {
        match &self.custom {
            Some((base, _)) if self.path_style => {
                out.push_str(base);
                out.push('/');
                out.push_str(bucket);
            }
            Some((base, scheme_len)) => {
                let (scheme, rest) = base.split_at_checked(*scheme_len).unwrap_or(("", base));
                out.push_str(scheme);
                out.push_str(bucket);
                out.push('.');
                out.push_str(rest);
                out.push('/');
            }
            None => {
                let domain = if region.as_str().starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                if self.path_style || bucket.contains('.') {
                    out.push_str("https://s3.");
                    out.push_str(region.as_str());
                    out.push('.');
                    out.push_str(domain);
                    out.push('/');
                    out.push_str(bucket);
                } else {
                    out.push_str("https://");
                    out.push_str(bucket);
                    out.push_str(".s3.");
                    out.push_str(region.as_str());
                    out.push('.');
                    out.push_str(domain);
                    out.push('/');
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_host_name_labels() {
        let long = "a".repeat(63);
        for good in [
            "us-east-1",
            "auto",
            "garage",
            "a",
            "9",
            "eu-2",
            long.as_str(),
        ] {
            assert_eq!(Region::new(good).unwrap().as_str(), good);
        }
        let too_long = "a".repeat(64);
        for bad in [
            "",
            "-",
            "--",
            "-us-east-1",
            "us-east-1-",
            "us_east_1",
            "us-east-1.",
            "US-east-1",
            "é",
            too_long.as_str(),
        ] {
            let error = Region::new(bad).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidRegion { region } if region == bad),
                "{bad}"
            );
            assert!(error
                .to_string()
                .contains("starting and ending with a letter or digit"));
        }
    }

    #[test]
    fn urls() {
        let r = Region::new("us-east-1").unwrap();
        assert_eq!(
            Endpoint::aws().url("a.b.c", &r),
            "https://s3.us-east-1.amazonaws.com/a.b.c"
        );
        assert_eq!(
            Endpoint::aws().url("bkt", &Region::new("cn-north-1").unwrap()),
            "https://bkt.s3.cn-north-1.amazonaws.com.cn/"
        );
        let custom = Endpoint::custom("https://acct.r2.example.com").unwrap();
        assert_eq!(custom.url("b-1", &r), "https://acct.r2.example.com/b-1");
        assert_eq!(
            custom.path_style(false).url("b-1", &r),
            "https://b-1.acct.r2.example.com/"
        );
        assert_eq!(
            Endpoint::custom("http://h:1/prefix/")
                .unwrap()
                .url("b-1", &r),
            "http://h:1/prefix/b-1"
        );
    }

    #[test]
    fn bad_endpoints() {
        for bad in [
            "",
            "http://",
            "https:///path",
            "ftp://x",
            "http://a b",
            "http://user@host",
            "http://h/#x",
            "http://h/\"><script>",
        ] {
            assert!(Endpoint::custom(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn environment_order() {
        let vars = |n: &str| match n {
            "AWS_ENDPOINT_URL_S3" => Some("http://s3-only:1".to_string()),
            "AWS_ENDPOINT_URL" => Some("http://generic:2".to_string()),
            "AWS_REGION" => Some(String::new()),
            "AWS_DEFAULT_REGION" => Some("eu-west-2".to_string()),
            _ => None,
        };
        let r = Region::from_lookup(&vars).unwrap();
        assert_eq!(r.as_str(), "eu-west-2");
        let e = Endpoint::from_lookup(&vars).unwrap().unwrap();
        assert_eq!(e.url("b-1", &r), "http://s3-only:1/b-1");
        assert!(Endpoint::from_lookup(&|_| None).unwrap().is_none());
        assert!(Region::from_lookup(&|_| None).is_err());
    }
}
