//! The `post_policy!` macro for `policy-runtime`.
//!
//! This crate is a shell until the macro lands; depend on `policy-runtime`,
//! which will re-export the macro.
