//! `post_policy!` through a renamed dependency (`uploads` is
//! `policy-runtime`), with the prelude's names shadowed: the expansion
//! names nothing from the caller's scope.
#![no_implicit_prelude]
#![allow(dead_code)]

struct String;
struct Vec;
struct Option;
struct Result;
struct Ok;
struct Some;
struct Duration;
struct Error;

::uploads::post_policy! {
    /// A policy declared through the renamed crate.
    pub struct Renamed {
        bucket = "b-1",
        key starts_with "{who}/",
        content_length 1..=10,
        extra: u32,
        meta("n") = "{extra}",
    }
}

#[cfg(test)]
mod tests {
    use super::Renamed;

    #[test]
    fn signs_through_a_renamed_crate() {
        let signer = ::uploads::Signer::new(
            ::uploads::Credentials::new("AK", "SK").unwrap(),
            ::uploads::Region::new("us-east-1").unwrap(),
        );
        let upload = Renamed {
            who: ::std::string::ToString::to_string("me"),
            extra: 7,
        };
        let post = upload.sign(&signer).unwrap();
        ::std::assert_eq!(
            post.field("key"),
            ::core::option::Option::Some("me/${filename}")
        );
        ::std::assert_eq!(
            post.field("x-amz-meta-n"),
            ::core::option::Option::Some("7")
        );
    }
}
