//! The checked declaration into tokens: the struct, its signing methods with
//! every fixed condition pre-rendered, and compile-time checks of the
//! extensions it calls.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::check::{Checked, Item};
use crate::parse::{Form, Input};
use crate::template::Part;

pub fn expand(input: &Input, checked: &Checked, errors: Option<syn::Error>) -> TokenStream {
    let krate = &input.krate;
    let p = quote!(#krate::__private);
    let failed = errors.is_some();
    let errors = errors.map(|e| e.to_compile_error());

    let (name, vis, attrs) = match &input.form {
        Form::Item { attrs, vis, name } => (name.clone(), quote!(#vis), quote!(#(#attrs)*)),
        Form::Expr { span } => (
            syn::Ident::new("__PostPolicy", span.resolved_at(Span::mixed_site())),
            quote!(pub),
            quote!(),
        ),
    };

    let field_defs = checked.fields.iter().map(|f| {
        let ident = &f.name;
        let doc = format!("The value of the `{{{ident}}}` placeholder for this upload.");
        let ty = match f.ty {
            Some(ty) => quote!(#ty),
            None => quote!(#p::String),
        };
        quote!(#[doc = #doc] #vis #ident: #ty,)
    });
    let struct_def = if checked.fields.is_empty() {
        quote!(#attrs #vis struct #name;)
    } else {
        quote!(#attrs #vis struct #name { #(#field_defs)* })
    };

    let body = if failed {
        quote!(::core::panic!(
            "this `post_policy!` declaration did not compile"
        ))
    } else {
        pieces_body(&p, checked)
    };
    let expires = checked.expires_in;
    let content_length = match checked.content_length {
        Some((min, max)) => {
            quote!(#p::Option::Some(#p::RangeInclusive::new(#min, #max)))
        }
        None => quote!(#p::Option::None),
    };
    let extension_checks = if failed {
        quote!()
    } else {
        extension_checks(&p, input, checked)
    };

    let methods = quote! {
        #[automatically_derived]
        #[allow(dead_code)]
        impl #name {
            /// How long a signed form stays valid.
            #vis const EXPIRES_IN: #p::Duration = #p::Duration::seconds(#expires);

            /// The file sizes the policy allows, in bytes, for checks in the
            /// page before uploading.
            #vis const CONTENT_LENGTH: #p::Option<#p::RangeInclusive<u64>> = #content_length;

            /// Signs the form now.
            #vis fn sign(&self, signer: &#p::Signer) -> #p::Result<#p::SignedPost, #p::Error> {
                self.sign_with(signer, #p::SignOptions::new())
            }

            /// Signs the form as if the time were `now`.
            #vis fn sign_at(
                &self,
                signer: &#p::Signer,
                now: #p::OffsetDateTime,
            ) -> #p::Result<#p::SignedPost, #p::Error> {
                self.sign_with(signer, #p::SignOptions::new().at(now))
            }

            /// Signs the form with per-upload options (clock, exact key).
            #vis fn sign_with(
                &self,
                signer: &#p::Signer,
                options: #p::SignOptions,
            ) -> #p::Result<#p::SignedPost, #p::Error> {
                self.__pieces(|pieces| {
                    #p::sign(signer, #p::Expiration::In(Self::EXPIRES_IN), pieces, options)
                })
            }

            /// The same rules as a dynamic `Policy`.
            #vis fn to_policy(&self) -> #p::Result<#p::Policy, #p::Error> {
                self.__pieces(|pieces| #p::to_policy(#p::Expiration::In(Self::EXPIRES_IN), pieces))
            }

            #[doc(hidden)]
            fn __pieces<__R>(
                &self,
                f: impl ::core::ops::FnOnce(&[#p::Piece<'_>]) -> #p::Result<__R, #p::Error>,
            ) -> #p::Result<__R, #p::Error> {
                #body
            }
        }

        #[automatically_derived]
        impl #p::PostPolicy for #name {
            fn sign_with(
                &self,
                signer: &#p::Signer,
                options: #p::SignOptions,
            ) -> #p::Result<#p::SignedPost, #p::Error> {
                #name::sign_with(self, signer, options)
            }

            fn to_policy(&self) -> #p::Result<#p::Policy, #p::Error> {
                #name::to_policy(self)
            }
        }
    };

    match &input.form {
        Form::Item { .. } => quote! {
            #errors
            #struct_def
            #methods
            #extension_checks
        },
        Form::Expr { .. } => quote! {
            {
                #errors
                #[allow(non_camel_case_types)]
                #struct_def
                #methods
                #extension_checks
                #name
            }
        },
    }
}

/// The body of `__pieces`: render the per-upload values, check them, list
/// every condition in order, and hand the list to `f`.
/// Whether the field's value rule checks every value entirely (a
/// checksum's base64), so a placeholder in it needs no rule of its own.
fn checks_whole_value(field: &str) -> bool {
    matches!(
        policy_rules::lookup(field),
        Some(policy_rules::FieldKind::Known(spec))
            if matches!(spec.value, policy_rules::ValueRule::Digest(_))
    )
}

fn pieces_body(p: &TokenStream, checked: &Checked) -> TokenStream {
    let mut prepare = Vec::new();
    let mut pieces = Vec::new();
    let has_extensions = checked
        .items
        .iter()
        .any(|i| matches!(i, Item::Extension(_)));
    for (i, item) in checked.items.iter().enumerate() {
        match item {
            Item::Cond {
                field,
                starts_with,
                value,
                ..
            } => {
                let variant = if *starts_with {
                    quote!(StartsWith)
                } else {
                    quote!(Eq)
                };
                let piece = match value.fixed() {
                    Some(fixed) => {
                        let json = if *starts_with {
                            json(serde_json::json!([
                                "starts-with",
                                format!("${field}"),
                                fixed
                            ]))
                        } else {
                            json(serde_json::json!({ field.as_str(): fixed }))
                        };
                        quote!(#p::Piece::Fixed {
                            json: #json,
                            condition: #p::CondRef::#variant(#field, #fixed),
                        })
                    }
                    None => {
                        let v = format_ident!("__v{}", i, span = Span::mixed_site());
                        let c = format_ident!("__c{}", i, span = Span::mixed_site());
                        let parts = value.parts.iter().map(|part| match part {
                            Part::Text(text) => quote!(#p::Part::Text(#text)),
                            Part::Placeholder { name, path } => {
                                let ident = syn::Ident::new(name, Span::call_site());
                                // With the declared type written out, a type
                                // that is not `Display` is reported under it.
                                let value = match checked
                                    .fields
                                    .iter()
                                    .find(|f| f.name == name)
                                    .and_then(|f| f.ty)
                                {
                                    Some(ty) => quote!(#p::display::<#ty>(&self.#ident)),
                                    None => quote!(&self.#ident),
                                };
                                if checks_whole_value(field) {
                                    quote!(#p::Part::Verbatim {
                                        name: #name,
                                        value: #value,
                                    })
                                } else {
                                    quote!(#p::Part::Value {
                                        name: #name,
                                        value: #value,
                                        path: #path,
                                    })
                                }
                            }
                        });
                        prepare.push(quote! {
                            let #v = #p::render(&[#(#parts),*])?;
                            let #c = #p::CondRef::#variant(#field, &#v);
                            #p::check_filled(#c)?;
                        });
                        quote!(#p::Piece::Filled(#c))
                    }
                };
                pieces.push(Entry::One(piece));
            }
            Item::Range { min, max } => {
                let json = json(serde_json::json!(["content-length-range", min, max]));
                pieces.push(Entry::One(quote!(#p::Piece::Fixed {
                    json: #json,
                    condition: #p::CondRef::Range(#min, #max),
                })));
            }
            Item::Extension(call) => {
                let e = format_ident!("__e{}", i, span = Span::mixed_site());
                let path = &call.path;
                let args = &call.args;
                let span = call.paren.span.join();
                prepare.push(quote_spanned!(span=>
                    let #e = #p::extension_conditions(&#path(#args))?;
                ));
                pieces.push(Entry::Many(e));
            }
        }
    }
    let list = if has_extensions {
        let count = pieces.len();
        let adds = pieces.iter().map(|entry| match entry {
            Entry::One(piece) => quote!(pieces.push(#piece);),
            Entry::Many(e) => quote!(pieces.extend(#e.iter().map(#p::Piece::from));),
        });
        quote! {
            let mut pieces = #p::Vec::with_capacity(#count + 4);
            #(#adds)*
        }
    } else {
        let items = pieces.iter().filter_map(|entry| match entry {
            Entry::One(piece) => Some(piece),
            Entry::Many(_) => None,
        });
        quote!(let pieces = [#(#items),*];)
    };
    quote! {
        #(#prepare)*
        #list
        f(&pieces)
    }
}

/// One condition, or the conditions an extension returned.
enum Entry {
    One(TokenStream),
    Many(syn::Ident),
}

/// `const` checks of the extensions the declaration calls: their own
/// `panic!`s run at compile time, no field is constrained twice, and
/// `bucket` and `key` are set somewhere.
fn extension_checks(p: &TokenStream, input: &Input, checked: &Checked) -> TokenStream {
    let calls: Vec<_> = checked
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Extension(call) => Some(*call),
            _ => None,
        })
        .collect();
    if calls.is_empty() {
        return quote!();
    }
    let mut out = Vec::new();
    let consts: Vec<_> = (0..calls.len())
        .map(|i| format_ident!("__F{}", i, span = Span::mixed_site()))
        .collect();
    for (call, konst) in calls.iter().zip(&consts) {
        let path = &call.path;
        let args = &call.args;
        let span = call.paren.span.join();
        out.push(quote_spanned! {span=>
            const #konst: &[&str] = #p::fields_of(&#path(#args));
        });
    }
    for (field, span) in &checked.own_fields {
        for (call, konst) in calls.iter().zip(&consts) {
            let message = format!(
                "`{field}` is constrained both here and by `{}(...)`; keep one",
                path_text(&call.path)
            );
            out.push(quote_spanned! {*span=>
                if #p::declares(#konst, #field) { ::core::panic!(#message) }
            });
        }
    }
    for j in 1..calls.len() {
        for i in 0..j {
            let (a, b) = (&consts[i], &consts[j]);
            let message = format!(
                "`{}(...)` and `{}(...)` constrain a common field; keep one",
                path_text(&calls[i].path),
                path_text(&calls[j].path)
            );
            let span = calls[j].paren.span.join();
            out.push(quote_spanned! {span=>
                if #p::overlap(#a, #b) { ::core::panic!(#message) }
            });
        }
    }
    let whole = match &input.form {
        Form::Expr { span } => *span,
        Form::Item { name, .. } => name.span(),
    };
    for field in &checked.from_extensions {
        let message = format!(
            "no `{field}` condition: neither this declaration nor its extensions constrain `{field}`; add one"
        );
        out.push(quote_spanned! {whole=>
            if !(false #(|| #p::declares(#consts, #field))*) { ::core::panic!(#message) }
        });
    }
    quote! {
        const _: () = {
            #(#out)*
        };
    }
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn json(value: serde_json::Value) -> String {
    value.to_string()
}
