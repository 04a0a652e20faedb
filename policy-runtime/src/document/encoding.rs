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
/// 2026-12-04). `tests` checks it against [`decode_base64`].
pub(crate) fn decode_base64_in<'b>(
    policy: &str,
    buf: &'b mut [u8],
) -> Result<Cow<'b, [u8]>, Error> {
    let text = policy.trim_end_matches(['\r', '\n']);
    if base64::decoded_len_estimate(text.len()) > buf.len() {
        return decode_base64(policy).map(Cow::Owned);
    }
    match BASE64.decode_slice(text, buf) {
        Ok(len) => match buf.get(..len) {
            Some(bytes) => Ok(Cow::Borrowed(bytes)),
            None => decode_base64(policy).map(Cow::Owned),
        },
        Err(base64::DecodeSliceError::DecodeError(e)) => Err(invalid_base64(e)),
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => decode_base64(policy).map(Cow::Owned),
    }
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
}
