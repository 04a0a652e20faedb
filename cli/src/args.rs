//! Hand-written argument parsing: `--name value`, `--name=value`, flags and
//! positionals.

use std::collections::VecDeque;

/// A usage mistake; the message says what to type instead.
pub struct Usage(pub String);

/// Positionals, and options as `(name, value)` in order (flags have an
/// empty value).
pub type Parsed = (Vec<String>, Vec<(String, String)>);

/// The arguments after the command name.
pub struct Args {
    rest: VecDeque<String>,
}

impl Args {
    pub fn new(args: impl IntoIterator<Item = String>) -> Args {
        Args {
            rest: args.into_iter().collect(),
        }
    }

    /// Parses the options of one command: `takes_value` and `flags` list the
    /// allowed names (without `--`). Returns the positionals and the options
    /// in order.
    pub fn parse(self, takes_value: &[&str], flags: &[&str]) -> Result<Parsed, Usage> {
        let mut rest = self.rest;
        let mut positionals = Vec::new();
        let mut options = Vec::new();
        while let Some(arg) = rest.pop_front() {
            let Some(body) = arg.strip_prefix("--") else {
                positionals.push(arg);
                continue;
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            if flags.contains(&name.as_str()) {
                if inline.is_some() {
                    return Err(Usage(format!("`--{name}` takes no value")));
                }
                options.push((name, String::new()));
            } else if takes_value.contains(&name.as_str()) {
                let value = match inline.or_else(|| rest.pop_front()) {
                    Some(v) => v,
                    None => return Err(Usage(format!("`--{name}` needs a value"))),
                };
                options.push((name, value));
            } else {
                let known: Vec<String> = takes_value
                    .iter()
                    .chain(flags)
                    .map(|n| format!("--{n}"))
                    .collect();
                return Err(Usage(format!(
                    "unknown option `{arg}`; this command takes {}",
                    if known.is_empty() {
                        "no options".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            }
        }
        Ok((positionals, options))
    }
}

/// The last value of an option.
pub fn last<'a>(options: &'a [(String, String)], name: &str) -> Option<&'a str> {
    options
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of a repeatable option.
pub fn all<'a>(options: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    options
        .iter()
        .filter(move |(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
