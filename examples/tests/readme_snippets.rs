//! The README's "Use it in your project", "A short tour" and "Checking
//! submitted forms": the files under `readme/` and the user's crate in
//! `tests/my-app/` are its code blocks, verbatim (checked here), included
//! here as they are, so they compile; and they run:
//!
//! - the user's `main` signs with the standard AWS variables, and its form
//!   is accepted with a small text file and refused with anything else;
//! - the tour signs with credentials from the standard AWS variables (set
//!   here; no other test of this binary reads the environment);
//! - the check accepts the tour's form with a PNG, under the file's name,
//!   and refuses it, as S3 does, for other credentials or another bucket's
//!   form;
//! - the checksum snippet stores the bytes a form's `x-amz-checksum-sha256`
//!   names and refuses others with `BadDigest`.
//!
//! The pytest fixture of "From a test harness" is checked to be lines of
//! `tests/python/test_local_endpoint.py` as they are (`tests/install.sh`
//! runs that file).

mod checking {
    include!("readme/checking.rs");

    pub(super) fn run(
        credentials: Credentials,
        post: &SignedPost,
    ) -> Result<String, Box<dyn std::error::Error>> {
        check(credentials, post)
    }
}

mod checksum {
    include!("readme/checksum.rs");

    pub(super) fn run(accepted: &Accepted, chunks: &[&[u8]]) -> Result<(), Rejection> {
        store(accepted, chunks)
    }
}

mod my_app {
    include!("../../tests/my-app/src/main.rs");

    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }

    pub(super) fn sign(
        signer: &Signer,
    ) -> Result<policy_runtime::SignedPost, policy_runtime::Error> {
        TextUpload.sign(signer)
    }
}

mod tour {
    include!("readme/tour.rs");

    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

use policy_runtime::verify::{Submission, Verifier};
use policy_runtime::{Credentials, Region, Signer};

const README: &str = include_str!("../../README.md");
const ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[test]
fn the_readme_tour_and_check_run_as_shown() {
    for (file, text) in [
        ("tour.rs", include_str!("readme/tour.rs")),
        ("checking.rs", include_str!("readme/checking.rs")),
        ("checksum.rs", include_str!("readme/checksum.rs")),
    ] {
        assert!(
            README.contains(&format!("```rust\n{text}```\n")),
            "README.md does not show examples/tests/readme/{file} as it is; copy the file into its code block"
        );
    }

    // No other test of this binary reads the environment.
    // The user's crate: what `cargo add` writes, and its `main`.
    for (file, text, lang) in [
        (
            "Cargo.toml",
            include_str!("../../tests/my-app/Cargo.toml"),
            "toml",
        ),
        (
            "src/main.rs",
            include_str!("../../tests/my-app/src/main.rs"),
            "rust",
        ),
    ] {
        assert!(
            README.contains(&format!("```{lang}\n{text}```\n")),
            "README.md does not show tests/my-app/{file} as it is; copy the file into its code block"
        );
    }

    std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET);
    std::env::set_var("AWS_REGION", "eu-west-1");
    for name in [
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
    ] {
        std::env::remove_var(name);
    }
    tour::run().expect("the tour signs with the standard variables");
    my_app::run().expect("the user's main signs with the standard variables");

    let credentials = Credentials::new(ACCESS_KEY, SECRET).unwrap();
    let signer = Signer::new(credentials.clone(), Region::new("eu-west-1").unwrap());
    let post = tour::AvatarUpload {
        user_id: "42".into(),
    }
    .sign(&signer)
    .unwrap();
    assert_eq!(
        checking::run(credentials.clone(), &post).unwrap(),
        "user/42/me.png"
    );

    // The user's form takes a small text file under uploads/, nothing else.
    let text = my_app::sign(&signer).unwrap();
    assert_eq!(text.url(), "https://my-bucket.s3.eu-west-1.amazonaws.com/");
    let verifier = Verifier::new(credentials.clone(), Region::new("eu-west-1").unwrap());
    let submit = |content_type: &str, size: u64| {
        let mut form = Submission::new("my-bucket");
        for (name, value) in text.fields() {
            // The page sends the form's fields as they are; here one is
            // changed to see it refused.
            let value = if name == "Content-Type" {
                content_type
            } else {
                value
            };
            form.push_field(name, value);
        }
        verifier.verify(&form.file("notes.txt", size))
    };
    assert_eq!(submit("text/plain", 5).unwrap().key, "uploads/notes.txt");
    assert_eq!(
        submit("text/plain", 2 << 20).unwrap_err().code().as_str(),
        "EntityTooLarge"
    );
    assert!(submit("image/png", 5).is_err(), "another Content-Type");

    let other = Credentials::new(ACCESS_KEY, "another-secret").unwrap();
    let refused = checking::run(other, &post).unwrap_err();
    assert!(
        refused.to_string().contains("signature"),
        "other credentials: {refused}"
    );

    // A form for the user's own folder, but with a key outside it.
    let outside = tour::AvatarUpload {
        user_id: "42".into(),
    }
    .sign_with(
        &signer,
        policy_runtime::SignOptions::new().key("user/43/me.png"),
    );
    assert!(outside.is_err(), "a key outside the policy is not signed");
}

#[test]
fn the_readme_checksum_snippet_checks_the_bytes() {
    use policy_runtime::verify::{check_policy, Submission};
    use policy_runtime::PolicyDocument;

    let sha256 = "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="; // of 123456789
    let policy = PolicyDocument::from_json(&format!(
        r#"{{"expiration": "2030-01-01T00:00:00Z", "conditions": [{{"bucket": "b-1"}},
            ["starts-with", "$key", ""], {{"x-amz-checksum-sha256": "{sha256}"}}]}}"#
    ))
    .unwrap();
    let form = Submission::new("b-1")
        .field("key", "digits.txt")
        .field("x-amz-checksum-sha256", sha256)
        .file("digits.txt", 9);
    let now = policy_runtime::time::macros::datetime!(2029-01-01 0:00 UTC);
    let accepted = check_policy(&policy, &form, now).unwrap();
    assert_eq!(checksum::run(&accepted, &[b"12345", b"6789"]), Ok(()));
    let refused = checksum::run(&accepted, &[b"12345", b"6780"]).unwrap_err();
    assert_eq!(refused.code().as_str(), "BadDigest");
}

#[test]
fn the_readme_pytest_fixture_is_the_file_the_suite_runs() {
    let file = include_str!("../../tests/python/test_local_endpoint.py");
    let (_, section) = README
        .split_once("### From a test harness")
        .expect("README.md has the section \"From a test harness\"");
    let (_, block) = section
        .split_once("```python\n")
        .expect("the section shows the pytest fixture");
    let (block, _) = block.split_once("```\n").unwrap();
    assert!(
        block.contains("def local_s3(") && block.contains("generate_presigned_post"),
        "the README's Python block is not the fixture:\n{block}"
    );
    assert!(
        file.contains(block),
        "README.md's pytest fixture is not in tests/python/test_local_endpoint.py as it is; copy the file's lines into the code block"
    );
}
