//! The small examples, run through their own functions: the forms they sign
//! are posted to the local S3 POST endpoint (which checks them as S3 does)
//! or checked with the verifier, and what the examples promise in their
//! comments is asserted.

#[allow(dead_code)]
#[path = "../axum_minimal.rs"]
mod axum_minimal;
#[allow(dead_code)]
#[path = "../custom_condition.rs"]
mod custom_condition;
#[allow(dead_code)]
#[path = "../custom_endpoint.rs"]
mod custom_endpoint;
#[allow(dead_code)]
#[path = "../temporary_credentials.rs"]
mod temporary_credentials;
// The end-to-end suite's servers, quirks and signed S3 requests.
#[path = "../../tests/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use policy_runtime::time::{Duration as TimeDuration, OffsetDateTime};
use policy_runtime::verify::{Submission, Verifier};
use policy_runtime::{
    Credentials, Endpoint, PolicyDocument, ProviderSigner, Region, SignedPost, Signer,
};
use post_policy_local::{Config, LocalS3};
use reqwest::blocking::{multipart, Client};
use serde_json::Value;

/// 2026-11-22 12:00 UTC, a pinned clock.
fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_795_348_800).unwrap()
}

/// A fresh directory for one endpoint's data, under `target/tmp`.
fn data_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("examples-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A form as the browser sends it: the signed fields in order, then `extra`,
/// then the file.
fn submission(
    post: &SignedPost,
    bucket: &str,
    extra: &[(&str, &str)],
    file: &str,
    size: u64,
) -> Submission {
    let mut form = Submission::new(bucket);
    for (name, value) in post.fields().chain(extra.iter().copied()) {
        form.push_field(name, value);
    }
    form.file(file, size)
}

#[test]
fn axum_minimal_hands_out_forms_the_store_accepts() {
    let credentials = Credentials::new("AKIDAXUM", "axum-secret").unwrap();
    let region = Region::new("us-east-1").unwrap();
    let config = Config::new(data_dir("axum"), region.clone()).credentials(credentials.clone());
    let store = LocalS3::new(config)
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .unwrap();
    let signer =
        Signer::new(credentials, region).with_endpoint(Endpoint::custom(store.url()).unwrap());

    // The example's routes, served on a free port.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let service = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, axum_minimal::app(signer)).await });

    let http = Client::new();
    let response = http.get(format!("{service}/uploads/new")).send().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().unwrap();
    assert!(text.starts_with(r#"{"url":"#), "{text}");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json.as_object().unwrap().len(), 2, "{text}");
    assert_eq!(json["url"], format!("{}/invoices", store.url()));
    let fields = json["fields"].as_object().unwrap();
    assert_eq!(fields["key"], "invoices/${filename}");
    assert_eq!(fields["Content-Type"], "application/pdf");
    assert_eq!(fields["success_action_status"], "201");

    // What a page does with it: every field, then the file, posted to `url`.
    let post = |bytes: Vec<u8>| {
        let mut form = multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.clone(), value.as_str().unwrap().to_owned());
        }
        let file = multipart::Part::bytes(bytes).file_name("march.pdf");
        http.post(json["url"].as_str().unwrap())
            .multipart(form.part("file", file))
            .send()
            .unwrap()
    };
    let accepted = post(b"%PDF-1.7 a small invoice".to_vec());
    assert_eq!(accepted.status(), 201);
    assert!(accepted
        .text()
        .unwrap()
        .contains("<Key>invoices/march.pdf</Key>"));
    let stored = http
        .get(format!("{}/invoices/invoices/march.pdf", store.url()))
        .send()
        .unwrap();
    assert_eq!(stored.headers()["content-type"], "application/pdf");
    assert_eq!(
        stored.bytes().unwrap().as_ref(),
        b"%PDF-1.7 a small invoice"
    );
    let empty = post(Vec::new());
    assert_eq!(empty.status(), 400);
    assert!(empty
        .text()
        .unwrap()
        .contains("<Code>EntityTooSmall</Code>"));
}

#[test]
fn axum_minimal_stays_minimal() {
    let lines = include_str!("../axum_minimal.rs").lines().count();
    assert!(
        lines < 60,
        "axum_minimal.rs has {lines} lines; the README promises under 60"
    );
}

#[test]
fn custom_endpoint_uploads_to_the_local_store() {
    let (store, signer) = custom_endpoint::start_local(&data_dir("custom-endpoint")).unwrap();
    assert_eq!(signer.region().as_str(), "garage");
    let (accepted, refused) = custom_endpoint::run(&signer, "notes").unwrap();
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    assert!(
        accepted.body.contains("<Key>notes/hello.txt</Key>"),
        "{}",
        accepted.body
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("<Code>EntityTooLarge</Code>"),
        "{}",
        refused.body
    );

    let stored = Client::new()
        .get(format!("{}/notes/notes/hello.txt", store.url()))
        .send()
        .unwrap();
    assert_eq!(stored.status(), 200);
    assert_eq!(stored.headers()["content-type"], "text/plain");
    assert_eq!(stored.text().unwrap(), "Hello from post_policy!\n");
    let big = Client::new()
        .get(format!("{}/notes/notes/big.txt", store.url()))
        .send()
        .unwrap();
    assert_eq!(big.status(), 404, "a refused upload leaves nothing");
}

/// The example's own `run`, against every real store `./test.sh` started
/// (Garage, s3s-fs), with the signer `main` builds from the AWS variables
/// for them.
#[test]
fn custom_endpoint_uploads_to_real_stores() {
    let Ok(raw) = std::env::var("POST_POLICY_E2E") else {
        println!("skipped: POST_POLICY_E2E is not set; ./test.sh starts the stores and sets it");
        return;
    };
    for server in support::parse_servers(&raw) {
        let vars = |name: &str| match name {
            "AWS_ACCESS_KEY_ID" => Some(server.access_key.clone()),
            "AWS_SECRET_ACCESS_KEY" => Some(server.secret.clone()),
            "AWS_SESSION_TOKEN" => server.session_token.clone(),
            "AWS_REGION" => Some(server.region.clone()),
            "AWS_ENDPOINT_URL_S3" => Some(server.endpoint.clone()),
            _ => None,
        };
        let signer = Signer::from_lookup(&vars).unwrap();
        for key in ["notes/hello.txt", "notes/big.txt"] {
            let path = support::object_path(&server, key);
            support::s3_request(&server, "DELETE", &path, "", &[], &[]);
        }

        // The key the store gives the note: the form's `notes/${filename}`
        // with the file's name in it, but literally on s3s-fs.
        let note = if support::has_quirk(&server, "no-filename-substitution") {
            "notes/${filename}"
        } else {
            "notes/hello.txt"
        };
        let path = support::object_path(&server, note);
        support::s3_request(&server, "DELETE", &path, "", &[], &[]);

        let (accepted, refused) = custom_endpoint::run(&signer, &server.bucket).unwrap();
        let name = &server.name;
        assert_eq!(accepted.status, 201, "{name}: {}", accepted.body);
        assert!(
            accepted.body.contains(&format!("<Key>{note}</Key>")),
            "{name}: {}",
            accepted.body
        );
        let too_large = if support::has_quirk(&server, "size-refused-as-invalid-request") {
            "<Code>InvalidRequest</Code>"
        } else {
            "<Code>EntityTooLarge</Code>"
        };
        assert_eq!(refused.status, 400, "{name}: {}", refused.body);
        assert!(refused.body.contains(too_large), "{name}: {}", refused.body);

        let stored = support::get(&server, note);
        assert_eq!(stored.status, 200, "{name}: the note is stored");
        assert_eq!(stored.bytes, b"Hello from post_policy!\n", "{name}");
        assert_eq!(
            support::get(&server, "notes/big.txt").status,
            404,
            "{name}: a refused upload leaves nothing"
        );
    }
}

#[test]
fn custom_endpoint_url_styles() {
    let region = Region::new("auto").unwrap();
    let url = "https://acct.r2.cloudflarestorage.com";
    let path = Endpoint::custom(url).unwrap();
    assert_eq!(path.url("notes", &region), format!("{url}/notes"));
    let hosted = path.path_style(false);
    assert_eq!(
        hosted.url("notes", &region),
        "https://notes.acct.r2.cloudflarestorage.com/"
    );
    let from_env = |n: &str| match n {
        "AWS_ACCESS_KEY_ID" => Some("GK1".to_owned()),
        "AWS_SECRET_ACCESS_KEY" => Some("secret".to_owned()),
        "AWS_REGION" => Some("garage".to_owned()),
        "AWS_ENDPOINT_URL_S3" => Some("http://127.0.0.1:3900".to_owned()),
        _ => None,
    };
    let signer = Signer::from_lookup(&from_env).unwrap();
    let post = custom_endpoint::NoteUpload {
        bucket: "notes".into(),
    }
    .sign_at(&signer, now())
    .unwrap();
    assert_eq!(post.url(), "http://127.0.0.1:3900/notes");
    assert_eq!(
        post.field("x-amz-credential"),
        Some("GK1/20261122/garage/s3/aws4_request")
    );
}

#[test]
fn temporary_credentials_put_the_token_in_policy_and_form() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let calls = Arc::new(AtomicU32::new(0));
    let provider = temporary_credentials::fake_sts(Duration::from_secs(3600), Arc::clone(&calls));
    let signers = ProviderSigner::new(provider, Region::new("eu-west-1").unwrap());
    let signer = runtime.block_on(signers.signer()).unwrap();
    let post = temporary_credentials::ReportUpload {}
        .sign_at(&signer, now())
        .unwrap();

    let token = "IQoJb3JpZ2luX2VjEXAMPLE-session-1";
    assert_eq!(post.field("x-amz-security-token"), Some(token));
    assert_eq!(
        post.field("x-amz-credential"),
        Some("ASIAEXAMPLE000000001/20261122/eu-west-1/s3/aws4_request")
    );
    let policy = PolicyDocument::from_base64(post.policy()).unwrap();
    let conditions: Vec<String> = policy.conditions().iter().map(|c| c.to_string()).collect();
    assert!(
        conditions.contains(&format!(r#"{{"x-amz-security-token": "{token}"}}"#)),
        "{conditions:?}"
    );

    // S3's view: the form is accepted with the token, refused with another.
    let verifier = Verifier::new(signer.credentials().clone(), signer.region().clone());
    let at = now() + TimeDuration::minutes(1);
    let form = submission(&post, "reports", &[], "q3.csv", 10);
    assert_eq!(verifier.verify_at(&form, at).unwrap().key, "reports/q3.csv");
    let mut forged = Submission::new("reports");
    for (name, value) in post.fields() {
        let value = if name == "x-amz-security-token" {
            "IQoJ-stolen"
        } else {
            value
        };
        forged.push_field(name, value);
    }
    let refused = verifier
        .verify_at(&forged.file("q3.csv", 10), at)
        .unwrap_err();
    assert_eq!(refused.code().as_str(), "InvalidToken", "{refused}");

    // Fresh credentials are reused; a second provider whose credentials
    // expire within the refresh margin is asked again on every request.
    runtime.block_on(signers.signer()).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let short = Arc::new(AtomicU32::new(0));
    let provider = temporary_credentials::fake_sts(Duration::from_secs(60), Arc::clone(&short));
    let signers = ProviderSigner::new(provider, Region::new("eu-west-1").unwrap());
    let first = runtime.block_on(signers.signer()).unwrap();
    let second = runtime.block_on(signers.signer()).unwrap();
    assert_eq!(short.load(Ordering::SeqCst), 2);
    assert_ne!(
        first.credentials().session_token(),
        second.credentials().session_token()
    );

    temporary_credentials::main().unwrap();
}

#[test]
fn custom_condition_constrains_key_type_and_caching() {
    let signer = Signer::new(
        Credentials::new("AKIDASSETS", "assets-secret").unwrap(),
        Region::new("us-east-1").unwrap(),
    );
    let post = custom_condition::StylesheetUpload {}
        .sign_with(
            &signer,
            policy_runtime::SignOptions::new()
                .at(now())
                .key("assets/css/app.3f2a1c.css"),
        )
        .unwrap();
    assert_eq!(post.field("Content-Type"), Some("text/css"));
    assert_eq!(
        post.field("Cache-Control"),
        Some(custom_condition::IMMUTABLE)
    );
    let conditions: Vec<String> = PolicyDocument::from_base64(post.policy())
        .unwrap()
        .conditions()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        conditions[..4],
        [
            r#"{"bucket": "static-assets"}"#,
            r#"["starts-with", "$key", "assets/css/"]"#,
            r#"{"Content-Type": "text/css"}"#,
            r#"{"Cache-Control": "public, max-age=31536000, immutable"}"#,
        ]
    );

    // S3's view of the form and of forms that break each rule.
    let verifier = Verifier::new(signer.credentials().clone(), signer.region().clone());
    let at = now() + TimeDuration::seconds(30);
    let accepted = verifier
        .verify_at(&submission(&post, "static-assets", &[], "app.css", 100), at)
        .unwrap();
    assert_eq!(accepted.key, "assets/css/app.3f2a1c.css");
    assert_eq!(accepted.content_type.as_deref(), Some("text/css"));
    let replaced = |name: &str, value: &str| {
        let mut form = Submission::new("static-assets");
        for (n, v) in post.fields() {
            form.push_field(n, if n == name { value } else { v });
        }
        verifier.verify_at(&form.file("x", 100), at).unwrap_err()
    };
    for (name, value) in [
        ("key", "assets/js/app.js"),
        ("Content-Type", "text/html"),
        ("Cache-Control", "no-store"),
    ] {
        let refused = replaced(name, value);
        assert_eq!(refused.field(), Some(name), "{refused}");
    }

    // The constructor's checks (a compile error inside `post_policy!`).
    assert_eq!(
        custom_condition::public_asset("wasm").content_type(),
        "application/wasm"
    );
    assert!(std::panic::catch_unwind(|| custom_condition::public_asset("exe")).is_err());
    let by_hand = custom_condition::sign_stylesheet(&signer, "3f2a1c").unwrap();
    assert_eq!(by_hand.field("key"), Some("assets/css/app.3f2a1c.css"));
    custom_condition::main().unwrap();
}
