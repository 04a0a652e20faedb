use policy_runtime::post_policy;

post_policy! {
    struct Upload {
        bucket starts_with "Team_",
        acl = "world",
        content_typ = "image/png",
        content_length 10..=1,
        meta("a b") = "x",
    }
}

fn main() {}
