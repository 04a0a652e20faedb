//! The procedural half of `post_policy!`. Use it through `policy-runtime`,
//! which re-exports it as `policy_runtime::post_policy` and documents the
//! syntax there; this crate's own entry point is not a stable API.
//!
//! One pass per invocation: `parse.rs` turns tokens into a typed model that
//! keeps spans, `check.rs` applies S3's rules (from `policy-rules`, the same
//! table the runtime reads) and collects every mistake, and `expand.rs`
//! writes the struct and its signing code.

mod check;
mod expand;
mod parse;
mod template;

use proc_macro::TokenStream;

/// Expands a `post_policy!` invocation. Called by `policy_runtime::post_policy!`
/// with the runtime's path first, in parentheses.
#[doc(hidden)]
#[proc_macro]
pub fn post_policy_impl(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as parse::Input);
    let (checked, errors) = check::check(&input);
    expand::expand(&input, &checked, errors).into()
}
