//! Field names as the verifier compares them: case-insensitively, as sent,
//! without making canonical copies.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use crate::rules::{self, FieldKind, Kept, Role};

/// A name looked up in the rule table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resolved<'a> {
    /// What [`rules::lookup`] says.
    pub(crate) kind: Option<FieldKind<'a>>,
    /// For a known field, its position in [`FIELDS`](rules::FIELDS)
    /// (below 64, the size of the verifier's slots), when it has one.
    pub(crate) known: Option<usize>,
}

/// Looks `name` up as [`rules::lookup`] does, and says where a known
/// field is in the rule table.
pub(crate) fn resolve(name: &str) -> Resolved<'_> {
    if let Some((i, spec)) = rules::lookup_known(name) {
        return Resolved {
            kind: Some(FieldKind::Known(spec)),
            known: (i < 64).then_some(i),
        };
    }
    Resolved {
        kind: rules::lookup_unknown(name),
        known: None,
    }
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
