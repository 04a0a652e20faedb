//! `${filename}` in a form's values: where it is, and the values with it
//! replaced.
//!
//! What it buys: the verifier counts the placeholders of every value (to
//! bound the substituted form before building it). Finding `$` with
//! `match_indices` and checking what follows is faster than `str::matches`
//! on these short values: `bench/compare.sh`'s "verify one form" takes
//! 2.87x the floor with these and 3.15x with `str::matches` and
//! `str::replace` (alternating runs, 2026-12-04). `tests` checks both
//! against the plain versions.

use crate::rules::FILENAME_PLACEHOLDER;

/// Where `${filename}` starts in `value`, left to right. The placeholder
/// cannot overlap itself, so these are exactly the matches
/// `str::matches` finds.
pub(crate) fn placeholders(value: &str) -> impl Iterator<Item = usize> + '_ {
    value.match_indices('$').map(|(i, _)| i).filter(move |&i| {
        value
            .get(i..)
            .is_some_and(|rest| rest.starts_with(FILENAME_PLACEHOLDER))
    })
}

/// `value` with every `${filename}` replaced by `filename`, as
/// `str::replace` does.
pub(crate) fn substitute(value: &str, filename: &str) -> String {
    let mut out = String::with_capacity(value.len() + filename.len());
    let mut done = 0;
    for at in placeholders(value) {
        out.push_str(value.get(done..at).unwrap_or_default());
        out.push_str(filename);
        done = at + FILENAME_PLACEHOLDER.len();
    }
    out.push_str(value.get(done..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_is_str_replace() {
        for value in [
            "",
            "$",
            "${filename}",
            "${filename}${filename}",
            "a${filename}b$c${filename",
            "$${filename}}",
            "${file${filename}name}",
            "é${filename}🎉$",
        ] {
            for name in ["", "a.png", "${filename}", "é"] {
                assert_eq!(
                    substitute(value, name),
                    value.replace(FILENAME_PLACEHOLDER, name),
                    "{value} {name}"
                );
            }
            assert_eq!(
                placeholders(value).count(),
                value.matches(FILENAME_PLACEHOLDER).count(),
                "{value}"
            );
        }
    }
}
