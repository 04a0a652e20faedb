//! Field names as the verifier compares them: case-insensitively, as sent,
//! without making canonical copies.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use crate::rules::{self, FieldKind, Kept, Role, FIELDS, IGNORE_PREFIX, META_PREFIX};

/// The longest field name the length table covers; [`FIELDS`] has none
/// longer (else [`lookup`] falls back to [`rules::lookup`]).
const MAX_LEN: usize = 64;

/// Bit sets of [`FIELDS`] entries: by name length, and by the last byte of
/// the name lowercased. A name can only be an entry in both sets, so most
/// names leave one candidate (or none) to compare.
struct Candidates {
    by_length: [u64; MAX_LEN],
    by_last: [u64; 128],
}

/// See [`Candidates`]; `None` when the sets cannot hold [`FIELDS`], or two
/// of its names differ only in case (so an exact match might not be the
/// first match).
fn candidates() -> Option<&'static Candidates> {
    static TABLE: OnceLock<Option<Candidates>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            if FIELDS.len() > 64 {
                return None;
            }
            for (i, a) in FIELDS.iter().enumerate() {
                if FIELDS
                    .get(..i)?
                    .iter()
                    .any(|b| a.name.eq_ignore_ascii_case(b.name))
                {
                    return None;
                }
            }
            let mut table = Candidates {
                by_length: [0; MAX_LEN],
                by_last: [0; 128],
            };
            for (i, spec) in FIELDS.iter().enumerate() {
                let last = spec.name.bytes().last()?.to_ascii_lowercase();
                *table.by_length.get_mut(spec.name.len())? |= 1 << i;
                *table.by_last.get_mut(usize::from(last))? |= 1 << i;
            }
            Some(table)
        })
        .as_ref()
}

/// A name looked up in the rule table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resolved<'a> {
    /// What [`rules::lookup`] says.
    pub(crate) kind: Option<FieldKind<'a>>,
    /// For a known field, its position in [`FIELDS`] (below 64), when the
    /// length table covers the table.
    pub(crate) known: Option<usize>,
}

/// Looks `name` up as [`rules::lookup`] does, and says where a known
/// field is in [`FIELDS`].
pub(crate) fn resolve(name: &str) -> Resolved<'_> {
    let Some(table) = candidates() else {
        return Resolved {
            kind: rules::lookup(name),
            known: None,
        };
    };
    let last = name.bytes().last().map_or(0, |b| b.to_ascii_lowercase());
    let mut candidates = table.by_length.get(name.len()).copied().unwrap_or(0)
        & table.by_last.get(usize::from(last)).copied().unwrap_or(0);
    while candidates != 0 {
        let i = candidates.trailing_zeros() as usize;
        candidates &= candidates - 1;
        if let Some(spec) = FIELDS.get(i) {
            if same_name(spec.name, name) {
                return Resolved {
                    kind: Some(FieldKind::Known(spec)),
                    known: Some(i),
                };
            }
        }
    }
    let kind = if let Some(rest) = rules::strip_prefix_ignore_case(name, META_PREFIX) {
        Some(FieldKind::Meta(rest))
    } else if rules::strip_prefix_ignore_case(name, IGNORE_PREFIX).is_some() {
        Some(FieldKind::Ignored)
    } else {
        None
    };
    Resolved { kind, known: None }
}

/// A field name the verifier itself asks for, with what [`resolve`] says
/// of it found once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fixed {
    /// The canonical spelling.
    pub(crate) name: &'static str,
    /// [`resolve`]`(name).known`.
    pub(crate) known: Option<usize>,
}

/// The names the verifier looks up by constant, each resolved once rather
/// than on every form.
pub(crate) struct FixedNames {
    pub(crate) key: Fixed,
    pub(crate) policy: Fixed,
    pub(crate) algorithm: Fixed,
    pub(crate) credential: Fixed,
    pub(crate) date: Fixed,
    pub(crate) signature: Fixed,
    pub(crate) security_token: Fixed,
}

/// See [`FixedNames`].
pub(crate) fn fixed() -> &'static FixedNames {
    static NAMES: OnceLock<FixedNames> = OnceLock::new();
    NAMES.get_or_init(|| {
        let fixed = |name: &'static str| Fixed {
            name,
            known: resolve(name).known,
        };
        FixedNames {
            key: fixed("key"),
            policy: fixed("policy"),
            algorithm: fixed("x-amz-algorithm"),
            credential: fixed("x-amz-credential"),
            date: fixed("x-amz-date"),
            signature: fixed("x-amz-signature"),
            security_token: fixed("x-amz-security-token"),
        }
    })
}

/// `a.eq_ignore_ascii_case(b)`, eight bytes at a time (the last eight
/// overlapping the ones before when the length is not a multiple of 8).
#[inline]
pub(crate) fn same_name(a: &str, b: &str) -> bool {
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

/// Whether S3 needs no condition for a field: the reserved ones (`policy`,
/// `x-amz-signature`, `file`) and `x-ignore-*`.
pub(crate) fn exempt(kind: Option<FieldKind<'_>>) -> bool {
    match kind {
        Some(FieldKind::Known(spec)) => spec.role == Role::Reserved,
        Some(FieldKind::Ignored) => true,
        Some(FieldKind::Meta(_)) | None => false,
    }
}

/// Whether a field's value is taken verbatim, `${filename}` and all:
/// the policy and its signature ([`Kept::Signature`]).
pub(crate) fn is_verbatim(kind: Option<FieldKind<'_>>) -> bool {
    matches!(kind, Some(FieldKind::Known(spec)) if spec.kept == Kept::Signature)
}

/// A name that hashes and compares as S3 compares field names: ASCII
/// case-insensitively.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caseless<'a>(pub(crate) &'a str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        same_name(self.0, other.0)
    }
}

impl Eq for Caseless<'_> {}

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut buf = [0u8; 32];
        for chunk in self.0.as_bytes().chunks(buf.len()) {
            for (to, from) in buf.iter_mut().zip(chunk) {
                *to = from.to_ascii_lowercase();
            }
            state.write(buf.get(..chunk.len()).unwrap_or_default());
        }
        state.write_usize(self.0.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    #[test]
    fn lookup_is_rules_lookup() {
        let mut names: Vec<String> = Vec::new();
        for spec in FIELDS {
            names.push(spec.name.into());
            names.push(spec.name.to_ascii_uppercase());
            names.push(spec.name.to_ascii_lowercase());
            names.push(format!("{}x", spec.name));
            names.push(spec.name.get(1..).unwrap_or_default().into());
            // Same length and last byte, another first byte.
            names.push(format!("q{}", spec.name.get(1..).unwrap_or_default()));
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
            assert_eq!(resolve(name).kind, rules::lookup(name), "{name:?}");
            let resolved = resolve(name);
            match resolved.kind {
                Some(FieldKind::Known(spec)) => {
                    let i = resolved.known.unwrap();
                    assert!(std::ptr::eq(&FIELDS[i], spec), "{name:?}");
                }
                _ => assert_eq!(resolved.known, None, "{name:?}"),
            }
        }
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
    fn exempt_and_verbatim_fields() {
        for (name, exempt_, verbatim) in [
            ("policy", true, true),
            ("POLICY", true, true),
            ("x-amz-signature", true, true),
            ("X-Amz-Signature", true, true),
            ("file", true, false),
            ("File", true, false),
            ("x-ignore-a", true, false),
            ("key", false, false),
            ("x-amz-meta-policy", false, false),
            ("polic", false, false),
            ("x-amz-security-token", false, false),
        ] {
            let kind = resolve(name).kind;
            assert_eq!(exempt(kind), exempt_, "{name}");
            assert_eq!(is_verbatim(kind), verbatim, "{name}");
        }
    }

    #[test]
    fn caseless_names_hash_alike() {
        let hash = |s: &str| {
            let mut h = DefaultHasher::new();
            Caseless(s).hash(&mut h);
            h.finish()
        };
        let long = "X-Amz-Meta-".repeat(9);
        assert_eq!(hash(&long), hash(&long.to_ascii_lowercase()));
        assert_eq!(hash("Content-Type"), hash("content-TYPE"));
        assert_ne!(hash("ab"), hash("abc"));
        assert_eq!(Caseless("Key"), Caseless("kEY"));
        assert_ne!(Caseless("key"), Caseless("\u{212a}ey"));
    }
}
