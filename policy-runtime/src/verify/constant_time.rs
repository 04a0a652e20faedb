//! Comparisons of secrets that take the same time whatever the bytes,
//! through `subtle`. (Signatures: [`Signature::matches_hex`](crate::sigv4::Signature::matches_hex).)

use subtle::ConstantTimeEq;

/// Whether `a` and `b` hold the same bytes, in time that depends only on
/// their lengths.
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_only() {
        for (a, b, eq) in [
            (&b""[..], &b""[..], true),
            (b"a", b"a", true),
            (b"a", b"b", false),
            (b"abcdefgh", b"abcdefgh", true),
            (b"abcdefgh", b"abcdefgx", false),
            (b"abcdefghij", b"abcdefghij", true),
            (b"abcdefghij", b"abcdefghiJ", false),
            (b"xbcdefghij", b"abcdefghij", false),
            (b"abc", b"abcd", false),
            (b"abc\0", b"abc", false),
        ] {
            assert_eq!(bytes_eq(a, b), eq, "{a:?} {b:?}");
        }
    }
}
