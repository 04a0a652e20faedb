//! Finding a field by its name, as S3 does: ASCII case-insensitively.
//!
//! What it buys: [`lookup`] finds a known name through an index of
//! [`FIELDS`] by name length and last byte, so most names are compared with
//! one entry or none instead of scanning the table, and compares a
//! candidate eight bytes at a time (`same_name`). The verifier looks up
//! every field of every form; on `bench/compare.sh`'s "verify one form" the
//! index takes the time from 3.05x to 2.74x the floor (three alternating
//! runs each, 2026-12-04). The plain scan it must agree with is
//! `tests::plain_lookup`.

use std::sync::OnceLock;

use crate::{strip_prefix_ignore_case, FieldKind, FieldSpec, FIELDS, IGNORE_PREFIX, META_PREFIX};

/// The longest name the length index covers; [`FIELDS`] has none longer.
const MAX_LEN: usize = 64;

/// Bit sets of [`FIELDS`] entries: by name length, and by the last byte of
/// the name lowercased. A name can only be an entry in both sets.
struct Index {
    by_length: [u64; MAX_LEN],
    by_last: [u64; 128],
}

/// See [`Index`]; `None` when the sets cannot hold [`FIELDS`] (more than
/// 64 entries, or a name longer than [`MAX_LEN`]), and the scan is used.
#[inline]
fn index() -> Option<&'static Index> {
    static INDEX: OnceLock<Option<Index>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            if FIELDS.len() > 64 {
                return None;
            }
            let mut index = Index {
                by_length: [0; MAX_LEN],
                by_last: [0; 128],
            };
            for (i, spec) in FIELDS.iter().enumerate() {
                let last = spec.name.bytes().last()?.to_ascii_lowercase();
                *index.by_length.get_mut(spec.name.len())? |= 1 << i;
                *index.by_last.get_mut(usize::from(last))? |= 1 << i;
            }
            Some(index)
        })
        .as_ref()
}

/// The known field `name` spells (any case), with its position in
/// [`FIELDS`], for tables kept in the same order.
///
/// ```
/// use policy_rules::{lookup_known, FIELDS};
/// let (i, spec) = lookup_known("CONTENT-TYPE").unwrap();
/// assert!(std::ptr::eq(&FIELDS[i], spec));
/// assert_eq!(spec.name, "Content-Type");
/// assert!(lookup_known("x-amz-meta-owner").is_none());
/// ```
#[inline]
pub fn lookup_known(name: &str) -> Option<(usize, &'static FieldSpec)> {
    let Some(index) = index() else {
        return FIELDS
            .iter()
            .enumerate()
            .find(|(_, spec)| spec.name.eq_ignore_ascii_case(name));
    };
    let last = name.bytes().last().map_or(0, |b| b.to_ascii_lowercase());
    let mut candidates = index.by_length.get(name.len()).copied().unwrap_or(0)
        & index.by_last.get(usize::from(last)).copied().unwrap_or(0);
    while candidates != 0 {
        let i = candidates.trailing_zeros() as usize;
        candidates &= candidates - 1;
        let spec = FIELDS.get(i)?;
        if same_name(spec.name, name) {
            return Some((i, spec));
        }
    }
    None
}

/// `a.eq_ignore_ascii_case(b)`, eight bytes at a time (the last eight
/// overlapping the ones before when the length is not a multiple of 8).
#[inline]
fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u64::from_le_bytes)
    };
    let same = |x: u64, y: u64| x == y || lower(x) == lower(y);
    if a.len() < 8 {
        return a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y));
    }
    let mut at = 0;
    while at + 8 < a.len() {
        if !same(word(a, at), word(b, at)) {
            return false;
        }
        at += 8;
    }
    let last = a.len() - 8;
    same(word(a, last), word(b, last))
}

/// Each byte of `w` ASCII-lowercased, as `u8::to_ascii_lowercase` does.
#[inline]
fn lower(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let ascii = !w & HIGH;
    let low = w & !HIGH;
    // Per byte, without carries (a 7-bit value plus at most 0x3f): the top
    // bit says `>= 'A'`, then `> 'Z'`.
    let from_a = low + ONES * u64::from(0x80 - b'A');
    let past_z = low + ONES * u64::from(0x80 - b'Z' - 1);
    let upper = ascii & from_a & !past_z;
    w | (upper >> 2)
}

/// Looks a form-field name up, case-insensitively as S3 does.
///
/// Returns `None` for a name S3 does not know; see
/// [`suggest`](crate::suggest) for a "did you mean" hint.
///
/// ```
/// use policy_rules::{lookup, FieldKind};
/// let Some(FieldKind::Known(spec)) = lookup("cache-control") else { panic!() };
/// assert_eq!(spec.name, "Cache-Control");
/// assert!(matches!(lookup("X-Amz-Meta-Owner"), Some(FieldKind::Meta("Owner"))));
/// assert_eq!(lookup("X-Ignore-csrf"), Some(FieldKind::Ignored));
/// assert!(lookup("content_type").is_none());
/// assert_eq!(lookup("Content-MD5"), None);
/// ```
#[inline]
pub fn lookup(name: &str) -> Option<FieldKind<'_>> {
    match lookup_known(name) {
        Some((_, spec)) => Some(FieldKind::Known(spec)),
        None => lookup_unknown(name),
    }
}

/// What a name that is not a known field (see [`lookup_known`]) refers to:
/// metadata, an ignored field, or nothing S3 knows.
///
/// ```
/// use policy_rules::{lookup_unknown, FieldKind};
/// assert_eq!(lookup_unknown("x-amz-meta-a"), Some(FieldKind::Meta("a")));
/// assert_eq!(lookup_unknown("x-ignore-a"), Some(FieldKind::Ignored));
/// assert_eq!(lookup_unknown("nonsense"), None);
/// ```
#[inline]
pub fn lookup_unknown(name: &str) -> Option<FieldKind<'_>> {
    if let Some(rest) = strip_prefix_ignore_case(name, META_PREFIX) {
        return Some(FieldKind::Meta(rest));
    }
    if strip_prefix_ignore_case(name, IGNORE_PREFIX).is_some() {
        return Some(FieldKind::Ignored);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lookup without the index: a scan of [`FIELDS`].
    fn plain_lookup(name: &str) -> Option<FieldKind<'_>> {
        if let Some(spec) = FIELDS.iter().find(|s| s.name.eq_ignore_ascii_case(name)) {
            return Some(FieldKind::Known(spec));
        }
        if let Some(rest) = strip_prefix_ignore_case(name, META_PREFIX) {
            return Some(FieldKind::Meta(rest));
        }
        if strip_prefix_ignore_case(name, IGNORE_PREFIX).is_some() {
            return Some(FieldKind::Ignored);
        }
        None
    }

    #[test]
    fn same_name_is_eq_ignore_ascii_case() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(
                    lower(u64::from(a)) == lower(u64::from(b)),
                    a.eq_ignore_ascii_case(&b),
                    "{a} {b}"
                );
            }
            let w = u64::from_le_bytes([a; 8]);
            assert_eq!(
                lower(w),
                u64::from_le_bytes([a.to_ascii_lowercase(); 8]),
                "{a}"
            );
        }
        let names = [
            "",
            "a",
            "A",
            "key",
            "KEY",
            "kEy",
            "x-amz-credential",
            "X-AMZ-CREDENTIAL",
            "x-amz-credentiaL",
            "x-amz-credentiaM",
            "Content-Type",
            "content-type",
            "content_type",
            "\u{212a}ey",
            "kéy",
            "KÉY",
            "@[`{",
            "`{@[",
            "x-amz-meta-Owner!",
        ];
        for a in names {
            for b in names {
                assert_eq!(same_name(a, b), a.eq_ignore_ascii_case(b), "{a} {b}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn same_name_agrees_on_any_length(
            a in "[aAzZ@\\[`{é_-]{0,40}",
            flips in proptest::collection::vec(proptest::bool::ANY, 40),
            tweak in proptest::option::of(0usize..40),
        ) {
            // `b`: `a` with some letters' case flipped, and maybe one byte
            // changed, so that equal-length pairs are common.
            let mut b: Vec<char> = a
                .chars()
                .zip(flips.iter().chain(std::iter::repeat(&false)))
                .map(|(c, &flip)| if flip { c.to_ascii_uppercase() } else { c })
                .collect();
            if let Some(c) = tweak.and_then(|i| b.get_mut(i)) {
                *c = if *c == 'q' { 'r' } else { 'q' };
            }
            let b: String = b.into_iter().collect();
            proptest::prop_assert_eq!(same_name(&a, &b), a.eq_ignore_ascii_case(&b));
        }
    }

    #[test]
    fn the_index_covers_the_table() {
        assert!(index().is_some(), "FIELDS outgrew the index: widen it");
    }

    #[test]
    fn lookup_is_the_plain_scan() {
        let mut names: Vec<String> = Vec::new();
        for spec in FIELDS {
            let name = spec.name;
            let tail = name.get(1..).unwrap_or_default();
            names.extend([
                name.into(),
                name.to_ascii_uppercase(),
                name.to_ascii_lowercase(),
                format!("{name}x"),
                tail.into(),
                // Same length and last byte, another first byte.
                format!("q{tail}"),
            ]);
        }
        for other in [
            "",
            "x-amz-meta-",
            "X-AMZ-META-Owner",
            "x-amz-meta",
            "x-ignore-",
            "X-Ignore-a",
            "x-ignor",
            "ß",
            "\u{212a}ey",
            "kéy",
            &"k".repeat(200),
        ] {
            names.push(other.into());
        }
        for name in &names {
            assert_eq!(lookup(name), plain_lookup(name), "{name:?}");
            match lookup_known(name) {
                Some((i, spec)) => {
                    assert!(std::ptr::eq(&FIELDS[i], spec), "{name:?}");
                    assert_eq!(lookup(name), Some(FieldKind::Known(spec)));
                }
                None => assert!(!matches!(lookup(name), Some(FieldKind::Known(_)))),
            }
        }
    }
}
