//! Every public item of the published library crates carries a runnable
//! example in its doc comment (a fenced code block, which `cargo test`
//! compiles and runs as a doctest).
//!
//! The public API is read from the sources with `syn`: items declared `pub`
//! in public modules, items of private modules that a `pub use` re-exports,
//! inherent methods and associated constants of those types, every item of
//! a public trait, and `#[macro_export]` macros. `#[doc(hidden)]` items and
//! `#[cfg(test)]` modules are not public API and are skipped, as are enum
//! variants, struct fields and trait implementations (their docs are the
//! trait's).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use syn::{Attribute, ImplItem, Item, TraitItem, UseTree, Visibility};

/// The library crates whose API is checked, by their `src/lib.rs`.
const CRATES: &[&str] = &[
    "policy-runtime",
    "policy-rules",
    "policy-macros",
    "local-s3",
    "extensions/tenant",
];

#[test]
fn every_public_item_has_a_runnable_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut missing = Vec::new();
    let mut checked = 0;
    for krate in CRATES {
        let lib = root.join(krate).join("src/lib.rs");
        let modules = load(&lib, true);
        let exported = exported_names(&modules);
        let public_types = public_type_names(&modules, &exported);
        for module in &modules {
            for item in &module.items {
                for (what, attrs, line) in api_items(item, module.public, &exported, &public_types)
                {
                    checked += 1;
                    if !has_example(attrs) {
                        missing.push(format!(
                            "{}:{line}: {what}",
                            module.path.strip_prefix(&root).unwrap().display()
                        ));
                    }
                }
            }
        }
    }
    // The walk finds the API at all: a broken walk must not pass by finding
    // nothing.
    assert!(checked > 100, "only {checked} public items found");
    let mut message = String::new();
    for m in &missing {
        writeln!(message, "  {m}").unwrap();
    }
    assert!(
        missing.is_empty(),
        "{} of {checked} public items have no ``` example in their docs:\n{message}",
        missing.len()
    );
}

/// One module's items, where they came from, and whether the module is
/// reachable by path from the crate root (every module on the way `pub`).
struct Module {
    path: PathBuf,
    public: bool,
    items: Vec<Item>,
}

/// The file `path` and every module it declares, inline or in other files,
/// except `#[cfg(test)]` and `#[doc(hidden)]` ones.
fn load(path: &Path, public: bool) -> Vec<Module> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let dir = if path.ends_with("lib.rs") || path.ends_with("mod.rs") {
        path.parent().unwrap().to_path_buf()
    } else {
        path.with_extension("")
    };
    let mut out = Vec::new();
    collect(path, &dir, public, file.items, &mut out);
    out
}

fn collect(path: &Path, dir: &Path, public: bool, items: Vec<Item>, out: &mut Vec<Module>) {
    let mut kept = Vec::new();
    for item in items {
        let Item::Mod(module) = item else {
            kept.push(item);
            continue;
        };
        if is_test(&module.attrs) || is_hidden(&module.attrs) {
            continue;
        }
        let public = public && is_pub(&module.vis);
        let name = module.ident.to_string();
        match module.content {
            Some((_, inner)) => collect(path, &dir.join(&name), public, inner, out),
            None => {
                let file = dir.join(format!("{name}.rs"));
                let file = if file.exists() {
                    file
                } else {
                    dir.join(&name).join("mod.rs")
                };
                out.extend(load(&file, public));
            }
        }
    }
    out.push(Module {
        path: path.to_path_buf(),
        public,
        items: kept,
    });
}

/// The names `pub use` declarations re-export, outside hidden modules.
fn exported_names(modules: &[Module]) -> BTreeSet<String> {
    fn leaves(tree: &UseTree, out: &mut BTreeSet<String>) {
        match tree {
            UseTree::Path(p) => leaves(&p.tree, out),
            UseTree::Name(n) => {
                out.insert(n.ident.to_string());
            }
            UseTree::Rename(r) => {
                out.insert(r.ident.to_string());
            }
            UseTree::Group(g) => g.items.iter().for_each(|t| leaves(t, out)),
            UseTree::Glob(_) => {}
        }
    }
    let mut out = BTreeSet::new();
    for module in modules {
        for item in &module.items {
            if let Item::Use(u) = item {
                if is_pub(&u.vis) && !is_hidden(&u.attrs) {
                    leaves(&u.tree, &mut out);
                }
            }
        }
    }
    out
}

/// Whether an item declared in a module is public API.
fn reachable(
    vis: &Visibility,
    attrs: &[Attribute],
    name: &str,
    ctx: (bool, &BTreeSet<String>),
) -> bool {
    let (module_public, exported) = ctx;
    is_pub(vis) && !is_hidden(attrs) && (module_public || exported.contains(name))
}

/// The public structs, enums and traits, whose inherent items are API.
fn public_type_names(modules: &[Module], exported: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for module in modules {
        for item in &module.items {
            let (vis, attrs, ident) = match item {
                Item::Struct(s) => (&s.vis, &s.attrs, &s.ident),
                Item::Enum(e) => (&e.vis, &e.attrs, &e.ident),
                Item::Union(u) => (&u.vis, &u.attrs, &u.ident),
                _ => continue,
            };
            let name = ident.to_string();
            if reachable(vis, attrs, &name, (module.public, exported)) {
                out.insert(name);
            }
        }
    }
    out
}

/// The API items `item` declares: a description, its attributes, its line.
fn api_items<'a>(
    item: &'a Item,
    module_public: bool,
    exported: &BTreeSet<String>,
    public_types: &BTreeSet<String>,
) -> Vec<(String, &'a [Attribute], usize)> {
    let ctx = (module_public, exported);
    let line = |span: proc_macro2::Span| span.start().line;
    let mut out = Vec::new();
    let mut plain = |kind: &str, vis, attrs: &'a [Attribute], ident: &syn::Ident| {
        let name = ident.to_string();
        if reachable(vis, attrs, &name, ctx) {
            out.push((format!("{kind} {name}"), attrs, line(ident.span())));
        }
    };
    match item {
        Item::Fn(f) => plain("fn", &f.vis, &f.attrs, &f.sig.ident),
        Item::Struct(s) => plain("struct", &s.vis, &s.attrs, &s.ident),
        Item::Enum(e) => plain("enum", &e.vis, &e.attrs, &e.ident),
        Item::Union(u) => plain("union", &u.vis, &u.attrs, &u.ident),
        Item::Const(c) => plain("const", &c.vis, &c.attrs, &c.ident),
        Item::Static(s) => plain("static", &s.vis, &s.attrs, &s.ident),
        Item::Type(t) => plain("type", &t.vis, &t.attrs, &t.ident),
        Item::Trait(t) => {
            let name = t.ident.to_string();
            if reachable(&t.vis, &t.attrs, &name, ctx) {
                out.push((format!("trait {name}"), &t.attrs[..], line(t.ident.span())));
                for inner in &t.items {
                    let (attrs, ident) = match inner {
                        TraitItem::Fn(f) => (&f.attrs, &f.sig.ident),
                        TraitItem::Const(c) => (&c.attrs, &c.ident),
                        TraitItem::Type(ty) => (&ty.attrs, &ty.ident),
                        _ => continue,
                    };
                    if !is_hidden(attrs) {
                        out.push((format!("{name}::{ident}"), &attrs[..], line(ident.span())));
                    }
                }
            }
        }
        Item::Impl(imp) if imp.trait_.is_none() && !is_hidden(&imp.attrs) => {
            let syn::Type::Path(self_ty) = &*imp.self_ty else {
                return out;
            };
            let Some(last) = self_ty.path.segments.last() else {
                return out;
            };
            let ty = last.ident.to_string();
            if !public_types.contains(&ty) {
                return out;
            }
            for inner in &imp.items {
                let (vis, attrs, ident) = match inner {
                    ImplItem::Fn(f) => (&f.vis, &f.attrs, &f.sig.ident),
                    ImplItem::Const(c) => (&c.vis, &c.attrs, &c.ident),
                    _ => continue,
                };
                if is_pub(vis) && !is_hidden(attrs) {
                    out.push((format!("{ty}::{ident}"), &attrs[..], line(ident.span())));
                }
            }
        }
        Item::Macro(m) if m.attrs.iter().any(|a| a.path().is_ident("macro_export")) => {
            if let Some(ident) = &m.ident {
                if !is_hidden(&m.attrs) {
                    out.push((format!("macro {ident}!"), &m.attrs[..], line(ident.span())));
                }
            }
        }
        _ => {}
    }
    out
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

/// `#[doc(hidden)]`.
fn is_hidden(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("doc")
            && matches!(&a.meta, syn::Meta::List(list) if list.tokens.to_string() == "hidden")
    })
}

/// `#[cfg(test)]`.
fn is_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && matches!(&a.meta, syn::Meta::List(list) if list.tokens.to_string() == "test")
    })
}

/// Whether the doc comment holds a fenced Rust code block that rustdoc
/// compiles (`ignore` and other languages do not count).
fn has_example(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        let syn::Meta::NameValue(nv) = &a.meta else {
            return false;
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &nv.value
        else {
            return false;
        };
        let text = text.value();
        let Some(info) = text.trim_start().strip_prefix("```") else {
            return false;
        };
        nv.path.is_ident("doc")
            && info.split(',').map(str::trim).all(|tag| {
                matches!(
                    tag,
                    "" | "rust" | "no_run" | "should_panic" | "compile_fail"
                ) || tag.starts_with("edition")
            })
    })
}
