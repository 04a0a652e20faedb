//! Every field S3's POST upload lets a policy author constrain, each with a
//! value S3 accepts; `ui.rs` checks this list against the rule table.
use policy_runtime::post_policy;

post_policy! {
    /// Every exact-match field.
    pub struct Exact {
        bucket = "examplebucket",
        key = "reports/2026.csv",
        acl = "bucket-owner-full-control",
        cache_control = "no-cache",
        content_type = "text/csv",
        content_disposition = "attachment; filename=\"2026.csv\"",
        content_encoding = "gzip",
        expires = "Wed, 21 Oct 2030 07:28:00 GMT",
        success_action_redirect = "https://example.com/done",
        success_action_status = 204,
        server_side_encryption = "aws:kms",
        sse_kms_key_id = "arn:aws:kms:us-east-1:111122223333:key/1234abcd",
        sse_context = "eyJhIjoiYiJ9",
        sse_bucket_key_enabled = true,
        sse_customer_algorithm = "AES256",
        sse_customer_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        sse_customer_key_md5 = "hRasmdxgYDKV3nvbahU1MA==",
        storage_class = "GLACIER_IR",
        website_redirect_location = "/elsewhere.html",
        checksum_algorithm = "CRC64NVME",
        checksum_crc64nvme = "AAAAAAAAAAA=",
        object_lock_mode = "GOVERNANCE",
        object_lock_retain_until_date = "2030-01-01T00:00:00Z",
        object_lock_legal_hold = "ON",
        tagging = "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>",
        meta("owner") = "reports-job",
        content_length 0..=5_368_709_120,
        expires_in = 30 s,
    }
}

// S3 takes one checksum per form: one policy per other algorithm (the
// checksum of an empty file; a service would declare `{sha256}` and sign
// the checksum the browser computed).
post_policy! {
    pub struct Crc32 {
        bucket = "examplebucket",
        key = "empty",
        checksum_crc32 = "AAAAAA==",
    }
}

post_policy! {
    pub struct Crc32c {
        bucket = "examplebucket",
        key = "empty",
        checksum_crc32c = "AAAAAA==",
    }
}

post_policy! {
    pub struct Sha1 {
        bucket = "examplebucket",
        key = "empty",
        checksum_sha1 = "2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
    }
}

post_policy! {
    pub struct Sha256 {
        bucket = "examplebucket",
        key starts_with "",
        checksum_algorithm = "SHA256",
        checksum_sha256 = "{sha256}",
    }
}

post_policy! {
    /// Every field that allows starts-with, and `redirect`.
    pub struct Prefixes {
        bucket = "examplebucket",
        key starts_with "",
        acl starts_with "public-",
        cache_control starts_with "max-age=",
        content_type starts_with "image/",
        content_disposition starts_with "inline",
        content_encoding starts_with "",
        expires starts_with "",
        redirect starts_with "https://example.com/",
        meta("tag") starts_with "",
        expires_in = 1 d,
    }
}

fn main() {
    let signer = policy_runtime::Signer::new(
        policy_runtime::Credentials::new("AK", "SK").unwrap(),
        policy_runtime::Region::new("us-east-1").unwrap(),
    );
    assert!(Exact.sign(&signer).is_ok());
    assert!(Prefixes.sign(&signer).is_ok());
    for checksum in [Crc32.sign(&signer), Crc32c.sign(&signer), Sha1.sign(&signer)] {
        assert!(checksum.is_ok());
    }
    let sha256 = Sha256 {
        sha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
    };
    sha256.sign(&signer).unwrap();
    let not_a_sha256 = Sha256 { sha256: "AAAAAA==".into() };
    assert!(not_a_sha256.sign(&signer).is_err());
}
