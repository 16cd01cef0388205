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

/// Async lock declarations and lock sites with the lock's identity and whether each guard is
/// held (alive at a later await, or leaving the body), and the first call into each runtime.
fn render_locks(items: &FileItems) -> String {
    let mut out = String::new();
    for d in &items.async_lock_decls {
        let _ = writeln!(
            out,
            "decl {:?} {} shape={} shared={} public={} aliases={:?} line {}",
            d.id, d.ty, d.shape, d.shared, d.public, d.aliases, d.span.start.line
        );
    }
    for s in &items.async_lock_sites {
        let _ = writeln!(
            out,
            "site {:?} held={} lent={} line {}",
            s.id, s.held, s.lent, s.span.start.line
        );
    }
    for c in &items.runtime_calls {
        let _ = writeln!(
            out,
            "runtime {} via {} line {}",
            c.runtime, c.what, c.span.start.line
        );
    }
    out
}

#[test]
fn async_locks_and_runtime_calls() {
    let src = r#"
use std::sync::Arc;
use tokio::sync::{Mutex, RwLock};
pub struct State { pub names: Arc<RwLock<Vec<String>>>, conn: Mutex<Conn> }
static CACHE: Mutex<u32> = Mutex::const_new(0);
impl State {
    async fn touch(&self) {
        self.names.write().await.push(String::new());
        let mut c = self.conn.lock().await;
        c.send().await;
        *CACHE.lock().await += 1;
    }
    fn lend(&self) -> &Mutex<Conn> { &self.conn }
}
async fn local() {
    let m = Arc::new(Mutex::new(0));
    let m2 = m.clone();
    tokio::spawn(async move { *m2.lock().await += 1; });
    let g = m.lock().await;
    drop(g);
    async_std::task::sleep(d()).await;
}
"#;
    insta::assert_snapshot!(render_locks(&summary_of("crate::state", src)));
}
