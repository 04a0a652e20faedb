//! A condition of your own inside `post_policy!`: `public_asset("css")`.
//!
//! ```text
//! cargo run -q --example custom-condition
//! ```
//!
//! A build pipeline uploads fingerprinted front-end assets (`app.3f2a1c.css`)
//! that a CDN serves for a year. Every such form needs the same three rules:
//! the key under `assets/<kind>/`, the Content-Type of that kind, and a
//! `Cache-Control` that lets caches keep the file forever. Written once as an
//! [`Extension`], the rules are one call in each declaration, and a kind the
//! pipeline does not know is a compile error in the declaration that names
//! it.
//!
//! Prints the signed form and the conditions of its policy.

use policy_runtime::{
    post_policy, Condition, Credentials, Error, Extension, FieldName, PolicyDocument, Region,
    SignedPost, Signer,
};

/// What a fingerprinted asset may be.
const KINDS: [(&str, &str); 5] = [
    ("css", "text/css"),
    ("js", "text/javascript"),
    ("svg", "image/svg+xml"),
    ("woff2", "font/woff2"),
    ("wasm", "application/wasm"),
];

/// The `Cache-Control` of a file whose name changes with its content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Uploads of one kind of fingerprinted asset. Make one with [`public_asset`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicAsset {
    kind: &'static str,
    content_type: &'static str,
}

/// Assets of `kind` (`css`, `js`, `svg`, `woff2` or `wasm`).
///
/// A `const fn`: `post_policy!` calls it at compile time, so the `panic!`
/// below is a compile error under `public_asset("exe")`, not a failure in
/// production.
pub const fn public_asset(kind: &'static str) -> PublicAsset {
    let mut i = 0;
    while i < KINDS.len() {
        if same(KINDS[i].0, kind) {
            return PublicAsset {
                kind,
                content_type: KINDS[i].1,
            };
        }
        i += 1;
    }
    panic!("unknown asset kind: use \"css\", \"js\", \"svg\", \"woff2\" or \"wasm\"")
}

/// `a == b`, which `const fn`s cannot write for `&str` yet.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl PublicAsset {
    /// The Content-Type the form requires.
    pub const fn content_type(&self) -> &'static str {
        self.content_type
    }
}

impl Extension for PublicAsset {
    // Every field the conditions below constrain, in canonical spelling.
    // `post_policy!` checks at compile time that the declaration does not
    // constrain them a second time, and that `key` is set by someone.
    const FIELDS: &'static [&'static str] = &["key", "Content-Type", "Cache-Control"];

    fn conditions(&self) -> Result<Vec<Condition>, Error> {
        Ok(vec![
            Condition::starts_with(FieldName::new("key")?, format!("assets/{}/", self.kind)),
            Condition::eq(FieldName::new("Content-Type")?, self.content_type),
            Condition::eq(FieldName::new("Cache-Control")?, IMMUTABLE),
        ])
    }
}

post_policy! {
    /// Stylesheets of up to 1 MiB from the build pipeline, for one minute.
    pub struct StylesheetUpload {
        bucket = "static-assets",
        public_asset("css"),
        content_length 1..=1_048_576,
        success_action_status = 204,
        expires_in = 1 min,
        // Writing `content_type = "text/plain",` here would be a compile
        // error: `Content-Type` is constrained by `public_asset(...)` too.
    }
}

/// The signed form for `app.<fingerprint>.css`.
pub fn sign_stylesheet(signer: &Signer, fingerprint: &str) -> Result<SignedPost, Error> {
    let key = format!("assets/css/app.{fingerprint}.css");
    StylesheetUpload {}.sign_with(signer, policy_runtime::SignOptions::new().key(key))
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The AWS documentation's example keys: a real pipeline uses
    // `Signer::from_env()?`.
    let signer = Signer::new(
        Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )?,
        Region::new("us-east-1")?,
    );
    let post = sign_stylesheet(&signer, "3f2a1c")?;
    println!("{}", serde_json::to_string_pretty(&post)?);
    println!("\nthe policy's conditions:");
    for condition in PolicyDocument::from_base64(post.policy())?.conditions() {
        println!("  {condition}");
    }
    Ok(())
}
