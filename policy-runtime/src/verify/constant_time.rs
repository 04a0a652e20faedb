//! Comparisons of secrets and signatures that take the same time whatever
//! the bytes: eight bytes at a time, folded, then one `subtle` comparison.

use subtle::ConstantTimeEq;

use crate::sigv4::Signature;

/// Whether `a` and `b` hold the same bytes, in time that depends only on
/// their lengths.
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u64;
    let (a_words, b_words) = (a.chunks_exact(8), b.chunks_exact(8));
    let (a_tail, b_tail) = (a_words.remainder(), b_words.remainder());
    for (x, y) in a_words.zip(b_words) {
        diff |= word(x) ^ word(y);
    }
    for (x, y) in a_tail.iter().zip(b_tail) {
        diff |= u64::from(x ^ y);
    }
    diff.ct_eq(&0).into()
}

/// Eight bytes as a number (fewer are padded with zeros).
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    for (to, from) in w.iter_mut().zip(bytes) {
        *to = *from;
    }
    u64::from_le_bytes(w)
}

/// Whether `submitted` (`x-amz-signature`) is `signature` in lowercase hex,
/// as [`Signature::matches_hex`] decides, compared in constant time.
pub(crate) fn signature_matches(signature: &Signature, submitted: &str) -> bool {
    let mut bytes = [0u8; 32];
    let lowercase = !submitted.bytes().any(|b| b.is_ascii_uppercase());
    let decoded = hex::decode_to_slice(submitted, &mut bytes).is_ok();
    bytes_eq(signature.as_bytes(), &bytes) & decoded & lowercase
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::SigningKey;

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

    #[test]
    fn signatures_as_matches_hex() {
        let sig = SigningKey::derive("secret", "20300101", "us-east-1", "s3").sign(b"policy");
        let hex = sig.to_string();
        let mut flipped = hex.clone().into_bytes();
        flipped[63] = if flipped[63] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        for submitted in [
            hex.clone(),
            hex.to_ascii_uppercase(),
            flipped,
            hex[..62].to_string(),
            format!("{hex}00"),
            "0".repeat(64),
            "zz".into(),
            String::new(),
            format!("{}é", &hex[..62]),
        ] {
            assert_eq!(
                signature_matches(&sig, &submitted),
                sig.matches_hex(&submitted),
                "{submitted}"
            );
        }
        assert!(signature_matches(&sig, &hex));
    }
}
