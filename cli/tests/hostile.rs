//! The `post-policy` binary on hostile input: dates at the edges of their
//! range, huge and repetitive policies, endless stdin. It never panics
//! (exit 101) and never runs out of memory; it answers with a usage or
//! input error (exit 2) that says what to change, or a report.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_post-policy");

const ENV: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "sekrit"),
    ("AWS_REGION", "eu-west-1"),
];

const POLICY_JSON: &str = r#"{"expiration": "2030-01-01T00:10:00Z", "conditions": [
    {"bucket": "b-1"}, ["starts-with", "$key", "u/"], ["content-length-range", 1, 100]]}"#;

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(ENV.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // The binary may stop reading early (that is the point): ignore EPIPE.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The edge dates of `tests/corpus/hostile/dates.txt`, and whether UTC
/// (years 0-9999, as S3 writes dates) holds each.
fn edge_dates() -> Vec<(String, bool)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/corpus/hostile/dates.txt"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|d| {
            let out_of_range = (d.starts_with("9999-12-31") && d.contains('-') && {
                let offset = &d[d.len() - 6..];
                offset.starts_with('-') && offset != "-00:00" && {
                    let hour: u32 = d[11..13].parse().unwrap();
                    let minute: u32 = d[14..16].parse().unwrap();
                    let (oh, om): (u32, u32) =
                        (offset[1..3].parse().unwrap(), offset[4..6].parse().unwrap());
                    (hour * 60 + minute) + oh * 60 + om >= 24 * 60
                }
            }) || (d.starts_with("0000-01-01") && {
                let offset = &d[d.len() - 6..];
                offset.starts_with('+') && offset != "+00:00"
            });
            (d.to_string(), !out_of_range)
        })
        .collect()
}

#[test]
fn now_flags_at_the_edges_are_usage_errors_not_panics() {
    let dates = edge_dates();
    assert!(dates.iter().filter(|(_, ok)| !ok).count() >= 4);
    for (date, in_range) in &dates {
        for args in [
            &["sign", "-", "--now", date][..],
            &["check", "--policy", "-", "--size", "1", "--now", date],
            &["decode", "-", "--now", date],
        ] {
            let o = run(args, POLICY_JSON.as_bytes());
            let code = o.status.code();
            assert_ne!(code, Some(101), "{args:?} panicked: {}", text(&o));
            assert!(code.is_some(), "{args:?} was killed");
            if !in_range {
                assert_eq!(code, Some(2), "{args:?}: {}", text(&o));
                assert!(text(&o).contains("out of range"), "{args:?}: {}", text(&o));
            }
        }
    }
}

#[test]
fn policies_with_edge_expirations_are_decoded_or_refused_not_panics() {
    for (date, _) in edge_dates() {
        let policy = POLICY_JSON.replace("2030-01-01T00:10:00Z", &date);
        for command in [
            &["decode", "-"][..],
            &["check", "--policy", "-", "--size", "1"],
        ] {
            let o = run(command, policy.as_bytes());
            assert_ne!(
                o.status.code(),
                Some(101),
                "{date} {command:?}: {}",
                text(&o)
            );
            assert!(o.status.code().is_some(), "{date}: killed");
        }
    }
}

#[test]
fn a_huge_repetitive_policy_is_refused_with_the_limit_named() {
    // 200,000 copies of one condition: 4.6 MB of JSON.
    let repeated = r#"{"bucket": "b-1"},"#.repeat(200_000);
    let policy = format!(
        r#"{{"expiration": "2030-01-01T00:00:00Z", "conditions": [{repeated} ["starts-with", "$key", ""]]}}"#
    );
    let started = Instant::now();
    let o = run(
        &["decode", "-", "--now", "2029-01-01T00:00:00Z"],
        policy.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("at most"), "{}", text(&o));
    println!("refused in {:?}", started.elapsed());
}

#[test]
fn a_repeated_condition_is_reported_once() {
    // Under S3's limit: 400 copies of one exact condition and 200 of one
    // contradicting it.
    let copies = r#"{"acl": "private"},"#.repeat(400) + &r#"{"acl": "public-read"},"#.repeat(200);
    let policy = format!(
        r#"{{"expiration": "2030-01-01T00:00:00Z", "conditions": [{{"bucket": "b-1"}}, {copies} ["starts-with", "$key", ""]]}}"#
    );
    let o = run(
        &["decode", "-", "--now", "2029-01-01T00:00:00Z"],
        policy.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report = String::from_utf8_lossy(&o.stdout);
    let problems: Vec<&str> = report.lines().filter(|l| l.starts_with("  - ")).collect();
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].contains("more than one condition on `acl`"),
        "{problems:#?}"
    );
    assert!(problems[1].contains("contradictory"), "{problems:#?}");
}

#[test]
fn endless_stdin_is_cut_off() {
    // 64 MiB of one line: the binary stops reading at its limit.
    let junk = vec![b'{'; 64 << 20];
    let o = run(&["decode", "-"], &junk);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("more than"), "{}", text(&o));
}
