//! The `tagging` field: the object's tags as an XML tag set.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An example of the value, for messages.
const EXAMPLE: &str = "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>";

/// Checks a `tagging` value as S3 reads it: well-formed XML with one root
/// element, or S3 answers `400 MalformedXML`. S3 takes an element it does
/// not know as an empty tag set (LocalStack's AWS-validated recording), so
/// the schema is not checked. Returns the number of `Tag` elements.
///
/// ```
/// use policy_rules::check_tagging;
/// let two = "<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag>\
///            <Tag><Key>b</Key><Value>2</Value></Tag></TagSet></Tagging>";
/// assert_eq!(check_tagging(two), Ok(2));
/// assert_eq!(check_tagging("<InvalidXmlTagging></InvalidXmlTagging>"), Ok(0));
/// assert!(check_tagging("not-xml").unwrap_err().contains("not XML"));
/// assert!(check_tagging("<Tagging><TagSet></Tagging>").is_err());
/// ```
pub fn check_tagging(value: &str) -> Result<usize, String> {
    let malformed = |what: &str| {
        format!("the tag set is not XML S3 can read ({what}); write it as `{EXAMPLE}`")
    };
    let mut reader = Reader::from_str(value);
    let (mut depth, mut roots, mut tags) = (0usize, 0usize, 0usize);
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
                if start.local_name().as_ref() == b"Tag" {
                    tags += 1;
                }
            }
            Ok(Event::Empty(_)) if depth == 0 => roots += 1,
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Text(text)) if depth == 0 => {
                if !text.iter().all(u8::is_ascii_whitespace) {
                    return Err(malformed("text outside the root element: it is not XML"));
                }
            }
            Ok(Event::GeneralRef(reference)) => {
                let known = match reference.resolve_char_ref() {
                    Ok(Some(_)) => true,
                    Ok(None) => matches!(&*reference, b"lt" | b"gt" | b"amp" | b"apos" | b"quot"),
                    Err(_) => false,
                };
                if !known || depth == 0 {
                    return Err(malformed("an entity reference XML does not define"));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(malformed(&e.to_string())),
        }
    }
    match (depth, roots) {
        (0, 1) => Ok(tags),
        (0, 0) => Err(malformed("no element: it is not XML")),
        (0, _) => Err(malformed("more than one root element")),
        _ => Err(malformed("an element is not closed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_sets_pass_and_the_rest_is_malformed() {
        assert_eq!(check_tagging(EXAMPLE), Ok(1));
        assert_eq!(check_tagging("  <Tagging/>  "), Ok(0));
        assert_eq!(
            check_tagging("<?xml version=\"1.0\"?><Tagging><TagSet/></Tagging>"),
            Ok(0)
        );
        for bad in [
            "",
            "   ",
            "not-xml",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "x<a/>",
            "<a>&nope;</a>",
            "<a attr=\"unclosed></a>",
        ] {
            assert!(check_tagging(bad).is_err(), "{bad:?}");
        }
    }
}
