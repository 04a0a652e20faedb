//! The SigV4 fields of a form: algorithm, credential scope and date.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use super::Rejection;
use crate::sigv4::ALGORITHM;

/// The parts of `x-amz-credential`:
/// `ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request`.
///
/// ```
/// use policy_runtime::verify::CredentialScope;
///
/// let scope = CredentialScope::parse("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request")?;
/// assert_eq!(scope.access_key_id, "AKIAIOSFODNN7EXAMPLE");
/// assert_eq!(scope.date_stamp, "20151229");
/// assert_eq!(scope.region, "us-east-1");
/// assert!(CredentialScope::parse("AKID/20151229/us-east-1/iam/aws4_request").is_err());
/// # Ok::<(), policy_runtime::verify::Rejection>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialScope {
    /// The access key id.
    pub access_key_id: String,
    /// The date, `YYYYMMDD`.
    pub date_stamp: String,
    /// The date, parsed.
    pub date: Date,
    /// The region.
    pub region: String,
}

impl CredentialScope {
    /// Parses `x-amz-credential`; the service must be `s3` and the last part
    /// `aws4_request`.
    ///
    /// ```
    /// # use policy_runtime::verify::{CredentialScope, Rejection};
    /// let scope = CredentialScope::parse("AKID/20300101/eu-west-1/s3/aws4_request")?;
    /// assert_eq!(scope.date, time::macros::date!(2030-01-01));
    /// let bad = CredentialScope::parse("AKID/20300101/eu-west-1/s3").unwrap_err();
    /// assert!(matches!(bad, Rejection::MalformedCredential { .. }));
    /// assert_eq!(bad.field(), Some("x-amz-credential"));
    /// # Ok::<(), Rejection>(())
    /// ```
    pub fn parse(value: &str) -> Result<CredentialScope, Rejection> {
        ScopeRef::parse(value).map(|s| CredentialScope {
            access_key_id: s.access_key_id.into(),
            date_stamp: s.date_stamp.into(),
            date: s.date,
            region: s.region.into(),
        })
    }
}

/// A [`CredentialScope`] borrowing from the `x-amz-credential` value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScopeRef<'a> {
    pub(crate) access_key_id: &'a str,
    pub(crate) date_stamp: &'a str,
    pub(crate) date: Date,
    pub(crate) region: &'a str,
}

impl<'a> ScopeRef<'a> {
    /// See [`CredentialScope::parse`].
    pub(crate) fn parse(value: &'a str) -> Result<ScopeRef<'a>, Rejection> {
        let bad = |reason: &str| Rejection::MalformedCredential {
            value: value.into(),
            reason: reason.into(),
        };
        let Some([id, date, region, service, term]) = split_parts(value) else {
            return Err(bad("it does not have five `/`-separated parts"));
        };
        if id.is_empty() {
            return Err(bad("the access key id is empty"));
        }
        let date_parsed = parse_date_stamp(date).ok_or_else(|| bad("the date is not YYYYMMDD"))?;
        if region.is_empty() {
            return Err(bad("the region is empty"));
        }
        if service != "s3" {
            return Err(bad("the service must be `s3`"));
        }
        if term != "aws4_request" {
            return Err(bad("the last part must be `aws4_request`"));
        }
        Ok(ScopeRef {
            access_key_id: id,
            date_stamp: date,
            date: date_parsed,
            region,
        })
    }
}

/// The five `/`-separated parts of `value`, if it has exactly five.
fn split_parts(value: &str) -> Option<[&str; 5]> {
    let mut parts = [""; 5];
    let (mut part, mut start) = (0, 0);
    for (i, b) in value.bytes().enumerate() {
        if b == b'/' {
            *parts.get_mut(part)? = value.get(start..i)?;
            part += 1;
            start = i + 1;
        }
    }
    *parts.get_mut(part)? = value.get(start..)?;
    (part == 4).then_some(parts)
}

/// Checks the SigV4 fields' values: the algorithm, the credential scope,
/// and the date on the scope's day.
pub(crate) fn check_fields<'a>(
    algorithm: &str,
    credential: &'a str,
    date: &str,
) -> Result<ScopeRef<'a>, Rejection> {
    check_algorithm(algorithm)?;
    let scope = ScopeRef::parse(credential)?;
    check_date(date, scope.date, scope.date_stamp)?;
    Ok(scope)
}

/// Checks `x-amz-algorithm`.
pub(crate) fn check_algorithm(value: &str) -> Result<(), Rejection> {
    if value == ALGORITHM {
        Ok(())
    } else {
        Err(Rejection::UnsupportedAlgorithm {
            value: value.into(),
        })
    }
}

/// Parses `x-amz-date` (`YYYYMMDDTHHMMSSZ`) and checks that it falls on the
/// credential's date: `date_stamp` as the credential wrote it, `scope_date`
/// that text parsed (as [`ScopeRef::parse`] gives both).
pub(crate) fn check_date(
    value: &str,
    scope_date: Date,
    date_stamp: &str,
) -> Result<OffsetDateTime, Rejection> {
    let bad = |reason: &str| Rejection::MalformedDate {
        value: value.into(),
        reason: reason.into(),
    };
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return Err(bad("it is not in the form YYYYMMDDTHHMMSSZ"));
    }
    let day = value.get(..8).unwrap_or_default();
    // The credential's date stamp was parsed already; the same text is the
    // same date.
    let date = if day == date_stamp {
        scope_date
    } else {
        parse_date_stamp(day).ok_or_else(|| bad("the date is not valid"))?
    };
    let digits = |r: std::ops::Range<usize>| -> Option<u8> {
        match b.get(r)? {
            &[tens, ones] if tens.is_ascii_digit() && ones.is_ascii_digit() => {
                Some((tens - b'0') * 10 + (ones - b'0'))
            }
            _ => None,
        }
    };
    let time = match (digits(9..11), digits(11..13), digits(13..15)) {
        (Some(h), Some(m), Some(s)) => Time::from_hms(h, m, s).ok(),
        _ => None,
    }
    .ok_or_else(|| bad("the time is not valid"))?;
    if date != scope_date {
        return Err(bad(&format!(
            "its date differs from the credential's date {date_stamp}"
        )));
    }
    Ok(PrimitiveDateTime::new(date, time).assume_utc())
}

fn parse_date_stamp(s: &str) -> Option<Date> {
    let digits: &[u8; 8] = s.as_bytes().try_into().ok()?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = |part: &[u8]| part.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let (year, rest) = digits.split_at(4);
    let (month, day) = rest.split_at(2);
    let month = u8::try_from(number(month)).ok()?;
    let day = u8::try_from(number(day)).ok()?;
    Date::from_calendar_date(i32::from(number(year)), Month::try_from(month).ok()?, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials() {
        let ok = CredentialScope::parse("AK/20300101/eu-west-1/s3/aws4_request").unwrap();
        assert_eq!(ok.region, "eu-west-1");
        for bad in [
            "",
            "AK/20300101/eu-west-1/s3",
            "AK/20300101/eu-west-1/s3/aws4_request/x",
            "/20300101/eu-west-1/s3/aws4_request",
            "AK/2030011/eu-west-1/s3/aws4_request",
            "AK/20301301/eu-west-1/s3/aws4_request",
            "AK/+2030101/eu-west-1/s3/aws4_request",
            "AK/20300101//s3/aws4_request",
            "AK/20300101/eu-west-1/S3/aws4_request",
            "AK/20300101/eu-west-1/s3/aws4_requests",
        ] {
            assert!(
                matches!(
                    CredentialScope::parse(bad),
                    Err(Rejection::MalformedCredential { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn dates() {
        let scope = CredentialScope::parse("AK/20300101/eu-west-1/s3/aws4_request").unwrap();
        assert_eq!(
            check_date("20300101T235959Z", scope.date, &scope.date_stamp).unwrap(),
            time::macros::datetime!(2030-01-01 23:59:59 UTC)
        );
        for bad in [
            "20300102T000000Z",
            "20300101T240000Z",
            "20300101T000000",
            "2030-01-01T00:00:00Z",
            "20300101t000000Z",
            "20300101T+10000Z",
            "20300101T00000ÿZ",
        ] {
            assert!(
                matches!(
                    check_date(bad, scope.date, &scope.date_stamp),
                    Err(Rejection::MalformedDate { .. })
                ),
                "{bad}"
            );
        }
        assert!(check_algorithm("AWS4-HMAC-SHA256").is_ok());
        assert!(check_algorithm("aws4-hmac-sha256").is_err());
    }
}
