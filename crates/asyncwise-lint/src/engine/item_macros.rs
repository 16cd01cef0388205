//! Item macros whose bodies are ordinary items, opened so that the model sees them.
//!
//! `cfg_if::cfg_if! { if #[cfg(unix)] { fn a() {} } else { fn a() {} } }` is how a large part of
//! the ecosystem writes platform and feature alternatives. The compiler expands it to the items
//! of each branch with a `cfg` that holds for that branch alone; syn leaves it an opaque
//! `Item::Macro`, so without this step every function written inside one is invisible to every
//! rule. Each branch's items are put in the macro's place with that branch's `cfg` (the later
//! branches' `cfg` says that the earlier ones did not hold), the way the model already sees
//! `#[cfg]` alternatives written out by hand. Their tokens keep their spans, so findings point
//! into the macro's body. A body that does not parse as `cfg_if!`'s grammar is left as it was.
//!
//! Other item macros (`macro_rules!` invocations) are not opened: their bodies are templates of
//! the macro's own syntax, not Rust items.

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;

/// Does the text name a macro this module opens? Files that do not are left alone.
pub fn may_contain(source: &str) -> bool {
    source.contains("cfg_if")
}

/// Opens every `cfg_if!` among the items of a file, also in inline modules and in the bodies
/// of nested `cfg_if!`s.
///
/// ```
/// use asyncwise_lint::engine::item_macros::open_item_macros;
/// let mut file: syn::File = syn::parse_str(
///     "cfg_if::cfg_if! { if #[cfg(unix)] { async fn a() {} } else { async fn a() {} } }",
/// )
/// .unwrap();
/// open_item_macros(&mut file);
/// assert_eq!(file.items.len(), 2);
/// assert!(file.items.iter().all(|i| matches!(i, syn::Item::Fn(_))));
/// ```
pub fn open_item_macros(file: &mut syn::File) {
    open_in(&mut file.items);
}

fn open_in(items: &mut Vec<syn::Item>) {
    if !items
        .iter()
        .any(|i| matches!(i, syn::Item::Macro(_) | syn::Item::Mod(_)))
    {
        return;
    }
    let mut opened = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        match item {
            syn::Item::Macro(m) if is_cfg_if(&m.mac) => match branches(&m.mac) {
                Some(mut found) => {
                    // The macro's own attributes (an enclosing branch's `cfg`) hold for all.
                    for item in &mut found {
                        if let Some(attrs) = attrs_of(item) {
                            attrs.splice(0..0, m.attrs.iter().cloned());
                        }
                    }
                    open_in(&mut found);
                    opened.extend(found);
                }
                None => opened.push(syn::Item::Macro(m)),
            },
            syn::Item::Mod(mut module) => {
                if let Some((_, inner)) = &mut module.content {
                    open_in(inner);
                }
                opened.push(syn::Item::Mod(module));
            }
            other => opened.push(other),
        }
    }
    *items = opened;
}

/// `cfg_if!` or `cfg_if::cfg_if!`.
fn is_cfg_if(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "cfg_if")
}

/// The items of every branch, each with the `cfg` under which its branch is the one compiled.
fn branches(mac: &syn::Macro) -> Option<Vec<syn::Item>> {
    let parser = |input: ParseStream<'_>| -> syn::Result<Vec<syn::Item>> {
        let mut earlier: Vec<TokenStream> = Vec::new();
        let mut out = Vec::new();
        loop {
            let condition = if input.peek(syn::Token![if]) {
                input.parse::<syn::Token![if]>()?;
                let attrs = input.call(syn::Attribute::parse_outer)?;
                let [attr] = attrs.as_slice() else {
                    return Err(input.error("expected one `#[cfg(..)]`"));
                };
                if !attr.path().is_ident("cfg") {
                    return Err(input.error("expected `#[cfg(..)]`"));
                }
                Some((attr.parse_args::<TokenStream>()?, attr.span()))
            } else {
                None
            };
            let body;
            syn::braced!(body in input);
            let span = condition.as_ref().map_or_else(|| body.span(), |(_, s)| *s);
            let cfg = match (&condition, earlier.is_empty()) {
                (Some((c, _)), true) => quote_spanned!(span=> #[cfg(#c)]),
                (Some((c, _)), false) => {
                    quote_spanned!(span=> #[cfg(all(not(any(#(#earlier),*)), #c))])
                }
                (None, true) => TokenStream::new(),
                (None, false) => quote_spanned!(span=> #[cfg(not(any(#(#earlier),*)))]),
            };
            let attrs = syn::Attribute::parse_outer.parse2(cfg)?;
            while !body.is_empty() {
                let mut item: syn::Item = body.parse()?;
                if let Some(item_attrs) = attrs_of(&mut item) {
                    item_attrs.splice(0..0, attrs.iter().cloned());
                }
                out.push(item);
            }
            let Some((c, _)) = condition else { break };
            earlier.push(c);
            if input.peek(syn::Token![else]) {
                input.parse::<syn::Token![else]>()?;
            } else {
                break;
            }
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the last branch"));
        }
        Ok(out)
    };
    parser.parse2(mac.tokens.clone()).ok()
}

/// The attribute list of an item, for the kinds of item a branch holds.
fn attrs_of(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    Some(match item {
        syn::Item::Const(i) => &mut i.attrs,
        syn::Item::Enum(i) => &mut i.attrs,
        syn::Item::ExternCrate(i) => &mut i.attrs,
        syn::Item::Fn(i) => &mut i.attrs,
        syn::Item::ForeignMod(i) => &mut i.attrs,
        syn::Item::Impl(i) => &mut i.attrs,
        syn::Item::Macro(i) => &mut i.attrs,
        syn::Item::Mod(i) => &mut i.attrs,
        syn::Item::Static(i) => &mut i.attrs,
        syn::Item::Struct(i) => &mut i.attrs,
        syn::Item::Trait(i) => &mut i.attrs,
        syn::Item::TraitAlias(i) => &mut i.attrs,
        syn::Item::Type(i) => &mut i.attrs,
        syn::Item::Union(i) => &mut i.attrs,
        syn::Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opened(src: &str) -> Vec<String> {
        let mut file: syn::File = syn::parse_str(src).expect("test source parses");
        open_item_macros(&mut file);
        file.items
            .iter()
            .map(|i| quote::quote!(#i).to_string())
            .collect()
    }

    #[test]
    fn each_branch_gets_the_cfg_under_which_it_is_compiled() {
        let items = opened(
            "cfg_if::cfg_if! {\n if #[cfg(unix)] { fn a() {} }\n else if #[cfg(test)] { fn b() {} }\n else { fn c() {} }\n}",
        );
        assert_eq!(
            items,
            vec![
                "# [cfg (unix)] fn a () { }",
                "# [cfg (all (not (any (unix)) , test))] fn b () { }",
                "# [cfg (not (any (unix , test)))] fn c () { }",
            ]
        );
    }

    #[test]
    fn nested_macros_and_inline_modules_are_opened() {
        let items = opened(
            "mod m {\n cfg_if! { if #[cfg(a)] { cfg_if! { if #[cfg(b)] { fn f() {} } } } }\n}",
        );
        assert_eq!(items.len(), 1);
        assert!(
            items[0].contains("# [cfg (a)] # [cfg (b)] fn f"),
            "{}",
            items[0]
        );
    }

    #[test]
    fn other_macros_and_malformed_bodies_are_left_alone() {
        let items = opened("impl_store!(A);\ncfg_if! { while x { } }\nfn kept() {}");
        assert_eq!(items.len(), 3);
        assert!(items[0].starts_with("impl_store"));
        assert!(items[1].starts_with("cfg_if"));
    }

    #[test]
    fn spans_point_into_the_macro_body() {
        let mut file: syn::File =
            syn::parse_str("cfg_if::cfg_if! {\n    if #[cfg(unix)] {\n        fn a() {}\n    }\n}")
                .expect("parses");
        open_item_macros(&mut file);
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!("a function")
        };
        assert_eq!(f.sig.ident.span().start().line, 3);
    }
}
