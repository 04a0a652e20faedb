//! Differential test of the local endpoint (`post-policy-local`) against
//! real S3-compatible servers (Garage, s3s-fs).
//!
//! For each server, a generated corpus of submissions is signed with that
//! server's credentials and posted, byte for byte the same, to the server
//! and to a local endpoint started in-process with the same credentials and
//! region. The corpus holds valid forms and forms broken in every way S3
//! refuses: wrong signature, tampered policy, key outside the prefix, size
//! one above and below the range, expired policy, uncovered field, wrong
//! Content-Type, wrong bucket, unknown access key, a field after the file,
//! plus random mutations (dropped, duplicated, renamed, reordered, moved and
//! edited fields). The accept/reject verdicts must agree; where a server
//! departs from S3, the case carries a tag and the departure is a named
//! quirk of that server in `tests/conformance/quirks.json`, never a silent
//! allowance.
//!
//! `./test.sh` starts the servers and sets `POST_POLICY_E2E`; without it
//! this test fails, it never skips.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration as StdDuration, Instant};

use base64::Engine as _;
use policy_runtime::{Credentials, Endpoint, Policy, PolicyBuilder, Region, SignOptions, Signer};
use post_policy_local::{Config, LocalS3};
use reqwest::blocking::{multipart, Client};
use support::{quirks, servers, Server};
use time::{Duration, OffsetDateTime};

/// Submissions per server.
const CASES: usize = 520;

/// A small deterministic generator (xorshift64*), so a failing case can be
/// found again by its number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One submission: the fields before the file, the file, the fields after
/// it, and the bucket in the URL.
#[derive(Clone, Debug)]
struct Case {
    name: String,
    tags: Vec<&'static str>,
    bucket: String,
    fields: Vec<(String, String)>,
    file_name: String,
    size: usize,
    after: Vec<(String, String)>,
}

impl Case {
    fn set(&mut self, name: &str, value: &str) {
        match self
            .fields
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(f) => f.1 = value.to_string(),
            None => self.fields.push((name.to_string(), value.to_string())),
        }
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn remove(&mut self, name: &str) -> Option<(String, String)> {
        let i = self
            .fields
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))?;
        Some(self.fields.remove(i))
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Prefix,
    Typed,
    TypePrefix,
    Status,
    Redirect,
    ExactKey,
    Filename,
    Tagged,
}

const SHAPES: [Shape; 8] = [
    Shape::Prefix,
    Shape::Typed,
    Shape::TypePrefix,
    Shape::Status,
    Shape::Redirect,
    Shape::ExactKey,
    Shape::Filename,
    Shape::Tagged,
];

struct Gen<'a> {
    server: &'a Server,
    signer: Signer,
    stranger: Signer,
    run: String,
}

impl Gen<'_> {
    fn builder(&self, prefix: &str) -> PolicyBuilder {
        Policy::builder()
            .bucket(&self.server.bucket)
            .unwrap()
            .key_starts_with(prefix)
            .unwrap()
            .content_length_range(1..=64)
            .unwrap()
    }

    /// A valid submission of the given shape, signed `ago` in the past with
    /// a policy valid for `valid_for`.
    fn valid(
        &self,
        n: usize,
        shape: Shape,
        ago: Duration,
        valid_for: Duration,
        signer: &Signer,
    ) -> Case {
        let prefix = format!("diff/{}/{n}/", self.run);
        let mut client_fields: Vec<(&str, String)> = Vec::new();
        let mut key = format!("{prefix}object.txt");
        let mut file_name = "hello.txt".to_string();
        let policy = match shape {
            Shape::Prefix => self.builder(&prefix),
            Shape::Typed => self
                .builder(&prefix)
                .content_type("text/plain")
                .unwrap()
                .meta("origin", "diff")
                .unwrap(),
            Shape::TypePrefix => {
                client_fields.push(("Content-Type", "text/csv".into()));
                self.builder(&prefix)
                    .starts_with("Content-Type", "text/")
                    .unwrap()
            }
            Shape::Status => self
                .builder(&prefix)
                .success_action_status(if n.is_multiple_of(2) { 201 } else { 200 })
                .unwrap(),
            Shape::Redirect => self
                .builder(&prefix)
                .eq("success_action_redirect", "https://app.example/done")
                .unwrap(),
            Shape::ExactKey => Policy::builder()
                .bucket(&self.server.bucket)
                .unwrap()
                .key(&key)
                .unwrap()
                .content_length_range(1..=64)
                .unwrap(),
            Shape::Filename => {
                key = format!("{prefix}${{filename}}");
                file_name = format!("report-{n}.txt");
                self.builder(&prefix)
            }
            Shape::Tagged => {
                client_fields.push(("x-amz-meta-tag", format!("t{n}")));
                self.builder(&prefix)
                    .starts_with("x-amz-meta-tag", "t")
                    .unwrap()
            }
        }
        .expires_in(valid_for)
        .build()
        .unwrap();
        let at = OffsetDateTime::now_utc() - ago;
        let options = SignOptions::new().at(at);
        let options = if matches!(shape, Shape::ExactKey) {
            options
        } else {
            options.key(&key)
        };
        let signed = signer.sign_with(&policy, options).unwrap();
        let mut fields: Vec<(String, String)> = signed
            .fields()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        for (name, value) in client_fields {
            fields.insert(1, (name.to_string(), value));
        }
        Case {
            name: format!("#{n}"),
            tags: Vec::new(),
            bucket: self.server.bucket.clone(),
            fields,
            file_name,
            size: 1 + n % 64,
            after: Vec::new(),
        }
    }

    fn shape_name(shape: Shape) -> &'static str {
        match shape {
            Shape::Prefix => "prefix",
            Shape::Typed => "typed",
            Shape::TypePrefix => "type-prefix",
            Shape::Status => "status",
            Shape::Redirect => "redirect",
            Shape::ExactKey => "exact-key",
            Shape::Filename => "filename",
            Shape::Tagged => "tagged",
        }
    }

    /// The named cases, one per way S3 refuses, and the quirk probes.
    fn named(&self, n: &mut usize) -> Vec<Case> {
        let mut out = Vec::new();
        let fresh = |this: &Self, n: &mut usize, shape, name: &str| {
            *n += 1;
            let mut c = this.valid(
                *n,
                shape,
                Duration::ZERO,
                Duration::minutes(10),
                &this.signer,
            );
            c.name = format!("#{} {name}", *n);
            c
        };
        out.push(fresh(self, n, Shape::Typed, "valid"));
        let mut c = fresh(self, n, Shape::Prefix, "wrong signature");
        let sig = c.get("x-amz-signature").unwrap().to_string();
        let flipped = if sig.ends_with('0') { "1" } else { "0" };
        c.set("x-amz-signature", &format!("{}{flipped}", &sig[..63]));
        out.push(c);
        let mut c = fresh(self, n, Shape::Prefix, "tampered policy");
        let json = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(c.get("policy").unwrap())
                .unwrap(),
        )
        .unwrap();
        let widened = json.replacen("\"diff/", "\"", 1);
        assert_ne!(widened, json);
        c.set(
            "policy",
            &base64::engine::general_purpose::STANDARD.encode(widened),
        );
        out.push(c);
        let mut c = fresh(self, n, Shape::Prefix, "key outside the prefix");
        c.set("key", "elsewhere/out.txt");
        out.push(c);
        let mut c = fresh(self, n, Shape::Prefix, "one byte above the range");
        c.size = 65;
        out.push(c);
        let mut c = fresh(self, n, Shape::Prefix, "one byte below the range");
        c.size = 0;
        out.push(c);
        *n += 1;
        let mut c = self.valid(
            *n,
            Shape::Prefix,
            Duration::minutes(30),
            Duration::minutes(10),
            &self.signer,
        );
        c.name = format!("#{} expired", *n);
        out.push(c);
        let mut c = fresh(self, n, Shape::Prefix, "uncovered field");
        c.fields.insert(1, ("x-amz-meta-extra".into(), "1".into()));
        out.push(c);
        let mut c = fresh(self, n, Shape::Typed, "wrong Content-Type");
        c.set("Content-Type", "text/html");
        out.push(c);
        let mut c = fresh(self, n, Shape::Prefix, "wrong bucket");
        let policy = Policy::builder()
            .bucket("some-other-bucket")
            .unwrap()
            .key_starts_with("diff/")
            .unwrap()
            .expires_in(Duration::minutes(10))
            .build()
            .unwrap();
        let signed = self
            .signer
            .sign_with(&policy, SignOptions::new().key(c.get("key").unwrap()))
            .unwrap();
        c.fields = signed
            .fields()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        out.push(c);
        *n += 1;
        let mut c = self.valid(
            *n,
            Shape::Prefix,
            Duration::ZERO,
            Duration::minutes(10),
            &self.stranger,
        );
        c.name = format!("#{} unknown access key", *n);
        out.push(c);
        let mut c = fresh(self, n, Shape::Typed, "a field after the file");
        let moved = c.remove("Content-Type").unwrap();
        c.after.push(moved);
        out.push(c);
        let mut c = fresh(self, n, Shape::Typed, "valid, field names in other cases");
        for f in &mut c.fields {
            if f.0.starts_with("x-amz-") {
                f.0 = f.0.to_ascii_uppercase();
            }
        }
        out.push(c);
        let mut c = fresh(self, n, Shape::Prefix, "valid, x-ignore- field");
        c.fields
            .insert(1, ("x-ignore-note".into(), "anything".into()));
        out.push(c);
        // ${filename} under an exact key condition naming the file.
        *n += 1;
        let prefix = format!("diff/{}/{}/", self.run, *n);
        let policy = Policy::builder()
            .bucket(&self.server.bucket)
            .unwrap()
            .key(format!("{prefix}report.txt"))
            .unwrap()
            .expires_in(Duration::minutes(10))
            .build()
            .unwrap();
        let signed = self.signer.sign(&policy).unwrap();
        let mut c = Case {
            name: format!("#{} ${{filename}} under an exact key", *n),
            tags: vec!["filename-in-exact-key"],
            bucket: self.server.bucket.clone(),
            fields: signed
                .fields()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            file_name: "report.txt".into(),
            size: 3,
            after: Vec::new(),
        };
        c.set("key", &format!("{prefix}${{filename}}"));
        out.push(c);
        let mut c = fresh(self, n, Shape::Prefix, "key twice");
        let key = c.get("key").unwrap().to_string();
        c.fields.insert(1, ("key".into(), key));
        c.tags.push("duplicate-field");
        out.push(c);
        let mut c = fresh(self, n, Shape::Prefix, "a file without a name");
        c.file_name.clear();
        c.tags.push("empty-file-name");
        out.push(c);
        for (value, name) in [
            (
                "text/plain,text/csv",
                "Content-Type list, every part matches",
            ),
            (
                "text/plain,image/png",
                "Content-Type list, one part does not",
            ),
        ] {
            let mut c = fresh(self, n, Shape::TypePrefix, name);
            c.set("Content-Type", value);
            c.tags.push("content-type-list");
            out.push(c);
        }
        out
    }

    /// A random submission: a valid one of a random shape, then up to three
    /// random mutations.
    fn random(&self, n: usize, rng: &mut Rng) -> Case {
        let shape = SHAPES[rng.below(SHAPES.len())];
        let mut c = self.valid(
            n,
            shape,
            Duration::ZERO,
            Duration::minutes(10),
            &self.signer,
        );
        let mut what = vec![Self::shape_name(shape).to_string()];
        let mutations = if rng.chance(30) { 0 } else { 1 + rng.below(3) };
        for _ in 0..mutations {
            what.push(mutate(&mut c, rng));
        }
        c.name = format!("#{n} {}", what.join(", "));
        c
    }
}

/// Applies one random mutation; says which.
fn mutate(c: &mut Case, rng: &mut Rng) -> String {
    let pick = |c: &Case, rng: &mut Rng| rng.below(c.fields.len().max(1));
    match rng.below(16) {
        0 => {
            let sig = c.get("x-amz-signature").unwrap_or("0").to_string();
            let i = rng.below(sig.len().max(1));
            let mut bytes = sig.into_bytes();
            if let Some(b) = bytes.get_mut(i) {
                *b = if *b == b'a' { b'b' } else { b'a' };
            }
            c.set("x-amz-signature", &String::from_utf8(bytes).unwrap());
            "signature edited".into()
        }
        1 => {
            let policy = c.get("policy").unwrap_or("").to_string();
            let mut bytes = policy.into_bytes();
            let i = rng.below(bytes.len().max(1));
            if let Some(b) = bytes.get_mut(i) {
                *b = if *b == b'A' { b'B' } else { b'A' };
            }
            c.set("policy", &String::from_utf8(bytes).unwrap());
            "policy edited".into()
        }
        2 => {
            c.set("key", "outside/x.txt");
            "key outside".into()
        }
        3 => {
            c.size = if rng.chance(50) { 65 } else { 0 };
            format!("size {}", c.size)
        }
        4 if !c.fields.is_empty() => {
            let i = pick(c, rng);
            let (name, _) = c.fields.remove(i);
            format!("{name} dropped")
        }
        5 => {
            let name = [
                "x-amz-meta-extra",
                "acl",
                "Content-Disposition",
                "x-amz-meta-tag",
            ][rng.below(4)];
            c.fields
                .insert(1.min(c.fields.len()), (name.into(), "private".into()));
            format!("{name} added")
        }
        6 if !c.fields.is_empty() => {
            let i = pick(c, rng);
            let field = c.fields.remove(i);
            let name = field.0.clone();
            c.after.push(field);
            format!("{name} after the file")
        }
        7 if !c.fields.is_empty() => {
            let i = pick(c, rng);
            c.fields[i].0 = c.fields[i].0.to_ascii_uppercase();
            format!("{} upper-cased", c.fields[i].0)
        }
        8 => {
            c.set(
                "Content-Type",
                ["text/html", "image/png", "text/plain", ""][rng.below(4)],
            );
            format!("Content-Type {:?}", c.get("Content-Type").unwrap())
        }
        9 => {
            c.bucket = "another-bucket".into();
            "posted to another bucket".into()
        }
        10 if !c.fields.is_empty() => {
            let i = pick(c, rng);
            let field = c.fields[i].clone();
            let name = field.0.clone();
            c.fields.insert(i + 1, field);
            c.tags.push("duplicate-field");
            format!("{name} twice")
        }
        11 if c.fields.len() > 1 => {
            let (i, j) = (pick(c, rng), pick(c, rng));
            c.fields.swap(i, j);
            "fields reordered".into()
        }
        12 => {
            c.fields
                .insert(0, ("x-ignore-pad".into(), "z".repeat(rng.below(200))));
            "x-ignore- field".into()
        }
        13 if !c.fields.is_empty() => {
            let i = pick(c, rng);
            c.fields[i].1.clear();
            format!("{} emptied", c.fields[i].0)
        }
        14 => {
            let date = c
                .get("x-amz-date")
                .unwrap_or("20300101T000000Z")
                .to_string();
            c.set(
                "x-amz-date",
                &format!("{}T235959Z", &date[..8.min(date.len())]),
            );
            "x-amz-date moved within the day".into()
        }
        _ => {
            c.file_name =
                ["a b.txt", "ü.txt", "../up.txt", "C:\\x\\y.txt", ""][rng.below(5)].into();
            if c.file_name.is_empty() {
                c.tags.push("empty-file-name");
            }
            format!("file named {:?}", c.file_name)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Accepted(u16),
    Refused(u16, String),
}

impl Verdict {
    fn accepted(&self) -> bool {
        matches!(self, Verdict::Accepted(_))
    }
}

fn client() -> Client {
    Client::builder()
        .timeout(StdDuration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(4)
        .build()
        .unwrap()
}

fn post(client: &Client, base: &str, c: &Case) -> Verdict {
    let mut form = multipart::Form::new();
    for (n, v) in &c.fields {
        form = form.text(n.clone(), v.clone());
    }
    form = form.part(
        "file",
        multipart::Part::bytes(vec![b'x'; c.size]).file_name(c.file_name.clone()),
    );
    for (n, v) in &c.after {
        form = form.text(n.clone(), v.clone());
    }
    let response = client
        .post(format!("{base}/{}", c.bucket))
        .multipart(form)
        .send()
        .unwrap_or_else(|e| panic!("{}: {base}: {e}", c.name));
    let status = response.status().as_u16();
    let body = response.text().unwrap_or_default();
    if status < 400 {
        Verdict::Accepted(status)
    } else {
        let code = body
            .split("<Code>")
            .nth(1)
            .and_then(|s| s.split("</Code>").next())
            .unwrap_or("")
            .to_string();
        let reason = body
            .split("<Reason>")
            .nth(1)
            .and_then(|s| s.split("</Reason>").next())
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        Verdict::Refused(status, format!("{code}{reason}"))
    }
}

struct Outcome {
    server: String,
    cases: usize,
    accepted: usize,
    explained: BTreeMap<&'static str, usize>,
    unexplained: Vec<String>,
    codes_differ: usize,
}

fn run(server: &Server) -> Outcome {
    let region = Region::new(&server.region).unwrap();
    let credentials = Credentials::new(&server.access_key, &server.secret).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "post-policy-local-differential-{}-{}",
        server.name,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let local = LocalS3::new(Config::new(&dir, region.clone()).credentials(credentials.clone()))
        .unwrap()
        .spawn("127.0.0.1:0".parse().unwrap())
        .unwrap();
    let gen = Gen {
        server,
        signer: Signer::new(credentials, region.clone())
            .with_endpoint(Endpoint::custom(&server.endpoint).unwrap()),
        stranger: Signer::new(
            Credentials::new("GK000000000000000000000000", "0".repeat(64)).unwrap(),
            region,
        ),
        run: format!("{}", OffsetDateTime::now_utc().unix_timestamp()),
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut n = 0;
    let mut corpus = gen.named(&mut n);
    while corpus.len() < CASES {
        n += 1;
        corpus.push(gen.random(n, &mut rng));
    }

    let client = client();
    let mut outcome = Outcome {
        server: server.name.clone(),
        cases: corpus.len(),
        accepted: 0,
        explained: BTreeMap::new(),
        unexplained: Vec::new(),
        codes_differ: 0,
    };
    for case in &corpus {
        let theirs = post(&client, &server.endpoint, case);
        let ours = post(&client, local.url(), case);
        if ours.accepted() {
            outcome.accepted += 1;
        }
        if theirs.accepted() == ours.accepted() {
            if theirs != ours {
                outcome.codes_differ += 1;
            }
            continue;
        }
        let quirk = quirks().iter().find(|q| {
            q.server == server.name
                && q.differential
                    .as_ref()
                    .is_some_and(|(tag, server_accepts)| {
                        case.tags.contains(&tag.as_str()) && *server_accepts == theirs.accepted()
                    })
        });
        match quirk {
            Some(q) => *outcome.explained.entry(q.name.as_str()).or_default() += 1,
            None => outcome.unexplained.push(format!(
                "{}: {}: {} says {theirs:?}, the local endpoint {ours:?}\n    fields {:?}, file {:?} ({} bytes), after {:?}, bucket {}",
                server.name, case.name, server.name, case.fields, case.file_name, case.size, case.after, case.bucket
            )),
        }
    }
    local.stop().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

#[test]
fn the_local_endpoint_agrees_with_real_servers() {
    let started = Instant::now();
    let servers = servers();
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = servers
            .iter()
            .map(|server| scope.spawn(move || run(server)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut unexplained = Vec::new();
    for o in &outcomes {
        println!(
            "{}: {} submissions, {} accepted by the local endpoint, verdicts agree on {}; \
             same verdict with another code or status on {}",
            o.server,
            o.cases,
            o.accepted,
            o.cases - o.unexplained.len() - o.explained.values().sum::<usize>(),
            o.codes_differ
        );
        for q in quirks()
            .iter()
            .filter(|q| q.server == o.server && q.differential.is_some())
        {
            let seen = o.explained.get(q.name.as_str()).copied().unwrap_or(0);
            println!("  quirk {}: {seen} case(s): {}", q.name, q.what);
            assert!(
                seen > 0,
                "{}: quirk {} no longer shows (its named case agrees now): remove it from tests/conformance/quirks.json",
                o.server,
                q.name
            );
        }
        assert!(o.cases >= 500, "{}: only {} submissions", o.server, o.cases);
        assert!(
            o.accepted >= o.cases / 5 && o.accepted <= o.cases * 4 / 5,
            "{}: {} of {} accepted: the corpus should mix valid and broken forms",
            o.server,
            o.accepted,
            o.cases
        );
        unexplained.extend(o.unexplained.iter().cloned());
    }
    println!("differential run: {:.1?}", started.elapsed());
    assert!(
        unexplained.is_empty(),
        "{} verdict(s) differ without a known quirk:\n{}",
        unexplained.len(),
        unexplained
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
