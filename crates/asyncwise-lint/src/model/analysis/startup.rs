//! Which functions run once, at start-up: a runtime's entry attribute (`#[tokio::main]` on any
//! fn) and whether that runtime polls the fn's body apart from its workers, and async
//! constructors (methods returning the value they build). Blocking directly in such a body is
//! the pedantic form of `blocking_in_async`, which reads the answers from [`FnItem::setup`],
//! [`FnItem::main_apart`] and [`CallFact::startup`](crate::model::CallFact::startup).
//!
//! The walker combines these with where a call sits (directly in the body, outside loops) and
//! with the knowledge's set-up names (`new`, `open`, `init`); the predicates on attributes and
//! return types live here, with their tests, because they encode runtime and Rust semantics.
//!
//! [`FnItem::setup`]: crate::model::FnItem::setup
//! [`FnItem::main_apart`]: crate::model::FnItem::main_apart

use crate::knowledge::Knowledge;

/// A runtime `main` attribute whose runtime polls the fn's body on the main thread, apart from
/// its worker threads (`#[tokio::main]`, `#[tokio::main(flavor = "multi_thread")]`), as the
/// knowledge's table says. Arguments that do not read as `name = value` pairs say nothing.
///
/// ```
/// use asyncwise_lint::model::analysis::startup::polls_main_apart;
/// let f: syn::ItemFn = syn::parse_str("#[tokio::main] async fn main() {}").unwrap();
/// assert!(polls_main_apart(&f.attrs));
/// let f: syn::ItemFn =
///     syn::parse_str(r#"#[tokio::main(flavor = "current_thread")] async fn main() {}"#).unwrap();
/// assert!(!polls_main_apart(&f.attrs));
/// ```
pub fn polls_main_apart(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let segments = &a.path().segments;
        if segments.len() != 2 || segments[1].ident != "main" {
            return false;
        }
        let krate = segments[0].ident.to_string();
        let flavor = match &a.meta {
            syn::Meta::Path(_) => None,
            syn::Meta::List(_) => {
                let parser = syn::punctuated::Punctuated::<syn::MetaNameValue, syn::Token![,]>::parse_terminated;
                let Ok(args) = a.parse_args_with(parser) else {
                    return false;
                };
                args.iter()
                    .find(|arg| arg.path.is_ident("flavor"))
                    .map(|arg| match &arg.value {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }) => s.value(),
                        _ => String::new(),
                    })
            }
            syn::Meta::NameValue(_) => return false,
        };
        crate::knowledge::runtimes::polls_main_apart(&krate, flavor.as_deref())
    })
}

/// A sync `main` that builds a multi-thread runtime by hand (`Builder::new_multi_thread()`,
/// `Runtime::new()`) and builds no single-thread one: the future it hands to that runtime's
/// `block_on` is polled on the main thread, apart from the workers, as `#[tokio::main]`'s body
/// is. Which constructors are which is data
/// ([`MULTI_THREAD_RUNTIME_BUILDERS`](crate::knowledge::runtimes::MULTI_THREAD_RUNTIME_BUILDERS)).
/// A body that builds both kinds says nothing certain about which one `block_on` belongs to.
///
/// ```
/// use asyncwise_lint::model::analysis::startup::builds_multi_thread_runtime;
/// let f: syn::ItemFn = syn::parse_str(
///     "fn main() { let rt = Builder::new_multi_thread().enable_all().build().unwrap(); rt.block_on(run()) }",
/// ).unwrap();
/// assert!(builds_multi_thread_runtime(&f.block));
/// let f: syn::ItemFn = syn::parse_str(
///     "fn main() { tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()) }",
/// ).unwrap();
/// assert!(!builds_multi_thread_runtime(&f.block));
/// ```
pub fn builds_multi_thread_runtime(block: &syn::Block) -> bool {
    use crate::knowledge::runtimes::{
        MULTI_THREAD_RUNTIME_BUILDERS, SINGLE_THREAD_RUNTIME_BUILDERS,
    };
    use syn::visit::Visit;
    #[derive(Default)]
    struct Builders {
        multi: bool,
        single: bool,
    }
    impl<'ast> Visit<'ast> for Builders {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let syn::Expr::Path(p) = &*c.func {
                let segments = crate::model::resolve::segments(&p.path);
                let ends_with = |written: &str| {
                    let want: Vec<&str> = written.split("::").collect();
                    segments.len() >= want.len()
                        && segments[segments.len() - want.len()..]
                            .iter()
                            .zip(&want)
                            .all(|(a, b)| a == b)
                };
                self.multi |= MULTI_THREAD_RUNTIME_BUILDERS.iter().any(|b| ends_with(b));
                self.single |= SINGLE_THREAD_RUNTIME_BUILDERS.iter().any(|b| ends_with(b));
            }
            syn::visit::visit_expr_call(self, c);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut found = Builders::default();
    found.visit_block(block);
    found.multi && !found.single
}

/// `#[tokio::main]` (or another runtime's `main` attribute): the fn builds a runtime and blocks
/// on its body, whatever its name.
///
/// ```
/// use asyncwise_lint::knowledge::Knowledge;
/// use asyncwise_lint::model::analysis::startup::is_runtime_entry;
/// let f: syn::ItemFn = syn::parse_str("#[tokio::main] async fn serve() {}").unwrap();
/// assert!(is_runtime_entry(&f.attrs, &Knowledge::builtin()));
/// let f: syn::ItemFn = syn::parse_str("#[tokio::test] async fn serves() {}").unwrap();
/// assert!(!is_runtime_entry(&f.attrs, &Knowledge::builtin()));
/// ```
pub fn is_runtime_entry(attrs: &[syn::Attribute], knowledge: &Knowledge) -> bool {
    // Compares identifiers in place: no string per attribute of every function.
    attrs.iter().any(|a| {
        let segments = &a.path().segments;
        segments.len() == 2
            && segments[1].ident == "main"
            && knowledge.is_runtime_entry_crate(&segments[0].ident.to_string())
    })
}

/// Does a method return the value it builds: `Self`, the impl's own type, or either wrapped in
/// `Result`/`Option` (`io::Result<Self>`, `Result<Self, Error>`)? Such an async fn is a
/// constructor: it runs once per value it builds, and the values that need async set-up
/// (stores, servers, connectors) are built once.
///
/// ```
/// use asyncwise_lint::model::analysis::startup::constructs_self;
/// let f: syn::ImplItemFn = syn::parse_str("async fn open(p: &Path) -> io::Result<Self> { todo!() }").unwrap();
/// assert!(constructs_self(&f.sig.output, Some("crate::db::Store")));
/// let f: syn::ImplItemFn = syn::parse_str("async fn get(&self) -> Option<Row> { todo!() }").unwrap();
/// assert!(!constructs_self(&f.sig.output, Some("crate::db::Store")));
/// ```
pub fn constructs_self(output: &syn::ReturnType, owner: Option<&str>) -> bool {
    let syn::ReturnType::Type(_, ty) = output else {
        return false;
    };
    let owner_name = owner.and_then(|o| o.rsplit("::").next());
    returns_own_type(ty, owner_name)
}

/// `Self` or the type named `owner`, possibly inside `Result`/`Option` (nested too).
fn returns_own_type(ty: &syn::Type, owner: Option<&str>) -> bool {
    let syn::Type::Path(p) = ty else {
        return false;
    };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident == "Self" || owner.is_some_and(|o| last.ident == o) {
        return true;
    }
    if last.ident != "Result" && last.ident != "Option" {
        return false;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => matches!(
            args.args.first(),
            Some(syn::GenericArgument::Type(first)) if returns_own_type(first, owner)
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(src: &str) -> Vec<syn::Attribute> {
        let f: syn::ItemFn = syn::parse_str(src).expect("test fn parses");
        f.attrs
    }

    fn output(src: &str) -> syn::ReturnType {
        let f: syn::ImplItemFn = syn::parse_str(src).expect("test method parses");
        f.sig.output
    }

    #[test]
    fn a_runtime_main_attribute_is_an_entry_whatever_the_fn_is_called() {
        let k = Knowledge::builtin();
        assert!(is_runtime_entry(
            &attrs("#[tokio::main] async fn run() {}"),
            &k
        ));
        assert!(is_runtime_entry(
            &attrs("#[tokio::main(worker_threads = 2)] async fn start() {}"),
            &k
        ));
        assert!(!is_runtime_entry(
            &attrs("#[tokio::test] async fn t() {}"),
            &k
        ));
        assert!(!is_runtime_entry(&attrs("#[main] fn m() {}"), &k));
        assert!(!is_runtime_entry(&attrs("async fn main() {}"), &k));
    }

    #[test]
    fn the_flavor_decides_whether_main_is_polled_apart() {
        assert!(polls_main_apart(&attrs(
            "#[tokio::main] async fn main() {}"
        )));
        assert!(polls_main_apart(&attrs(
            r#"#[tokio::main(flavor = "multi_thread", worker_threads = 4)] async fn main() {}"#
        )));
        assert!(!polls_main_apart(&attrs(
            r#"#[tokio::main(flavor = "current_thread")] async fn main() {}"#
        )));
        // arguments that are not `name = value` pairs say nothing
        assert!(!polls_main_apart(&attrs(
            "#[tokio::main(current_thread)] async fn main() {}"
        )));
        assert!(!polls_main_apart(&attrs("#[tokio::test] async fn t() {}")));
    }

    #[test]
    fn a_constructor_returns_self_or_its_own_type_possibly_wrapped() {
        let owner = Some("crate::net::Server");
        for sig in [
            "async fn new() -> Self { todo!() }",
            "async fn bind() -> Server { todo!() }",
            "async fn connect() -> io::Result<Self> { todo!() }",
            "async fn load() -> Result<Option<Server>, Error> { todo!() }",
        ] {
            assert!(constructs_self(&output(sig), owner), "{sig}");
        }
        for sig in [
            "async fn run(&self) { todo!() }",
            "async fn addr(&self) -> SocketAddr { todo!() }",
            "async fn pair() -> (Self, Self) { todo!() }",
            "async fn boxed() -> Box<Self> { todo!() }",
        ] {
            assert!(!constructs_self(&output(sig), owner), "{sig}");
        }
        // without an owner only `Self` counts
        assert!(!constructs_self(
            &output("async fn bind() -> Server { todo!() }"),
            None
        ));
    }
}
