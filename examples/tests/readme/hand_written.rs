use base64::{engine::general_purpose::STANDARD, Engine as _};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use time::{format_description::well_known::Rfc3339, macros::format_description};
use time::{Duration, OffsetDateTime};

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// `{"url", "fields"}` for an avatar upload, every piece by hand.
pub fn avatar_form(
    access_key: &str,
    secret: &str,
    region: &str,
    user_id: &str,
    now: OffsetDateTime,
) -> Value {
    let date = now
        .format(format_description!("[year][month][day]"))
        .unwrap();
    let amz_date = now
        .format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap();
    let credential = format!("{access_key}/{date}/{region}/s3/aws4_request");
    // Each rule twice: a condition here, and a field below (or a field the
    // page fills in). Nothing checks that the two lists agree.
    let policy = json!({
        "expiration": (now + Duration::minutes(10)).format(&Rfc3339).unwrap(),
        "conditions": [
            {"bucket": "avatars"},
            ["starts-with", "$key", format!("user/{user_id}/")],
            ["content-length-range", 1, 5_000_000],
            ["starts-with", "$Content-Type", "image/"],
            {"acl": "private"},
            {"success_action_status": "201"},
            {"x-amz-algorithm": "AWS4-HMAC-SHA256"},
            {"x-amz-credential": credential},
            {"x-amz-date": amz_date},
        ],
    });
    let policy = STANDARD.encode(policy.to_string());
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [date.as_str(), region, "s3", "aws4_request"] {
        key = hmac(&key, part);
    }
    json!({
        "url": format!("https://avatars.s3.{region}.amazonaws.com/"),
        "fields": {
            "key": format!("user/{user_id}/${{filename}}"),
            "acl": "private",
            "success_action_status": "201",
            "x-amz-algorithm": "AWS4-HMAC-SHA256",
            "x-amz-credential": credential,
            "x-amz-date": amz_date,
            "policy": policy,
            "x-amz-signature": hex::encode(hmac(&key, &policy)),
        },
    })
}
