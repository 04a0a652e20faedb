//! Tokens into a typed model that keeps every span; no S3 rule is applied
//! here (see `check.rs`).

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, parenthesized, token, Attribute, Ident, LitBool, LitInt, LitStr, Token};

/// One `post_policy!` invocation.
pub struct Input {
    /// The path to the runtime crate, passed in by its `post_policy!`.
    pub krate: TokenStream,
    pub form: Form,
    pub entries: Vec<Entry>,
}

/// Expression form (an anonymous struct's value) or item form (a named
/// struct whose fields are the placeholders).
pub enum Form {
    Expr {
        span: Span,
    },
    Item {
        attrs: Vec<Attribute>,
        vis: syn::Visibility,
        name: Ident,
    },
}

pub enum Entry {
    /// `field = value` or `field starts_with value`.
    Cond(Cond),
    /// `content_length A..=B`.
    Range(RangeEntry),
    /// `expires_in = 10 min`.
    Expires(ExpiresEntry),
    /// `name: Type`: declares a placeholder's type.
    Declare(Declare),
    /// `path(args)`: a condition defined by another crate.
    Extension(ExtensionCall),
}

pub struct Cond {
    pub field: FieldRef,
    pub op: Op,
    pub value: Value,
}

pub enum FieldRef {
    /// A snake-case field name such as `content_type`.
    Named(Ident),
    /// `meta("name")`: user metadata `x-amz-meta-name`.
    Meta { kw: Ident, name: LitStr },
}

impl FieldRef {
    pub fn span(&self) -> Span {
        match self {
            FieldRef::Named(ident) => ident.span(),
            FieldRef::Meta { kw, .. } => kw.span(),
        }
    }
}

pub enum Op {
    /// `=`.
    Eq,
    StartsWith(Ident),
}

pub enum Value {
    Str(LitStr),
    Int(LitInt),
    Bool(LitBool),
    /// `{name}`: the whole value is a placeholder.
    Placeholder(Ident),
}

impl Value {
    pub fn span(&self) -> Span {
        match self {
            Value::Str(lit) => lit.span(),
            Value::Int(lit) => lit.span(),
            Value::Bool(lit) => lit.span,
            Value::Placeholder(ident) => ident.span(),
        }
    }
}

pub struct RangeEntry {
    pub kw: Ident,
    pub min: Option<LitInt>,
    pub dots: Dots,
    pub max: Option<LitInt>,
}

pub enum Dots {
    Inclusive(Token![..=]),
    Exclusive(Token![..]),
}

pub struct ExpiresEntry {
    pub kw: Ident,
    pub amount: LitInt,
    pub unit: Ident,
}

pub struct Declare {
    pub name: Ident,
    pub ty: syn::Type,
}

pub struct ExtensionCall {
    pub path: syn::Path,
    pub paren: token::Paren,
    pub args: TokenStream,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate;
        parenthesized!(krate in input);
        let krate: TokenStream = krate.parse()?;
        let item = input.peek(Token![#]) || input.peek(Token![pub]) || input.peek(Token![struct]);
        if !item {
            let span = input.span();
            let entries = parse_entries(input)?;
            return Ok(Input {
                krate,
                form: Form::Expr { span },
                entries,
            });
        }
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: syn::Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let body;
        braced!(body in input);
        let entries = parse_entries(&body)?;
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the struct; one `post_policy!` declares one struct",
            ));
        }
        Ok(Input {
            krate,
            form: Form::Item { attrs, vis, name },
            entries,
        })
    }
}

fn parse_entries(input: ParseStream) -> syn::Result<Vec<Entry>> {
    let list = Punctuated::<Entry, Token![,]>::parse_terminated(input)?;
    Ok(list.into_iter().collect())
}

impl Parse for Entry {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let name = input.parse()?;
            input.parse::<Token![:]>()?;
            let ty = input.parse()?;
            return Ok(Entry::Declare(Declare { name, ty }));
        }
        if !(input.peek(Ident) || input.peek(Token![::])) {
            return Err(input.error(
                "expected a condition such as `key starts_with \"user/\"`, `acl = \"private\"` \
                 or `content_length 0..=1_000_000`",
            ));
        }
        let path = input.call(syn::Path::parse_mod_style)?;
        if input.peek(token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            let args: TokenStream = content.parse()?;
            if input.peek(Token![=]) || peek_starts_with(input) {
                let kw = path_ident(&path)?;
                let name = syn::parse2(args)?;
                let op = input.parse()?;
                let value = input.parse()?;
                return Ok(Entry::Cond(Cond {
                    field: FieldRef::Meta { kw, name },
                    op,
                    value,
                }));
            }
            return Ok(Entry::Extension(ExtensionCall { path, paren, args }));
        }
        let kw = path_ident(&path)?;
        if kw == "content_length" {
            if input.peek(Token![=]) {
                return Err(input.error(
                    "`content_length` takes a range without `=`: write `content_length 0..=1_000_000`",
                ));
            }
            return Ok(Entry::Range(parse_range(kw, input)?));
        }
        if kw == "expires_in" {
            input.parse::<Token![=]>()?;
            let amount = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected a duration such as `expires_in = 10 min`",
                )
            })?;
            let unit = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected a unit after the number: `s`, `min`, `h` or `d`",
                )
            })?;
            return Ok(Entry::Expires(ExpiresEntry { kw, amount, unit }));
        }
        let op = input.parse()?;
        let value = input.parse()?;
        Ok(Entry::Cond(Cond {
            field: FieldRef::Named(kw),
            op,
            value,
        }))
    }
}

fn path_ident(path: &syn::Path) -> syn::Result<Ident> {
    path.get_ident().cloned().ok_or_else(|| {
        syn::Error::new_spanned(
            path,
            "expected a field name such as `key`; a path must be followed by `(...)` to use a condition another crate defines",
        )
    })
}

fn peek_starts_with(input: ParseStream) -> bool {
    input
        .fork()
        .parse::<Ident>()
        .is_ok_and(|i| i == "starts_with")
}

impl Parse for Op {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Token![==]) {
            return Err(input.error("write a single `=` for an exact match"));
        }
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            return Ok(Op::Eq);
        }
        if peek_starts_with(input) {
            return Ok(Op::StartsWith(input.parse()?));
        }
        Err(input.error("expected `=` (exact match) or `starts_with` after the field name"))
    }
}

impl Parse for Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            Ok(Value::Str(input.parse()?))
        } else if input.peek(LitInt) {
            Ok(Value::Int(input.parse()?))
        } else if input.peek(LitBool) {
            Ok(Value::Bool(input.parse()?))
        } else if input.peek(token::Brace) {
            let content;
            braced!(content in input);
            let ident: Ident = content.parse().map_err(|e| {
                syn::Error::new(e.span(), "expected a placeholder name such as `{bucket}`")
            })?;
            if !content.is_empty() {
                return Err(content.error("a placeholder is one name, such as `{bucket}`"));
            }
            Ok(Value::Placeholder(ident))
        } else {
            Err(input.error(
                "expected a value: a string such as \"uploads/\", a number, `true`/`false`, \
                 or a placeholder such as `{bucket}` (item form)",
            ))
        }
    }
}

fn parse_range(kw: Ident, input: ParseStream) -> syn::Result<RangeEntry> {
    let int = |input: ParseStream| -> syn::Result<Option<LitInt>> {
        if input.peek(LitInt) {
            Ok(Some(input.parse()?))
        } else {
            Ok(None)
        }
    };
    let min = int(input)?;
    let dots = if input.peek(Token![..=]) {
        Dots::Inclusive(input.parse()?)
    } else if input.peek(Token![..]) {
        Dots::Exclusive(input.parse()?)
    } else {
        return Err(input.error(
            "expected a size range in bytes such as `0..=1_000_000`, `1..5_000_000` or `..=1024`",
        ));
    };
    let max = int(input)?;
    Ok(RangeEntry { kw, min, dots, max })
}
