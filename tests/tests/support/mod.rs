//! What the end-to-end suites share: the servers from `POST_POLICY_E2E`,
//! their known departures from AWS, an HTTP client, and SigV4-signed
//! requests to the servers' S3 API (`GET` an object, `PUT` a bucket
//! subresource) to check what an upload left behind.
//!
//! Each test binary uses a part of this module.
#![allow(dead_code)]

use std::time::Duration as StdDuration;

use base64::Engine as _;
use md5::Md5;
use policy_runtime::sigv4::SigningKey;
use policy_runtime::time::OffsetDateTime;
use policy_runtime::{Credentials, Endpoint, Region, Signer};
use reqwest::blocking::Client;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A known departure from AWS of one server. Every test that meets one
/// asserts what the server does instead, and fails when it stops doing it.
pub struct Quirk {
    /// The server's name in `POST_POLICY_E2E`.
    pub server: String,
    /// The quirk's name, as the tests ask for it ([`has_quirk`]).
    pub name: String,
    /// What the server does, in one line.
    pub what: String,
    /// Where `local_differential.rs` meets it: the tag of the cases it shows
    /// on, and whether the server accepts those cases (the local endpoint,
    /// like AWS, does the opposite). `None`: no case of that test shows it.
    pub differential: Option<(String, bool)>,
}

/// Every known departure from AWS of the servers the suites run against,
/// by name: the named entries of `tests/conformance/quirks.json`, the one
/// list (the conformance suite's per-case answers are its other entries).
pub fn quirks() -> &'static [Quirk] {
    static QUIRKS: std::sync::OnceLock<Vec<Quirk>> = std::sync::OnceLock::new();
    QUIRKS.get_or_init(|| {
        let list: Value =
            serde_json::from_str(include_str!("../../conformance/quirks.json")).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .filter(|q| q.get("name").is_some())
            .map(|q| Quirk {
                server: q["server"].as_str().unwrap().to_string(),
                name: q["name"].as_str().unwrap().to_string(),
                what: q["what"].as_str().unwrap().to_string(),
                differential: q["differential"]
                    .as_array()
                    .map(|d| (d[0].as_str().unwrap().to_string(), d[1].as_bool().unwrap())),
            })
            .collect()
    })
}

/// Whether `server` is known to show `quirk` (see [`quirks`]).
pub fn has_quirk(server: &Server, quirk: &str) -> bool {
    quirks()
        .iter()
        .any(|q| q.server == server.name && q.name == quirk)
}

/// One S3 endpoint to test against, from `POST_POLICY_E2E`.
#[derive(Clone, Debug)]
pub struct Server {
    pub name: String,
    /// `http://host:port` or `https://host`; path-style URLs.
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret: String,
    /// Temporary credentials' token, if any (real AWS with STS).
    pub session_token: Option<String>,
    pub bucket: String,
}

impl Server {
    /// The `Host` header value: the endpoint's authority.
    pub fn host(&self) -> &str {
        let rest = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, rest)| rest);
        rest.split('/').next().unwrap_or(rest)
    }

    /// The origin a browser sees for this endpoint (`scheme://host[:port]`).
    pub fn origin(&self) -> String {
        let scheme = self.endpoint.split_once("://").map_or("http", |(s, _)| s);
        format!("{scheme}://{}", self.host())
    }

    /// The credentials the suite signs with.
    pub fn credentials(&self) -> Credentials {
        let credentials = Credentials::new(&self.access_key, &self.secret).unwrap();
        match &self.session_token {
            Some(token) => credentials.with_session_token(token).unwrap(),
            None => credentials,
        }
    }
}

/// The servers listed in `POST_POLICY_E2E`; panics (never skips) when it is
/// not set.
pub fn servers() -> Vec<Server> {
    let raw = std::env::var("POST_POLICY_E2E").unwrap_or_else(|_| {
        panic!(
            "POST_POLICY_E2E is not set: the end-to-end suite needs the servers ./test.sh starts. \
             Run ./test.sh."
        )
    });
    parse_servers(&raw)
}

/// Parses `POST_POLICY_E2E`: a JSON list of `{"name", "endpoint", "region",
/// "access_key", "secret", "bucket"}` with an optional `"session_token"`.
pub fn parse_servers(raw: &str) -> Vec<Server> {
    let list: Vec<Value> = serde_json::from_str(raw).expect("POST_POLICY_E2E is a JSON list");
    assert!(!list.is_empty(), "POST_POLICY_E2E lists no server");
    list.iter()
        .map(|v| {
            let s = |k: &str| {
                v[k].as_str()
                    .unwrap_or_else(|| panic!("POST_POLICY_E2E: {k:?} missing in {v}"))
                    .to_string()
            };
            let server = Server {
                name: s("name"),
                endpoint: s("endpoint").trim_end_matches('/').to_string(),
                region: s("region"),
                access_key: s("access_key"),
                secret: s("secret"),
                session_token: v["session_token"].as_str().map(str::to_string),
                bucket: s("bucket"),
            };
            assert!(
                server.endpoint.starts_with("http://") || server.endpoint.starts_with("https://"),
                "POST_POLICY_E2E: endpoint {:?} needs http:// or https://",
                server.endpoint
            );
            server
        })
        .collect()
}

/// A signer for `server`: its credentials, region and endpoint, path-style.
pub fn signer(server: &Server) -> Signer {
    Signer::new(server.credentials(), Region::new(&server.region).unwrap())
        .with_endpoint(Endpoint::custom(&server.endpoint).unwrap())
}

/// An HTTP client that does not follow redirects; speaks TLS for `https://`.
pub fn client() -> Client {
    Client::builder()
        .timeout(StdDuration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A response from a signed S3 API request.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `/{bucket}/{key}` with the key percent-encoded as SigV4's canonical URI
/// wants it (`/` kept).
pub fn object_path(server: &Server, key: &str) -> String {
    let mut path = format!("/{}/", server.bucket);
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            path.push(b as char);
        } else {
            path.push_str(&format!("%{b:02X}"));
        }
    }
    path
}

/// `YYYYMMDDTHHMMSSZ`: SigV4's form of a time (`x-amz-date`).
pub fn amz_date(now: OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// Sends a SigV4-signed request (header auth) to the server's S3 API.
/// `path` is already canonical (see [`object_path`]); `query` is a
/// canonical query string (`cors=` for `?cors`) or empty; `headers` are
/// extra headers to sign and send, names in lower case.
pub fn s3_request(
    server: &Server,
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Reply {
    let amz_date = amz_date(OffsetDateTime::now_utc());
    let date = &amz_date[..8];
    let payload_hash = if body.is_empty() && method == "GET" {
        "UNSIGNED-PAYLOAD".to_string()
    } else {
        hex::encode(Sha256::digest(body))
    };
    let mut signed: Vec<(String, String)> = vec![
        ("host".into(), server.host().to_string()),
        ("x-amz-content-sha256".into(), payload_hash.clone()),
        ("x-amz-date".into(), amz_date.clone()),
    ];
    if let Some(token) = &server.session_token {
        signed.push(("x-amz-security-token".into(), token.clone()));
    }
    for (name, value) in headers {
        signed.push((name.to_string(), value.trim().to_string()));
    }
    signed.sort();
    let signed_headers = signed
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers: String = signed.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let canonical =
        format!("{method}\n{path}\n{query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}");
    let scope = format!("{date}/{}/s3/aws4_request", server.region);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let signature =
        SigningKey::derive(&server.secret, date, &server.region, "s3").sign(to_sign.as_bytes());
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        server.access_key
    );
    let url = if query.is_empty() {
        format!("{}{path}", server.endpoint)
    } else {
        format!("{}{path}?{query}", server.endpoint)
    };
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client()
        .request(method, url)
        .header("authorization", auth)
        .body(body.to_vec());
    for (name, value) in &signed {
        if name != "host" {
            request = request.header(name.as_str(), value.as_str());
        }
    }
    let response = request.send().unwrap();
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().unwrap().to_vec(),
    }
}

/// An object as read back through the S3 API.
pub struct Object {
    pub status: u16,
    pub content_type: Option<String>,
    pub meta_origin: Option<String>,
    /// Empty unless the read succeeded.
    pub bytes: Vec<u8>,
}

/// Reads an object back with a SigV4-signed `GET`.
pub fn get(server: &Server, key: &str) -> Object {
    let reply = s3_request(server, "GET", &object_path(server, key), "", &[], &[]);
    Object {
        status: reply.status,
        content_type: reply.header("content-type"),
        meta_origin: reply.header("x-amz-meta-origin"),
        bytes: if (200..300).contains(&reply.status) {
            reply.body
        } else {
            Vec::new()
        },
    }
}

/// Sets the bucket's CORS rules with a SigV4-signed `PUT /{bucket}?cors`
/// (`Content-MD5` included, as AWS requires): `origin` may `POST`, with any
/// request header, and may read `ETag` and `Location`.
pub fn put_bucket_cors(server: &Server, origin: &str) -> Reply {
    let xml = format!(
        "<CORSConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
         <CORSRule><AllowedOrigin>{origin}</AllowedOrigin><AllowedMethod>POST</AllowedMethod>\
         <AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>\
         <ExposeHeader>Location</ExposeHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>\
         </CORSConfiguration>"
    );
    let md5 = base64::engine::general_purpose::STANDARD.encode(Md5::digest(xml.as_bytes()));
    s3_request(
        server,
        "PUT",
        &format!("/{}", server.bucket),
        "cors=",
        &[
            ("content-md5", md5),
            ("content-type", "application/xml".to_string()),
        ],
        xml.as_bytes(),
    )
}
