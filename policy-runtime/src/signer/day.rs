//! What signing needs for one UTC day, derived once: the signing key and
//! the signer's own fields.

use time::Date;

use crate::document::Exact;
use crate::sigv4::{KeyedMac, SigningKey, ALGORITHM};
use crate::{Credentials, Region};

const DATE_STAMP: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year][month][day]");

/// What signing needs for one UTC day, made by the day's first form: the
/// signing key, keyed HMAC, and the signer's fields with their JSON.
pub(super) struct Day {
    pub(super) date: Date,
    pub(super) key: SigningKey,
    pub(super) mac: KeyedMac,
    /// The `x-amz-credential` value.
    pub(super) credential: String,
    /// `{"x-amz-algorithm":...},{"x-amz-credential":...}`, written by
    /// `serde_json`.
    pub(super) head_json: Result<Vec<u8>, String>,
    /// `,{"x-amz-security-token":...}` when there is a session token.
    pub(super) token_json: Result<Vec<u8>, String>,
}

impl Day {
    pub(super) fn new(date: Date, credentials: &Credentials, region: &Region) -> Day {
        let stamp = Date::format(date, DATE_STAMP)
            .expect("a date has every component of YYYYMMDD, and writing to a String cannot fail");
        let key = SigningKey::derive(
            credentials.secret_access_key(),
            &stamp,
            region.as_str(),
            "s3",
        );
        let access_key = credentials.access_key_id();
        let mut credential =
            String::with_capacity(access_key.len() + stamp.len() + region.as_str().len() + 20);
        for part in [
            access_key,
            "/",
            &stamp,
            "/",
            region.as_str(),
            "/s3/aws4_request",
        ] {
            credential.push_str(part);
        }
        let write = |out: &mut Vec<u8>, name, value| {
            serde_json::to_writer(out, &Exact(name, value)).map_err(|e| e.to_string())
        };
        let mut head = Vec::with_capacity(64 + credential.len());
        let head_json = write(&mut head, "x-amz-algorithm", ALGORITHM)
            .map(|()| head.push(b','))
            .and_then(|()| write(&mut head, "x-amz-credential", &credential))
            .map(|()| head);
        let mut token = Vec::new();
        let token_json = match credentials.session_token() {
            Some(value) => {
                token.push(b',');
                write(&mut token, "x-amz-security-token", value).map(|()| token)
            }
            None => Ok(token),
        };
        Day {
            date,
            mac: KeyedMac::new(&key),
            key,
            credential,
            head_json,
            token_json,
        }
    }
}
