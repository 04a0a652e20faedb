//! S3's checksum fields: the algorithms, how a checksum value is written,
//! and which combinations of checksum fields one form may send.

/// A checksum algorithm S3 computes over an uploaded object.
///
/// ```
/// use policy_rules::ChecksumAlgorithm;
///
/// let sha = ChecksumAlgorithm::from_name("SHA256").unwrap();
/// assert_eq!(sha.field(), "x-amz-checksum-sha256");
/// assert_eq!(sha.digest_len(), 32);
/// assert_eq!(ChecksumAlgorithm::from_field("X-Amz-Checksum-CRC32C"), Some(ChecksumAlgorithm::Crc32c));
/// assert_eq!(ChecksumAlgorithm::from_name("sha256"), None); // S3 spells them in capitals
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO HDLC, as zlib), 4 bytes.
    Crc32,
    /// CRC-32C (Castagnoli), 4 bytes.
    Crc32c,
    /// CRC-64/NVME, 8 bytes.
    Crc64Nvme,
    /// SHA-1, 20 bytes.
    Sha1,
    /// SHA-256, 32 bytes.
    Sha256,
}

/// The field naming the algorithm of the form's checksum.
///
/// ```
/// # use policy_rules::{lookup, FieldKind, CHECKSUM_ALGORITHM_FIELD};
/// assert!(matches!(lookup(CHECKSUM_ALGORITHM_FIELD), Some(FieldKind::Known(_))));
/// ```
pub const CHECKSUM_ALGORITHM_FIELD: &str = "x-amz-checksum-algorithm";

impl ChecksumAlgorithm {
    /// Every algorithm, in the order S3 lists them.
    ///
    /// ```
    /// # use policy_rules::ChecksumAlgorithm;
    /// let names: Vec<_> = ChecksumAlgorithm::ALL.iter().map(|a| a.name()).collect();
    /// assert_eq!(names, ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]);
    /// ```
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// The name S3 uses (`x-amz-checksum-algorithm`'s value).
    ///
    /// ```
    /// # use policy_rules::ChecksumAlgorithm;
    /// assert_eq!(ChecksumAlgorithm::Crc64Nvme.name(), "CRC64NVME");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The form field (and response header) carrying its value.
    ///
    /// ```
    /// # use policy_rules::ChecksumAlgorithm;
    /// assert_eq!(ChecksumAlgorithm::Sha1.field(), "x-amz-checksum-sha1");
    /// ```
    pub const fn field(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The digest's length in bytes (before base64).
    ///
    /// ```
    /// # use policy_rules::ChecksumAlgorithm;
    /// assert_eq!(ChecksumAlgorithm::Crc32.digest_len(), 4);
    /// ```
    pub const fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }

    /// The algorithm S3 calls `name` (case-sensitive, as S3 compares).
    ///
    /// ```
    /// # use policy_rules::ChecksumAlgorithm;
    /// assert_eq!(ChecksumAlgorithm::from_name("CRC32"), Some(ChecksumAlgorithm::Crc32));
    /// assert_eq!(ChecksumAlgorithm::from_name("MD5"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<ChecksumAlgorithm> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The algorithm whose value the form field `name` carries (any case).
    ///
    /// ```
    /// # use policy_rules::ChecksumAlgorithm;
    /// assert_eq!(ChecksumAlgorithm::from_field("x-amz-checksum-sha256"), Some(ChecksumAlgorithm::Sha256));
    /// assert_eq!(ChecksumAlgorithm::from_field("x-amz-checksum-algorithm"), None);
    /// ```
    pub fn from_field(name: &str) -> Option<ChecksumAlgorithm> {
        Self::ALL
            .into_iter()
            .find(|a| a.field().eq_ignore_ascii_case(name))
    }

    /// Checks that `value` is written as S3 reads this algorithm's checksum:
    /// standard base64 with padding, of exactly [`digest_len`] bytes, with
    /// no stray bits in its last character (S3 refuses
    /// `98O8HYCOBHMq32eZZczDTKeuNEF=` for a SHA-1 whose canonical spelling
    /// ends in `E=`).
    ///
    /// [`digest_len`]: ChecksumAlgorithm::digest_len
    ///
    /// ```
    /// # use policy_rules::ChecksumAlgorithm;
    /// assert!(ChecksumAlgorithm::Crc32.check_value("y/Q5Jg==").is_ok());
    /// let err = ChecksumAlgorithm::Crc32.check_value("y/Q5Jg").unwrap_err();
    /// assert!(err.contains("8 characters"), "{err}");
    /// assert!(ChecksumAlgorithm::Crc32.check_value("y/Q5Jh==").is_err()); // stray bits
    /// ```
    pub fn check_value(self, value: &str) -> Result<(), String> {
        let what = format!("a {} checksum is the base64 of its", self.name());
        check_base64(value, self.digest_len(), &what, "digest")
    }
}

/// Checks that `value` is the canonical padded standard base64 of exactly
/// `len` bytes; the error starts "`what` `len`-byte `thing`: ...".
pub(crate) fn check_base64(value: &str, len: usize, what: &str, thing: &str) -> Result<(), String> {
    let encoded = 4 * len.div_ceil(3);
    let padding = (3 - len % 3) % 3;
    let example = "A".repeat(encoded - padding) + &"=".repeat(padding);
    let expected =
        || format!("{what} {len}-byte {thing}: {encoded} characters such as `{example}`");
    if value.len() != encoded {
        return Err(format!("{}, not {} characters", expected(), value.len()));
    }
    let (data, pad) = value.as_bytes().split_at(encoded - padding);
    if pad.iter().any(|&c| c != b'=') {
        return Err(format!("{}; it must end in {padding} `=`", expected()));
    }
    let mut last = 0;
    for &c in data {
        last = sextet(c).ok_or_else(|| {
            format!(
                "{}; {:?} is not a base64 character (A-Z, a-z, 0-9, `+`, `/`)",
                expected(),
                char::from(c)
            )
        })?;
    }
    let stray_bits = data.len() * 6 - len * 8;
    if last & ((1 << stray_bits) - 1) != 0 {
        return Err(format!(
            "{}; its last character carries bits beyond the {thing}, so it is not the \
             canonical spelling of any {thing}",
            expected()
        ));
    }
    Ok(())
}

/// The value of a standard base64 character.
fn sextet(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}

/// Why a form's checksum fields cannot be used.
///
/// ```
/// use policy_rules::{check_checksum_fields, ChecksumProblem};
/// let problem = check_checksum_fields([("x-amz-checksum-algorithm", "MD5")]).unwrap_err();
/// assert_eq!(problem, ChecksumProblem::UnknownAlgorithm { value: "MD5".into() });
/// assert!(problem.to_string().contains("CRC32, CRC32C, CRC64NVME, SHA1, SHA256"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChecksumProblem {
    /// More than one `x-amz-checksum-<algorithm>` field.
    Multiple {
        /// The fields, as sent.
        fields: Vec<String>,
    },
    /// `x-amz-checksum-algorithm` names no algorithm S3 knows.
    UnknownAlgorithm {
        /// The value sent.
        value: String,
    },
    /// A checksum value that is not the base64 of the algorithm's digest.
    InvalidValue {
        /// The algorithm whose field it is.
        algorithm: ChecksumAlgorithm,
        /// The value sent.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `x-amz-checksum-algorithm` without a checksum value field: S3 does
    /// not compute a checksum for a form, it checks the one sent.
    MissingValue {
        /// The algorithm named.
        named: ChecksumAlgorithm,
    },
    /// `x-amz-checksum-algorithm` names another algorithm than the value
    /// field sent.
    Disagree {
        /// The algorithm named.
        named: ChecksumAlgorithm,
        /// The algorithm of the value field.
        sent: ChecksumAlgorithm,
    },
}

impl ChecksumProblem {
    /// The field at fault.
    ///
    /// ```
    /// # use policy_rules::{ChecksumAlgorithm, ChecksumProblem};
    /// let p = ChecksumProblem::Disagree { named: ChecksumAlgorithm::Sha1, sent: ChecksumAlgorithm::Crc32 };
    /// assert_eq!(p.field(), "x-amz-checksum-algorithm");
    /// ```
    pub fn field(&self) -> &str {
        match self {
            ChecksumProblem::Multiple { fields } => fields.last().map_or("", String::as_str),
            ChecksumProblem::InvalidValue { algorithm, .. } => algorithm.field(),
            ChecksumProblem::UnknownAlgorithm { .. }
            | ChecksumProblem::MissingValue { .. }
            | ChecksumProblem::Disagree { .. } => CHECKSUM_ALGORITHM_FIELD,
        }
    }

    /// The message S3 puts in its error body (code `InvalidRequest`).
    ///
    /// ```
    /// # use policy_rules::{ChecksumAlgorithm, ChecksumProblem};
    /// let p = ChecksumProblem::Multiple { fields: vec!["x-amz-checksum-crc32".into(), "x-amz-checksum-sha1".into()] };
    /// assert_eq!(p.s3_message(), "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
    /// ```
    pub fn s3_message(&self) -> String {
        match self {
            ChecksumProblem::Multiple { .. } => {
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
                    .into()
            }
            ChecksumProblem::UnknownAlgorithm { .. } => format!(
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [{}]",
                names()
            ),
            ChecksumProblem::InvalidValue { algorithm, .. } => {
                format!("Value for {} header is invalid.", algorithm.field())
            }
            ChecksumProblem::MissingValue { .. } => format!(
                "{CHECKSUM_ALGORITHM_FIELD} specified, but no corresponding x-amz-checksum-* \
                 or x-amz-trailer headers were found."
            ),
            ChecksumProblem::Disagree { .. } => {
                format!("Value for {CHECKSUM_ALGORITHM_FIELD} header is invalid.")
            }
        }
    }
}

impl std::fmt::Display for ChecksumProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChecksumProblem::Multiple { fields } => write!(
                f,
                "the form sends {} checksum fields ({}); S3 takes one: keep one `x-amz-checksum-*` field",
                fields.len(),
                fields.join(", ")
            ),
            ChecksumProblem::UnknownAlgorithm { value } => write!(
                f,
                "`{CHECKSUM_ALGORITHM_FIELD}` is {value:?}; S3 knows {} (in capitals)",
                names()
            ),
            ChecksumProblem::InvalidValue {
                algorithm, reason, ..
            } => write!(f, "`{}` is not usable: {reason}", algorithm.field()),
            ChecksumProblem::MissingValue { named } => write!(
                f,
                "`{CHECKSUM_ALGORITHM_FIELD}` is {} but the form sends no `{}`: S3 checks the \
                 checksum a form sends and computes none; send the file's checksum in `{}`, \
                 or drop `{CHECKSUM_ALGORITHM_FIELD}`",
                named.name(),
                named.field(),
                named.field()
            ),
            ChecksumProblem::Disagree { named, sent } => write!(
                f,
                "`{CHECKSUM_ALGORITHM_FIELD}` is {} but the form's checksum is `{}`; \
                 name the algorithm of the checksum sent, or drop `{CHECKSUM_ALGORITHM_FIELD}`",
                named.name(),
                sent.field()
            ),
        }
    }
}

impl std::error::Error for ChecksumProblem {}

fn names() -> String {
    ChecksumAlgorithm::ALL
        .map(ChecksumAlgorithm::name)
        .join(", ")
}

/// The checksum a form asks S3 to check, from its fields (`(name, value)`,
/// names in any case): the algorithm and the base64 value the object's
/// bytes must have; `None` when the form sends no checksum field.
///
/// S3's checks, in its order: at most one `x-amz-checksum-<algorithm>`
/// field; `x-amz-checksum-algorithm` one of S3's names, and only beside a
/// value; the value the base64 of the algorithm's digest; and the named
/// algorithm the value's.
///
/// ```
/// use policy_rules::{check_checksum_fields, ChecksumAlgorithm, ChecksumProblem};
///
/// let sha = [("key", "a"), ("x-amz-checksum-sha256", "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=")];
/// let (algorithm, value) = check_checksum_fields(sha).unwrap().unwrap();
/// assert_eq!((algorithm, value), (ChecksumAlgorithm::Sha256, sha[1].1));
///
/// let two = [("x-amz-checksum-crc32", "y/Q5Jg=="), ("X-Amz-Checksum-SHA1", "98O8HYCOBHMq32eZZczDTKeuNEE=")];
/// assert!(matches!(check_checksum_fields(two), Err(ChecksumProblem::Multiple { .. })));
/// assert_eq!(check_checksum_fields([("key", "a")]), Ok(None));
/// ```
pub fn check_checksum_fields<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Option<(ChecksumAlgorithm, &'a str)>, ChecksumProblem> {
    let mut named = None;
    let mut sent: Vec<(&str, ChecksumAlgorithm, &str)> = Vec::new();
    for (name, value) in fields {
        if name.eq_ignore_ascii_case(CHECKSUM_ALGORITHM_FIELD) {
            named = Some(value);
        } else if let Some(algorithm) = ChecksumAlgorithm::from_field(name) {
            sent.push((name, algorithm, value));
        }
    }
    if sent.len() > 1 {
        return Err(ChecksumProblem::Multiple {
            fields: sent.iter().map(|(name, ..)| name.to_string()).collect(),
        });
    }
    let named = match named {
        Some(value) => Some(ChecksumAlgorithm::from_name(value).ok_or_else(|| {
            ChecksumProblem::UnknownAlgorithm {
                value: value.into(),
            }
        })?),
        None => None,
    };
    match (named, sent.pop()) {
        (None, None) => Ok(None),
        (Some(named), None) => Err(ChecksumProblem::MissingValue { named }),
        (named, Some((_, algorithm, value))) => {
            algorithm
                .check_value(value)
                .map_err(|reason| ChecksumProblem::InvalidValue {
                    algorithm,
                    value: value.into(),
                    reason,
                })?;
            match named {
                Some(named) if named != algorithm => Err(ChecksumProblem::Disagree {
                    named,
                    sent: algorithm,
                }),
                _ => Ok(Some((algorithm, value))),
            }
        }
    }
}

/// Checks a policy's checksum conditions as a whole, given each
/// condition's field and its value when it is an exact, known value: a form
/// meeting them must be one S3 can accept. So at most one checksum value
/// field, and `x-amz-checksum-algorithm` only beside the value field of the
/// algorithm it names. [`ChecksumProblem::in_policy`] says why a policy
/// fails.
///
/// ```
/// use policy_rules::{check_checksum_conditions, ChecksumProblem};
///
/// let one = [("key", Some("a")), ("x-amz-checksum-sha256", None)];
/// assert_eq!(check_checksum_conditions(one), Ok(()));
/// let bare = [("x-amz-checksum-algorithm", Some("SHA256"))];
/// let problem = check_checksum_conditions(bare).unwrap_err();
/// assert!(matches!(problem, ChecksumProblem::MissingValue { .. }));
/// assert!(problem.in_policy().contains("`x-amz-checksum-sha256`"), "{}", problem.in_policy());
/// ```
pub fn check_checksum_conditions<'a>(
    conditions: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> Result<(), ChecksumProblem> {
    let mut named = None;
    let mut sent: Vec<(&str, ChecksumAlgorithm)> = Vec::new();
    for (name, value) in conditions {
        if name.eq_ignore_ascii_case(CHECKSUM_ALGORITHM_FIELD) {
            named = named.or(value.and_then(ChecksumAlgorithm::from_name));
        } else if let Some(algorithm) = ChecksumAlgorithm::from_field(name) {
            if !sent.iter().any(|(_, a)| *a == algorithm) {
                sent.push((name, algorithm));
            }
        }
    }
    if sent.len() > 1 {
        return Err(ChecksumProblem::Multiple {
            fields: sent.iter().map(|(name, _)| name.to_string()).collect(),
        });
    }
    match (named, sent.first()) {
        (Some(named), None) => Err(ChecksumProblem::MissingValue { named }),
        (Some(named), Some(&(_, sent))) if named != sent => {
            Err(ChecksumProblem::Disagree { named, sent })
        }
        _ => Ok(()),
    }
}

impl ChecksumProblem {
    /// Why a policy whose conditions have this problem can never be met
    /// (see [`check_checksum_conditions`]).
    ///
    /// ```
    /// # use policy_rules::{ChecksumAlgorithm, ChecksumProblem};
    /// let p = ChecksumProblem::Disagree { named: ChecksumAlgorithm::Sha1, sent: ChecksumAlgorithm::Crc32 };
    /// assert!(p.in_policy().starts_with("`x-amz-checksum-algorithm` is SHA1"), "{}", p.in_policy());
    /// ```
    pub fn in_policy(&self) -> String {
        match self {
            ChecksumProblem::Multiple { fields } => format!(
                "the policy requires {} checksum fields ({}), but S3 refuses a form that sends \
                 more than one; keep one",
                fields.len(),
                fields.join(", ")
            ),
            ChecksumProblem::MissingValue { named } => format!(
                "`{CHECKSUM_ALGORITHM_FIELD}` is {} but the policy has no condition on `{}`: S3 \
                 refuses the algorithm without the checksum itself (it checks a form's checksum, \
                 it computes none); add a condition on `{}` or drop `{CHECKSUM_ALGORITHM_FIELD}`",
                named.name(),
                named.field(),
                named.field()
            ),
            ChecksumProblem::Disagree { named, sent } => format!(
                "`{CHECKSUM_ALGORITHM_FIELD}` is {} but the policy's checksum field is `{}`, and \
                 S3 refuses a form where they differ; make them agree",
                named.name(),
                sent.field()
            ),
            // Values are checked one condition at a time.
            ChecksumProblem::UnknownAlgorithm { .. } | ChecksumProblem::InvalidValue { .. } => {
                self.to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{lookup, FieldKind, ValueRule};

    #[test]
    fn the_field_table_agrees_with_the_algorithms() {
        for algorithm in ChecksumAlgorithm::ALL {
            let Some(FieldKind::Known(spec)) = lookup(algorithm.field()) else {
                panic!("{algorithm:?}")
            };
            assert_eq!(spec.value, ValueRule::Digest(algorithm));
        }
        let Some(FieldKind::Known(spec)) = lookup(CHECKSUM_ALGORITHM_FIELD) else {
            panic!()
        };
        let ValueRule::OneOf(names) = spec.value else {
            panic!("{:?}", spec.value)
        };
        assert_eq!(names, ChecksumAlgorithm::ALL.map(ChecksumAlgorithm::name));
    }

    /// The values S3 answers for `123456789` (OpenStack Swift's s3api
    /// checksum tests, written against AWS): `EXPECTED` accepted, `INVALID`
    /// (same length, stray bits) refused as malformed.
    #[test]
    fn values_as_s3_reads_them() {
        use ChecksumAlgorithm::*;
        for (algorithm, good, stray) in [
            (Crc32, "y/Q5Jg==", "y/Q5Jh=="),
            (Crc64Nvme, "rosUhgp5mIg=", "rosUhgp5mIh="),
            (
                Sha1,
                "98O8HYCOBHMq32eZZczDTKeuNEE=",
                "98O8HYCOBHMq32eZZczDTKeuNEF=",
            ),
            (
                Sha256,
                "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
                "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiV=",
            ),
        ] {
            assert_eq!(algorithm.check_value(good), Ok(()), "{algorithm:?}");
            assert!(algorithm.check_value(stray).is_err(), "{algorithm:?}");
        }
        // Swift's malformed CRC32 values: bad length, too short, too long,
        // invalid characters.
        for bad in ["short===", "shrt", "toolong=", "^^^^^^==", "y^/^Q5^J^g=="] {
            assert!(Crc32.check_value(bad).is_err(), "{bad}");
        }
        assert!(Crc32.check_value("y/Q5Jg=").is_err());
        assert!(Crc32.check_value("y/Q5J===").is_err());
        assert!(Crc32.check_value("y/Q5Jgé").is_err());
    }

    #[test]
    fn combinations() {
        let crc = ("x-amz-checksum-crc32", "y/Q5Jg==");
        let algo = |v| (CHECKSUM_ALGORITHM_FIELD, v);
        assert_eq!(
            check_checksum_fields([crc, algo("CRC32")]),
            Ok(Some((ChecksumAlgorithm::Crc32, "y/Q5Jg==")))
        );
        assert_eq!(
            check_checksum_fields([algo("CRC32C")]),
            Err(ChecksumProblem::MissingValue {
                named: ChecksumAlgorithm::Crc32c
            })
        );
        assert_eq!(
            check_checksum_fields([crc, algo("SHA1")]),
            Err(ChecksumProblem::Disagree {
                named: ChecksumAlgorithm::Sha1,
                sent: ChecksumAlgorithm::Crc32
            })
        );
        assert!(matches!(
            check_checksum_fields([crc, algo("crc32")]),
            Err(ChecksumProblem::UnknownAlgorithm { .. })
        ));
        // The same field twice is two checksum fields.
        assert!(matches!(
            check_checksum_fields([crc, ("X-AMZ-CHECKSUM-CRC32", "y/Q5Jg==")]),
            Err(ChecksumProblem::Multiple { .. })
        ));
        let invalid = check_checksum_fields([("x-amz-checksum-sha1", "y/Q5Jg==")]).unwrap_err();
        assert!(matches!(invalid, ChecksumProblem::InvalidValue { .. }));
        assert_eq!(invalid.field(), "x-amz-checksum-sha1");
        assert_eq!(
            invalid.s3_message(),
            "Value for x-amz-checksum-sha1 header is invalid."
        );
    }

    #[test]
    fn policies_a_form_could_meet() {
        let algo = |v| (CHECKSUM_ALGORITHM_FIELD, Some(v));
        let crc = ("x-amz-checksum-crc32", None);
        assert_eq!(check_checksum_conditions([crc, algo("CRC32")]), Ok(()));
        // The same field twice is one field (duplicates are another rule).
        assert_eq!(check_checksum_conditions([crc, crc]), Ok(()));
        assert!(matches!(
            check_checksum_conditions([crc, ("X-Amz-Checksum-SHA1", None)]),
            Err(ChecksumProblem::Multiple { .. })
        ));
        assert!(matches!(
            check_checksum_conditions([crc, algo("SHA1")]),
            Err(ChecksumProblem::Disagree { .. })
        ));
        assert!(matches!(
            check_checksum_conditions([algo("SHA1")]),
            Err(ChecksumProblem::MissingValue { .. })
        ));
        // An unknown name is the value rule's to report.
        assert_eq!(check_checksum_conditions([algo("MD5")]), Ok(()));
    }
}
