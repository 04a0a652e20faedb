//! Reading settings from the environment, through a replaceable lookup.

/// Looks a variable up; empty values count as unset.
pub(crate) fn var(lookup: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    lookup(name).filter(|v| !v.is_empty())
}

/// The first of `names` that is set.
pub(crate) fn first(lookup: &dyn Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| var(lookup, n))
}

/// The process environment, as a lookup.
pub(crate) fn process(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
