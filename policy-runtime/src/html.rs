//! A tiny HTML writer: tag and attribute names are static strings from this
//! crate; every value and text goes through the escaper, so no input can
//! open or close a tag or an attribute.

/// Builds HTML into a string.
pub(crate) struct Html(String);

impl Html {
    pub(crate) fn new() -> Html {
        Html(String::with_capacity(2048))
    }

    /// `<tag a="v" ...>`; a `None` value writes a bare boolean attribute.
    pub(crate) fn open(&mut self, tag: &'static str, attrs: &[(&'static str, Option<&str>)]) {
        self.0.push('<');
        self.0.push_str(tag);
        for (name, value) in attrs {
            self.0.push(' ');
            self.0.push_str(name);
            if let Some(value) = value {
                self.0.push_str("=\"");
                escape_into(&mut self.0, value);
                self.0.push('"');
            }
        }
        self.0.push('>');
    }

    pub(crate) fn close(&mut self, tag: &'static str) {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
    }

    pub(crate) fn text(&mut self, text: &str) {
        escape_into(&mut self.0, text);
    }

    pub(crate) fn newline(&mut self) {
        self.0.push('\n');
    }

    pub(crate) fn finish(self) -> String {
        self.0
    }
}

/// Escapes text for use inside an element or a double- or single-quoted
/// attribute value.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_values_and_text() {
        let mut h = Html::new();
        h.open(
            "input",
            &[("value", Some("\"><script>'&")), ("required", None)],
        );
        h.text("<b>&");
        assert_eq!(
            h.finish(),
            "<input value=\"&quot;&gt;&lt;script&gt;&#39;&amp;\" required>&lt;b&gt;&amp;"
        );
    }
}
