//! Instants in UTC, without panics.
//!
//! `time`'s `OffsetDateTime::to_offset` panics when the same instant in
//! the new offset falls outside the years the type holds (±9999): a valid
//! RFC 3339 time at the edge of the range reaches that with its offset
//! alone (`9999-12-31T23:00:00-05:00` is in year 10000 in UTC). Every
//! conversion to UTC in this crate goes through here and can fail instead.

use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `at` as the same instant in UTC, or `None` when UTC cannot hold it.
pub(crate) fn to_utc(at: OffsetDateTime) -> Option<OffsetDateTime> {
    at.checked_to_offset(UtcOffset::UTC)
}

/// [`to_utc`], rounded down to whole milliseconds (S3's precision).
pub(crate) fn to_utc_milliseconds(at: OffsetDateTime) -> Option<OffsetDateTime> {
    let utc = to_utc(at)?;
    utc.replace_nanosecond(utc.nanosecond() / 1_000_000 * 1_000_000)
        .ok()
}

/// [`to_utc_milliseconds`], or when UTC cannot hold `at`, the nearest
/// instant it can (the last or first millisecond of the range).
pub(crate) fn to_utc_milliseconds_saturating(at: OffsetDateTime) -> OffsetDateTime {
    to_utc_milliseconds(at).unwrap_or_else(|| {
        if at > OffsetDateTime::UNIX_EPOCH {
            PrimitiveDateTime::MAX
                .replace_nanosecond(999_000_000)
                .expect("999 ms is a valid nanosecond value")
                .assume_utc()
        } else {
            PrimitiveDateTime::MIN.assume_utc()
        }
    })
}

/// A system time as an instant in UTC, or `None` when it is outside the
/// years the type holds (`time`'s `From<SystemTime>` panics there).
#[cfg_attr(not(feature = "aws-sdk"), allow(dead_code))]
pub(crate) fn from_system_time(at: std::time::SystemTime) -> Option<OffsetDateTime> {
    match at.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => OffsetDateTime::UNIX_EPOCH.checked_add(after.try_into().ok()?),
        Err(before) => {
            let before: time::Duration = before.duration().try_into().ok()?;
            OffsetDateTime::UNIX_EPOCH.checked_sub(before)
        }
    }
}

/// `at` in UTC when UTC can hold it, else unchanged: the same instant
/// either way, for comparisons (which `time` makes across offsets without
/// converting) and messages.
pub(crate) fn in_utc_if_possible(at: OffsetDateTime) -> OffsetDateTime {
    to_utc(at).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn instants_utc_cannot_hold_are_none_not_a_panic() {
        assert_eq!(to_utc(datetime!(9999-12-31 23:00 -5)), None);
        assert_eq!(to_utc(datetime!(-9999-01-01 0:00 +1)), None);
        assert_eq!(to_utc_milliseconds(datetime!(9999-12-31 23:00 -5)), None);
        let edge = datetime!(9999-12-31 23:00 -5);
        assert_eq!(in_utc_if_possible(edge), edge);
        assert_eq!(
            to_utc_milliseconds_saturating(edge),
            datetime!(9999-12-31 23:59:59.999 UTC)
        );
        assert_eq!(
            to_utc_milliseconds_saturating(datetime!(-9999-01-01 0:00 +1)),
            datetime!(-9999-01-01 0:00 UTC)
        );
    }

    #[test]
    fn system_times_outside_the_range_are_none() {
        use std::time::{Duration, SystemTime, UNIX_EPOCH};
        let far = UNIX_EPOCH + Duration::from_secs(400_000 * 365 * 86_400);
        assert_eq!(from_system_time(far), None);
        assert_eq!(
            from_system_time(UNIX_EPOCH + Duration::from_millis(1500)),
            Some(datetime!(1970-01-01 0:00:01.5 UTC))
        );
        assert_eq!(
            from_system_time(UNIX_EPOCH - Duration::from_secs(86_400)),
            Some(datetime!(1969-12-31 0:00 UTC))
        );
        assert!(from_system_time(SystemTime::now()).is_some());
    }

    #[test]
    fn instants_it_can_hold_are_converted() {
        assert_eq!(
            to_utc(datetime!(2030-01-01 1:00 +1)),
            Some(datetime!(2030-01-01 0:00 UTC))
        );
        assert_eq!(
            to_utc_milliseconds(datetime!(2030-01-01 0:00:00.123_456 UTC)),
            Some(datetime!(2030-01-01 0:00:00.123 UTC))
        );
        assert_eq!(
            to_utc(datetime!(0000-01-01 0:00 +1)),
            Some(datetime!(-0001-12-31 23:00 UTC))
        );
    }
}
