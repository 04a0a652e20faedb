//! What the endpoint runs with: storage directory, region, credentials,
//! origins and buckets.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use policy_runtime::{Credentials, Region};

/// The endpoint's settings.
///
/// `Debug` shows access key ids, never secrets.
///
/// ```
/// use post_policy_local::Config;
/// use policy_runtime::{Credentials, Region};
///
/// let config = Config::new("/tmp/uploads", Region::new("us-east-1")?)
///     .credentials(Credentials::new("AKID1", "secret-one")?)
///     .credentials(Credentials::new("AKID2", "secret-two")?)
///     .allow_origin("http://localhost:5173")
///     .bucket("photos");
/// assert_eq!(config.access_key_ids().collect::<Vec<_>>(), ["AKID1", "AKID2"]);
/// assert_eq!(config.allowed_origins(), ["http://localhost:5173"]);
/// assert!(config.serves_bucket("photos") && !config.serves_bucket("other"));
/// assert!(!format!("{config:?}").contains("secret"));
/// # Ok::<(), policy_runtime::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    dir: PathBuf,
    region: Region,
    credentials: Vec<Credentials>,
    origins: Vec<String>,
    buckets: Vec<String>,
    idle_timeout: Duration,
    fsync: bool,
}

/// How long a connection may send nothing in the middle of a request before
/// it is answered `400 RequestTimeout` and closed; S3 closes idle
/// connections after about 20 seconds.
///
/// ```
/// # use post_policy_local::{Config, DEFAULT_IDLE_TIMEOUT};
/// # use policy_runtime::Region;
/// assert_eq!(DEFAULT_IDLE_TIMEOUT.as_secs(), 20);
/// assert_eq!(Config::new("uploads", Region::new("eu-west-1")?).idle(), DEFAULT_IDLE_TIMEOUT);
/// # Ok::<(), policy_runtime::Error>(())
/// ```
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

impl Config {
    /// Settings storing objects under `dir`, for buckets in `region`, with no
    /// credentials yet (every form is then refused with
    /// `InvalidAccessKeyId`), any origin allowed and any bucket served.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// let config = Config::new("uploads", Region::new("eu-west-1")?);
    /// assert_eq!(config.dir(), std::path::Path::new("uploads"));
    /// assert_eq!(config.access_key_ids().count(), 0);
    /// assert_eq!(config.allowed_origins(), ["*"]);
    /// assert!(config.serves_bucket("any-bucket"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn new(dir: impl AsRef<Path>, region: Region) -> Config {
        Config {
            dir: dir.as_ref().to_path_buf(),
            region,
            credentials: Vec::new(),
            origins: Vec::new(),
            buckets: Vec::new(),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            fsync: true,
        }
    }

    /// Whether each object's file is synced to disk (`fsync`) before it
    /// is renamed into place and the upload answered; on unless set. On,
    /// a crash of the machine never leaves a damaged object: after it an
    /// object is whole, its earlier version, or absent (the rename reaches
    /// the disk with the filesystem's next commit, a few seconds on ext4,
    /// so an upload answered just before the crash can be lost whole).
    /// Off, an object is answered as soon as it is renamed into place:
    /// still whole or absent to every reader while the machine runs, but
    /// a crash of the machine (not of the endpoint) can lose recent objects
    /// or leave them damaged. Off is for test suites that upload many
    /// small files to a throwaway directory (one client's 1 KiB uploads go
    /// about a third faster here, `BENCHMARKS.md`); never for data that
    /// matters.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// let config = Config::new("uploads", Region::new("eu-west-1")?);
    /// assert!(config.fsyncs());
    /// assert!(!config.fsync(false).fsyncs());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn fsync(mut self, fsync: bool) -> Config {
        self.fsync = fsync;
        self
    }

    /// Whether objects are synced before an upload is answered (see
    /// [`Config::fsync`]).
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// assert!(Config::new("u", Region::new("eu-west-1")?).fsyncs());
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn fsyncs(&self) -> bool {
        self.fsync
    }

    /// How long a client may send nothing while its request's headers or
    /// body are unfinished ([`DEFAULT_IDLE_TIMEOUT`] unless set): a stalled
    /// body is answered `400 RequestTimeout`, stalled headers close the
    /// connection. It also bounds how long stopping the endpoint waits for
    /// requests under way.
    ///
    /// ```
    /// # use post_policy_local::{Config, DEFAULT_IDLE_TIMEOUT};
    /// # use policy_runtime::Region;
    /// # use std::time::Duration;
    /// let config = Config::new("uploads", Region::new("eu-west-1")?);
    /// assert_eq!(config.idle(), DEFAULT_IDLE_TIMEOUT);
    /// assert_eq!(config.idle_timeout(Duration::from_secs(2)).idle(), Duration::from_secs(2));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn idle_timeout(mut self, timeout: Duration) -> Config {
        self.idle_timeout = timeout;
        self
    }

    /// The idle timeout (see [`Config::idle_timeout`]).
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// assert_eq!(Config::new("u", Region::new("eu-west-1")?).idle().as_secs(), 20);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn idle(&self) -> Duration {
        self.idle_timeout
    }

    /// Adds credentials forms may be signed with. Several may be added;
    /// credentials for an access key id added before replace the earlier
    /// ones.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::{Credentials, Region};
    /// let config = Config::new("uploads", Region::new("eu-west-1")?)
    ///     .credentials(Credentials::new("AKID1", "one")?)
    ///     .credentials(Credentials::new("AKID2", "two")?);
    /// assert_eq!(config.access_key_ids().collect::<Vec<_>>(), ["AKID1", "AKID2"]);
    ///
    /// let rotated = config.credentials(Credentials::new("AKID1", "one-rotated")?);
    /// assert_eq!(rotated.access_key_ids().collect::<Vec<_>>(), ["AKID1", "AKID2"]);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn credentials(mut self, credentials: Credentials) -> Config {
        let id = credentials.access_key_id();
        match self
            .credentials
            .iter_mut()
            .find(|c| c.access_key_id() == id)
        {
            Some(earlier) => *earlier = credentials,
            None => self.credentials.push(credentials),
        }
        self
    }

    /// Adds an origin (`scheme://host[:port]`) whose pages may post and
    /// read objects, or `*` for any. Without any, every origin is allowed.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// let config = Config::new("uploads", Region::new("eu-west-1")?)
    ///     .allow_origin("http://localhost:5173")
    ///     .allow_origin("https://app.example");
    /// assert_eq!(config.allowed_origins(), ["http://localhost:5173", "https://app.example"]);
    /// assert_eq!(config.allow_origin_for(Some("http://evil.example")), None);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Config {
        self.origins.push(origin.into());
        self
    }

    /// Adds a bucket to serve. Without any, every valid bucket name is
    /// served (the signed policy names the bucket anyway); with some, others
    /// answer `NoSuchBucket`.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// let config = Config::new("uploads", Region::new("eu-west-1")?).bucket("photos").bucket("docs");
    /// assert!(config.serves_bucket("docs"));
    /// assert!(!config.serves_bucket("videos"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn bucket(mut self, bucket: impl Into<String>) -> Config {
        self.buckets.push(bucket.into());
        self
    }

    /// Where objects are stored.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// let config = Config::new("/srv/uploads", Region::new("eu-west-1")?);
    /// assert_eq!(config.dir().join("photos"), std::path::Path::new("/srv/uploads/photos"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The region credential scopes must name.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// let config = Config::new("uploads", Region::new("eu-west-1")?);
    /// assert_eq!(config.region().as_str(), "eu-west-1");
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The access key ids forms may be signed with.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::{Credentials, Region};
    /// let config = Config::new("uploads", Region::new("eu-west-1")?);
    /// assert_eq!(config.access_key_ids().next(), None);
    /// let config = config.credentials(Credentials::new("AKID", "secret")?);
    /// assert_eq!(config.access_key_ids().collect::<Vec<_>>(), ["AKID"]);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn access_key_ids(&self) -> impl Iterator<Item = &str> {
        self.credentials.iter().map(Credentials::access_key_id)
    }

    pub(crate) fn credential_list(&self) -> &[Credentials] {
        &self.credentials
    }

    /// The origins allowed; `["*"]` when any is.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// let config = Config::new("uploads", Region::new("eu-west-1")?);
    /// assert_eq!(config.allowed_origins(), ["*"]);
    /// assert_eq!(config.allow_origin("http://localhost:3000").allowed_origins(), ["http://localhost:3000"]);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn allowed_origins(&self) -> Vec<&str> {
        if self.origins.is_empty() {
            vec!["*"]
        } else {
            self.origins.iter().map(String::as_str).collect()
        }
    }

    /// The value of `Access-Control-Allow-Origin` for a request from
    /// `origin`, if that origin may use the endpoint.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// let any = Config::new("d", Region::new("us-east-1")?);
    /// assert_eq!(any.allow_origin_for(Some("http://a.test")), Some("*"));
    /// let one = any.clone().allow_origin("http://a.test");
    /// assert_eq!(one.allow_origin_for(Some("http://a.test")), Some("http://a.test"));
    /// assert_eq!(one.allow_origin_for(Some("http://b.test")), None);
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn allow_origin_for<'a>(&'a self, origin: Option<&'a str>) -> Option<&'a str> {
        if self.origins.is_empty() || self.origins.iter().any(|o| o == "*") {
            return Some("*");
        }
        let origin = origin?;
        self.origins
            .iter()
            .find(|o| o.eq_ignore_ascii_case(origin))
            .map(|_| origin)
    }

    /// Whether `bucket` is served.
    ///
    /// ```
    /// # use post_policy_local::Config;
    /// # use policy_runtime::Region;
    /// let any = Config::new("uploads", Region::new("eu-west-1")?);
    /// assert!(any.serves_bucket("photos"));
    /// let one = any.bucket("photos");
    /// assert!(one.serves_bucket("photos") && !one.serves_bucket("Photos"));
    /// # Ok::<(), policy_runtime::Error>(())
    /// ```
    pub fn serves_bucket(&self, bucket: &str) -> bool {
        self.buckets.is_empty() || self.buckets.iter().any(|b| b == bucket)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("dir", &self.dir)
            .field("region", &self.region.as_str())
            .field("access_key_ids", &self.access_key_ids().collect::<Vec<_>>())
            .field("origins", &self.allowed_origins())
            .field("buckets", &self.buckets)
            .field("idle_timeout", &self.idle_timeout)
            .field("fsync", &self.fsync)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_for_a_known_access_key_replace_the_earlier_ones() {
        let config = Config::new("uploads", Region::new("eu-west-1").unwrap())
            .credentials(Credentials::new("AKID1", "one").unwrap())
            .credentials(Credentials::new("AKID2", "two").unwrap())
            .credentials(Credentials::new("AKID1", "one-rotated").unwrap());
        let secrets: Vec<_> = config
            .credential_list()
            .iter()
            .map(|c| (c.access_key_id(), c.secret_access_key()))
            .collect();
        assert_eq!(secrets, [("AKID1", "one-rotated"), ("AKID2", "two")]);
    }
}
