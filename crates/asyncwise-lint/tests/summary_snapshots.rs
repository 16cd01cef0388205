//! Snapshot tests of the per-file summary (`asyncwise_lint::summary`): the model itself, not
//! only the rules' verdicts. Each program is lowered at a module path and its summary printed
//! one fact per line: functions with their ids, calls with their resolved targets and contexts,
//! blocking calls, module declarations, crate imports.

use std::fmt::Write as _;

use asyncwise_lint::model::{FileContext, FileModel};
use asyncwise_lint::summary::{FileItems, summarize};

fn summary_of(module: &str, src: &str) -> FileItems {
    let ast = syn::parse_file(src).expect("snapshot program parses");
    let cx = FileContext {
        module: module.into(),
        ..FileContext::default()
    };
    let model = FileModel::build_in(std::path::Path::new("src/x.rs"), src, &ast, &cx);
    let items = summarize(&model);
    // The summary is plain data: it survives a round trip through JSON unchanged.
    let json = serde_json::to_string(&items).expect("serializes");
    let back: FileItems = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, items);
    items
}

fn render(items: &FileItems) -> String {
    let mut out = format!("module {}\n", items.module);
    for d in &items.mod_decls {
        let _ = writeln!(
            out,
            "mod {}::{}{}",
            d.parent,
            d.name,
            d.path_attr
                .as_ref()
                .map(|p| format!(" #[path = {p:?}]"))
                .unwrap_or_default()
        );
    }
    for (alias, target) in &items.aliases {
        let _ = writeln!(out, "alias {alias} = {target}");
    }
    for (module, glob) in &items.globs {
        let _ = writeln!(out, "glob {module} uses {glob}::*");
    }
    for f in &items.functions {
        let _ = writeln!(
            out,
            "fn {} ({}) at {}:{}",
            f.id.0,
            if f.is_async { "async" } else { "sync" },
            f.at.start.line,
            f.at.start.column
        );
        for c in &f.calls {
            let _ = writeln!(
                out,
                "  call {} [{:?}] at {}:{}",
                c.target, c.ctx, c.span.start.line, c.span.start.column
            );
        }
        for b in &f.blocking {
            let _ = writeln!(
                out,
                "  blocks {} [{:?}] at {}:{}",
                b.what, b.ctx, b.span.start.line, b.span.start.column
            );
        }
    }
    out
}

#[test]
fn contexts_of_calls() {
    let src = r#"
fn helper() { std::thread::sleep(d()); }
async fn run() {
    helper();
    tokio::task::spawn_blocking(|| helper());
    std::thread::spawn(move || std::fs::read("x"));
    let later = move || helper();
    let _ = async { helper() };
    [1, 2].iter().for_each(|_| helper());
    tokio::fs::read("x").await;
}
"#;
    insta::assert_snapshot!(render(&summary_of("crate::jobs", src)));
}

#[test]
fn methods_self_and_associated_functions() {
    let src = r#"
use crate::db::Pool;
pub struct Store { pool: Pool }
impl Store {
    pub fn open() -> Self { Self::connect(); Store { pool: Pool::new() } }
    fn connect() {}
    pub fn load(&self) { self.pool.get(); self.check(); }
    fn check(&self) {}
}
trait Backend { fn flush(&self) { std::fs::File::open("x").ok(); } }
async fn serve(store: &Store, pool: Pool) {
    let s = Store::open();
    s.load();
    store.load();
    pool.get();
    other_member::util::copy();
}
"#;
    insta::assert_snapshot!(render(&summary_of("crate::api", src)));
}

#[test]
fn modules_imports_and_nested_items() {
    let src = r#"
mod files;
#[path = "impl/unix.rs"]
mod sys;
pub use files::copy_files;
use crate::net::*;
mod inline {
    pub fn inner() { super::outer(); crate::root_fn(); }
}
fn outer() {
    fn nested() {}
    nested();
    inline::inner();
    connect();
}
"#;
    insta::assert_snapshot!(render(&summary_of("crate::setup", src)));
}
