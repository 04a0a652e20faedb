//! Field names as the verifier compares them: case-insensitively, as sent,
//! without making canonical copies.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use crate::rules::{self, FieldKind, FIELDS, IGNORE_PREFIX, META_PREFIX};

/// The longest field name the length table covers; [`FIELDS`] has none
/// longer (else [`lookup`] falls back to [`rules::lookup`]).
const MAX_LEN: usize = 64;

/// For each name length, the bit set of [`FIELDS`] entries of that length;
/// `None` when the table cannot hold [`FIELDS`].
fn by_length() -> Option<&'static [u64; MAX_LEN]> {
    static TABLE: OnceLock<Option<[u64; MAX_LEN]>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            if FIELDS.len() > 64 {
                return None;
            }
            let mut table = [0u64; MAX_LEN];
            for (i, spec) in FIELDS.iter().enumerate() {
                *table.get_mut(spec.name.len())? |= 1 << i;
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

/// [`rules::lookup`], with the known names found through their length:
/// the same answer for every name.
pub(crate) fn lookup(name: &str) -> Option<FieldKind<'_>> {
    resolve(name).kind
}

/// Looks `name` up as [`rules::lookup`] does, and says where a known
/// field is in [`FIELDS`].
pub(crate) fn resolve(name: &str) -> Resolved<'_> {
    let Some(table) = by_length() else {
        return Resolved {
            kind: rules::lookup(name),
            known: None,
        };
    };
    let mut candidates = table.get(name.len()).copied().unwrap_or(0);
    while candidates != 0 {
        let i = candidates.trailing_zeros() as usize;
        candidates &= candidates - 1;
        if let Some(spec) = FIELDS.get(i) {
            if spec.name.eq_ignore_ascii_case(name) {
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

/// A name that hashes and compares as S3 compares field names: ASCII
/// case-insensitively.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caseless<'a>(pub(crate) &'a str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
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
            assert_eq!(lookup(name), rules::lookup(name), "{name:?}");
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
