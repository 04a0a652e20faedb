//! The `policy` form field's encoding: standard base64 of UTF-8 JSON.

use std::borrow::Cow;

use base64::Engine as _;

use crate::Error;

/// Standard base64 with padding, as S3 reads the `policy` field.
pub(crate) const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The bytes of a `policy` form field: standard base64, line breaks at the
/// end allowed.
pub(crate) fn decode_base64(policy: &str) -> Result<Vec<u8>, Error> {
    BASE64
        .decode(policy.trim_end_matches(['\r', '\n']))
        .map_err(invalid_base64)
}

/// [`decode_base64`] into `buf` when the bytes fit, onto the heap when
/// they do not.
///
/// What it buys: the verifier decodes every form's policy into a 1 KiB
/// stack buffer; `bench/compare.sh`'s "verify one form" takes 2.89x the
/// floor with it and 3.04x decoding onto the heap (five alternating runs,
/// 2026-12-04). The bytes are decoded with `base64-simd` (the decoder the
/// AWS SDK for Rust uses); see [`decode_simd`] for what that buys.
/// Whatever it refuses goes to [`decode_base64`], which names the error
/// (or, were the two ever to disagree, decides). `tests` checks it against
/// [`decode_base64`].
pub(crate) fn decode_base64_in<'b>(
    policy: &str,
    buf: &'b mut [u8],
) -> Result<Cow<'b, [u8]>, Error> {
    let text = policy.trim_end_matches(['\r', '\n']);
    match decode_simd(text, buf) {
        Some(bytes) => Ok(Cow::Borrowed(bytes)),
        None => decode_base64(policy).map(Cow::Owned),
    }
}

/// `text` decoded as standard base64 with padding (canonical: the unused
/// bits of the last character zero, as [`BASE64`] requires) into `buf`;
/// `None` when it is not such base64 or does not fit.
///
/// What it buys: a signer's policy is about 530 characters of base64, and
/// the scalar decoder spends about 3,800 instructions per verified form on
/// them (callgrind), `base64-simd` about 600 (52,200 instructions per
/// form instead of 55,300). `bench/compare.sh`'s "verify one form" takes
/// 2.49x-2.56x the floor with it and 2.76x-2.82x with the scalar decoder
/// (five alternating runs each, 2026-12-04). `tests` checks that whatever
/// it accepts, [`BASE64`] accepts with the same bytes.
fn decode_simd<'b>(text: &str, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    use base64_simd::AsOut as _;
    let len = base64_simd::STANDARD.decoded_length(text.as_bytes()).ok()?;
    let out = buf.get_mut(..len)?;
    base64_simd::STANDARD
        .decode(text.as_bytes(), out.as_out())
        .ok()
        .map(|bytes| &*bytes)
}

fn invalid_base64(e: base64::DecodeError) -> Error {
    Error::InvalidBase64 {
        reason: e.to_string(),
    }
}

/// The decoded `policy` field as JSON text: it must be UTF-8.
pub(crate) fn json_text(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|e| Error::InvalidPolicyJson {
        reason: format!("not UTF-8: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_in_a_buffer_is_decoding() {
        let texts = ["", "e30=", "e30=\r\n", "e30", "!!!!", "eyJhIjoiYiJ9\n"];
        let long = BASE64.encode(vec![7u8; 3000]);
        for text in texts.iter().copied().chain([long.as_str()]) {
            let mut buf = [0u8; 1024];
            let in_buf = decode_base64_in(text, &mut buf).map(|b| b.into_owned());
            assert_eq!(in_buf, decode_base64(text), "{text:?}");
        }
    }

    /// Whatever the SIMD decoder accepts, the plain one accepts with the
    /// same bytes: every last quantum (two, three or four characters of
    /// the alphabet, padding, the characters next to it), every length
    /// around the SIMD block sizes, and random strings of the alphabet,
    /// `=`, whitespace and bytes outside it.
    #[test]
    fn the_simd_decoder_accepts_only_what_the_plain_one_does() {
        let alphabet: Vec<u8> =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".to_vec();
        let extra = b"=-_ .\n\r\0\xff\x80,";
        let mut buf = [0u8; 4096];
        let mut check = |text: &[u8]| {
            let Ok(text) = std::str::from_utf8(text) else {
                return;
            };
            let simd = decode_simd(text, &mut buf).map(<[u8]>::to_vec);
            let plain = BASE64.decode(text).ok();
            if simd.is_some() {
                assert_eq!(simd, plain, "{text:?}");
            }
            // And the function the verifier calls is the plain one, whole.
            let mut small = [0u8; 1024];
            let in_buf = decode_base64_in(text, &mut small).map(|b| b.into_owned());
            assert_eq!(in_buf, decode_base64(text), "{text:?}");
        };
        let symbols: Vec<u8> = alphabet.iter().chain(extra).copied().collect();
        for &a in &symbols {
            for &b in &symbols {
                check(&[b'Q', b'U', a, b]);
                check(&[b'Q', a, b, b'=']);
                check(&[a, b, b'=', b'=']);
                for &c in &alphabet[..8] {
                    check(&[b'A', a, b, c]);
                    check(&[a, b, c, b'=']);
                }
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let good = BASE64.encode(&bytes);
            check(good.as_bytes());
            // One character changed anywhere, to anything of the symbols.
            for _ in 0..20 {
                let mut bad = good.clone().into_bytes();
                if bad.is_empty() {
                    break;
                }
                let at = next() as usize % bad.len();
                bad[at] = symbols[next() as usize % symbols.len()];
                check(&bad);
            }
        }
        for _ in 0..20_000 {
            let len = next() as usize % 80;
            let text: Vec<u8> = (0..len)
                .map(|_| match next() % 16 {
                    0 => extra[next() as usize % extra.len()],
                    _ => alphabet[next() as usize % alphabet.len()],
                })
                .collect();
            check(&text);
        }
    }
}
