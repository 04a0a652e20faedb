//! Values with `{placeholder}`s: `"user/{user_id}/"`.

use policy_rules::FILENAME_PLACEHOLDER;

/// A value split into fixed text and placeholders.
#[derive(Debug, PartialEq, Eq)]
pub struct Template {
    pub parts: Vec<Part>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Placeholder { name: String, path: bool },
}

impl Template {
    pub fn text(text: String) -> Template {
        Template {
            parts: vec![Part::Text(text)],
        }
    }

    /// The value when it has no placeholder.
    pub fn fixed(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Placeholder { .. } => return None,
            }
        }
        Some(out)
    }

    /// The text before the first placeholder.
    pub fn leading_text(&self) -> &str {
        match self.parts.first() {
            Some(Part::Text(text)) => text,
            _ => "",
        }
    }

    pub fn placeholders(&self) -> impl Iterator<Item = (&str, bool)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder { name, path } => Some((name.as_str(), *path)),
            Part::Text(_) => None,
        })
    }
}

/// Splits `s` into text and `{name}` / `{name:path}` placeholders. `{{` and
/// `}}` are literal braces; S3's own `${filename}` stays text.
pub fn parse(s: &str) -> Result<Template, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("{{") {
            text.push('{');
            rest = after;
        } else if let Some(after) = rest.strip_prefix("}}") {
            text.push('}');
            rest = after;
        } else if let Some(after) = rest.strip_prefix(FILENAME_PLACEHOLDER) {
            text.push_str(FILENAME_PLACEHOLDER);
            rest = after;
        } else if rest.starts_with("${") {
            let end = rest.find('}').map_or(rest.len(), |i| i + 1);
            return Err(format!(
                "S3 substitutes only `${{filename}}`, not `{}`; for a value filled per upload write a placeholder such as `{{name}}`",
                &rest[..end]
            ));
        } else if let Some(after) = rest.strip_prefix('{') {
            let Some(end) = after.find('}') else {
                return Err("unclosed `{`: close the placeholder with `}`, or write `{{` for a literal brace".into());
            };
            let inner = &after[..end];
            let (name, path) = match inner.split_once(':') {
                Some((name, "path")) => (name, true),
                Some((_, other)) => {
                    return Err(format!(
                        "unknown placeholder option `:{other}`; the only option is `:path`, which allows `/` in the value"
                    ))
                }
                None => (inner, false),
            };
            check_name(name)?;
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Placeholder {
                name: name.into(),
                path,
            });
            rest = &after[end + 1..];
        } else if rest.starts_with('}') {
            return Err("unmatched `}`: write `}}` for a literal brace".into());
        } else {
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !text.is_empty() || parts.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(Template { parts })
}

pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("empty placeholder `{}`: name it, such as `{user_id}`, or write `{{}}` for literal braces".into());
    }
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(format!(
            "malformed placeholder `{{{name}}}`: a placeholder is a snake_case Rust field name such as `{{user_id}}`"
        ));
    }
    if syn::parse_str::<syn::Ident>(name).is_err() {
        return Err(format!(
            "`{name}` is a Rust keyword and cannot name a placeholder field; choose another name"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ph(name: &str, path: bool) -> Part {
        Part::Placeholder {
            name: name.into(),
            path,
        }
    }

    #[test]
    fn splits_text_and_placeholders() {
        let t = parse("user/{user_id}/{dir:path}/${filename}").unwrap();
        assert_eq!(
            t.parts,
            vec![
                Part::Text("user/".into()),
                ph("user_id", false),
                Part::Text("/".into()),
                ph("dir", true),
                Part::Text("/${filename}".into()),
            ]
        );
        assert_eq!(t.leading_text(), "user/");
        assert_eq!(t.fixed(), None);
    }

    #[test]
    fn braces_escape_and_plain_text_is_fixed() {
        let t = parse("{{\"a\":1}}").unwrap();
        assert_eq!(t.fixed().as_deref(), Some("{\"a\":1}"));
        assert_eq!(parse("").unwrap().fixed().as_deref(), Some(""));
    }

    #[test]
    fn refuses_malformed_placeholders() {
        for bad in [
            "{",
            "a}",
            "{}",
            "{User}",
            "{user-id}",
            "{1x}",
            "{x:dir}",
            "${name}",
            "{fn}",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
