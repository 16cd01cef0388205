//! Where the code allows one of clippy's lints that a rule of ours shares: `#[allow(..)]` or
//! `#[expect(..)]` naming `clippy::await_holding_lock` on an item (a fn, an impl, a module, a
//! trait), or `#![allow(..)]` at the top of the file. Such an attribute is the team's decision,
//! made once in code review against clippy's finding, that holding that lock across an await
//! is intended there (a future driven to completion by `block_on` on the caller's own thread,
//! a lock that only serialises access to one object); `lock_across_await` reports the same
//! guards there in its pedantic form instead of asking again. The lints and the guards they
//! cover are data in [`crate::knowledge::locks::CLIPPY_AWAIT_HOLDING`].

use syn::visit::{self, Visit};

use crate::knowledge::locks::CLIPPY_AWAIT_HOLDING;

/// Line ranges (inclusive) where each clippy lint of [`CLIPPY_AWAIT_HOLDING`] is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintAllows {
    /// `(lint, first line, last line)`.
    pub ranges: Vec<(&'static str, usize, usize)>,
}

impl LintAllows {
    /// The clippy lint allowed at `line` that covers a guard described as `describe`, if any.
    ///
    /// ```
    /// use asyncwise_lint::model::analysis::lint_allows::analyse;
    /// let f: syn::File = syn::parse_str(
    ///     "#[allow(clippy::await_holding_lock)]\nasync fn f() {\n    let g = m.lock();\n}\nasync fn g() {}",
    /// )
    /// .unwrap();
    /// let allows = analyse(&f);
    /// assert_eq!(allows.allowed_at(3, "`std::sync::Mutex` guard"), Some("await_holding_lock"));
    /// assert_eq!(allows.allowed_at(5, "`std::sync::Mutex` guard"), None);
    /// assert_eq!(allows.allowed_at(3, "`dashmap` reference (it holds a shard lock)"), None);
    /// ```
    pub fn allowed_at(&self, line: usize, describe: &str) -> Option<&'static str> {
        self.ranges
            .iter()
            .find(|(lint, first, last)| {
                (*first..=*last).contains(&line)
                    && CLIPPY_AWAIT_HOLDING.iter().any(|(l, guards)| {
                        l == lint && guards.iter().any(|g| describe.starts_with(g))
                    })
            })
            .map(|(lint, ..)| *lint)
    }
}

/// Reads the ranges of a file. Files that do not mention `await_holding` have none.
pub fn analyse(file: &syn::File) -> LintAllows {
    let mut v = Visitor::default();
    if let Some(lint) = allowed_lint(&file.attrs) {
        v.ranges.push((lint, 1, usize::MAX));
    }
    v.visit_file(file);
    LintAllows { ranges: v.ranges }
}

#[derive(Default)]
struct Visitor {
    ranges: Vec<(&'static str, usize, usize)>,
}

impl Visitor {
    fn note(&mut self, attrs: &[syn::Attribute], span: proc_macro2::Span) {
        if let Some(lint) = allowed_lint(attrs) {
            self.ranges.push((lint, span.start().line, span.end().line));
        }
    }
}

impl<'ast> Visit<'ast> for Visitor {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            _ => return visit::visit_item(self, item),
        };
        self.note(attrs, syn::spanned::Spanned::span(item));
        visit::visit_item(self, item);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.note(&f.attrs, syn::spanned::Spanned::span(f));
        visit::visit_impl_item_fn(self, f);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.note(&f.attrs, syn::spanned::Spanned::span(f));
        visit::visit_trait_item_fn(self, f);
    }
}

/// The first lint of [`CLIPPY_AWAIT_HOLDING`] an `allow`/`expect` attribute (outer or inner)
/// names, as `clippy::name`.
fn allowed_lint(attrs: &[syn::Attribute]) -> Option<&'static str> {
    attrs.iter().find_map(|attr| {
        if !(attr.path().is_ident("allow") || attr.path().is_ident("expect")) {
            return None;
        }
        let lints = attr
            .parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            )
            .ok()?;
        lints.iter().find_map(|meta| {
            let path = meta.path();
            let [clippy, name] = [path.segments.first()?, path.segments.last()?];
            if path.segments.len() != 2 || clippy.ident != "clippy" {
                return None;
            }
            CLIPPY_AWAIT_HOLDING
                .iter()
                .find(|(lint, _)| name.ident == lint)
                .map(|(lint, _)| *lint)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(src: &str) -> Vec<(&'static str, usize, usize)> {
        analyse(&syn::parse_str(src).expect("test source parses")).ranges
    }

    #[test]
    fn allow_and_expect_on_items_and_methods() {
        let src = "impl A {\n    #[expect(clippy::await_holding_lock, reason = \"block_on\")]\n    async fn f(&self) {\n    }\n}\n#[allow(dead_code, clippy::await_holding_refcell_ref)]\nmod m {}\n";
        assert_eq!(
            ranges(src),
            vec![
                ("await_holding_lock", 2, 4),
                ("await_holding_refcell_ref", 6, 7)
            ]
        );
    }

    #[test]
    fn inner_attributes_cover_the_file_and_other_lints_do_not_count() {
        assert_eq!(
            ranges("#![allow(clippy::await_holding_lock)]\nfn f() {}"),
            vec![("await_holding_lock", 1, usize::MAX)]
        );
        assert!(ranges("#[allow(clippy::too_many_arguments)]\nfn f() {}").is_empty());
        // `deny` is the opposite decision
        assert!(ranges("#[deny(clippy::await_holding_lock)]\nfn f() {}").is_empty());
    }
}
