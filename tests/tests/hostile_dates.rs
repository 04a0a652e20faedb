//! Dates at the edges of their range, from untrusted input: a policy's
//! `expiration` and the times callers pass. Nothing may panic; what UTC
//! cannot hold is refused with the error S3 gives (`InvalidPolicyDocument`
//! for a policy).

use std::panic::{catch_unwind, AssertUnwindSafe};

use base64::Engine as _;
use policy_runtime::sigv4::SigningKey;
use policy_runtime::time::format_description::well_known::Rfc3339;
use policy_runtime::time::{OffsetDateTime, UtcOffset};
use policy_runtime::verify::{Submission, Verifier};
use policy_runtime::{
    Credentials, Expiration, Policy, PolicyDocument, Region, SignOptions, Signer,
};
use proptest::prelude::*;

const SECRET: &str = "hostile-dates-secret";

/// The corpus of edge dates, shared with the CLI's tests.
fn edge_dates() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/hostile/dates.txt");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Whether UTC can hold the instant `text` names (what the library must
/// then accept), by arithmetic of our own rather than `time`'s conversion.
fn utc_holds(text: &str) -> bool {
    let at = OffsetDateTime::parse(text, &Rfc3339).unwrap();
    let offset = at.offset().whole_seconds();
    let (year, day) = (at.year(), at.ordinal());
    let seconds_into_day =
        i32::from(at.hour()) * 3600 + i32::from(at.minute()) * 60 + i32::from(at.second());
    let utc_seconds = seconds_into_day - offset;
    let last_day = time::util::days_in_year(year);
    !((year == 9999 && day == last_day && utc_seconds >= 86_400)
        || (year == -9999 && day == 1 && utc_seconds < 0))
}

fn no_panic<T>(what: &str, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| panic!("{what} panicked"))
}

fn policy_json(expiration: &str) -> String {
    format!(
        r#"{{"expiration":"{expiration}","conditions":[{{"bucket":"b-1"}},["starts-with","$key",""],{{"x-amz-algorithm":"AWS4-HMAC-SHA256"}},{{"x-amz-credential":"AKIDHOSTILE/20300101/us-east-1/s3/aws4_request"}},{{"x-amz-date":"20300101T000000Z"}}]}}"#
    )
}

#[test]
fn policy_documents_with_edge_expirations_parse_or_are_refused_never_panic() {
    let mut refused = 0;
    for date in edge_dates() {
        let json = policy_json(&date);
        let parsed = no_panic(&format!("from_json({date})"), || {
            PolicyDocument::from_json(&json)
        });
        let b64 = base64::engine::general_purpose::STANDARD.encode(&json);
        let decoded = no_panic(&format!("from_base64({date})"), || {
            PolicyDocument::from_base64(&b64)
        });
        assert_eq!(parsed, decoded, "{date}");
        match parsed {
            Ok(doc) => {
                assert!(
                    utc_holds(&date),
                    "{date} was accepted, but UTC cannot hold it"
                );
                let expected = OffsetDateTime::parse(&date, &Rfc3339).unwrap();
                assert_eq!(
                    doc.expiration(),
                    expected
                        .replace_nanosecond(expected.nanosecond() / 1_000_000 * 1_000_000)
                        .unwrap(),
                    "{date}"
                );
                assert_eq!(doc.expiration().offset(), UtcOffset::UTC, "{date}");
            }
            Err(e) => {
                assert!(!utc_holds(&date), "{date} was refused: {e}");
                assert!(e.to_string().contains("out of range"), "{date}: {e}");
                refused += 1;
            }
        }
    }
    println!("{refused} edge expirations refused, none panicked");
    assert!(refused >= 3, "the corpus must hold dates UTC cannot hold");
}

/// A form whose policy (with `expiration`) is correctly signed: the
/// verifier must check the signature, then refuse the document as S3 does.
fn signed_form(expiration: &str) -> Submission {
    let policy = base64::engine::general_purpose::STANDARD.encode(policy_json(expiration));
    let key = SigningKey::derive(SECRET, "20300101", "us-east-1", "s3");
    let signature = key.sign(policy.as_bytes()).to_string();
    Submission::new("b-1")
        .field("key", "a.txt")
        .field("x-amz-algorithm", "AWS4-HMAC-SHA256")
        .field(
            "x-amz-credential",
            "AKIDHOSTILE/20300101/us-east-1/s3/aws4_request",
        )
        .field("x-amz-date", "20300101T000000Z")
        .field("policy", &policy)
        .field("x-amz-signature", &signature)
        .file("a.txt", 1)
}

#[test]
fn the_verifier_refuses_edge_expirations_as_invalid_policy_documents() {
    let verifier = Verifier::new(
        Credentials::new("AKIDHOSTILE", SECRET).unwrap(),
        Region::new("us-east-1").unwrap(),
    );
    let now = time::macros::datetime!(2030-01-01 0:00:01 UTC);
    for date in edge_dates() {
        let form = signed_form(&date);
        let answer = no_panic(&format!("verify_at({date})"), || {
            verifier.verify_at(&form, now)
        });
        match answer {
            Ok(_) => assert!(
                utc_holds(&date) && date.starts_with("9999"),
                "{date} accepted"
            ),
            Err(r) if !utc_holds(&date) => {
                assert_eq!(r.code().as_str(), "InvalidPolicyDocument", "{date}: {r}");
                assert_eq!(r.http_status(), 400, "{date}");
            }
            // In range: before 2030, so expired.
            Err(r) => assert_eq!(r.code().as_str(), "AccessDenied", "{date}: {r}"),
        }
        // The same dates as the verifier's clock.
        let at = OffsetDateTime::parse(&date, &Rfc3339).unwrap();
        let ok_form = signed_form("2030-06-01T00:00:00Z");
        no_panic(&format!("verify_at(now = {date})"), || {
            verifier.verify_at(&ok_form, at).map(drop)
        })
        .ok();
    }
}

#[test]
fn signing_at_edge_times_and_expirations_fails_cleanly() {
    let signer = Signer::new(
        Credentials::new("AKIDHOSTILE", SECRET).unwrap(),
        Region::new("us-east-1").unwrap(),
    );
    for date in edge_dates() {
        let at = OffsetDateTime::parse(&date, &Rfc3339).unwrap();
        let policy = Policy::builder()
            .bucket("b-1")
            .unwrap()
            .key_starts_with("")
            .unwrap()
            .expires_in(time::Duration::minutes(5))
            .build()
            .unwrap();
        let signed = no_panic(&format!("sign_at({date})"), || signer.sign_at(&policy, at));
        if !utc_holds(&date) {
            assert!(
                signed.is_err(),
                "{date}: signed at an instant UTC cannot hold"
            );
        }
        let until = Expiration::At(at);
        let resolved = no_panic(&format!("resolve({date})"), || {
            until.resolve(time::macros::datetime!(-9999-01-01 0:00 UTC))
        });
        assert_eq!(resolved.is_ok(), utc_holds(&date), "{date}: {resolved:?}");
        no_panic(&format!("PolicyDocument::new({date})"), || {
            PolicyDocument::new(at, Vec::new()).to_json()
        });
        let _ = SignOptions::new().at(at);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any RFC 3339 expiration, offsets included: parsed to the same
    /// instant in UTC, or refused as out of range; never a panic.
    #[test]
    fn any_rfc3339_expiration_parses_or_is_refused(
        year in prop_oneof![0i32..=9999, Just(0), Just(9999)],
        day in 1u16..=366,
        seconds in 0u32..86_400,
        offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i32),
    ) {
        let day = day.min(time::util::days_in_year(year));
        let date = time::Date::from_ordinal_date(year, day).unwrap();
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            date.year(), u8::from(date.month()), date.day(),
            seconds / 3600, seconds / 60 % 60, seconds % 60,
            offset_minutes.abs() / 60, offset_minutes.abs() % 60,
        );
        let parsed = no_panic(&text, || PolicyDocument::from_json(&policy_json(&text)));
        prop_assert_eq!(parsed.is_ok(), utc_holds(&text), "{}: {:?}", text, parsed);
        if let Ok(doc) = parsed {
            prop_assert_eq!(doc.expiration(), OffsetDateTime::parse(&text, &Rfc3339).unwrap());
        }
    }
}
