//! Which items of a file are test code: `#[cfg(test)]` items and modules (and those gated by a
//! test-support feature, `#[cfg(feature = "test-util")]`), functions with a test attribute
//! (`#[test]`, `#[tokio::test]`, `#[rstest]`, ...), and `proptest!`-style blocks; and
//! which out-of-line modules (`#[cfg(test)] mod tests;`) are declared as test code, so the
//! engine can treat their files as test code too.
//!
//! Only items are classified (never statements), which is what cargo's `cfg(test)` can remove.

use crate::knowledge::test_code::{TEST_ATTRIBUTES, TEST_FEATURE_WORDS, TEST_MACROS};

/// A `#[cfg(test)] mod name;` declaration: the module lives in another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfLineTestMod {
    /// Inline modules enclosing the declaration (`a`, `b` for `mod a { mod b { mod t; } }`).
    pub nesting: Vec<String>,
    /// The module's name.
    pub name: String,
    /// The `#[path = ".."]` attribute, if any.
    pub path_attr: Option<String>,
}

/// Test code of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestCode {
    /// Inclusive line ranges of test items (attributes included), outermost only.
    pub items: Vec<(usize, usize)>,
    /// Out-of-line test modules declared in the file.
    pub out_of_line: Vec<OutOfLineTestMod>,
}

impl TestCode {
    /// Finds the test items of a file.
    ///
    /// ```
    /// let src = "fn lib() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n#[cfg(test)] mod more;\n";
    /// let ast = syn::parse_file(src).unwrap();
    /// let code = asyncwise_lint::model::TestCode::of(&ast);
    /// assert_eq!(code.items, vec![(2, 6), (7, 7)]);
    /// assert_eq!(code.out_of_line[0].name, "more");
    /// assert!(code.contains_line(4) && !code.contains_line(1));
    /// ```
    pub fn of(file: &syn::File) -> TestCode {
        let mut out = TestCode::default();
        scan_items(&file.items, &mut Vec::new(), &mut out);
        out
    }

    /// Is this line inside a test item?
    pub fn contains_line(&self, line: usize) -> bool {
        self.items.iter().any(|&(s, e)| s <= line && line <= e)
    }

    /// Removes the test items [`TestCode::of`] finds from `file`, for a run that does not
    /// check test code (cargo's `cfg(test)` removes them from the build `cargo clippy` checks
    /// too). Out-of-line test modules (`#[cfg(test)] mod tests;`) stay declared: the engine
    /// places their files by the declaration, and leaves them out itself. So do test items
    /// that name a module named for test support (`test_utils::fixture()`, `use
    /// crate::testing::*`): the crate pass tells test-support functions by their callers (see
    /// [`CrateIndex::test_support_items`](crate::crate_index::CrateIndex::test_support_items)).
    /// Take [`TestCode::of`] first: the engine needs the ranges to count what it skipped.
    ///
    /// ```
    /// let src = "fn lib() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n\
    ///            #[cfg(test)] mod more;\nimpl S {\n    #[cfg(test)]\n    fn helper() {}\n    fn real() {}\n}\n";
    /// let mut ast = syn::parse_file(src).unwrap();
    /// asyncwise_lint::model::TestCode::prune(&mut ast);
    /// let kept = quote::quote!(#ast).to_string();
    /// assert!(kept.contains("fn lib") && kept.contains("mod more ;") && kept.contains("fn real"));
    /// assert!(!kept.contains("mod tests") && !kept.contains("fn helper"));
    /// ```
    pub fn prune(file: &mut syn::File) {
        prune_items(&mut file.items);
    }
}

/// [`TestCode::prune`] of a list of items (a file's or an inline module's).
fn prune_items(items: &mut Vec<syn::Item>) {
    items.retain(|item| {
        !is_test_item(item)
            || matches!(item, syn::Item::Mod(m) if m.content.is_none())
            || names_test_module(item)
    });
    for item in items {
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &mut m.content {
                    prune_items(inner);
                }
            }
            syn::Item::Impl(i) => i.items.retain(|it| {
                !matches!(it, syn::ImplItem::Fn(f)
                    if f.attrs.iter().any(is_cfg_test) || has_test_attribute(&f.attrs))
            }),
            _ => {}
        }
    }
}

/// Does `item` name a module named for test support in a path or a `use` (attributes aside:
/// `#[tokio::test]` names no module)?
fn names_test_module(item: &syn::Item) -> bool {
    use crate::knowledge::test_code::is_test_module_name;
    use syn::visit::Visit;
    struct Names(bool);
    impl<'ast> Visit<'ast> for Names {
        fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
        fn visit_path_segment(&mut self, segment: &'ast syn::PathSegment) {
            self.0 |= is_test_module_name(&segment.ident.to_string());
            syn::visit::visit_path_segment(self, segment);
        }
        fn visit_use_path(&mut self, path: &'ast syn::UsePath) {
            self.0 |= is_test_module_name(&path.ident.to_string());
            syn::visit::visit_use_path(self, path);
        }
        fn visit_use_name(&mut self, name: &'ast syn::UseName) {
            self.0 |= is_test_module_name(&name.ident.to_string());
        }
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            // Macro bodies are tokens: any identifier may be a path segment.
            self.0 |= mac.tokens.clone().into_iter().any(|t| names_in_tokens(&t));
        }
    }
    fn names_in_tokens(tree: &proc_macro2::TokenTree) -> bool {
        match tree {
            proc_macro2::TokenTree::Ident(i) => is_test_module_name(&i.to_string()),
            proc_macro2::TokenTree::Group(g) => g.stream().into_iter().any(|t| names_in_tokens(&t)),
            _ => false,
        }
    }
    let mut names = Names(false);
    names.visit_item(item);
    names.0
}

/// Is `item` test code by the same reading as [`scan_items`]?
fn is_test_item(item: &syn::Item) -> bool {
    let Some(attrs) = item_attrs(item) else {
        return false;
    };
    let is_fn = matches!(item, syn::Item::Fn(_));
    let is_test_macro = matches!(item, syn::Item::Macro(m)
        if m.mac.path.segments.last().is_some_and(|s| TEST_MACROS.iter().any(|t| s.ident == t)));
    attrs.iter().any(is_cfg_test) || is_fn && has_test_attribute(attrs) || is_test_macro
}

/// The attributes of the kinds of items [`scan_items`] classifies.
fn item_attrs(item: &syn::Item) -> Option<&[syn::Attribute]> {
    Some(match item {
        syn::Item::Fn(f) => &f.attrs,
        syn::Item::Mod(m) => &m.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Struct(s) => &s.attrs,
        syn::Item::Enum(e) => &e.attrs,
        syn::Item::Use(u) => &u.attrs,
        syn::Item::Static(s) => &s.attrs,
        syn::Item::Const(c) => &c.attrs,
        syn::Item::Trait(t) => &t.attrs,
        syn::Item::Macro(m) => &m.attrs,
        _ => return None,
    })
}

fn scan_items(items: &[syn::Item], nesting: &mut Vec<String>, out: &mut TestCode) {
    for item in items {
        if is_test_item(item) {
            out.items.push(line_range(item));
            if let syn::Item::Mod(m) = item
                && m.content.is_none()
            {
                out.out_of_line.push(OutOfLineTestMod {
                    nesting: nesting.clone(),
                    name: m.ident.to_string(),
                    path_attr: path_attribute(&m.attrs),
                });
            }
            continue;
        }
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    nesting.push(m.ident.to_string());
                    scan_items(inner, nesting, out);
                    nesting.pop();
                }
            }
            syn::Item::Impl(i) => {
                for it in &i.items {
                    if let syn::ImplItem::Fn(f) = it
                        && (f.attrs.iter().any(is_cfg_test) || has_test_attribute(&f.attrs))
                    {
                        let start = f.attrs.first().map_or_else(
                            || syn::spanned::Spanned::span(&f.sig.fn_token).start().line,
                            |a| a.pound_token.span.start().line,
                        );
                        out.items
                            .push((start, f.block.brace_token.span.close().end().line));
                    }
                }
            }
            _ => {}
        }
    }
}

fn line_range(item: &syn::Item) -> (usize, usize) {
    use syn::spanned::Spanned as _;
    let end = match item {
        syn::Item::Fn(f) => f.block.brace_token.span.close().end().line,
        syn::Item::Mod(m) => match (&m.content, &m.semi) {
            (Some((brace, _)), _) => brace.span.close().end().line,
            (None, Some(semi)) => semi.span.end().line,
            (None, None) => m.ident.span().end().line,
        },
        syn::Item::Impl(i) => i.brace_token.span.close().end().line,
        other => other.span().end().line,
    };
    let attrs = match item {
        syn::Item::Fn(f) => &f.attrs,
        syn::Item::Mod(m) => &m.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(m) => &m.attrs,
        _ => return (item.span().start().line, end),
    };
    let start = attrs.first().map_or_else(
        || item.span().start().line,
        |a| a.pound_token.span.start().line,
    );
    (start, end)
}

/// `#[cfg(test)]`, `#[cfg(all(test, feature = "x"))]`, `#[cfg(feature = "test-util")]`,
/// `#[cfg(any(test, feature = "testing"))]`: compiled only for tests (and test support).
fn is_cfg_test(attr: &syn::Attribute) -> bool {
    if !attr.path().is_ident("cfg") {
        return false;
    }
    attr.parse_args::<syn::Meta>()
        .is_ok_and(|meta| requires_test(&meta))
}

/// Does a `cfg` predicate hold only when `test` is set?
fn requires_test(meta: &syn::Meta) -> bool {
    match meta {
        syn::Meta::Path(p) => p.is_ident("test"),
        syn::Meta::List(list) => {
            let Ok(inner) = list.parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            ) else {
                return false;
            };
            if list.path.is_ident("all") {
                inner.iter().any(requires_test)
            } else if list.path.is_ident("any") {
                !inner.is_empty() && inner.iter().all(requires_test)
            } else {
                false
            }
        }
        // `feature = "test-util"`: a feature that gates test support.
        syn::Meta::NameValue(nv) => nv.path.is_ident("feature") && is_test_feature(&nv.value),
    }
}

/// Is the value a test-support feature's name (see
/// [`TEST_FEATURE_WORDS`](crate::knowledge::test_code::TEST_FEATURE_WORDS))?
fn is_test_feature(value: &syn::Expr) -> bool {
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(name),
        ..
    }) = value
    else {
        return false;
    };
    name.value()
        .split(['-', '_'])
        .any(|word| TEST_FEATURE_WORDS.contains(&word))
}

fn has_test_attribute(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        // Doc comments, most attributes of most functions, are settled with one comparison.
        !a.path().is_ident("doc")
            && a.path()
                .segments
                .last()
                .is_some_and(|s| TEST_ATTRIBUTES.iter().any(|t| s.ident == t))
    })
}

/// The value of a `#[path = "…"]` attribute (also read by the walker for module declarations).
pub(crate) fn path_attribute(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(src: &str) -> TestCode {
        TestCode::of(&syn::parse_file(src).expect("test source parses"))
    }

    #[test]
    fn test_attributes_of_every_runtime() {
        let src = "#[tokio::test]\nasync fn a() {}\n#[async_std::test]\nasync fn b() {}\n#[rstest]\nfn c() {}\n#[test_log::test(tokio::test)]\nasync fn d() {}\nfn lib() {}\n";
        assert_eq!(of(src).items, vec![(1, 2), (3, 4), (5, 6), (7, 8)]);
    }

    #[test]
    fn cfg_predicates() {
        let src = "#[cfg(all(test, unix))]\nfn a() {}\n#[cfg(not(test))]\nfn b() {}\n#[cfg(any(test, feature = \"x\"))]\nfn c() {}\n#[cfg(any(test, test))]\nfn d() {}\n";
        assert_eq!(of(src).items, vec![(1, 2), (7, 8)]);
    }

    #[test]
    fn features_that_gate_test_support() {
        let src = "#[cfg(feature = \"test-util\")]\nfn a() {}\n#[cfg(any(test, feature = \"testing\"))]\nfn b() {}\n\
                   #[cfg(feature = \"test_utils\")]\npub mod support;\n#[cfg(feature = \"latest\")]\nfn c() {}\n\
                   #[cfg(feature = \"contest\")]\nfn d() {}\n#[cfg(any(test, feature = \"tls\"))]\nfn e() {}\n\
                   #[cfg(feature = \"integration-tests\")]\nfn f() {}\n";
        let code = of(src);
        // Not `latest` or `contest` (the word must stand alone), not `any(test, tls)`.
        assert_eq!(code.items, vec![(1, 2), (3, 4), (5, 6), (13, 14)]);
        assert_eq!(code.out_of_line[0].name, "support");
    }

    #[test]
    fn nested_out_of_line_modules_and_path_attributes() {
        let src = "mod a {\n    #[cfg(test)]\n    #[path = \"a_tests.rs\"]\n    mod t;\n}\n";
        let code = of(src);
        assert_eq!(code.items, vec![(2, 4)]);
        assert_eq!(
            code.out_of_line,
            vec![OutOfLineTestMod {
                nesting: vec!["a".into()],
                name: "t".into(),
                path_attr: Some("a_tests.rs".into()),
            }]
        );
    }

    #[test]
    fn test_methods_in_impls_and_proptest_blocks() {
        let src = "impl S {\n    #[cfg(test)]\n    fn helper() {}\n    fn real() {}\n}\nproptest! {\n    #[test]\n    fn p(x in 0..3) {}\n}\n";
        assert_eq!(of(src).items, vec![(2, 3), (6, 9)]);
    }
}
