//! A quick reader for the documents signers write: no escapes, no
//! surprises. It answers only when the document is valid and it is sure to
//! read it exactly as the full parser does; anything else (escapes,
//! errors, unusual numbers) is left to the full parser, which also words
//! the errors.
//!
//! What it buys: `bench/compare.sh`'s "verify one form" takes 2.75x the
//! floor with it and 3.2x-3.5x without (serde_json for every document;
//! alternating runs, 2026-12-04). `tests` checks it against the full
//! parser on 20,000 documents near the ones signers write.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{RawCondition, RawDocument};
use crate::utc::to_utc_milliseconds;

/// The document, if it is plain.
pub(super) fn parse(json: &str) -> Option<RawDocument<'_>> {
    let mut c = Cursor { text: json, at: 0 };
    let mut expiration = None;
    let mut conditions = None;
    c.eat(b'{')?;
    loop {
        match c.string()? {
            "expiration" if expiration.is_none() => {
                c.eat(b':')?;
                let at = OffsetDateTime::parse(c.string()?, &Rfc3339).ok()?;
                expiration = Some(to_utc_milliseconds(at)?);
            }
            "conditions" if conditions.is_none() => {
                c.eat(b':')?;
                conditions = Some(c.conditions()?);
            }
            _ => return None,
        }
        if !c.comma_or(b'}')? {
            break;
        }
    }
    c.skip_whitespace();
    if c.at != json.len() {
        return None;
    }
    Some(RawDocument {
        expiration: expiration?,
        conditions: conditions?,
    })
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

/// The position of the first `"`, `\\` or control character in
/// `bytes`: where a plain string ends. Eight bytes at a time.
pub(super) fn first_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The lowest byte flagged is exact: a borrow only ever flags bytes
    // above a flagged one.
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH;
    let mut words = bytes.chunks_exact(8);
    let mut done = 0;
    for chunk in words.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        let found = below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            | below(w, 0x20);
        if found != 0 {
            return Some(done + found.trailing_zeros() as usize / 8);
        }
        done += 8;
    }
    let tail = words.remainder();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| done + i)
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Whitespace, then `byte`.
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// After an element: `true` on a comma (another follows), `false`
    /// on `close`.
    fn comma_or(&mut self, close: u8) -> Option<bool> {
        self.skip_whitespace();
        match self.peek()? {
            b',' => {
                self.at += 1;
                Some(true)
            }
            b if b == close => {
                self.at += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let rest = self.text.as_bytes().get(self.at..)?;
        let len = first_special(rest)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        let s = self.text.get(self.at..self.at + len)?;
        self.at += len + 1;
        Some(s)
    }

    /// A whole number without sign, fraction, exponent or leading zero
    /// that fits in 64 bits.
    fn size(&mut self) -> Option<u64> {
        self.skip_whitespace();
        let rest = self.text.as_bytes().get(self.at..)?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || (digits > 1 && rest.first() == Some(&b'0')) {
            return None;
        }
        let mut n: u64 = 0;
        for &d in rest.get(..digits)? {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        self.at += digits;
        Some(n)
    }

    fn conditions(&mut self) -> Option<Vec<RawCondition<'a>>> {
        // A signer's document holds about ten conditions (its own
        // three SigV4 ones among them): room for them without growing.
        let mut out = Vec::with_capacity(16);
        self.eat(b'[')?;
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(out);
        }
        loop {
            self.skip_whitespace();
            match self.peek()? {
                b'{' => self.exact(&mut out)?,
                b'[' => self.array(&mut out)?,
                _ => return None,
            }
            if !self.comma_or(b']')? {
                return Some(out);
            }
        }
    }

    /// `{"field": "value"}`: exactly one entry.
    fn exact(&mut self, out: &mut Vec<RawCondition<'a>>) -> Option<()> {
        self.eat(b'{')?;
        let field = self.string()?;
        self.eat(b':')?;
        let value = self.string()?;
        self.eat(b'}')?;
        out.push(RawCondition::Eq {
            field: field.into(),
            value: value.into(),
        });
        Some(())
    }

    /// `["eq" | "starts-with", "$field", "value"]` or
    /// `["content-length-range", min, max]`, the operator in any case.
    fn array(&mut self, out: &mut Vec<RawCondition<'a>>) -> Option<()> {
        self.eat(b'[')?;
        let op = self.string()?;
        self.eat(b',')?;
        let condition = if op.eq_ignore_ascii_case("content-length-range") {
            let min = self.size()?;
            self.eat(b',')?;
            let max = self.size()?;
            RawCondition::ContentLengthRange { min, max }
        } else {
            let eq = op.eq_ignore_ascii_case("eq");
            if !eq && !op.eq_ignore_ascii_case("starts-with") {
                return None;
            }
            let field = self.string()?.strip_prefix('$')?.into();
            self.eat(b',')?;
            let value = self.string()?.into();
            if eq {
                RawCondition::Eq { field, value }
            } else {
                RawCondition::StartsWith {
                    field,
                    prefix: value,
                }
            }
        };
        self.eat(b']')?;
        out.push(condition);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::RawDocument;
    use crate::{Condition, FieldName, PolicyDocument};
    use time::macros::datetime;

    fn doc(conditions: Vec<Condition>) -> PolicyDocument {
        PolicyDocument::new(datetime!(2030-01-02 03:04:05.678 UTC), conditions)
    }

    /// JSON texts near the documents signers write, for the quick reader.
    fn near_plain() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop::sample::select(
            &[
                "\"",
                "\\",
                "\\u0041",
                "\\/",
                "[",
                "]",
                "{",
                "}",
                ",",
                ":",
                " ",
                "\n",
                "\t",
                "\u{b}",
                "$",
                "0",
                "01",
                "-1",
                "1e3",
                "0.5",
                "1E3",
                "5368709120",
                "18446744073709551615",
                "18446744073709551616",
                "null",
                "true",
                "\u{0}",
                "\u{1f}",
                "\u{7f}",
                "é",
                "🎉",
                "\u{feff}",
                "\"eq\"",
                "\"EQ\"",
                "\"Starts-With\"",
                "\"in\"",
                "\"content-length-range\"",
                "\"$key\"",
                "\"key\"",
                "\"expiration\"",
                "\"conditions\"",
                "\"2030-01-01T00:00:00Z\"",
                "\"2030-01-01T00:00:00.5+01:00\"",
                "\"2030-02-30T00:00:00Z\"",
                "{}",
                "[]",
                "{\"a\": \"b\"}",
            ][..],
        );
        let seed = prop::sample::select(
            &[
                r#"{"expiration":"2030-01-02T03:04:05.678Z","conditions":[{"bucket":"b-1"},["starts-with","$key","u/"],["content-length-range",1,2],{"x-amz-algorithm":"AWS4-HMAC-SHA256"}]}"#,
                r#" { "conditions" : [ [ "EQ" , "$Key" , "a" ] , { "a" : "1" , "b" : "2" } ] , "expiration" : "2030-01-01T00:00:00Z" } "#,
                r#"{"expiration":"2030-01-01T00:00:00Z","conditions":[]}"#,
            ][..],
        );
        (
            seed,
            prop::collection::vec((any::<prop::sample::Index>(), piece, 0usize..4), 0..4),
        )
            .prop_map(|(seed, edits)| {
                let mut s = seed.to_string();
                for (at, piece, cut) in edits {
                    let mut i = at.index(s.len() + 1);
                    while !s.is_char_boundary(i) {
                        i -= 1;
                    }
                    let mut end = (i + cut).min(s.len());
                    while !s.is_char_boundary(end) {
                        end += 1;
                    }
                    s.replace_range(i..end, piece);
                }
                s
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// Whatever the quick reader reads, the full parser reads the same.
        #[test]
        fn the_quick_reader_agrees_with_serde_json(json in near_plain()) {
            if let Some(quick) = parse(&json) {
                proptest::prop_assert_eq!(Ok(quick), RawDocument::parse_fully(&json), "{}", json);
            }
        }
    }

    #[test]
    fn plain_strings_end_at_the_first_special_byte() {
        let mut text: Vec<u8> = b"abcdefghijklmnopqrstuvwxyz0123456789\x7f\xc3\xa9 AZ".to_vec();
        assert_eq!(first_special(&text), None);
        for at in 0..text.len() {
            for special in [b'"', b'\\', 0, 0x1f, b'\n'] {
                let saved = text[at];
                text[at] = special;
                // An earlier special byte, and one after, change nothing.
                assert_eq!(first_special(&text), Some(at), "{at} {special}");
                if at + 1 < text.len() {
                    let next = text[at + 1];
                    text[at + 1] = b'"';
                    assert_eq!(first_special(&text), Some(at));
                    text[at + 1] = next;
                }
                text[at] = saved;
            }
        }
    }

    #[test]
    fn the_quick_reader_reads_what_the_signer_writes() {
        let d = doc(vec![
            Condition::eq(FieldName::new("bucket").unwrap(), "b-1"),
            Condition::starts_with(FieldName::new("key").unwrap(), "u/${filename}"),
            Condition::starts_with(FieldName::new("Content-Type").unwrap(), ""),
            Condition::eq(FieldName::new("x-amz-meta-owner").unwrap(), "é 🎉"),
            Condition::ContentLengthRange {
                min: 0,
                max: 5 << 30,
            },
        ]);
        let json = d.to_json();
        let quick = parse(&json).unwrap();
        assert_eq!(Ok(&quick), RawDocument::parse_fully(&json).as_ref());
        assert_eq!(quick.into_document(), Ok(d));
        // Escapes are left to serde_json.
        let escaped = doc(vec![Condition::eq(
            FieldName::new("x-amz-meta-x").unwrap(),
            "a\"b",
        )]);
        assert!(parse(&escaped.to_json()).is_none());
        assert_eq!(
            PolicyDocument::from_json(&escaped.to_json()).unwrap(),
            escaped
        );
    }
}
