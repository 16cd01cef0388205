//! The item outline of a file: every item (fn, impl, mod, struct, …, also items nested in
//! function bodies and the fns of impls and traits) with its line range and qualified name.
//!
//! Suppressions placed above an item cover the item's lines; baseline fingerprints name the
//! innermost item around a finding, so they survive lines added above it.

use syn::spanned::Spanned;
use syn::visit::Visit;

/// One item of a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemRange {
    /// Names of the enclosing items and this one, joined by `::` (`impl Server::handle`).
    pub name: String,
    /// First line, including outer attributes and doc comments.
    pub start_line: usize,
    /// The line of the item's name (or of `impl`): a suppression between the attributes and
    /// this line still covers the item.
    pub header_line: usize,
    /// Last line.
    pub end_line: usize,
}

/// The items of one file, in source order (outer items before the items they contain).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemOutline {
    /// Every item.
    pub items: Vec<ItemRange>,
}

impl ItemOutline {
    /// Collects the items of a parsed file. Run on the thread that parsed `ast`.
    ///
    /// ```
    /// let ast = syn::parse_file("mod net {\n    #[inline]\n    fn send() {}\n}\n").unwrap();
    /// let outline = asyncwise_lint::items::ItemOutline::of(&ast);
    /// let send = outline.innermost(3).unwrap();
    /// assert_eq!((send.name.as_str(), send.start_line, send.header_line), ("net::send", 2, 3));
    /// ```
    pub fn of(ast: &syn::File) -> Self {
        let mut collector = Collector::default();
        collector.visit_file(ast);
        ItemOutline {
            items: collector.items,
        }
    }

    /// The innermost item whose lines include `line`.
    ///
    /// ```
    /// let ast = syn::parse_file("fn a() {\n    fn b() {}\n}\n").unwrap();
    /// let outline = asyncwise_lint::items::ItemOutline::of(&ast);
    /// assert_eq!(outline.innermost(2).unwrap().name, "a::b");
    /// assert_eq!(outline.innermost(3).unwrap().name, "a");
    /// assert!(outline.innermost(9).is_none());
    /// ```
    pub fn innermost(&self, line: usize) -> Option<&ItemRange> {
        self.items
            .iter()
            .filter(|i| i.start_line <= line && line <= i.end_line)
            .min_by_key(|i| i.end_line - i.start_line)
    }

    /// The outermost item that starts at `line` (counting its attributes and header).
    ///
    /// ```
    /// let ast = syn::parse_file("#[derive(Debug)]\nstruct S;\n").unwrap();
    /// let outline = asyncwise_lint::items::ItemOutline::of(&ast);
    /// assert_eq!(outline.starting_at(1).unwrap().name, "S");
    /// assert_eq!(outline.starting_at(2).unwrap().name, "S");
    /// ```
    pub fn starting_at(&self, line: usize) -> Option<&ItemRange> {
        self.items
            .iter()
            .filter(|i| i.start_line <= line && line <= i.header_line)
            .max_by_key(|i| i.end_line - i.start_line)
    }
}

#[derive(Default)]
struct Collector {
    items: Vec<ItemRange>,
    path: Vec<String>,
}

impl Collector {
    fn record(&mut self, whole: proc_macro2::Span, header: proc_macro2::Span, name: String) {
        self.path.push(name);
        let start_line = whole.start().line;
        self.items.push(ItemRange {
            name: self.path.join("::"),
            start_line,
            header_line: header.start().line.max(start_line),
            end_line: whole.end().line.max(start_line),
        });
    }

    fn leave(&mut self) {
        self.path.pop();
    }
}

/// The type an impl is for, without spaces: `Server`, `Vec<u8>`.
fn type_name(ty: &syn::Type) -> String {
    quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(' ', "")
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let named = match item {
            syn::Item::Fn(f) => Some((f.sig.ident.span(), f.sig.ident.to_string())),
            syn::Item::Mod(m) => Some((m.ident.span(), m.ident.to_string())),
            syn::Item::Struct(s) => Some((s.ident.span(), s.ident.to_string())),
            syn::Item::Enum(e) => Some((e.ident.span(), e.ident.to_string())),
            syn::Item::Union(u) => Some((u.ident.span(), u.ident.to_string())),
            syn::Item::Trait(t) => Some((t.ident.span(), t.ident.to_string())),
            syn::Item::Const(c) => Some((c.ident.span(), c.ident.to_string())),
            syn::Item::Static(s) => Some((s.ident.span(), s.ident.to_string())),
            syn::Item::Type(t) => Some((t.ident.span(), t.ident.to_string())),
            syn::Item::Macro(m) => m
                .ident
                .as_ref()
                .map(|i| (i.span(), i.to_string()))
                .or_else(|| Some((m.mac.path.span(), format!("{}!", type_name_of_path(m))))),
            syn::Item::Impl(i) => {
                let what = match &i.trait_ {
                    Some((_, path, _)) => format!(
                        "impl {} for {}",
                        quote::ToTokens::to_token_stream(path)
                            .to_string()
                            .replace(' ', ""),
                        type_name(&i.self_ty)
                    ),
                    None => format!("impl {}", type_name(&i.self_ty)),
                };
                Some((i.impl_token.span, what))
            }
            _ => None,
        };
        match named {
            Some((header, name)) => {
                self.record(item.span(), header, name);
                syn::visit::visit_item(self, item);
                self.leave();
            }
            None => syn::visit::visit_item(self, item),
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.record(f.span(), f.sig.ident.span(), f.sig.ident.to_string());
        syn::visit::visit_impl_item_fn(self, f);
        self.leave();
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.record(f.span(), f.sig.ident.span(), f.sig.ident.to_string());
        syn::visit::visit_trait_item_fn(self, f);
        self.leave();
    }
}

fn type_name_of_path(m: &syn::ItemMacro) -> String {
    quote::ToTokens::to_token_stream(&m.mac.path)
        .to_string()
        .replace(' ', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impl_fns_are_named_by_their_type() {
        let src = "impl<T> Server<T> {\n    /// Docs.\n    async fn handle(&self) {\n        work().await;\n    }\n}\n";
        let outline = ItemOutline::of(&syn::parse_file(src).unwrap());
        let handle = outline.innermost(4).unwrap();
        assert_eq!(handle.name, "impl Server<T>::handle");
        assert_eq!(
            (handle.start_line, handle.header_line, handle.end_line),
            (2, 3, 5)
        );
        assert_eq!(outline.starting_at(1).unwrap().name, "impl Server<T>");
    }
}
