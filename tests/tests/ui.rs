//! The compile-fail suite: each file under `ui/fail` holds one mistake and
//! the error users see for it (`.stderr`, generated with
//! `TRYBUILD=overwrite` and read by a person). Files under `ui/pass` must
//! compile and run.

use policy_runtime::rules::{Role, FIELDS};

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
    t.pass("ui/pass/*.rs");
}

#[test]
fn the_compile_fail_suite_has_at_least_forty_cases() {
    let cases = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/ui/fail"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "rs")
        })
        .count();
    assert!(cases >= 40, "{cases} cases");
}

#[test]
fn the_pass_suite_uses_every_field_of_the_rule_table() {
    let source = include_str!("../ui/pass/every-field.rs");
    for spec in FIELDS.iter().filter(|s| s.role == Role::User) {
        let used = [" =", " starts_with"]
            .iter()
            .any(|op| source.contains(&format!("        {}{op}", spec.ident)));
        assert!(
            used,
            "`{}` is missing from ui/pass/every-field.rs",
            spec.ident
        );
    }
}
