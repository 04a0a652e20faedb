//! Comparisons of secrets and signatures that take the same time whatever
//! the bytes, through `subtle`.

use subtle::ConstantTimeEq;

use crate::sigv4::Signature;

/// Whether `a` and `b` hold the same bytes, in time that depends only on
/// their lengths.
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Whether `submitted` (`x-amz-signature`) is `signature` in lowercase hex,
/// as [`Signature::matches_hex`] decides (lowercase hex is the one spelling
/// of the 32 bytes it accepts), compared in constant time.
pub(crate) fn signature_matches(signature: &Signature, submitted: &str) -> bool {
    let mut ours = [0u8; 64];
    for (pair, byte) in ours.chunks_exact_mut(2).zip(signature.as_bytes()) {
        for (digit, nibble) in pair.iter_mut().zip([byte >> 4, byte & 0xf]) {
            *digit = hex_digit(nibble);
        }
    }
    bytes_eq(&ours, submitted.as_bytes())
}

/// The lowercase hex digit of a nibble, without a branch or a table
/// lookup on its value.
fn hex_digit(nibble: u8) -> u8 {
    // 9 - nibble wraps (top bit set) exactly when nibble > 9.
    let letter = (9u8.wrapping_sub(nibble) >> 7) & 1;
    nibble + b'0' + letter * (b'a' - b'0' - 10)
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
        let digits: Vec<u8> = (0..16).map(hex_digit).collect();
        assert_eq!(digits, b"0123456789abcdef");
    }
}
