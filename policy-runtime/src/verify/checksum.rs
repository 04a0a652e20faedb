//! The checksum an accepted upload must have, and computing it over the
//! bytes as they stream in.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::Digest as _;

use super::Rejection;
use crate::rules::{self, ChecksumAlgorithm, ChecksumProblem};

/// The checksum S3 checks for an accepted upload: its algorithm and the
/// value the form sent.
///
/// A server feeds the file's bytes to [`Checksum::hasher`] as they arrive,
/// and calls [`Checksum::check`] before it stores anything: S3 refuses a
/// mismatch with `400 BadDigest`.
///
/// ```
/// use policy_runtime::verify::{Checksum, S3ErrorCode};
/// use policy_runtime::rules::ChecksumAlgorithm;
///
/// let wanted = Checksum::new(ChecksumAlgorithm::Crc32, "y/Q5Jg==").unwrap();
/// let mut hasher = wanted.hasher();
/// hasher.update(b"12345");
/// hasher.update(b"6789");
/// assert!(wanted.check(hasher).is_ok());
///
/// let mut hasher = wanted.hasher();
/// hasher.update(b"something else");
/// let refused = wanted.check(hasher).unwrap_err();
/// assert_eq!(refused.code(), S3ErrorCode::BadDigest);
/// assert_eq!(refused.s3_message(), "The CRC32 you specified did not match the calculated checksum.");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checksum {
    algorithm: ChecksumAlgorithm,
    expected: String,
}

impl Checksum {
    /// A checksum of `algorithm` expecting the base64 `value`, checked as S3
    /// reads it ([`ChecksumAlgorithm::check_value`]).
    ///
    /// ```
    /// # use policy_runtime::verify::Checksum;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let refused = Checksum::new(ChecksumAlgorithm::Sha1, "y/Q5Jg==").unwrap_err();
    /// assert_eq!(refused.code().as_str(), "InvalidRequest");
    /// assert!(Checksum::new(ChecksumAlgorithm::Sha1, "98O8HYCOBHMq32eZZczDTKeuNEE=").is_ok());
    /// ```
    pub fn new(algorithm: ChecksumAlgorithm, value: &str) -> Result<Checksum, Rejection> {
        algorithm.check_value(value).map_err(|reason| {
            Rejection::from(ChecksumProblem::InvalidValue {
                algorithm,
                value: value.into(),
                reason,
            })
        })?;
        Ok(Checksum {
            algorithm,
            expected: value.into(),
        })
    }

    /// The checksum a form asks for, from its fields as sent (`None` when
    /// it sends no checksum field), or why S3 refuses its checksum fields
    /// (`400 InvalidRequest`).
    ///
    /// ```
    /// # use policy_runtime::verify::Checksum;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let fields = [("key", "a"), ("X-Amz-Checksum-CRC32C", "4waSgw==")];
    /// let checksum = Checksum::from_fields(fields).unwrap().unwrap();
    /// assert_eq!(checksum.algorithm(), ChecksumAlgorithm::Crc32c);
    /// assert_eq!(checksum.expected(), "4waSgw==");
    /// let two = [("x-amz-checksum-crc32", "y/Q5Jg=="), ("x-amz-checksum-crc32c", "4waSgw==")];
    /// assert_eq!(Checksum::from_fields(two).unwrap_err().code().as_str(), "InvalidRequest");
    /// ```
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Option<Checksum>, Rejection> {
        Ok(
            rules::check_checksum_fields(fields)?.map(|(algorithm, value)| Checksum {
                algorithm,
                expected: value.into(),
            }),
        )
    }

    /// The algorithm.
    ///
    /// ```
    /// # use policy_runtime::verify::Checksum;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let c = Checksum::new(ChecksumAlgorithm::Crc64Nvme, "rosUhgp5mIg=").unwrap();
    /// assert_eq!(c.algorithm().field(), "x-amz-checksum-crc64nvme");
    /// ```
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// The base64 value the bytes must have.
    ///
    /// ```
    /// # use policy_runtime::verify::Checksum;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let c = Checksum::new(ChecksumAlgorithm::Crc32c, "4waSgw==").unwrap();
    /// assert_eq!(c.expected(), "4waSgw==");
    /// ```
    pub fn expected(&self) -> &str {
        &self.expected
    }

    /// A hasher for this checksum's algorithm.
    ///
    /// ```
    /// # use policy_runtime::verify::Checksum;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let c = Checksum::new(ChecksumAlgorithm::Sha1, "98O8HYCOBHMq32eZZczDTKeuNEE=").unwrap();
    /// assert_eq!(c.hasher().algorithm(), ChecksumAlgorithm::Sha1);
    /// ```
    pub fn hasher(&self) -> ChecksumHasher {
        ChecksumHasher::new(self.algorithm)
    }

    /// Finishes `hasher` and compares its value with the expected one:
    /// S3's `400 BadDigest` when they differ (a hasher of another
    /// algorithm never matches).
    ///
    /// ```
    /// # use policy_runtime::verify::{Checksum, ChecksumHasher};
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let c = Checksum::new(ChecksumAlgorithm::Sha1, "98O8HYCOBHMq32eZZczDTKeuNEE=").unwrap();
    /// let mut hasher = c.hasher();
    /// hasher.update(b"123456789");
    /// assert!(c.check(hasher).is_ok());
    /// let refused = c.check(ChecksumHasher::new(ChecksumAlgorithm::Sha1)).unwrap_err();
    /// assert!(refused.to_string().contains("2jmj7l5rSw0yVb/vlWAYkK/YBwk="), "{refused}");
    /// ```
    pub fn check(&self, hasher: ChecksumHasher) -> Result<(), Rejection> {
        let same_algorithm = hasher.algorithm() == self.algorithm;
        let computed = hasher.finish_base64();
        if same_algorithm && computed == self.expected {
            Ok(())
        } else {
            Err(Rejection::ChecksumMismatch {
                algorithm: self.algorithm,
                expected: self.expected.clone(),
                computed,
            })
        }
    }
}

/// Computes a checksum S3 knows over bytes fed in pieces.
///
/// ```
/// use policy_runtime::verify::ChecksumHasher;
/// use policy_runtime::rules::ChecksumAlgorithm;
///
/// // The values AWS gives for `123456789`.
/// for (algorithm, value) in [
///     (ChecksumAlgorithm::Crc32, "y/Q5Jg=="),
///     (ChecksumAlgorithm::Crc32c, "4waSgw=="),
///     (ChecksumAlgorithm::Crc64Nvme, "rosUhgp5mIg="),
///     (ChecksumAlgorithm::Sha1, "98O8HYCOBHMq32eZZczDTKeuNEE="),
///     (ChecksumAlgorithm::Sha256, "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="),
/// ] {
///     let mut hasher = ChecksumHasher::new(algorithm);
///     hasher.update(b"123456789");
///     assert_eq!(hasher.finish_base64(), value);
/// }
/// ```
#[derive(Clone)]
pub struct ChecksumHasher {
    state: State,
}

#[derive(Clone)]
enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc::Digest<'static, u64, crc::Table<16>>),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
}

static CRC64_NVME: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_NVME);

impl ChecksumHasher {
    /// A hasher for `algorithm`, over no bytes yet.
    ///
    /// ```
    /// # use policy_runtime::verify::ChecksumHasher;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let empty = ChecksumHasher::new(ChecksumAlgorithm::Crc32).finish_base64();
    /// assert_eq!(empty, "AAAAAA==");
    /// ```
    pub fn new(algorithm: ChecksumAlgorithm) -> ChecksumHasher {
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => State::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => State::Crc32c(0),
            ChecksumAlgorithm::Crc64Nvme => State::Crc64Nvme(CRC64_NVME.digest()),
            ChecksumAlgorithm::Sha1 => State::Sha1(sha1::Sha1::new()),
            ChecksumAlgorithm::Sha256 => State::Sha256(sha2::Sha256::new()),
        };
        ChecksumHasher { state }
    }

    /// The algorithm.
    ///
    /// ```
    /// # use policy_runtime::verify::ChecksumHasher;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// assert_eq!(ChecksumHasher::new(ChecksumAlgorithm::Sha1).algorithm(), ChecksumAlgorithm::Sha1);
    /// ```
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.state {
            State::Crc32(_) => ChecksumAlgorithm::Crc32,
            State::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            State::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            State::Sha1(_) => ChecksumAlgorithm::Sha1,
            State::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// Feeds the next bytes.
    ///
    /// ```
    /// # use policy_runtime::verify::ChecksumHasher;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let mut pieces = ChecksumHasher::new(ChecksumAlgorithm::Crc64Nvme);
    /// pieces.update(b"1234");
    /// pieces.update(b"56789");
    /// assert_eq!(pieces.finish(), 0xae8b14860a799888u64.to_be_bytes());
    /// ```
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.state {
            State::Crc32(h) => h.update(bytes),
            State::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, bytes),
            State::Crc64Nvme(h) => h.update(bytes),
            State::Sha1(h) => h.update(bytes),
            State::Sha256(h) => h.update(bytes),
        }
    }

    /// The digest, big-endian for the CRCs (as S3 encodes them).
    ///
    /// ```
    /// # use policy_runtime::verify::ChecksumHasher;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let mut crc = ChecksumHasher::new(ChecksumAlgorithm::Crc32);
    /// crc.update(b"123456789");
    /// assert_eq!(crc.finish(), [0xcb, 0xf4, 0x39, 0x26]);
    /// ```
    pub fn finish(self) -> Vec<u8> {
        match self.state {
            State::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            State::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            State::Crc64Nvme(h) => h.finalize().to_be_bytes().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
        }
    }

    /// The digest in base64, as forms and S3's headers write it.
    ///
    /// ```
    /// # use policy_runtime::verify::ChecksumHasher;
    /// # use policy_runtime::rules::ChecksumAlgorithm;
    /// let sha = ChecksumHasher::new(ChecksumAlgorithm::Sha256).finish_base64();
    /// assert_eq!(sha, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    /// ```
    pub fn finish_base64(self) -> String {
        STANDARD.encode(self.finish())
    }
}

impl std::fmt::Debug for ChecksumHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChecksumHasher")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl From<ChecksumProblem> for Rejection {
    fn from(problem: ChecksumProblem) -> Rejection {
        Rejection::InvalidChecksum(problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The hand-written check of a checksum value agrees with the
        /// base64 crate's strict decoder on every string of the right
        /// alphabet (and lengths around the right one).
        #[test]
        fn value_check_agrees_with_a_strict_decoder(
            value in "[A-Za-z0-9+/=]{0,46}",
            index in 0usize..5,
        ) {
            let algorithm = ChecksumAlgorithm::ALL[index];
            let decoded = STANDARD.decode(&value).ok().filter(|d| d.len() == algorithm.digest_len());
            prop_assert_eq!(algorithm.check_value(&value).is_ok(), decoded.is_some(), "{}", value);
        }

        /// Every digest, encoded, passes the check; and feeding bytes in
        /// pieces gives the digest of the whole.
        #[test]
        fn pieces_give_the_digest_of_the_whole(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            cut in 0usize..300,
            index in 0usize..5,
        ) {
            let algorithm = ChecksumAlgorithm::ALL[index];
            let cut = cut.min(bytes.len());
            let mut whole = ChecksumHasher::new(algorithm);
            whole.update(&bytes);
            let mut pieces = ChecksumHasher::new(algorithm);
            pieces.update(&bytes[..cut]);
            pieces.update(&bytes[cut..]);
            let whole = whole.finish_base64();
            prop_assert_eq!(&pieces.finish_base64(), &whole);
            prop_assert!(algorithm.check_value(&whole).is_ok());
        }
    }

    #[test]
    fn a_hasher_of_another_algorithm_never_matches() {
        let wanted = Checksum::new(ChecksumAlgorithm::Crc32, "AAAAAA==").unwrap();
        let same = ChecksumHasher::new(ChecksumAlgorithm::Crc32);
        assert!(wanted.check(same).is_ok());
        let other = ChecksumHasher::new(ChecksumAlgorithm::Crc32c); // also AAAAAA==
        assert!(wanted.check(other).is_err());
    }
}
